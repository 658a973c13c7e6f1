package dbtest

import "syscall"

// procAttr runs a server binary as cred (nil: as this process) and has the
// kernel send it SIGQUIT, PostgreSQL's immediate shutdown, when the test
// process dies without stopping it.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
