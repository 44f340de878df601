package rtltcp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire sizes of the protocol's two messages.
const (
	HeaderSize  = 12 // "RTL0", tuner type, gain count
	CommandSize = 5  // op, big-endian uint32 parameter
)

// Magic opens every rtl_tcp stream.
const Magic = "RTL0"

// TunerType is the tuner chip the server reports, numbered as librtlsdr's
// enum rtlsdr_tuner.
type TunerType uint32

// The tuner types of librtlsdr.
const (
	TunerUnknown TunerType = iota
	TunerE4000
	TunerFC0012
	TunerFC0013
	TunerFC2580
	TunerR820T
	TunerR828D
)

// String names the tuner chip.
func (t TunerType) String() string {
	switch t {
	case TunerUnknown:
		return "unknown"
	case TunerE4000:
		return "E4000"
	case TunerFC0012:
		return "FC0012"
	case TunerFC0013:
		return "FC0013"
	case TunerFC2580:
		return "FC2580"
	case TunerR820T:
		return "R820T"
	case TunerR828D:
		return "R828D"
	}
	return fmt.Sprintf("tuner(%d)", uint32(t))
}

// R820TGains is the number of manual gain steps of an R820T(2), 0 to
// 49.6 dB, which rtl_tcp reports in its header.
const R820TGains = 29

// Header is the 12 bytes an rtl_tcp server sends first: the magic "RTL0",
// then the tuner type and its number of gain steps, both uint32 big-endian.
type Header struct {
	Tuner     TunerType
	GainCount uint32
}

// Errors of the parsers; the returned errors wrap them and give the byte
// offset.
var (
	ErrShort     = errors.New("message too short")
	ErrBadMagic  = errors.New("not an rtl_tcp stream (bad magic)")
	ErrUnknownOp = errors.New("unknown command")
)

// ParseHeader decodes the first HeaderSize bytes of b. Bytes after the
// header are ignored.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("rtltcp: header: %w: %d of %d bytes", ErrShort, len(b), HeaderSize)
	}
	if string(b[:4]) != Magic {
		return Header{}, fmt.Errorf("rtltcp: header byte 0: %w: %q, want %q", ErrBadMagic, b[:4], Magic)
	}
	return Header{
		Tuner:     TunerType(binary.BigEndian.Uint32(b[4:])),
		GainCount: binary.BigEndian.Uint32(b[8:]),
	}, nil
}

// Append appends the wire form of h to dst.
func (h Header) Append(dst []byte) []byte {
	dst = append(dst, Magic...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Tuner))
	return binary.BigEndian.AppendUint32(dst, h.GainCount)
}

// Op is a command code. The list is rtl_tcp.c's command_worker (osmocom
// rtl-sdr, bias tee since 2018).
type Op uint8

// The commands of the rtl_tcp protocol and their parameters.
const (
	OpSetFreq         Op = 0x01 // center frequency, Hz
	OpSetSampleRate   Op = 0x02 // sample rate, samples/s
	OpSetGainMode     Op = 0x03 // 0 automatic, 1 manual
	OpSetGain         Op = 0x04 // tuner gain, tenths of dB
	OpSetFreqCorr     Op = 0x05 // frequency correction, ppm as int32
	OpSetIFGain       Op = 0x06 // stage<<16 | uint16(int16 gain, tenths of dB)
	OpSetTestMode     Op = 0x07 // 1: RTL2832 counter instead of samples
	OpSetAGC          Op = 0x08 // RTL2832 digital AGC, 0 off, 1 on
	OpSetDirectSamp   Op = 0x09 // 0 off, 1 I branch, 2 Q branch
	OpSetOffsetTuning Op = 0x0a // 0 off, 1 on
	OpSetRTLXtal      Op = 0x0b // RTL2832 crystal, Hz
	OpSetTunerXtal    Op = 0x0c // tuner crystal, Hz
	OpSetGainIndex    Op = 0x0d // index into the tuner's gain table
	OpSetBiasTee      Op = 0x0e // 0 off, 1 on
	maxOp                = OpSetBiasTee
	numOps               = int(maxOp) + 1
	firstOp              = OpSetFreq
)

