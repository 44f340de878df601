package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
	"github.com/cellsentry/cellsentry/configs"
)

// fuseUsage is the synopsis of the fuse subcommand.
const fuseUsage = `usage: cellsentry-console fuse --site SITE.yaml [flags] MESSAGES.jsonl

Runs the console's fusion offline over recorded sensor messages and prints
the incidents as JSON Lines on stdout, one per incident in its final state,
by first seen:

  {"type":"incident","id","wing","confidence","outside","class","first_s","last_s","sensors":[…], …}

MESSAGES.jsonl ("-" for stdin) holds one message per line: schema-v1
alert, status and health messages as a subscriber records them (others are
skipped), or the alert lines of "cellsentry replay" ({"type":"alert",…};
their sensor is read from the alert id, their site is the plan's). Times
first_s and last_s are seconds from the earliest time in the input.

Flags:
`

// maxLine bounds one input line (a health message is a few kB).
const maxLine = 1 << 20

// maxBadLines is how many unreadable lines are named on stderr; the rest
// are counted.
const maxBadLines = 10

func runFuse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fuse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sitePath := fs.String("site", "", "site plan `file` (the console's site.yaml format)")
	floor := fs.Float64("floor-dbm", 0, "detection floor of every sensor for a GSM channel, `dBm` (default: learned from the alerts)")
	stats := fs.Bool("stats", false, "print what was read and fused on stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, fuseUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: fuse: %v", errUsage, err)
	}
	switch {
	case *sitePath == "":
		fs.Usage()
		return fmt.Errorf("%w: fuse needs --site SITE.yaml", errUsage)
	case fs.NArg() != 1:
		fs.Usage()
		return fmt.Errorf("%w: fuse needs exactly one messages file (or - for stdin), got %d", errUsage, fs.NArg())
	case *floor != 0 && !(*floor >= -200 && *floor <= -30):
		return fmt.Errorf("%w: fuse: --floor-dbm %g: must be from -200 to -30 dBm", errUsage, *floor)
	}
	plan, err := configs.LoadSite(*sitePath)
	if err != nil {
		return fmt.Errorf("fuse: %w", err)
	}
	site := plan.Fusion()
	if *floor != 0 {
		for i := range site.Sensors {
			site.Sensors[i].FloorDBm = *floor
		}
	}
	f, err := fusion.New(site, fusion.Config{})
	if err != nil {
		return fmt.Errorf("fuse: %s: %w", *sitePath, err)
	}

	name := fs.Arg(0)
	var in io.Reader = os.Stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("fuse: %w", err)
		}
		defer file.Close()
		in = file
	} else {
		name = "stdin"
	}

	run := fuseRun{f: f, site: site.Name, latest: map[string]alerting.Incident{}, kinds: map[string]int{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		m, err := parseMessage(b, site.Name)
		switch {
		case err != nil:
			run.bad++
			if run.bad <= maxBadLines {
				fmt.Fprintf(stderr, "cellsentry-console fuse: %s:%d: %v\n", name, line, err)
			}
		case m.kind == "":
			run.skipped++
		default:
			run.take(&m)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("fuse: %s: line %d: %w", name, line+1, err)
	}
	if run.bad > maxBadLines {
		fmt.Fprintf(stderr, "cellsentry-console fuse: %s: %d unreadable lines in all\n", name, run.bad)
	}
	run.finish()

	out := bufio.NewWriter(stdout)
	for _, x := range run.sorted() {
		b, err := json.Marshal(incidentLine(&x, run.t0))
		if err != nil {
			return fmt.Errorf("fuse: %w", err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("fuse: writing incidents: %w", err)
	}
	if *stats {
		st := f.Stats()
		fmt.Fprintf(stderr, "lines: %d messages (%d alerts, %d statuses, %d healths), %d skipped, %d unreadable\n",
			run.messages, run.kinds[alerting.KindAlert], run.kinds[alerting.KindStatus], run.kinds[alerting.KindHealth], run.skipped, run.bad)
		fmt.Fprintf(stderr, "alerts: %d taken, %d duplicates, %d of another site, %d invalid, %d timed out\n",
			st.Alerts, st.Duplicates, st.Foreign, st.Invalid, st.TimedOut)
		fmt.Fprintf(stderr, "incidents: %d, localizations %d\n", len(run.latest), st.Located)
	}
	return nil
}

// fuseRun feeds the messages to the fuser and keeps every incident's
// latest state.
type fuseRun struct {
	f        *fusion.Fuser
	site     string
	latest   map[string]alerting.Incident
	t0, now  time.Time // earliest time seen; latest message time
	next     time.Time // when Advance is due
	messages int
	kinds    map[string]int
	skipped  int
	bad      int
}

func (r *fuseRun) keep(xs []alerting.Incident) {
	for _, x := range xs {
		r.latest[x.ID] = x
	}
}

// take feeds one message at its own time, advancing the fuser (at most
// once per second of message time) first, as the console does.
func (r *fuseRun) take(m *message) {
	r.messages++
	r.kinds[m.kind]++
	t := m.time()
	if !t.IsZero() && (r.t0.IsZero() || t.Before(r.t0)) {
		r.t0 = t
	}
	if m.alert != nil && !m.alert.FirstSeen.IsZero() && (r.t0.IsZero() || m.alert.FirstSeen.Before(r.t0)) {
		r.t0 = m.alert.FirstSeen
	}
	if t.After(r.now) {
		r.now = t
	}
	// Time moves on before the message is taken, as in the console, so
	// that a silence is noticed before the message that ends it.
	if !r.now.Before(r.next) {
		r.keep(r.f.Advance(r.now))
		r.next = r.now.Add(time.Second)
	}
	switch m.kind {
	case alerting.KindAlert:
		r.keep(r.f.Alert(m.alert, t))
	case alerting.KindStatus:
		r.keep(r.f.Status(m.status, t))
	case alerting.KindHealth:
		r.keep(r.f.Health(m.health, t))
	}
}

// finish advances to the last message's time, so that alerts and healths
// overdue by then have their effect.
func (r *fuseRun) finish() {
	if !r.now.IsZero() {
		r.keep(r.f.Advance(r.now))
	}
}

// sorted returns the incidents by first seen, then id.
func (r *fuseRun) sorted() []alerting.Incident {
	out := make([]alerting.Incident, 0, len(r.latest))
	for _, x := range r.latest {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// heardLine is one sensor of an incident line.
type heardLine struct {
	Sensor   string         `json:"sensor"`
	Wing     string         `json:"wing,omitempty"`
	PowerDBm alerting.Level `json:"power_dbm"`
	Clipped  bool           `json:"clipped,omitempty"`
}

// incidentOut is one output line: the fields first, then the rest
// of the incident.
type incidentOut struct {
	Type       string               `json:"type"`
	ID         string               `json:"id"`
	Wing       string               `json:"wing"`
	Confidence float64              `json:"confidence"`
	Outside    bool                 `json:"outside"`
	Class      string               `json:"class,omitempty"`
	FirstS     float64              `json:"first_s"`
	LastS      float64              `json:"last_s"`
	Sensors    []heardLine          `json:"sensors"`
	Kind       string               `json:"kind"`
	Mode       string               `json:"mode"`
	Method     string               `json:"method,omitempty"`
	RunnerUp   string               `json:"runner_up,omitempty"`
	Margin     float64              `json:"margin,omitempty"`
	Wings      []alerting.WingScore `json:"wings,omitempty"`
	Building   string               `json:"building,omitempty"`
	Floor      *int                 `json:"floor,omitempty"`
	FreqHz     float64              `json:"freq_hz,omitempty"`
	FreqsHz    []float64            `json:"freqs_hz,omitempty"`
	Active     bool                 `json:"active"`
	LinkedTo   string               `json:"linked_to,omitempty"`
	Sensor     string               `json:"sensor,omitempty"`
	Detail     string               `json:"detail,omitempty"`
	FirstSeen  time.Time            `json:"first_seen"`
	LastSeen   time.Time            `json:"last_seen"`
}

func incidentLine(x *alerting.Incident, t0 time.Time) incidentOut {
	off := func(t time.Time) float64 { return math.Round(t.Sub(t0).Seconds()*1e3) / 1e3 }
	o := incidentOut{
		Type: "incident", ID: x.ID, Wing: x.Wing, Confidence: x.Confidence, Outside: x.Outside, Class: x.Class,
		FirstS: off(x.FirstSeen), LastS: off(x.LastSeen), Sensors: []heardLine{},
		Kind: x.Kind, Mode: x.Mode, Method: x.Method, RunnerUp: x.RunnerUp, Margin: x.Margin, Wings: x.Wings,
		Building: x.Building, Floor: x.Floor, FreqHz: x.FreqHz, FreqsHz: x.FreqsHz, Active: x.Active,
		LinkedTo: x.LinkedTo, Sensor: x.Sensor, Detail: x.Detail, FirstSeen: x.FirstSeen, LastSeen: x.LastSeen,
	}
	for _, h := range x.Sensors {
		o.Sensors = append(o.Sensors, heardLine{Sensor: h.Sensor, Wing: h.Wing, PowerDBm: h.PowerDBm, Clipped: h.Clipped})
	}
	return o
}

// message is one input line understood: kind is "" for a line that is
// valid but not for fusion (a burst).
type message struct {
	kind   string
	alert  *alerting.Alert
	status *alerting.Status
	health *alerting.Health
}

// time is when the message happened.
func (m *message) time() time.Time {
	switch {
	case m.alert != nil:
		return m.alert.Time
	case m.status != nil:
		return m.status.Time
	case m.health != nil:
		return m.health.Time
	}
	return time.Time{}
}

// parseMessage reads one line: a schema-v1 message (validated against its
// JSON Schema) or a replay contract line. site is the site replay alerts
// are taken to be of.
func parseMessage(b []byte, site string) (message, error) {
	var head struct {
		Schema *string `json:"schema"`
		Type   *string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return message{}, fmt.Errorf("not a JSON object: %v", err)
	}
	switch {
	case head.Schema != nil:
		return parseSchema(*head.Schema, b)
	case head.Type != nil:
		switch *head.Type {
		case "alert":
			a, err := parseReplayAlert(b, site)
			if err != nil {
				return message{}, err
			}
			return message{kind: alerting.KindAlert, alert: a}, nil
		case "burst", "incident":
			return message{}, nil
		}
		return message{}, fmt.Errorf("unknown line type %q (want alert or burst lines of cellsentry replay)", *head.Type)
	}
	return message{}, errors.New(`neither a schema-v1 message (no "schema") nor a replay line (no "type")`)
}

// parseSchema reads a schema-v1 message.
func parseSchema(schema string, b []byte) (message, error) {
	var kind string
	switch schema {
	case alerting.SchemaAlert:
		kind = alerting.KindAlert
	case alerting.SchemaStatus:
		kind = alerting.KindStatus
	case alerting.SchemaHealth:
		kind = alerting.KindHealth
	case alerting.SchemaBurst, alerting.SchemaIncident:
		return message{}, nil
	default:
		return message{}, fmt.Errorf("unknown schema %q", schema)
	}
	if err := alerting.Validate(kind, b); err != nil {
		return message{}, err
	}
	m := message{kind: kind}
	var err error
	switch kind {
	case alerting.KindAlert:
		m.alert = new(alerting.Alert)
		err = json.Unmarshal(b, m.alert)
	case alerting.KindStatus:
		m.status = new(alerting.Status)
		err = json.Unmarshal(b, m.status)
	case alerting.KindHealth:
		m.health = new(alerting.Health)
		err = json.Unmarshal(b, m.health)
	}
	if err != nil {
		return message{}, fmt.Errorf("%s message: %v", kind, err)
	}
	return m, nil
}

// replayAlert is an alert line of cellsentry replay (see
// cmd/cellsentry/replay.go, appendAlertJSON).
type replayAlert struct {
	Type        string          `json:"type"`
	ID          *string         `json:"id"`
	State       string          `json:"state"`
	Class       string          `json:"class"`
	FreqHz      float64         `json:"freq_hz"`
	FirstS      *float64        `json:"first_s"`
	LastS       *float64        `json:"last_s"`
	Bursts      int             `json:"bursts"`
	PowerDBm    *alerting.Level `json:"power_dbm"`
	Rev         int             `json:"rev"`
	Mode        string          `json:"mode"`
	Kind        string          `json:"kind"`
	Confidence  float64         `json:"confidence"`
	FreqsHz     []float64       `json:"freqs_hz"`
	BandwidthHz float64         `json:"bandwidth_hz"`
	RecentDBm   *alerting.Level `json:"recent_dbm"`
	PowerDBFS   *alerting.Level `json:"power_dbfs"`
	SNR         *alerting.Level `json:"snr_db"`
	Clipped     bool            `json:"clipped"`
	TimeS       *float64        `json:"time_s"`
	Time        *time.Time      `json:"time"`
}

// parseReplayAlert reads a replay alert line. Its offsets are from the
// recording's start, which is time − time_s; its sensor is in its id,
// "<site>.<sensor>-<class>-…".
func parseReplayAlert(b []byte, site string) (*alerting.Alert, error) {
	var r replayAlert
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("replay alert line: %v", err)
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{"id", r.ID != nil && *r.ID != ""}, {"first_s", r.FirstS != nil}, {"last_s", r.LastS != nil}, {"time_s", r.TimeS != nil}, {"time", r.Time != nil}} {
		if !f.ok {
			return nil, fmt.Errorf("replay alert line: %s missing", f.name)
		}
	}
	sensor, err := replaySensor(*r.ID, r.Class)
	if err != nil {
		return nil, err
	}
	for _, v := range []float64{*r.FirstS, *r.LastS, *r.TimeS} {
		if math.IsNaN(v) || math.Abs(v) > 1e9 {
			return nil, fmt.Errorf("replay alert line: offset %g s is not a time", v)
		}
	}
	t0 := r.Time.Add(-seconds(*r.TimeS))
	lvl := func(l *alerting.Level) alerting.Level {
		if l == nil {
			return alerting.Unknown
		}
		return *l
	}
	mode := r.Mode
	if mode == "" {
		mode = alerting.ModeActual
	}
	return &alerting.Alert{
		Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: site, Sensor: sensor},
		ID: *r.ID, Rev: r.Rev, State: r.State, Mode: mode, Time: *r.Time,
		Class: r.Class, Kind: r.Kind, FreqHz: r.FreqHz, FreqsHz: r.FreqsHz, BandwidthHz: r.BandwidthHz,
		FirstSeen: t0.Add(seconds(*r.FirstS)), LastSeen: t0.Add(seconds(*r.LastS)), Bursts: r.Bursts,
		PowerDBm: lvl(r.PowerDBm), RecentDBm: lvl(r.RecentDBm), PowerDBFS: lvl(r.PowerDBFS), SNR: lvl(r.SNR),
		Clipped: r.Clipped, Confidence: r.Confidence,
	}, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// replaySensor finds the sensor in a replay alert id,
// "<site>.<sensor>-<class>-<time>-<channel>".
func replaySensor(id, class string) (string, error) {
	dot := strings.IndexByte(id, '.')
	mark := strings.Index(id, "-"+class+"-")
	if dot < 0 || class == "" || mark <= dot+1 {
		return "", fmt.Errorf("replay alert id %q does not name its sensor (<site>.<sensor>-%s-…)", id, class)
	}
	return id[dot+1 : mark], nil
}
