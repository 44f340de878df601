package cpu

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestAVXMatchesLinux compares the CPUID answer with the flags Linux
// reports for the first CPU (the kernel clears avx when it does not save
// the YMM state, as XCR0 would say).
func TestAVXMatchesLinux(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Skip("needs /proc/cpuinfo on amd64")
	}
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	var flags []string
	for _, line := range strings.Split(string(data), "\n") {
		if name, val, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(val)
			break
		}
	}
	if flags == nil {
		t.Skip("no flags line in /proc/cpuinfo")
	}
	linux := false
	for _, f := range flags {
		linux = linux || f == "avx"
	}
	if AVX && !linux {
		t.Errorf("AVX true, but /proc/cpuinfo has no avx flag")
	}
	if !AVX && linux && !purego {
		t.Errorf("AVX false, but /proc/cpuinfo lists avx")
	}
}