var opNames = [numOps]string{
	OpSetFreq:         "freq",
	OpSetSampleRate:   "sample_rate",
	OpSetGainMode:     "gain_mode",
	OpSetGain:         "gain",
	OpSetFreqCorr:     "freq_correction",
	OpSetIFGain:       "if_gain",
	OpSetTestMode:     "test_mode",
	OpSetAGC:          "agc",
	OpSetDirectSamp:   "direct_sampling",
	OpSetOffsetTuning: "offset_tuning",
	OpSetRTLXtal:      "rtl_xtal",
	OpSetTunerXtal:    "tuner_xtal",
	OpSetGainIndex:    "gain_index",
	OpSetBiasTee:      "bias_tee",
}

// Known reports whether rtl_tcp defines op.
func (op Op) Known() bool { return op >= firstOp && op <= maxOp }

// String is the command's name ("freq", "gain", …).
func (op Op) String() string {
	if op.Known() {
		return opNames[op]
	}
	return fmt.Sprintf("op(0x%02x)", uint8(op))
}

// Command is one 5-byte client request.
type Command struct {
	Op    Op
	Param uint32
}

// ParseCommand decodes the first CommandSize bytes of b. An op rtl_tcp
// does not define is returned with an error wrapping ErrUnknownOp, so that
// a server can log it and go on, as rtl_tcp does.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < CommandSize {
		return Command{}, fmt.Errorf("rtltcp: command: %w: %d of %d bytes", ErrShort, len(b), CommandSize)
	}
	c := Command{Op: Op(b[0]), Param: binary.BigEndian.Uint32(b[1:])}
	if !c.Op.Known() {
		return c, fmt.Errorf("rtltcp: command byte 0: %w 0x%02x", ErrUnknownOp, b[0])
	}
	return c, nil
}

// Append appends the wire form of c to dst.
func (c Command) Append(dst []byte) []byte {
	dst = append(dst, byte(c.Op))
	return binary.BigEndian.AppendUint32(dst, c.Param)
}

// Int is the parameter read as the signed int32 rtl_tcp passes on (ppm can
// be negative).
func (c Command) Int() int32 { return int32(c.Param) }

// IFGain splits an OpSetIFGain parameter into its stage and gain (tenths
// of dB, signed 16 bits).
func (c Command) IFGain() (stage int, tenthsDB int16) {
	return int(c.Param >> 16), int16(uint16(c.Param))
}

// String shows the command as "freq=900000000".
func (c Command) String() string {
	switch c.Op {
	case OpSetFreqCorr:
		return fmt.Sprintf("%v=%d", c.Op, c.Int())
	case OpSetIFGain:
		s, g := c.IFGain()
		return fmt.Sprintf("%v=stage %d, %d", c.Op, s, g)
	}
	return fmt.Sprintf("%v=%d", c.Op, c.Param)
}

// Constructors for the commands a client sends. Frequencies and rates are
// rounded to whole Hz; values outside uint32 saturate.

// FreqCommand sets the center frequency, Hz.
func FreqCommand(hz float64) Command { return Command{OpSetFreq, hzParam(hz)} }

// SampleRateCommand sets the sample rate, samples/s.
func SampleRateCommand(hz float64) Command { return Command{OpSetSampleRate, hzParam(hz)} }

// GainModeCommand selects manual (true) or automatic tuner gain.
func GainModeCommand(manual bool) Command { return Command{OpSetGainMode, b2u(manual)} }

// GainCommand sets the tuner gain, tenths of dB (in manual mode).
func GainCommand(tenthsDB int) Command { return Command{OpSetGain, uint32(int32(tenthsDB))} }

// PPMCommand sets the frequency correction, parts per million.
func PPMCommand(ppm int) Command { return Command{OpSetFreqCorr, uint32(int32(ppm))} }

// IFGainCommand sets the gain of IF stage stage, tenths of dB.
func IFGainCommand(stage int, tenthsDB int16) Command {
	return Command{OpSetIFGain, uint32(stage)<<16 | uint32(uint16(tenthsDB))}
}

// AGCCommand switches the RTL2832's digital AGC.
func AGCCommand(on bool) Command { return Command{OpSetAGC, b2u(on)} }

// BiasTeeCommand switches the 4.5 V bias tee on the antenna input.
func BiasTeeCommand(on bool) Command { return Command{OpSetBiasTee, b2u(on)} }

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func hzParam(hz float64) uint32 {
	switch {
	case !(hz > 0): // also NaN
		return 0
	case hz >= 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(hz + 0.5)
}
