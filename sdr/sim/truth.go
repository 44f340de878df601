package sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"
)

// TruthFormat is the "format" value of a truth file's header line.
const TruthFormat = "cellsentry-truth"

// TruthVersion is the version of the truth file format written here.
const TruthVersion = 1

// TruthHeader is the first line of a truth file.
type TruthHeader struct {
	Format      string        `json:"format"`
	Version     int           `json:"version"`
	Scene       string        `json:"scene"`
	Description string        `json:"description,omitempty"`
	Seed        uint64        `json:"seed"`
	Rate        float64       `json:"rate"`
	Start       time.Time     `json:"start"`
	Duration    float64       `json:"duration_s"` // 0: open-ended
	Sensors     []TruthSensor `json:"sensors"`
}

// TruthSensor describes a sensor in the truth header: where it is and how
// to convert its levels.
type TruthSensor struct {
	ID       string     `json:"id"`
	Wing     string     `json:"wing,omitempty"`
	Position [3]float64 `json:"position"`
	Center   float64    `json:"center_hz"`
	Gain     float64    `json:"gain_db"`
	PPM      float64    `json:"ppm"`
	// NoiseFloor is the thermal noise over the band at this gain, dBFS;
	// FullScale the antenna power at 0 dBFS, dBm.
	NoiseFloor float64 `json:"noise_floor_dbfs"`
	FullScale  float64 `json:"full_scale_dbm"`
}

// Record is one emission line of a truth file with its receptions, in the
// header's sensor order (sensors that did not report are missing).
type Record struct {
	Emission
	Rx []Reception
}

// TruthWriter writes a truth file: a JSON Lines stream whose first line is
// a TruthHeader and each further line one emission with how every sensor
// received it (see the package doc for the fields). Feed it from the
// sources' OnEmission (src.OnEmission = tw.Add). With several sensors a
// line is written once every sensor has reported the emission, so render
// the sources in lockstep to keep memory constant.
type TruthWriter struct {
	w       *bufio.Writer
	c       io.Closer
	sensors []string
	index   map[string]int
	pending map[pendingKey]*pendingRec
	order   []*pendingRec // pending records in first-report order
	pool    []*pendingRec
	line    []byte
	one     [1]Reception
	err     error
}

type pendingKey struct {
	emitter string
	seq     uint64
}

type pendingRec struct {
	e    Emission
	rx   []Reception
	have []bool
	n    int
	live bool
}

// TruthPath is the truth file of a recording prefix: PREFIX.truth.json.
func TruthPath(prefix string) string { return prefix + ".truth.json" }

// CreateTruth creates TruthPath(prefix) for the given sensors of sc (all
// when sensors is empty) and writes its header.
func CreateTruth(prefix string, sc *Scene, sensors ...string) (*TruthWriter, error) {
	f, err := os.Create(TruthPath(prefix))
	if err != nil {
		return nil, fmt.Errorf("sim: create truth: %w", err)
	}
	tw, err := NewTruthWriter(f, sc, sensors...)
	if err != nil {
		f.Close()
		return nil, err
	}
	tw.c = f
	return tw, nil
}

// NewTruthWriter writes the header for the given sensors of sc (all when
// sensors is empty) to w and returns a writer for the emissions.
func NewTruthWriter(w io.Writer, sc *Scene, sensors ...string) (*TruthWriter, error) {
	if len(sensors) == 0 {
		for _, s := range sc.Sensors {
			sensors = append(sensors, s.ID)
		}
	}
	h := TruthHeader{Format: TruthFormat, Version: TruthVersion, Scene: sc.Name, Description: sc.Description,
		Seed: sc.Seed, Rate: sc.rate(), Start: sc.start(), Duration: sc.Duration.Seconds()}
	tw := &TruthWriter{w: bufio.NewWriterSize(w, 64<<10), sensors: sensors, index: map[string]int{}, pending: map[pendingKey]*pendingRec{}}
	for i, id := range sensors {
		var sn *Sensor
		for j := range sc.Sensors {
			if sc.Sensors[j].ID == id {
				sn = &sc.Sensors[j]
			}
		}
		if sn == nil {
			return nil, fmt.Errorf("sim: truth: scene %q has no sensor %q", sc.Name, id)
		}
		tw.index[id] = i
		d := sn.Dongle
		if d == nil {
			d = DefaultDongle()
		}
		g := sn.Gain
		if g == 0 {
			g = d.RefGain
		}
		h.Sensors = append(h.Sensors, TruthSensor{ID: id, Wing: sn.Wing, Position: [3]float64{sn.Pos.X, sn.Pos.Y, sn.Pos.Z},
			Center: sn.Center, Gain: g, PPM: d.PPM, NoiseFloor: round(10*math.Log10(d.thermalPower(g)), 1e3), FullScale: d.fullScaleDBm(g)})
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("sim: truth header: %w", err)
	}
	tw.w.Write(b)
	if err := tw.w.WriteByte('\n'); err != nil {
		return nil, fmt.Errorf("sim: truth header: %w", err)
	}
	return tw, nil
}

