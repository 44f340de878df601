package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr/sim"
)

// The demo's prison is the three-wings building of sdr/sim (three wings of
// twenty 4 m × 4 m cells around a hall, concrete walls, a perimeter wall
// 24 m out): the scene the console's localization was measured on
// (docs/localization.md). Its phones are replaced by a script.

// Radio plan. Every sensor sits on one window, 902.4 MHz ± 600 kHz
// (E-GSM 900 / LTE band 8 uplink), at 1.2 MS/s instead of the 2.4 MS/s
// of a real sensor: rendering the IQ costs about four times what the
// detection does, and at half the rate six sensors fit in about half a
// core of this machine (docs/demo.md has the figures). The pipeline takes
// its rate from the blocks; three-wings at 1.2 MS/s raises the same GSM
// and LTE alerts as at 2.4 MS/s (docs/demo.md). Phones are given slots
// that do not overlap, so that two phones in different wings are two
// incidents, not one heard everywhere:
const (
	demoRate   = 1.2e6
	demoCenter = 902.4e6
	// demoGain is the tuner gain, dB: full scale at −46 dBm (sdr/sim's
	// dongle), so that a phone in the next cell (7 dBm through a corridor
	// wall 4 m away: about −50 dBm) does not clip the 8-bit ADC as it did
	// at three-wings' 19.7 dB, at the cost of 3 dB of sensitivity (noise
	// about −108 dBm in 200 kHz instead of −111).
	demoGain = 12
	// lteCarrier is a 1.4 MHz LTE carrier (6 PRB) whose PUSCH lies
	// between 901.4 and 902.4 MHz: the lower half of the window.
	lteCarrier = 901.8e6
	lteBW      = 1.4e6
	// bcchARFCN is the far tower's carrier that leaks in (ARFCN 65,
	// 903.0 MHz, the top of the window) and cwHz a spurious carrier near
	// the centre.
	bcchARFCN = 65
	cwHz      = 902.45e6
)

// gsmSlots are the GSM channels: ARFCN 63 (902.6 MHz) for calls and SMS
// inside, ARFCN 64 (902.8 MHz) for the phone outside alone. Sharing one
// channel, the console fused the outside phone's alerts into the incident
// of an SMS sent from wing B 45 s before, and placed that one outside.
var gsmSlots = []int{63, 64}

// slotGap is the least silence on a slot between two phones. The console
// takes alerts on one channel whose activities come within 5 s of each
// other for one emitter (fusion.Config.Slack), and a sensor's alert stays
// open 30 s after its last burst (track's ClearAfter): 45 s lets every
// alert of the first phone clear before the next one starts.
const slotGap = 45 * time.Second

// demoHorizon is how long the script runs; then the phones fall silent
// (the interference goes on). Restart the demo for more.
const demoHorizon = 4 * time.Hour

// cell is one prison cell of the plan.
type cell struct {
	name string // A-N04
	wing string // A
	pos  sim.Point
}

// prisonCells lists the sixty cells of three-wings, numbered from the hall
// outwards as the scene file's comment describes them.
func prisonCells() []cell {
	var cs []cell
	for k := 1; k <= 10; k++ {
		off := 4 + 4*float64(k) // centre of cell k, metres from the hall's centre
		cs = append(cs,
			cell{fmt.Sprintf("A-N%02d", k), "A", sim.Point{X: -off, Y: 4, Z: 1}},
			cell{fmt.Sprintf("A-S%02d", k), "A", sim.Point{X: -off, Y: -4, Z: 1}},
			cell{fmt.Sprintf("B-N%02d", k), "B", sim.Point{X: off, Y: 4, Z: 1}},
			cell{fmt.Sprintf("B-S%02d", k), "B", sim.Point{X: off, Y: -4, Z: 1}},
			cell{fmt.Sprintf("C-W%02d", k), "C", sim.Point{X: -4, Y: -off, Z: 1}},
			cell{fmt.Sprintf("C-E%02d", k), "C", sim.Point{X: 4, Y: -off, Z: 1}},
		)
	}
	return cs
}

// activity is one thing a simulated phone does: what the terminal
// announces and one emitter of the scene.
type activity struct {
	at, dur time.Duration // from the scene start
	phone   string        // P1…
	tech    string        // GSM, LTE
	cell    string        // A-N04, or "outside"
	wing    string        // A, B, C, or "" outside
	what    string        // "switches on", "starts a call", …
	freq    float64       // centre of the emission, Hz (for matching incidents)
	emitter sim.Emitter
}

