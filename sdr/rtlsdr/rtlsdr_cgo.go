//go:build rtlsdr && cgo

package rtlsdr

/*
#cgo pkg-config: librtlsdr
#include <stdint.h>
#include <stdlib.h>
#include <rtl-sdr.h>

// Implemented in Go (async_cgo.go).
extern void goAsyncCallback(unsigned char *buf, uint32_t len, uintptr_t handle);

// asyncTrampoline adapts librtlsdr's callback, whose context is a void*,
// to the Go callback, which takes the cgo.Handle as an integer: a handle
// is not a pointer and must not travel as a Go unsafe.Pointer.
static void asyncTrampoline(unsigned char *buf, uint32_t len, void *ctx) {
	goAsyncCallback(buf, len, (uintptr_t)ctx);
}

static int readAsync(rtlsdr_dev_t *dev, uintptr_t handle, uint32_t bufNum, uint32_t bufLen) {
	return rtlsdr_read_async(dev, asyncTrampoline, (void *)handle, bufNum, bufLen);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Built reports whether this binary was compiled with the librtlsdr binding
// (build tag rtlsdr and cgo). Here it was.
const Built = true

// usbStringLen is the buffer size rtlsdr_get_device_usb_strings requires
// for each string (rtl-sdr.h: "must provide space for up to 256 bytes").
const usbStringLen = 256

// Context is an open dongle. Close it when done: the USB interface stays
// claimed until then, and no other program can use the dongle.
type Context struct {
	dev *C.rtlsdr_dev_t
}

// GetDeviceCount returns the number of RTL-SDR dongles attached (0 when
// none, or when libusb cannot enumerate USB at all).
func GetDeviceCount() int { return int(C.rtlsdr_get_device_count()) }

// GetDeviceName returns the product name librtlsdr knows for the dongle at
// index (from its USB vendor and product id table), or "" when there is no
// such dongle.
func GetDeviceName(index int) string {
	if index < 0 {
		return ""
	}
	return C.GoString(C.rtlsdr_get_device_name(C.uint32_t(index)))
}

// GetDeviceUsbStrings returns the USB manufacturer, product and serial
// strings of the dongle at index, without opening it.
func GetDeviceUsbStrings(index int) (manufacturer, product, serial string, err error) {
	if err := checkIndex(index); err != nil {
		return "", "", "", fmt.Errorf("rtlsdr: usb strings of device %d: %w", index, err)
	}
	var m, p, s [usbStringLen]C.char
	if r := C.rtlsdr_get_device_usb_strings(C.uint32_t(index), &m[0], &p[0], &s[0]); r != 0 {
		return "", "", "", fmt.Errorf("rtlsdr: usb strings of device %d: %w", index, &Error{"rtlsdr_get_device_usb_strings", int(r)})
	}
	return C.GoString(&m[0]), C.GoString(&p[0]), C.GoString(&s[0]), nil
}

// GetIndexBySerial returns the index of the first dongle whose USB serial
// string is serial. A dongle's serial lives in its EEPROM (rtl_eeprom -s
// sets it), so it names one dongle across reboots and USB ports where an
// index does not.
func GetIndexBySerial(serial string) (int, error) {
	cs := C.CString(serial)
	defer C.free(unsafe.Pointer(cs))
	r := int(C.rtlsdr_get_index_by_serial(cs))
	switch {
	case r >= 0:
		return r, nil
	case r == -2:
		return -1, fmt.Errorf("rtlsdr: device with serial %q: %w", serial, ErrNoDevice)
	case r == -3:
		return -1, fmt.Errorf("rtlsdr: device with serial %q: %w (%d attached, none with that serial)", serial, ErrNoDevice, GetDeviceCount())
	}
	return -1, fmt.Errorf("rtlsdr: device with serial %q: %w", serial, &Error{"rtlsdr_get_index_by_serial", r})
}

// checkIndex says why index names no dongle, before librtlsdr is asked (its
// own answer is a bare -1).
func checkIndex(index int) error {
	n := GetDeviceCount()
	switch {
	case n == 0:
		return ErrNoDevice
	case index < 0 || index >= n:
		return fmt.Errorf("%w at index %d (%d attached: indices 0 to %d)", ErrNoDevice, index, n, n-1)
	}
	return nil
}

// Open claims the dongle at index. Typical failures: ErrNoDevice;
// LIBUSB_ERROR_ACCESS (no permission on /dev/bus/usb: install the udev
// rules); usb_claim_interface failing with LIBUSB_ERROR_BUSY because the
// kernel's dvb_usb_rtl28xxu driver holds it (blacklist the module) or
// another program has it open.
func Open(index int) (*Context, error) {
	if err := checkIndex(index); err != nil {
		return nil, fmt.Errorf("rtlsdr: open device %d: %w", index, err)
	}
	var dev *C.rtlsdr_dev_t
	if r := C.rtlsdr_open(&dev, C.uint32_t(index)); r < 0 {
		return nil, fmt.Errorf("rtlsdr: open device %d: %w", index, &Error{"rtlsdr_open", int(r)})
	}
	return &Context{dev: dev}, nil
}

// result turns a librtlsdr status (0 success, negative failure) into an
// error naming the call.
func (c *Context) result(op string, r C.int) error {
	if r < 0 {
		return fmt.Errorf("rtlsdr: %w", &Error{op, int(r)})
	}
	return nil
}

// Close releases the dongle. Calling it twice returns ErrClosed.
func (c *Context) Close() error {
	if c == nil || c.dev == nil {
		return ErrClosed
	}
	r := C.rtlsdr_close(c.dev)
	c.dev = nil
	return c.result("rtlsdr_close", r)
}

// SetCenterFreq tunes to hz. The tuner takes a few milliseconds to settle
// and samples already in the USB buffers were taken at the old frequency:
// see Source.Tune.
func (c *Context) SetCenterFreq(hz int) error {
	if hz < 0 || hz > 0xFFFFFFFF {
		return fmt.Errorf("rtlsdr: center frequency %d Hz out of range", hz)
	}
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_center_freq", C.rtlsdr_set_center_freq(c.dev, C.uint32_t(hz)))
}

// GetCenterFreq returns the tuned frequency in Hz, 0 on error.
func (c *Context) GetCenterFreq() int {
	if c.dev == nil {
		return 0
	}
	return int(C.rtlsdr_get_center_freq(c.dev))
}

// SetFreqCorrection sets the crystal's error in ppm (positive when the
// crystal runs fast), which librtlsdr compensates in the tuning and
// resampling arithmetic. Setting the value already in force is not an
// error (librtlsdr itself returns -2 for it).
func (c *Context) SetFreqCorrection(ppm int) error {
	if c.dev == nil {
		return ErrClosed
	}
	r := C.rtlsdr_set_freq_correction(c.dev, C.int(ppm))
	if r == -2 && int(C.rtlsdr_get_freq_correction(c.dev)) == ppm {
		return nil
	}
	return c.result("rtlsdr_set_freq_correction", r)
}

// GetTunerType returns the tuner chip, TunerUnknown on error.
func (c *Context) GetTunerType() TunerType {
	if c.dev == nil {
		return TunerUnknown
	}
	return TunerType(C.rtlsdr_get_tuner_type(c.dev))
}

// GetTunerGains returns the gains the tuner supports, in tenths of a dB,
// in the tuner's order (ascending for every tuner librtlsdr knows).
func (c *Context) GetTunerGains() ([]int, error) {
	if c.dev == nil {
		return nil, ErrClosed
	}
	n := C.rtlsdr_get_tuner_gains(c.dev, nil)
	if n <= 0 {
		return nil, fmt.Errorf("rtlsdr: %w", &Error{"rtlsdr_get_tuner_gains", int(n)})
	}
	cg := make([]C.int, int(n))
	if m := C.rtlsdr_get_tuner_gains(c.dev, &cg[0]); m != n {
		return nil, fmt.Errorf("rtlsdr: rtlsdr_get_tuner_gains returned %d gains, then %d", int(n), int(m))
	}
	g := make([]int, len(cg))
	for i, v := range cg {
		g[i] = int(v)
	}
	return g, nil
}

// SetTunerGain sets the tuner gain in tenths of a dB. It takes effect only
// in manual gain mode (SetTunerGainMode(true)); librtlsdr picks the nearest
// gain the tuner has, NearestGain tells which in advance.
func (c *Context) SetTunerGain(tenths int) error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_tuner_gain", C.rtlsdr_set_tuner_gain(c.dev, C.int(tenths)))
}

// SetTunerGainMode selects manual gain (true) or the tuner's automatic gain
// (false).
func (c *Context) SetTunerGainMode(manual bool) error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_tuner_gain_mode", C.rtlsdr_set_tuner_gain_mode(c.dev, cBool(manual)))
}

// SetAgcMode turns the RTL2832U's digital AGC on or off. It acts after the
// ADC, so it cannot prevent clipping; a detector that measures power wants
// it off.
func (c *Context) SetAgcMode(on bool) error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_agc_mode", C.rtlsdr_set_agc_mode(c.dev, cBool(on)))
}

// SetSampleRate sets the sample rate in Hz. librtlsdr accepts 225001 to
// 300000 and 900001 to 3200000; above 2.4 MS/s many hosts drop samples.
func (c *Context) SetSampleRate(hz int) error {
	if !(hz > 225000 && hz <= 300000) && !(hz > 900000 && hz <= 3200000) {
		return fmt.Errorf("rtlsdr: sample rate %d Hz out of range (225001–300000 or 900001–3200000)", hz)
	}
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_sample_rate", C.rtlsdr_set_sample_rate(c.dev, C.uint32_t(hz)))
}

// GetSampleRate returns the sample rate in Hz (the rate the RTL2832U's
// resampler really runs at, which can differ from the one asked for by a
// fraction of a Hz), 0 on error.
func (c *Context) GetSampleRate() int {
	if c.dev == nil {
		return 0
	}
	return int(C.rtlsdr_get_sample_rate(c.dev))
}

// SetDirectSampling feeds the ADC straight from an input pin, bypassing the
// tuner, for HF reception: 0 off (the only mode cellsentry uses), 1 I
// branch, 2 Q branch.
func (c *Context) SetDirectSampling(mode int) error {
	if mode < 0 || mode > 2 {
		return fmt.Errorf("rtlsdr: direct sampling mode %d (want 0 off, 1 I, 2 Q)", mode)
	}
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_direct_sampling", C.rtlsdr_set_direct_sampling(c.dev, C.int(mode)))
}

// SetOffsetTuning enables offset tuning (E4000 only: moves the DC spike out
// of the band; other tuners return an error).
func (c *Context) SetOffsetTuning(on bool) error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_offset_tuning", C.rtlsdr_set_offset_tuning(c.dev, cBool(on)))
}

// SetBiasTee switches the 4.5 V bias tee on GPIO 0 (RTL-SDR Blog V3 and
// similar) that powers an LNA up the coax. Dongles without one ignore it.
func (c *Context) SetBiasTee(on bool) error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_set_bias_tee", C.rtlsdr_set_bias_tee(c.dev, cBool(on)))
}

// ResetBuffer flushes the dongle's sample FIFO. Call it before the first
// read and after a retune.
func (c *Context) ResetBuffer() error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_reset_buffer", C.rtlsdr_reset_buffer(c.dev))
}

// ReadSync reads up to len(buf) bytes of interleaved cu8 I/Q (2 bytes per
// sample) and returns the count read. len(buf) must be a positive multiple
// of 512 (the USB bulk packet size; libusb fails with LIBUSB_ERROR_OVERFLOW
// otherwise). A short read with a nil error means samples were lost.
func (c *Context) ReadSync(buf []byte) (int, error) {
	if len(buf) == 0 || len(buf)%512 != 0 {
		return 0, fmt.Errorf("rtlsdr: read of %d bytes: want a positive multiple of 512", len(buf))
	}
	if c.dev == nil {
		return 0, ErrClosed
	}
	var n C.int
	r := C.rtlsdr_read_sync(c.dev, unsafe.Pointer(&buf[0]), C.int(len(buf)), &n)
	if r < 0 {
		return int(n), fmt.Errorf("rtlsdr: %w", &Error{"rtlsdr_read_sync", int(r)})
	}
	return int(n), nil
}

// ReadAsync streams samples to cb until CancelAsync is called or the
// dongle fails, and returns then. librtlsdr keeps bufNum transfers of
// bufLen bytes in flight (0 and 0 select its defaults, 15 × 262144); bufLen
// must be a multiple of 512. cb runs on the calling goroutine's thread; the
// slice it gets is librtlsdr's buffer, valid only until cb returns: copy
// what must be kept, and return quickly or samples are dropped.
func (c *Context) ReadAsync(cb func([]byte), bufNum, bufLen int) error {
	if cb == nil {
		return errors.New("rtlsdr: ReadAsync: nil callback")
	}
	if bufNum < 0 || bufLen < 0 || bufLen%512 != 0 {
		return fmt.Errorf("rtlsdr: ReadAsync: %d buffers of %d bytes: want counts ≥ 0 and a length that is a multiple of 512", bufNum, bufLen)
	}
	if c.dev == nil {
		return ErrClosed
	}
	h := cgo.NewHandle(cb)
	defer h.Delete()
	r := C.readAsync(c.dev, C.uintptr_t(h), C.uint32_t(bufNum), C.uint32_t(bufLen))
	return c.result("rtlsdr_read_async", r)
}

// CancelAsync makes a running ReadAsync return. It may be called from any
// goroutine.
func (c *Context) CancelAsync() error {
	if c.dev == nil {
		return ErrClosed
	}
	return c.result("rtlsdr_cancel_async", C.rtlsdr_cancel_async(c.dev))
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
