package detect

import (
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
)

// overload watches for a receiver that is saturated or swamped: the ADC
// clipping in nearly every frame while energy covers much of the window, or
// the whole window lifted far above the floor. A handset next to the sensor
// clips only during its own bursts and only in its own band, so it does not
// trip this; a jamming beacon or a radio keyed against the antenna does.
type overload struct {
	d       *Detector
	window  int // frames in the decision window (20 ms)
	clipped []bool
	wide    []bool
	pos     int
	nClip   int
	nWide   int
	filled  int

	active     bool
	startF     int64
	startOff   int64
	startTime  time.Time
	lastF      int64
	lastOff    int64
	sumLift    float64
	sumPow     float64
	liftFrames int

	every            int
	lastFrac, lastDB float64

	// Saturation: most samples of most frames at full scale for a second
	// (a dead-stuck or hard-driven ADC), whatever the spectrum shows.
	sat       []bool
	satPos    int
	nSat      int
	satFilled int
	satActive bool
	satStart  int64
	satTime   time.Time
	satFrames int64
}

func (o *overload) init(d *Detector) {
	o.d = d
	o.window = max(8, int(math.Round(20e-3/d.frameDur)))
	o.clipped = make([]bool, o.window)
	o.wide = make([]bool, o.window)
	o.sat = make([]bool, max(8, int(math.Round(1/d.frameDur))))
}

func (o *overload) reset() {
	clear(o.clipped)
	clear(o.wide)
	o.pos, o.nClip, o.nWide, o.filled = 0, 0, 0, 0
	o.active = false
	clear(o.sat)
	o.satPos, o.nSat, o.satFilled, o.satActive = 0, 0, 0, false
}

// saturation watches for frames most of whose samples are clipped. A
// receiver in that state for a second hears nothing else; it is reported
// as an overload ("saturated") once a second while it lasts. Bursts found
// meanwhile keep their class (a phone on the antenna can drive the ADC
// that hard while it sends), unlike during a swamping overload.
func (o *overload) saturation(dst []dsp.Burst, f *channelize.Frame) []dsp.Burst {
	d := o.d
	isSat := f.Clipped*2 >= len(f.Power) // hop = size: a frame's samples
	if o.sat[o.satPos] {
		o.nSat--
	}
	o.sat[o.satPos] = isSat
	if isSat {
		o.nSat++
	}
	o.satPos = (o.satPos + 1) % len(o.sat)
	if o.satFilled < len(o.sat) {
		o.satFilled++
		return dst
	}
	q := float64(o.nSat) / float64(len(o.sat))
	emit := func() {
		dur := time.Duration(float64(o.satFrames) * d.frameDur * float64(time.Second))
		dst = append(dst, dsp.Burst{
			Start: o.satTime, Offset: o.satStart, Duration: dur,
			Center: d.center, FreqLow: d.center - d.rate/2, FreqHigh: d.center + d.rate/2, Freq: d.center,
			PowerDBFS: 0, PowerDBm: math.NaN(), Clipped: true,
			Class: dsp.ClassOverload, Kind: "saturated", Score: 1,
		})
	}
	switch {
	case !o.satActive && q >= ovlOn:
		o.satActive = true
		o.satFrames = int64(len(o.sat))
		o.satStart = f.Offset - int64(len(o.sat)-1)*int64(d.cfg.Hop)
		o.satTime = f.Time.Add(-time.Duration(float64(len(o.sat)-1) * d.frameDur * float64(time.Second)))
	case o.satActive && q < ovlOff:
		emit()
		o.satActive = false
	case o.satActive:
		o.satFrames++
		if float64(o.satFrames)*d.frameDur >= d.cfg.MaxDuration.Seconds() {
			emit()
			o.satStart = f.Offset + int64(d.cfg.Hop)
			o.satTime = f.Time.Add(time.Duration(d.frameDur * float64(time.Second)))
			o.satFrames = 0
		}
	}
	return dst
}

// Fractions of the window: an overload is declared when 90 % of its
// frames qualify, and ends when fewer than half do. Levels are against
// the baseline floor, which a jammer does not drag up with it.
const (
	ovlOn       = 0.9
	ovlOff      = 0.5
	wideBins    = 0.8 // fraction of bins elevated for a "whole window" frame
	clipBins    = 0.5 // … and for a clipping frame to count as swamping
	elevatedZ   = 2   // a bin is elevated at 3 dB over the baseline floor
	wideLiftMin = 20  // dB: a merely wide signal (UMTS) is not an overload
)