// demoPhone is a contraband phone: where it is and what it speaks.
type demoPhone struct {
	id    string
	tech  string
	cell  cell
	power float64 // dBm: phones near a sensor are power-controlled down
	next  time.Duration
}

// demoScript writes what the phones do for demoHorizon. The first phone
// calls early, from a known cell (a GSM call in A-N04 3 s after the start,
// the planted phone the test waits for), and an LTE phone in wing C opens
// a data session soon after; then phones in random cells switch on, call,
// text, browse and sit idle, `speed` times as often as at speed 1, never
// two at once on the same slot. The phone outside the perimeter calls for
// 40 s about every 3 minutes. The same seed writes the same script.
func demoScript(seed uint64, speed float64) []activity {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cells := prisonCells()
	byName := map[string]cell{}
	for _, c := range cells {
		byName[c.name] = c
	}
	var acts []activity
	add := func(a activity) { acts = append(acts, a) }
	gsmFree := make([]time.Duration, len(gsmSlots)) // when each slot is free again
	var lteFree time.Duration

	// The planted phones.
	p1 := demoPhone{id: "P1", tech: "GSM", cell: byName["A-N04"], power: 7}
	add(gsmCall(p1, 3*time.Second, 60*time.Second, gsmSlots[0]))
	gsmFree[0] = 3*time.Second + 60*time.Second + slotGap
	p2 := demoPhone{id: "P2", tech: "LTE", cell: byName["C-W09"], power: 10}
	add(lteData(p2, 15*time.Second, 40*time.Second, "opens a data session"))
	lteFree = 15*time.Second + 40*time.Second + slotGap

	// The other phones: mostly LTE (2G is being switched off), two GSM.
	phones := []*demoPhone{}
	on := map[string]bool{}
	used := map[string]bool{"A-N04": true, "C-W09": true}
	for i := 3; i <= 10; i++ {
		var c cell
		for {
			c = cells[rng.IntN(len(cells))]
			if !used[c.name] {
				used[c.name] = true
				break
			}
		}
		tech := "LTE"
		if i == 4 || i == 8 {
			tech = "GSM"
		}
		// 5–10 dBm: power-controlled by a tower within a few kilometres.
		phones = append(phones, &demoPhone{id: fmt.Sprintf("P%d", i), tech: tech, cell: c,
			power: math.Round(5 + 5*rng.Float64()), next: time.Duration((20 + 100*rng.Float64()) / speed * float64(time.Second))})
	}
	gap := func(lo, hi float64) time.Duration {
		return time.Duration((lo + (hi-lo)*rng.Float64()) / speed * float64(time.Second))
	}
	secs := func(lo, hi float64) time.Duration {
		return time.Duration(math.Round(lo+(hi-lo)*rng.Float64())) * time.Second
	}
	// The phone outside the perimeter, 18 m beyond the north-east wall,
	// on full power: heard weakly and evenly, it must be reported
	// outside. It calls for 40 s about every 3 minutes.
	out := &demoPhone{id: "X1", tech: "GSM", cell: cell{name: "outside", pos: sim.Point{X: 30, Y: 48, Z: 1.5}}, power: 30, next: 45 * time.Second}
	phones = append(phones, out)
	on[out.id] = true
	for {
		// The phone whose turn comes first.
		sort.Slice(phones, func(i, j int) bool { return phones[i].next < phones[j].next })
		p := phones[0]
		t := p.next
		if t >= demoHorizon {
			break
		}
		var a activity
		switch {
		case !on[p.id]:
			on[p.id] = true
			if p.tech == "GSM" {
				a = gsmSMS(*p, t, "switches on (location update)")
			} else {
				a = lteData(*p, t, 3*time.Second, "switches on (attach)")
				a.emitter.Behaviour.(*sim.LTEData).Load = 0.6
			}
		case p == out:
			a = gsmCall(*p, t, 40*time.Second, 0)
			a.emitter.Role = "outside"
		case p.tech == "GSM":
			if rng.Float64() < 0.6 {
				a = gsmCall(*p, t, secs(30, 90), 0)
			} else {
				a = gsmSMS(*p, t, "sends an SMS")
			}
		default:
			switch r := rng.Float64(); {
			case r < 0.35:
				a = lteData(*p, t, secs(20, 60), "opens a data session")
			case r < 0.6:
				a = lteData(*p, t, secs(30, 90), "starts a VoLTE call")
				d := a.emitter.Behaviour.(*sim.LTEData)
				d.On, d.Off, d.Load = 2*time.Second, 100*time.Millisecond, 0.3
			case r < 0.85:
				a = lteData(*p, t, 3*time.Second, "sends a message")
			default:
				a = lteIdle(*p, t)
			}
		}
		// Find the slot free first; wait for it if every one is busy.
		if a.tech == "GSM" {
			k := 0
			if p == out {
				k = 1
			}
			a = shift(a, gsmFree[k])
			setARFCN(&a, gsmSlots[k])
			gsmFree[k] = a.at + a.dur + slotGap
		} else {
			a = shift(a, lteFree)
			lteFree = a.at + a.dur + slotGap
		}
		if a.at >= demoHorizon {
			break
		}
		add(a)
		p.next = a.at + a.dur + gap(30, 150)
		if p == out {
			p.next = a.at + a.dur + gap(120, 160)
		}
	}

	sort.SliceStable(acts, func(i, j int) bool { return acts[i].at < acts[j].at })
	for i := range acts {
		acts[i].emitter.ID = fmt.Sprintf("%s-%d", acts[i].phone, i)
	}
	return acts
}