// Add records how one sensor received an emission. Its signature matches
// Source.OnEmission. Write errors are kept and returned by Close.
func (t *TruthWriter) Add(e Emission, rx Reception) {
	if t.err != nil {
		return
	}
	i, ok := t.index[rx.Sensor]
	if !ok {
		t.err = fmt.Errorf("sim: truth: reception from sensor %q not in the header", rx.Sensor)
		return
	}
	if len(t.sensors) == 1 {
		t.one[0] = rx
		t.write(&e, t.one[:], nil)
		return
	}
	k := pendingKey{e.Emitter, e.Seq}
	p := t.pending[k]
	if p == nil {
		p = t.get()
		p.e = e
		t.pending[k] = p
		t.order = append(t.order, p)
	} else if e.Duration < p.e.Duration {
		// A source closed early cuts the emission; keep the shortest.
		p.e.Duration = e.Duration
	}
	if !p.have[i] {
		p.have[i] = true
		p.n++
	}
	p.rx[i] = rx
	if p.n == len(t.sensors) {
		delete(t.pending, k)
		t.flushReady()
	}
}

func (t *TruthWriter) get() *pendingRec {
	if n := len(t.pool); n > 0 {
		p := t.pool[n-1]
		t.pool = t.pool[:n-1]
		clear(p.have)
		p.n = 0
		p.live = true
		return p
	}
	return &pendingRec{rx: make([]Reception, len(t.sensors)), have: make([]bool, len(t.sensors)), live: true}
}

// flushReady writes complete records from the front of the queue, so
// lines appear in the order emissions were first reported.
func (t *TruthWriter) flushReady() {
	k := 0
	for k < len(t.order) && t.order[k].n == len(t.sensors) {
		p := t.order[k]
		t.write(&p.e, p.rx, p.have)
		p.live = false
		t.pool = append(t.pool, p)
		k++
	}
	if k > 0 {
		n := copy(t.order, t.order[k:])
		clear(t.order[n:])
		t.order = t.order[:n]
	}
}

// Close writes the emissions some sensors never reported (with what the
// others said), flushes and closes the file. It returns the first error.
func (t *TruthWriter) Close() error {
	for _, p := range t.order {
		t.write(&p.e, p.rx, p.have)
	}
	t.order = nil
	if err := t.w.Flush(); err != nil && t.err == nil {
		t.err = fmt.Errorf("sim: truth: %w", err)
	}
	if t.c != nil {
		if err := t.c.Close(); err != nil && t.err == nil {
			t.err = fmt.Errorf("sim: truth: %w", err)
		}
		t.c = nil
	}
	return t.err
}

// round rounds v to 1/scale, so the file does not depend on the last bits
// of float arithmetic that differ between CPUs.
func round(v, scale float64) float64 { return math.Round(v*scale) / scale }

func (t *TruthWriter) write(e *Emission, rx []Reception, have []bool) {
	b := t.line[:0]
	str := func(k, v string) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = strconv.AppendQuote(b, v)
	}
	num := func(k string, v, scale float64) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			return
		}
		b = strconv.AppendFloat(b, round(v, scale)+0, 'f', -1, 64)
	}
	b = append(b, `{"emitter":`...)
	b = strconv.AppendQuote(b, e.Emitter)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	str("role", e.Role)
	if e.Wing != "" {
		str("wing", e.Wing)
	}
	str("class", e.Class.String())
	str("kind", e.Kind.String())
	num("start_s", e.Start, 1e9)
	num("duration_s", e.Duration, 1e9)
	num("freq_hz", e.Freq, 1e3)
	num("bandwidth_hz", e.Bandwidth, 1e3)
	switch {
	case e.Kind.isGSM():
		num("arfcn", float64(e.ARFCN), 1)
		num("timeslot", float64(e.Timeslot), 1)
	case e.Kind.isLTE():
		num("carrier_hz", e.Carrier, 1e3)
		num("prb", float64(e.PRB), 1)
		num("nprb", float64(e.NPRB), 1)
	case e.Kind == KindFloorStep:
		num("step_db", e.StepDB, 1e3)
	}
	if e.Kind != KindFloorStep {
		if e.Level.Mode == BySNR {
			num("snr_set_db", e.Level.DB, 1e3)
		} else {
			num("tx_dbm", e.Level.DB, 1e3)
		}
	}
	b = append(b, `,"rx":[`...)
	first := true
	for i := range rx {
		if have != nil && !have[i] {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		r := &rx[i]
		b = append(b, `{"sensor":`...)
		b = strconv.AppendQuote(b, r.Sensor)
		b = append(b, `,"visible":`...)
		b = strconv.AppendBool(b, r.Visible)
		b = append(b, `,"clipped":`...)
		b = strconv.AppendBool(b, r.Clipped)
		num("dbm", r.DBm, 1e3)
		num("dbfs", r.DBFS, 1e3)
		num("snr_db", r.SNR, 1e3)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	t.line = b
	if _, err := t.w.Write(b); err != nil && t.err == nil {
		t.err = fmt.Errorf("sim: truth: %w", err)
	}
}

// TruthReader reads a truth file.
type TruthReader struct {
	s    *bufio.Scanner
	h    TruthHeader
	line int
}

// ReadTruth reads the header of a truth file from r and returns a reader
// for its records.
func ReadTruth(r io.Reader) (*TruthReader, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 16<<20)
	tr := &TruthReader{s: s}
	if !s.Scan() {
		if err := s.Err(); err != nil {
			return nil, fmt.Errorf("sim: truth: %w", err)
		}
		return nil, errors.New("sim: truth: empty file")
	}
	tr.line = 1
	if err := json.Unmarshal(s.Bytes(), &tr.h); err != nil {
		return nil, fmt.Errorf("sim: truth: line 1: header: %w", err)
	}
	if tr.h.Format != TruthFormat {
		return nil, fmt.Errorf("sim: truth: line 1: format %q, want %q", tr.h.Format, TruthFormat)
	}
	if tr.h.Version != TruthVersion {
		return nil, fmt.Errorf("sim: truth: line 1: version %d, this reader knows %d", tr.h.Version, TruthVersion)
	}
	return tr, nil
}

