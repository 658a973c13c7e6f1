//go:build unix && !linux

package dbtest

import "syscall"

// procAttr runs a server binary as cred (nil: as this process). Only Linux
// has a parent-death signal: elsewhere a test process that dies without
// stopping the server leaves it running.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