// shift delays an activity to start no earlier than t.
func shift(a activity, t time.Duration) activity {
	if a.at < t {
		a.at = t
		a.emitter.Start = t
		a.emitter.Stop = t + a.dur
	}
	return a
}

func setARFCN(a *activity, arfcn int) {
	f, _ := sim.GSMUplink(arfcn)
	a.freq = f
	switch b := a.emitter.Behaviour.(type) {
	case *sim.GSMCall:
		b.ARFCNs = []int{arfcn}
	case *sim.GSMSignalling:
		b.ARFCN = arfcn
	}
}

func phoneActivity(p demoPhone, at, dur time.Duration, what string, b sim.Behaviour) activity {
	wing := p.cell.wing
	return activity{at: at, dur: dur, phone: p.id, tech: p.tech, cell: p.cell.name, wing: wing, what: what,
		emitter: sim.Emitter{Pos: p.cell.pos, Wing: wing, Level: sim.TxPower(p.power), Start: at, Stop: at + dur, Behaviour: b}}
}

func gsmCall(p demoPhone, at, dur time.Duration, arfcn int) activity {
	a := phoneActivity(p, at, dur, fmt.Sprintf("starts a call (%s)", dur), &sim.GSMCall{Timeslot: 3, TSC: 1})
	setARFCN(&a, arfcn)
	return a
}

func gsmSMS(p demoPhone, at time.Duration, what string) activity {
	a := phoneActivity(p, at, 5*time.Second, what, &sim.GSMSignalling{Timeslot: 2, TSC: 3, RACH: 2, SDCCH: 4 * time.Second})
	setARFCN(&a, gsmSlots[0])
	return a
}

func lteData(p demoPhone, at, dur time.Duration, what string) activity {
	if dur > 5*time.Second {
		what = fmt.Sprintf("%s (%s)", what, dur)
	}
	a := phoneActivity(p, at, dur, what, &sim.LTEData{Carrier: lteCarrier, Bandwidth: lteBW, On: 400 * time.Millisecond, Off: time.Second})
	a.freq = lteCarrier
	return a
}

// lteIdle is a phone that stays registered without a session: silent but
// for its periodic tracking-area update (T3412, 54 min by default), of
// which the demo shows one.
func lteIdle(p demoPhone, at time.Duration) activity {
	a := phoneActivity(p, at, 8*time.Second, "is idle: a periodic tracking-area update",
		&sim.LTEIdle{Carrier: lteCarrier, Bandwidth: lteBW, Period: time.Minute, Inactivity: 5 * time.Second})
	a.freq = lteCarrier
	return a
}

// demoSensor is a simulated sensor: two or more per wing, evenly along
// the corridor, 2.5 m up.
type demoSensor struct {
	id, wing string
	pos      sim.Point
}

