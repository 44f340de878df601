//go:build !rtlsdr || !cgo

package rtlsdr

// Built reports whether this binary was compiled with the librtlsdr binding
// (build tag rtlsdr and cgo). Here it was not.
const Built = false

// Context would be an open dongle; in this build none can be opened.
type Context struct{}

// GetDeviceCount returns 0: without the binding no dongle can be seen.
func GetDeviceCount() int { return 0 }

// GetDeviceName returns "": without the binding no dongle can be seen.
func GetDeviceName(index int) string { return "" }

// GetDeviceUsbStrings returns ErrNotBuilt.
func GetDeviceUsbStrings(index int) (manufacturer, product, serial string, err error) {
	return "", "", "", ErrNotBuilt
}

// GetIndexBySerial returns ErrNotBuilt.
func GetIndexBySerial(serial string) (int, error) { return -1, ErrNotBuilt }

// Open returns ErrNotBuilt.
func Open(index int) (*Context, error) { return nil, ErrNotBuilt }

// Close returns ErrNotBuilt.
func (c *Context) Close() error { return ErrNotBuilt }

// SetCenterFreq returns ErrNotBuilt.
func (c *Context) SetCenterFreq(hz int) error { return ErrNotBuilt }

// GetCenterFreq returns 0.
func (c *Context) GetCenterFreq() int { return 0 }

// SetFreqCorrection returns ErrNotBuilt.
func (c *Context) SetFreqCorrection(ppm int) error { return ErrNotBuilt }

// GetTunerType returns TunerUnknown.
func (c *Context) GetTunerType() TunerType { return TunerUnknown }

// GetTunerGains returns ErrNotBuilt.
func (c *Context) GetTunerGains() ([]int, error) { return nil, ErrNotBuilt }

// SetTunerGain returns ErrNotBuilt.
func (c *Context) SetTunerGain(tenths int) error { return ErrNotBuilt }

// SetTunerGainMode returns ErrNotBuilt.
func (c *Context) SetTunerGainMode(manual bool) error { return ErrNotBuilt }

// SetAgcMode returns ErrNotBuilt.
func (c *Context) SetAgcMode(on bool) error { return ErrNotBuilt }

// SetSampleRate returns ErrNotBuilt.
func (c *Context) SetSampleRate(hz int) error { return ErrNotBuilt }

// GetSampleRate returns 0.
func (c *Context) GetSampleRate() int { return 0 }

// SetDirectSampling returns ErrNotBuilt.
func (c *Context) SetDirectSampling(mode int) error { return ErrNotBuilt }

// SetOffsetTuning returns ErrNotBuilt.
func (c *Context) SetOffsetTuning(on bool) error { return ErrNotBuilt }

// SetBiasTee returns ErrNotBuilt.
func (c *Context) SetBiasTee(on bool) error { return ErrNotBuilt }

// ResetBuffer returns ErrNotBuilt.
func (c *Context) ResetBuffer() error { return ErrNotBuilt }

// ReadSync returns ErrNotBuilt.
func (c *Context) ReadSync(buf []byte) (int, error) { return 0, ErrNotBuilt }

// ReadAsync returns ErrNotBuilt.
func (c *Context) ReadAsync(cb func([]byte), bufNum, bufLen int) error { return ErrNotBuilt }

// CancelAsync returns ErrNotBuilt.
func (c *Context) CancelAsync() error { return ErrNotBuilt }
