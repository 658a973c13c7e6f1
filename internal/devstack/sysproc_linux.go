package devstack

import "syscall"

// childSysProcAttr puts the child in its own process group, so Stop can signal
// it together with anything it spawned, and asks the kernel to SIGKILL it when
// its parent thread dies: the child never outlives sagatrace, even if
// sagatrace itself is SIGKILLed and has no chance to clean up.
//
// The "parent" of Pdeathsig is the OS thread that forked, not the process
// (golang/go#27505); startProcess keeps that thread locked and alive for the
// child's whole life.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
