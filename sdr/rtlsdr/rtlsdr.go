package rtlsdr

import (
	"errors"
	"fmt"
)

// ErrNotBuilt is returned by every call that needs a dongle when cellsentry
// was compiled without cgo or without the rtlsdr build tag.
var ErrNotBuilt = errors.New("cellsentry was built without RTL-SDR support: rebuild with -tags rtlsdr")

// ErrNoDevice is returned by Open, GetDeviceUsbStrings and GetIndexBySerial
// when no dongle answers to the index or serial asked for.
var ErrNoDevice = errors.New("no RTL-SDR dongle found")

// ErrClosed is returned by the methods of a Context after Close.
var ErrClosed = errors.New("rtlsdr: device is closed")

// TunerType is the tuner chip behind the RTL2832U, as librtlsdr identifies
// it (enum rtlsdr_tuner).
type TunerType int

// Tuner chips known to librtlsdr 0.6.0, in the order of its enum.
const (
	TunerUnknown TunerType = iota
	TunerE4000
	TunerFC0012
	TunerFC0013
	TunerFC2580
	TunerR820T
	TunerR828D
)

// String returns the chip's name as rtl_test prints it.
func (t TunerType) String() string {
	switch t {
	case TunerE4000:
		return "Elonics E4000"
	case TunerFC0012:
		return "Fitipower FC0012"
	case TunerFC0013:
		return "Fitipower FC0013"
	case TunerFC2580:
		return "FCI FC2580"
	case TunerR820T:
		return "Rafael Micro R820T"
	case TunerR828D:
		return "Rafael Micro R828D"
	}
	return "unknown"
}

// Error is a failed librtlsdr call: Op is the C function, Code its return
// value. librtlsdr passes libusb's error codes through, so a Code that is
// one of them is named (LIBUSB_ERROR_NO_DEVICE means the dongle was
// unplugged).
type Error struct {
	Op   string
	Code int
}

func (e *Error) Error() string {
	if name := libusbError(e.Code); name != "" {
		return fmt.Sprintf("%s returned %d (%s)", e.Op, e.Code, name)
	}
	return fmt.Sprintf("%s returned %d", e.Op, e.Code)
}

// Is makes errors.Is(err, ErrNoDevice) true for a dongle that went away
// (LIBUSB_ERROR_NO_DEVICE, -4).
func (e *Error) Is(target error) bool {
	return target == ErrNoDevice && e.Code == -4
}

// libusbError names libusb's negative return codes (libusb.h, enum
// libusb_error).
func libusbError(code int) string {
	switch code {
	case -1:
		return "LIBUSB_ERROR_IO"
	case -2:
		return "LIBUSB_ERROR_INVALID_PARAM"
	case -3:
		return "LIBUSB_ERROR_ACCESS"
	case -4:
		return "LIBUSB_ERROR_NO_DEVICE"
	case -5:
		return "LIBUSB_ERROR_NOT_FOUND"
	case -6:
		return "LIBUSB_ERROR_BUSY"
	case -7:
		return "LIBUSB_ERROR_TIMEOUT"
	case -8:
		return "LIBUSB_ERROR_OVERFLOW"
	case -9:
		return "LIBUSB_ERROR_PIPE"
	case -10:
		return "LIBUSB_ERROR_INTERRUPTED"
	case -11:
		return "LIBUSB_ERROR_NO_MEM"
	case -12:
		return "LIBUSB_ERROR_NOT_SUPPORTED"
	case -99:
		return "LIBUSB_ERROR_OTHER"
	}
	return ""
}

// NearestGain returns the entry of gains (tenths of a dB, in any order)
// closest to want. On a tie it returns the lower gain: less gain clips
// later, and a sensor that overloads is blind. With no gains it returns
// want unchanged.
func NearestGain(gains []int, want int) int {
	if len(gains) == 0 {
		return want
	}
	best := gains[0]
	for _, g := range gains[1:] {
		d, bd := absInt(g-want), absInt(best-want)
		if d < bd || (d == bd && g < best) {
			best = g
		}
	}
	return best
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
