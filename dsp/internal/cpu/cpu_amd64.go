//go:build !purego

package cpu

// AVX reports whether the CPU has AVX and the OS saves the YMM registers
// (CPUID.1:ECX.OSXSAVE and .AVX, XCR0 bits 1 and 2).
var AVX = hasAVX()

func hasAVX() bool {
	_, _, c, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if c&osxsave == 0 || c&avx == 0 {
		return false
	}
	xcr0, _ := xgetbv()
	return xcr0&6 == 6
}

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv() (eax, edx uint32)
