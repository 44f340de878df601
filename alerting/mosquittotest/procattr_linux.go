package mosquittotest

import "syscall"

// sysProcAttr kills the broker when the test binary dies (a test that
// panics or is killed by its timeout must not leave a broker holding the
// port).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
