// Package rtlsdr reads IQ samples from an RTL-SDR USB dongle through
// librtlsdr, the C driver every distribution ships (Debian: librtlsdr-dev
// 0.6.0).
//
// The binding is thin and mirrors the API of github.com/samuel/go-rtlsdr:
// package functions enumerate dongles (GetDeviceCount, GetDeviceName,
// GetDeviceUsbStrings, GetIndexBySerial) and Open returns a *Context whose
// methods map one to one onto rtlsdr_* calls (frequency, sample rate, ppm,
// gain mode and gain, AGC, bias tee, sync and async reads). Source wraps a
// Context as an sdr.Source for the detection pipeline: sync reads into one
// reused byte buffer, cu8 decoding into the caller's block, retuning with a
// settle time, and block times counted from the sample counter.
//
// # Build tag
//
// The binding needs cgo and librtlsdr, so it is compiled only with the
// build tag rtlsdr:
//
//	apt-get install -y librtlsdr-dev
//	go build -tags rtlsdr ./cmd/cellsentry
//
// Without the tag (or with CGO_ENABLED=0) the package is pure Go with the
// same exported API: GetDeviceCount returns 0, Open and everything that
// needs a dongle return ErrNotBuilt, and Built is false, so callers compile
// and can tell the user how to rebuild. NearestGain, TunerType and Source's
// logic are the same in both builds.
//
// # Units
//
// Frequencies and sample rates are in Hz, gains in tenths of a dB (115 is
// 11.5 dB) as librtlsdr counts them, frequency correction in ppm.
//
// # Concurrency
//
// A Context is not safe for concurrent use, with one exception: CancelAsync
// may be called from another goroutine to stop a running ReadAsync.
package rtlsdr