func demoSensors(perWing int) []demoSensor {
	var out []demoSensor
	for _, w := range []string{"A", "B", "C"} {
		for i := range perWing {
			along := 6 + 40*(float64(i)+0.5)/float64(perWing) // metres from the hall's centre
			var p sim.Point
			switch w {
			case "A":
				p = sim.Point{X: -along, Y: 0, Z: 2.5}
			case "B":
				p = sim.Point{X: along, Y: 0, Z: 2.5}
			case "C":
				p = sim.Point{X: 0, Y: -along, Z: 2.5}
			}
			out = append(out, demoSensor{id: fmt.Sprintf("%s%d", strings.ToLower(w), i+1), wing: w, pos: p})
		}
	}
	return out
}

// demoScene builds the scene: three-wings' building, the sensors, the
// script's phones and the interference (a far tower's BCCH leaking in, a
// spurious carrier, door motors' impulses).
func demoScene(seed uint64, sensors []demoSensor, acts []activity) (*sim.Scene, error) {
	base, err := sim.Builtin("three-wings")
	if err != nil {
		return nil, fmt.Errorf("demo: the three-wings building: %w", err)
	}
	sc := &sim.Scene{
		Name: "cellsentry-demo", Description: "the demo's prison", Seed: seed, Rate: demoRate,
		Start: time.Now().UTC().Truncate(time.Second), Duration: 0, // open-ended: the demo runs until stopped
		Propagation: base.Propagation, Site: base.Site,
	}
	for _, s := range sensors {
		sc.Sensors = append(sc.Sensors, sim.Sensor{ID: s.id, Pos: s.pos, Wing: s.wing, Center: demoCenter, Gain: demoGain})
	}
	for _, a := range acts {
		sc.Emitters = append(sc.Emitters, a.emitter)
	}
	sc.Interference = []sim.Emitter{
		// A far tower reaches every sensor alike: its level is given as
		// the SNR it has everywhere (through the path-loss model, 43 dBm
		// at 1.2 km would be 30 dB under the noise: nothing to see).
		{ID: "tower-bcch", Level: sim.SNR(12), Behaviour: &sim.BCCH{ARFCN: bcchARFCN}},
		{ID: "spur", Level: sim.SNR(20), Behaviour: &sim.CW{Freq: cwHz}},
		{ID: "door-motors", Level: sim.SNR(20), Behaviour: &sim.Impulses{Rate: 2, Width: 2 * time.Microsecond}},
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return sc, nil
}

// siteYAML is the console's site plan of the demo's prison: the scene's
// wings, walls and sensors, the perimeter wall as the boundary.
func siteYAML(site string, sc *sim.Scene) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The demo prison (cellsentry demo): three-wings of sdr/sim.\nname: %s\nbuildings:\n  - name: block\n    floors: 1\nwings:\n", site)
	pt := func(p sim.XY) string { return fmt.Sprintf("[%g, %g]", p.X, p.Y) }
	for _, w := range sc.Site.Wings {
		var ps []string
		for _, p := range w.Polygon {
			ps = append(ps, pt(p))
		}
		fmt.Fprintf(&b, "  - {name: %s, building: block, floor: 0, polygon: [%s]}\n", w.Name, strings.Join(ps, ", "))
	}
	b.WriteString("walls:\n")
	var perim []string
	perimLoss := 0.0
	for _, w := range sc.Site.Walls {
		if strings.HasPrefix(w.Name, "perimeter-") {
			perim = append(perim, pt(w.A))
			perimLoss = w.Loss
			continue
		}
		fmt.Fprintf(&b, "  - {name: %s, from: %s, to: %s, loss: %gdB}\n", w.Name, pt(w.A), pt(w.B), w.Loss)
	}
	fmt.Fprintf(&b, "boundary:\n  polygon: [%s]\n  loss: %gdB\n", strings.Join(perim, ", "), perimLoss)
	b.WriteString("sensors:\n")
	for _, s := range sc.Sensors {
		fmt.Fprintf(&b, "  - {id: %s, wing: %s, position: {x: %g, y: %g}, height: %g, bands: [gsm900-ul]}\n", s.ID, s.Wing, s.Pos.X, s.Pos.Y, s.Pos.Z)
	}
	fmt.Fprintf(&b, "propagation:\n  exponent: %g\n  shadow_sigma: %gdB\n", sc.Propagation.Exponent, sc.Propagation.ShadowSigma)
	return b.String()
}
