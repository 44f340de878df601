//go:build !arm && !arm64

package hardware

// defaultVcgencmd is empty off ARM: no Raspberry Pi, no vcgencmd to try.
const defaultVcgencmd = ""