// frame looks at one frame against the baseline floor (unmasked bins
// have baseInv > 0; n of them).
func (o *overload) frame(dst []dsp.Burst, f *channelize.Frame, baseInv []float32, n int) []dsp.Burst {
	// The spectrum against the baseline is looked at every fourth frame
	// (and on every frame with clipped samples): a lift that counts lasts
	// the 20 ms window, and the loop over the bins is a share of the
	// pipeline's time worth saving.
	o.every++
	frac, meanDB := o.lastFrac, o.lastDB
	if n > 0 && baseInv != nil && (o.every%4 == 0 || f.Clipped > 0) {
		var up int
		var sum float32
		for k, p := range f.Power {
			v := p * baseInv[k]
			sum += v
			if v > elevatedZ {
				up++
			}
		}
		frac = float64(up) / float64(n)
		meanDB = 10 * math.Log10(math.Max(float64(sum), 1e-9)/float64(n))
		o.lastFrac, o.lastDB = frac, meanDB
	}
	isClip := f.Clipped > 0 && frac >= clipBins
	isWide := frac >= wideBins && meanDB >= wideLiftMin
	if o.clipped[o.pos] {
		o.nClip--
	}
	if o.wide[o.pos] {
		o.nWide--
	}
	o.clipped[o.pos], o.wide[o.pos] = isClip, isWide
	if isClip {
		o.nClip++
	}
	if isWide {
		o.nWide++
	}
	o.pos = (o.pos + 1) % o.window
	if o.filled < o.window {
		o.filled++
		return dst
	}
	t := o.d.t - 1
	q := float64(max(o.nClip, o.nWide)) / float64(o.window)
	switch {
	case !o.active && q >= ovlOn:
		o.active = true
		o.startF = t - int64(o.window) + 1
		o.startOff = f.Offset - int64(o.window-1)*int64(o.d.cfg.Hop)
		o.startTime = f.Time.Add(-time.Duration(float64(o.window-1) * o.d.frameDur * float64(time.Second)))
		o.sumLift, o.sumPow, o.liftFrames = 0, 0, 0
	case o.active && q < ovlOff:
		dst = o.emit(dst, t)
		o.active = false
		return dst
	}
	if o.active {
		var tot float64
		for _, p := range f.Power {
			tot += float64(p)
		}
		o.sumPow += tot
		o.sumLift += meanDB
		o.liftFrames++
		o.lastF, o.lastOff = t, f.Offset
		if float64(t-o.startF)*o.d.frameDur >= o.d.cfg.MaxDuration.Seconds() {
			dst = o.emit(dst, t)
			o.startF, o.startOff, o.startTime = t+1, f.Offset+int64(o.d.cfg.Hop), f.Time.Add(time.Duration(o.d.frameDur*float64(time.Second)))
			o.sumLift, o.sumPow, o.liftFrames = 0, 0, 0
		}
	}
	return dst
}

func (o *overload) emit(dst []dsp.Burst, t int64) []dsp.Burst {
	d := o.d
	lift, pow := 0.0, 1e-30
	if o.liftFrames > 0 {
		lift = o.sumLift / float64(o.liftFrames)
		pow = math.Max(o.sumPow/float64(o.liftFrames), pow)
	}
	b := dsp.Burst{
		Start:    o.startTime,
		Offset:   o.startOff,
		Duration: time.Duration(float64(t-o.startF+1) * d.frameDur * float64(time.Second)),
		Center:   d.center,
		FreqLow:  d.center - d.rate/2,
		FreqHigh: d.center + d.rate/2,
		Freq:     d.center,
		SNR:      lift,
		Clipped:  o.nClip > 0,
		Class:    dsp.ClassOverload,
		Kind:     "overload",
		Score:    1,
	}
	// The power of everything in the window: with the ADC clipping this is
	// a lower bound.
	b.PowerDBFS = 10 * math.Log10(pow)
	return append(dst, b)
}

func (o *overload) flush(dst []dsp.Burst) []dsp.Burst {
	if o.satActive && o.satFrames > 0 {
		d := o.d
		dst = append(dst, dsp.Burst{
			Start: o.satTime, Offset: o.satStart, Duration: time.Duration(float64(o.satFrames) * d.frameDur * float64(time.Second)),
			Center: d.center, FreqLow: d.center - d.rate/2, FreqHigh: d.center + d.rate/2, Freq: d.center,
			PowerDBm: math.NaN(), Clipped: true, Class: dsp.ClassOverload, Kind: "saturated", Score: 1,
		})
		o.satActive = false
	}
	if o.active {
		dst = o.emit(dst, o.lastF)
		o.active = false
	}
	return dst
}

// Overloaded reports whether the receiver is overloaded now; bursts found
// meanwhile are not phones.
func (d *Detector) Overloaded() bool { return d.ovl.active }
