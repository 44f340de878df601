//go:build !linux

package mosquittotest

import "syscall"

// sysProcAttr: only Linux can tie the broker's life to the test binary's;
// elsewhere the cleanup's SIGTERM has to do.
func sysProcAttr() *syscall.SysProcAttr { return nil }