// Header returns the file's header.
func (tr *TruthReader) Header() TruthHeader { return tr.h }

type jsonRecord struct {
	Emitter   string   `json:"emitter"`
	Seq       uint64   `json:"seq"`
	Role      string   `json:"role"`
	Wing      string   `json:"wing"`
	Class     string   `json:"class"`
	Kind      string   `json:"kind"`
	Start     float64  `json:"start_s"`
	Duration  float64  `json:"duration_s"`
	Freq      float64  `json:"freq_hz"`
	Bandwidth float64  `json:"bandwidth_hz"`
	ARFCN     int      `json:"arfcn"`
	Timeslot  int      `json:"timeslot"`
	Carrier   float64  `json:"carrier_hz"`
	PRB       int      `json:"prb"`
	NPRB      int      `json:"nprb"`
	StepDB    float64  `json:"step_db"`
	TxDBm     *float64 `json:"tx_dbm"`
	SNRSet    *float64 `json:"snr_set_db"`
	Rx        []struct {
		Sensor  string  `json:"sensor"`
		Visible bool    `json:"visible"`
		Clipped bool    `json:"clipped"`
		DBm     float64 `json:"dbm"`
		DBFS    float64 `json:"dbfs"`
		SNR     float64 `json:"snr_db"`
	} `json:"rx"`
}

// Next returns the next record, or io.EOF after the last.
func (tr *TruthReader) Next() (Record, error) {
	var rec Record
	for {
		if !tr.s.Scan() {
			if err := tr.s.Err(); err != nil {
				return rec, fmt.Errorf("sim: truth: %w", err)
			}
			return rec, io.EOF
		}
		tr.line++
		if len(tr.s.Bytes()) > 0 {
			break
		}
	}
	var j jsonRecord
	if err := json.Unmarshal(tr.s.Bytes(), &j); err != nil {
		return rec, fmt.Errorf("sim: truth: line %d: %w", tr.line, err)
	}
	class, err := ParseClass(j.Class)
	if err != nil {
		return rec, fmt.Errorf("sim: truth: line %d: %w", tr.line, err)
	}
	kind, err := ParseKind(j.Kind)
	if err != nil {
		return rec, fmt.Errorf("sim: truth: line %d: %w", tr.line, err)
	}
	rec.Emission = Emission{Emitter: j.Emitter, Seq: j.Seq, Role: j.Role, Wing: j.Wing, Class: class, Kind: kind,
		Start: j.Start, Duration: j.Duration, Freq: j.Freq, Bandwidth: j.Bandwidth, ARFCN: j.ARFCN, Timeslot: j.Timeslot,
		PRB: j.PRB, NPRB: j.NPRB, Carrier: j.Carrier, StepDB: j.StepDB}
	switch {
	case j.SNRSet != nil:
		rec.Level = SNR(*j.SNRSet)
	case j.TxDBm != nil:
		rec.Level = TxPower(*j.TxDBm)
	}
	for _, r := range j.Rx {
		rec.Rx = append(rec.Rx, Reception{Sensor: r.Sensor, Visible: r.Visible, Clipped: r.Clipped, DBm: r.DBm, DBFS: r.DBFS, SNR: r.SNR})
	}
	return rec, nil
}
