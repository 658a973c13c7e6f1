//go:build unix && !linux

package devstack

import "syscall"

// childSysProcAttr puts the child in its own process group, so Stop can signal
// it together with anything it spawned. Only Linux has a parent-death signal:
// elsewhere a child can outlive a parent that is killed with SIGKILL.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
