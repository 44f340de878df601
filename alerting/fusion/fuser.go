package fusion

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// Fuser turns the messages of one site's sensors into incidents. Feed it
// every message in arrival order (Alert, Status, Health) and call Advance
// regularly (once a second); each returns the incidents it created or
// changed, as copies the caller owns. Not safe for concurrent use.
type Fuser struct {
	cfg  Config
	site *Site
	m    *model
	// sensorIdx maps a site sensor's ID to its index in site.Sensors and
	// in the model.
	sensorIdx map[string]int

	sensors map[string]*sensorState
	alerts  map[string]*alertState
	// retired remembers the last rev of alerts whose incident has closed,
	// so that a late redelivery does not reopen anything; retiredQ evicts
	// the oldest beyond maxRetired.
	retired  map[string]int
	retiredQ []string
	retiredN int

	open []*incident
	// history keeps the ended phone incidents for linking, a ring per
	// place (wing or OutsideWing), so that a link looks at its place only.
	history map[string]*histRing
	ids     map[string]bool

	obs   []observation // scratch
	stats Stats
}

// Stats counts what the fuser has done since New.
type Stats struct {
	Alerts     int64 // alert events taken
	Statuses   int64
	Healths    int64
	Duplicates int64 // alert events already seen (same id, rev not newer)
	Foreign    int64 // messages of another site
	Invalid    int64 // messages without the fields fusion needs
	Dropped    int64 // messages of sensors beyond MaxSensors
	Incidents  int64 // incidents created
	Located    int64 // localizations computed
	Evicted    int64 // incidents closed early because of MaxOpen
	TimedOut   int64 // alerts taken as ended after AlertTimeout
	Merged     int64 // incidents merged into an older one (the same emitter)
	Open       int   // incidents in Open now
}

// sensorState is what the fuser knows of one sensor.
type sensorState struct {
	id    string
	idx   int // in site.Sensors, -1 for a sensor the site does not know
	site  string
	wing  string // the site's, or the messages' origin
	build string
	mode  string

	lastHealth time.Time
	interval   time.Duration // learned health period, 0 until two healths
	gaps       [8]time.Duration
	ngaps      int
	offline    *incident // sensor-offline (status or silence)
	silent     bool      // offline is for silence, not a status
	lost       *incident // source-lost
	tamper     *incident
	overload   *incident
	// learned detection floors by class (when the site gives none): the
	// weakest level reported, and how many alerts it rests on.
	floor  [4]float64
	floorN [4]int
}

// alertState is the latest event of one alert.
type alertState struct {
	a         alerting.Alert // latest event; FreqsHz owned
	cleared   bool           // cleared, or timed out
	lastEvent time.Time      // when its latest event was taken
	inc       *incident
	sensorIdx int // in site.Sensors, -1 when unknown to the site
}

// incident is one open incident and what it is made of.
type incident struct {
	inc        alerting.Incident
	alerts     []*alertState // phone and overload incidents
	lastChange time.Time
	sensorInc  bool // a sensor incident (offline, source lost, tamper)
	lastObs    []observation
	located    bool
	lastFreq   float64
	closed     bool
	// span is spanOf(inc) as of the last refresh (the alerts change only
	// through events that refresh their incident).
	span [2]float64
}

// histRing is a ring of ended incidents of one place.
type histRing struct {
	e []histEntry
	n int // entries written; e[n%cap] is next once full
}

// histEntry is an ended incident, kept for linking.
type histEntry struct {
	id, class, mode, wing string // wing: OutsideWing when outside
	freqs                 []float64
	lo, hi                float64 // spectrum span, Hz
	last                  time.Time
}

// maxRetired bounds the alert ids remembered after their incident closed.
const maxRetired = 1 << 14

// maxFreqs bounds an incident's FreqsHz (the schema allows 128 per alert;
// a hopping GSM call uses a few dozen at most).
const maxFreqs = 64

// New checks the site and the config (filling defaults) and lays out the
// localization grid. The site must not change afterwards.
func New(site *Site, cfg Config) (*Fuser, error) {
	if site == nil {
		return nil, fmt.Errorf("fusion: no site")
	}
	if err := site.Validate(); err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &Fuser{
		cfg: cfg, site: site, m: newModel(site, &cfg),
		sensorIdx: map[string]int{}, sensors: map[string]*sensorState{}, alerts: map[string]*alertState{},
		retired: map[string]int{}, ids: map[string]bool{},
		history: map[string]*histRing{},
		obs:     make([]observation, len(site.Sensors)),
	}
	for i := range site.Sensors {
		f.sensorIdx[site.Sensors[i].ID] = i
	}
	return f, nil
}

// Stats returns the counters.
func (f *Fuser) Stats() Stats {
	s := f.stats
	s.Open = len(f.open)
	return s
}

// Hypotheses returns the names the localization chooses among: the
// site's wings, then OutsideWing unless Config.NoOutside.
func (f *Fuser) Hypotheses() []string { return slices.Clone(f.m.hyps) }

// sensor returns the state of a sensor, creating it, or nil when
// MaxSensors are tracked already.
func (f *Fuser) sensor(o *alerting.Origin) *sensorState {
	if st := f.sensors[o.Sensor]; st != nil {
		return st
	}
	if len(f.sensors) >= f.cfg.MaxSensors {
		f.stats.Dropped++
		return nil
	}
	st := &sensorState{id: o.Sensor, idx: -1, site: o.Site, wing: o.Wing, build: o.Building, mode: alerting.ModeActual}
	if i, ok := f.sensorIdx[o.Sensor]; ok {
		st.idx = i
		st.wing = f.site.Sensors[i].Wing
		if w := f.site.wing(st.wing); w >= 0 {
			st.build = f.site.Wings[w].Building
		}
	}
	for c := range st.floor {
		st.floor[c] = math.Inf(1)
	}
	f.sensors[o.Sensor] = st
	return st
}

// mine reports whether a message is for this fuser's site.
func (f *Fuser) mine(o *alerting.Origin) bool {
	if o.Site != f.site.Name {
		f.stats.Foreign++
		return false
	}
	if o.Sensor == "" {
		f.stats.Invalid++
		return false
	}
	return true
}

// Alert takes one alert event of a sensor and returns the incidents it
// created or changed. Events already seen (same id and a rev not newer
// than the latest taken) are ignored, as are events of another site.
func (f *Fuser) Alert(a *alerting.Alert, now time.Time) []alerting.Incident {
	if a == nil || !f.mine(&a.Origin) {
		return nil
	}
	switch {
	case a.ID == "", a.Rev < 0, a.State != alerting.StateRaised && a.State != alerting.StateUpdated && a.State != alerting.StateCleared,
		!validFreq(a.FreqHz) && !slices.ContainsFunc(a.FreqsHz, validFreq):
		f.stats.Invalid++
		return nil
	}
	if rev, ok := f.retired[a.ID]; ok && a.Rev <= rev {
		f.stats.Duplicates++
		return nil
	}
	st := f.alerts[a.ID]
	if st != nil && a.Rev <= st.a.Rev {
		f.stats.Duplicates++
		return nil
	}
	sn := f.sensor(&a.Origin)
	if sn == nil {
		return nil
	}
	f.stats.Alerts++
	if st == nil {
		st = &alertState{sensorIdx: sn.idx}
		f.alerts[a.ID] = st
	}
	freqs := st.a.FreqsHz[:0]
	st.a = *a
	for _, fr := range a.FreqsHz {
		if validFreq(fr) && len(freqs) < maxFreqs {
			freqs = append(freqs, fr)
		}
	}
	if !validFreq(st.a.FreqHz) {
		st.a.FreqHz = 0
		if len(freqs) > 0 {
			st.a.FreqHz = freqs[0]
		}
	}
	if len(freqs) == 0 && st.a.FreqHz > 0 {
		freqs = append(freqs, st.a.FreqHz)
	}
	st.a.FreqsHz = freqs
	if st.a.Mode == "" {
		st.a.Mode = alerting.ModeActual
	}
	st.cleared = a.State == alerting.StateCleared
	st.lastEvent = now
	f.learnFloor(sn, &st.a)

	if a.Class == "overload" {
		return f.overload(sn, st, now)
	}
	if st.inc == nil {
		if inc := f.match(st); inc != nil {
			f.attach(inc, st)
		} else {
			f.newPhone(st, now)
		}
	}
	inc := st.inc
	f.refresh(inc, now)
	if merged := f.mergeInto(inc, now); merged != nil {
		return merged
	}
	return []alerting.Incident{export(inc)}
}

// MethodMerged is the Method of an incident merged into another: it was
// the same emitter as the older incident its LinkedTo names, which now
// holds its alerts and its localization. It is no longer active.
const MethodMerged = "merged"

// mergeable reports whether two open phone incidents are one emitter:
// same mode and class, activity spans overlapping once widened by Slack
// (the rule an alert joins an incident by), an alert of each on the same
// channel (sameChannel, stricter than the alert rule), and no sensor with
// an alert in each that overlap in time (one sensor hears one emitter as
// one alert, so two live alerts of one sensor are two emitters).
func (f *Fuser) mergeable(a, b *incident) bool {
	x, y := &a.inc, &b.inc
	if a == b || a.sensorInc || b.sensorInc || x.Kind != alerting.IncidentPhone || y.Kind != alerting.IncidentPhone ||
		x.Mode != y.Mode || x.Class != y.Class {
		return false
	}
	slack := f.cfg.Slack
	if x.FirstSeen.After(y.LastSeen.Add(slack)) || y.FirstSeen.After(x.LastSeen.Add(slack)) {
		return false
	}
	// Alerts on the same channel lie in both incidents' spectrum.
	if math.Min(a.span[1], b.span[1]) < math.Max(a.span[0], b.span[0]) {
		return false
	}
	for _, p := range a.alerts {
		for _, q := range b.alerts {
			if p.a.Sensor != q.a.Sensor {
				continue
			}
			// Apart only when one ended before the other began.
			if !(p.cleared && p.a.LastSeen.Before(q.a.FirstSeen) || q.cleared && q.a.LastSeen.Before(p.a.FirstSeen)) {
				return false
			}
		}
	}
	same := false
	for _, p := range a.alerts {
		for _, q := range b.alerts {
			if sameChannel(x.Class, &p.a, &q.a) {
				same = true
			}
		}
	}
	if !same {
		return false
	}
	// One emitter has one position and one power: a likelihood-ratio
	// test of one emitter against two (two phones on one channel in
	// wings apart, each heard by its own sensors, are two).
	return f.oneEmitter(x.Class, x.FreqHz, a.alerts, b.alerts)
}

// mergeMaxLossNats is how much worse (in log-likelihood, nats) one
// emitter may explain two incidents' evidence than two emitters do, for
// them to merge. Two emitters have three more parameters (position and
// power); for one emitter twice the loss is about χ² with 3 degrees of
// freedom, above 12 (6 nats) with 0.7 % probability.
const mergeMaxLossNats = 6

// oneEmitter compares one emitter heard by the sensors of both alert sets
// with two, one per set: each explains its levels, and the sensors that
// heard neither must have missed both (with two emitters, a silent
// sensor's term is the sum of both misses, so the fit separates). With
// fewer than two levels in all there is nothing to weigh: true.
func (f *Fuser) oneEmitter(class string, freq float64, a, b []*alertState) bool {
	ab, n := f.evidenceFit(class, freq, a, b, nil)
	if n < 2 {
		return true
	}
	la, _ := f.evidenceFit(class, freq, a, nil, b)
	lb, _ := f.evidenceFit(class, freq, b, nil, a)
	return ab >= la+lb-mergeMaxLossNats
}

// evidenceFit localizes an emitter heard by the alerts of heard and more
// (their levels), not by the sensors of other (left out: they heard
// something on the channel), and missed by every other site sensor that
// listens on freq, is up and has a floor; it returns the best
// log-likelihood over the candidates and the number of levels.
func (f *Fuser) evidenceFit(class string, freq float64, heard, more, other []*alertState) (float64, int) {
	obs := f.obs
	clear(obs)
	skip := func(si int) bool {
		for _, set := range [][]*alertState{heard, more, other} {
			for _, a := range set {
				if a.sensorIdx == si {
					return true
				}
			}
		}
		return false
	}
	n := 0
	for _, set := range [][]*alertState{heard, more} {
		for _, a := range set {
			l := level(&a.a)
			if a.sensorIdx < 0 || math.IsNaN(l) {
				continue
			}
			o := &obs[a.sensorIdx]
			if o.kind == obsNone {
				n++
			}
			*o = observation{kind: obsLevel, db: l, sigma: f.m.sigmaLvl}
			if a.a.Clipped {
				o.kind = obsAtLeast
			}
		}
	}
	for si := range f.site.Sensors {
		if skip(si) || !f.site.Sensors[si].hears(freq) || !f.sensorUp(si) {
			continue
		}
		if fl := f.floorOf(si, class); !math.IsNaN(fl) {
			obs[si] = observation{kind: obsBelow, db: fl, sigma: f.m.sigmaDet}
		}
	}
	if n < 2 {
		return 0, n
	}
	f.m.locate(obs, freq, class)
	return f.m.best, n
}

// sameChannel reports whether two alerts of a class are on one emitter's
// channel, strictly enough to merge incidents on it: LTE and UMTS spectrum
// spans overlap; GSM (and unknown) alerts each heard the channel the
// other heard most. Sharing some channel is not enough: an alert that
// spans two emitters' channels (the tracker took two calls for one
// hopping call) would join their incidents.
func sameChannel(class string, p, q *alerting.Alert) bool {
	switch class {
	case "lte", "umts":
		sp, sq := alertSpan(p), alertSpan(q)
		return math.Min(sp[1], sq[1]) >= math.Max(sp[0], sq[0])
	}
	return hasChannel(p.FreqsHz, p.FreqHz, q.FreqHz) && hasChannel(q.FreqsHz, q.FreqHz, p.FreqHz)
}

// hasChannel reports whether an alert with channels freqs and main
// channel main heard channel f.
func hasChannel(freqs []float64, main, f float64) bool {
	if math.Abs(main-f) < gsmTolerance {
		return true
	}
	for _, x := range freqs {
		if math.Abs(x-f) < gsmTolerance {
			return true
		}
	}
	return false
}

// older reports whether incident a began before b (by first seen, then
// id): the older of two merged incidents survives.
func older(a, b *incident) bool {
	if !a.inc.FirstSeen.Equal(b.inc.FirstSeen) {
		return a.inc.FirstSeen.Before(b.inc.FirstSeen)
	}
	return a.inc.ID < b.inc.ID
}

// mergeInto merges every open phone incident that has become the same
// emitter as inc (an alert update widened its channels or its time) with
// it: the older survives and takes the younger's alerts, the younger ends
// with Method MethodMerged, LinkedTo the survivor and no sensors (its
// alerts are the survivor's now, so that a consumer attaching an alert to
// the incident that lists it finds the survivor). It returns the merged
// incidents then the survivor, or nil when nothing merged.
func (f *Fuser) mergeInto(inc *incident, now time.Time) []alerting.Incident {
	var out []alerting.Incident
	for {
		var other *incident
		for _, o := range f.open {
			if f.mergeable(inc, o) {
				other = o
				break
			}
		}
		if other == nil {
			break
		}
		keep, gone := inc, other
		if older(other, inc) {
			keep, gone = other, inc
		}
		for _, a := range gone.alerts {
			// One alert per sensor: of two (mergeable says they do not
			// overlap) the later stays.
			if i := slices.IndexFunc(keep.alerts, func(b *alertState) bool { return b.a.Sensor == a.a.Sensor }); i >= 0 {
				if keep.alerts[i].a.FirstSeen.After(a.a.FirstSeen) {
					f.retire(a)
					continue
				}
			}
			f.attach(keep, a)
		}
		gone.alerts = nil
		f.open = slices.DeleteFunc(f.open, func(o *incident) bool { return o == gone })
		gone.closed = true
		delete(f.ids, gone.inc.ID)
		x := &gone.inc
		x.Active, x.Alarm = false, alerting.AlarmClearedUnacknowledged
		x.Method, x.LinkedTo = MethodMerged, keep.inc.ID
		x.Sensors = nil
		x.Detail = "merged into " + keep.inc.ID + ": the same emitter"
		gone.lastChange = now
		f.stats.Merged++
		f.refresh(keep, now)
		out = append(out, export(gone))
		inc = keep
	}
	if out == nil {
		return nil
	}
	return append(out, export(inc))
}

// level is the level of an alert used to localize, dBm: the strongest
// burst, which every sensor measures on the same kind of burst (the
// mean of the recent ones mixes kinds differently at a strong sensor,
// which hears every burst, and a weak one, which hears the strongest).
// NaN when the sensor is not calibrated.
func level(a *alerting.Alert) float64 {
	for _, l := range []alerting.Level{a.PowerDBm, a.RecentDBm} {
		if l.Known() && l >= -250 && l <= 100 {
			return float64(l)
		}
	}
	return math.NaN()
}

// validFreq reports whether f can be a radio frequency, Hz.
func validFreq(f float64) bool { return f > 0 && f < 100e9 }

// classIndex maps a class to the index of the learned floors.
func classIndex(class string) int {
	switch class {
	case "gsm":
		return 0
	case "lte":
		return 1
	case "umts":
		return 2
	}
	return 3
}

// minFloorAlerts is how many alerts of a class a sensor must have
// reported before its weakest level stands for its floor.
const minFloorAlerts = 5

// learnFloor keeps the weakest level a sensor reported per class.
func (f *Fuser) learnFloor(sn *sensorState, a *alerting.Alert) {
	if a.State != alerting.StateRaised || a.Class == "overload" {
		return
	}
	l := level(a)
	if math.IsNaN(l) {
		return
	}
	c := classIndex(a.Class)
	sn.floor[c] = math.Min(sn.floor[c], l)
	sn.floorN[c]++
}

// floorOf is the detection floor of a site sensor for a class, dBm, or
// NaN when unknown.
func (f *Fuser) floorOf(si int, class string) float64 {
	sn := &f.site.Sensors[si]
	if sn.FloorDBm != 0 {
		switch class {
		case "lte":
			return sn.FloorDBm + f.cfg.LTEFloorOffsetDB
		case "umts":
			return sn.FloorDBm + f.cfg.UMTSFloorOffsetDB
		}
		return sn.FloorDBm
	}
	if st := f.sensors[sn.ID]; st != nil {
		c := classIndex(class)
		if st.floorN[c] >= minFloorAlerts {
			return st.floor[c]
		}
	}
	return math.NaN()
}

// compatible reports whether alert a can be the same emitter as incident
// inc, and how well it matches (higher is better).
func (f *Fuser) compatible(inc *incident, a *alertState) (bool, float64) {
	x := &inc.inc
	if inc.sensorInc || x.Kind != alerting.IncidentPhone || x.Mode != a.a.Mode || x.Class != a.a.Class {
		return false, 0
	}
	slack := f.cfg.Slack
	if a.a.FirstSeen.After(x.LastSeen.Add(slack)) || a.a.LastSeen.Before(x.FirstSeen.Add(-slack)) {
		return false, 0
	}
	// One sensor hears one emitter as one alert: an incident that has a
	// live alert of this sensor, or one overlapping this one in time, is
	// another emitter.
	for _, b := range inc.alerts {
		if b.a.Sensor != a.a.Sensor || b == a {
			continue
		}
		if !b.cleared || !b.a.LastSeen.Before(a.a.FirstSeen) {
			return false, 0
		}
	}
	ok, score := freqMatch(x.Class, x.FreqsHz, inc.span, a.a.FreqsHz, alertSpan(&a.a))
	if !ok {
		return false, 0
	}
	// The channel each heard most: an alert that spans two emitters'
	// channels (the tracker took two calls for one hopping call) belongs
	// rather with the one it heard most.
	if x.Class != "lte" && x.Class != "umts" && math.Abs(a.a.FreqHz-x.FreqHz) < gsmTolerance {
		score += 1
	}
	// Kinds are a tie-breaker only: a weak sensor hears part of what a
	// strong one does (a call's bursts but not its rhythm).
	if a.a.Kind != "" && a.a.Kind == kindOf(inc) {
		score += 0.5
	}
	return true, score
}

// kindOf is the kind of an incident's first alert.
func kindOf(inc *incident) string {
	for _, a := range inc.alerts {
		if a.a.Kind != "" {
			return a.a.Kind
		}
	}
	return ""
}

// gsmTolerance is how close two GSM channel frequencies must be to be the
// same channel: half the 200 kHz raster (sensors' crystals differ by tens
// of ppm, 20 ppm is 18 kHz at 900 MHz).
const gsmTolerance = 100e3

// freqMatch compares the frequencies of two activities of a class: GSM
// (and unknown) must share a channel (a hopping call shares its hopping
// set); LTE and UMTS spectrum spans must overlap. The score is the number
// of shared channels, or the overlap in MHz.
func freqMatch(class string, fa []float64, sa [2]float64, fb []float64, sb [2]float64) (bool, float64) {
	switch class {
	case "lte", "umts":
		ov := math.Min(sa[1], sb[1]) - math.Max(sa[0], sb[0])
		if ov < 0 {
			return false, 0
		}
		return true, 1 + ov/1e6
	}
	n := 0
	for _, x := range fa {
		for _, y := range fb {
			if math.Abs(x-y) < gsmTolerance {
				n++
				break
			}
		}
	}
	return n > 0, float64(n)
}

// alertSpan is the spectrum an alert covers, Hz.
func alertSpan(a *alerting.Alert) [2]float64 {
	lo, hi := a.FreqHz, a.FreqHz
	for _, f := range a.FreqsHz {
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	if lo == 0 {
		lo = hi
	}
	// FreqsHz are the channels' centres; widen by half a channel (or
	// the alert's bandwidth when it spans less).
	w := 100e3
	if hi-lo < a.BandwidthHz {
		w = math.Max(w, (a.BandwidthHz-(hi-lo))/2)
	}
	return [2]float64{lo - w, hi + w}
}

// spanOf is the spectrum of an incident's alerts, Hz.
func spanOf(inc *incident) [2]float64 {
	s := [2]float64{math.Inf(1), math.Inf(-1)}
	for _, a := range inc.alerts {
		x := alertSpan(&a.a)
		s[0], s[1] = math.Min(s[0], x[0]), math.Max(s[1], x[1])
	}
	return s
}

// match finds the open phone incident an alert belongs to, or nil.
func (f *Fuser) match(a *alertState) *incident {
	var best *incident
	var bestScore float64
	for _, inc := range f.open {
		ok, score := f.compatible(inc, a)
		if !ok {
			continue
		}
		// Prefer the incident with more sensors, then the older: the
		// established emitter rather than a fragment.
		score += 0.01 * float64(len(inc.alerts))
		if best == nil || score > bestScore {
			best, bestScore = inc, score
		}
	}
	return best
}

// attach adds an alert to an incident; an earlier, ended alert of the same
// sensor leaves it (one per sensor, so the incident stays bounded).
func (f *Fuser) attach(inc *incident, a *alertState) {
	for i, b := range inc.alerts {
		if b.a.Sensor == a.a.Sensor && b != a {
			f.retire(b)
			inc.alerts = slices.Delete(inc.alerts, i, i+1)
			break
		}
	}
	inc.alerts = append(inc.alerts, a)
	a.inc = inc
}

// retire forgets an alert, remembering its last rev.
func (f *Fuser) retire(a *alertState) {
	delete(f.alerts, a.a.ID)
	a.inc = nil
	if _, ok := f.retired[a.a.ID]; !ok {
		if len(f.retiredQ) < maxRetired {
			f.retiredQ = append(f.retiredQ, a.a.ID)
		} else {
			old := f.retiredQ[f.retiredN%maxRetired]
			delete(f.retired, old)
			f.retiredQ[f.retiredN%maxRetired] = a.a.ID
		}
		f.retiredN++
	}
	f.retired[a.a.ID] = a.a.Rev
}

// newID makes an incident id: <site>-<what>-<UTC time, ms>-<detail>,
// stable for the same input and unique among the ids in use.
func (f *Fuser) newID(site, what string, t time.Time, detail string) string {
	t = t.UTC()
	id := site + "-" + what + "-" + t.Format("20060102T150405") + "." + fmt.Sprintf("%03d", t.Nanosecond()/1e6) + "Z"
	if detail != "" {
		id += "-" + detail
	}
	base := id
	for n := 2; f.ids[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	f.ids[id] = true
	return id
}

// add puts a new incident in the open set, making room under MaxOpen.
func (f *Fuser) add(inc *incident) {
	if len(f.open) >= f.cfg.MaxOpen {
		// Close the one changed longest ago, ended ones first.
		victim := 0
		for i, o := range f.open {
			v := f.open[victim]
			if o.inc.Active != v.inc.Active && !o.inc.Active ||
				o.inc.Active == v.inc.Active && o.lastChange.Before(v.lastChange) {
				victim = i
			}
		}
		f.stats.Evicted++
		f.close(victim)
	}
	f.open = append(f.open, inc)
	f.stats.Incidents++
}

// newPhone starts a phone incident from an alert.
func (f *Fuser) newPhone(a *alertState, now time.Time) *incident {
	inc := &incident{lastObs: make([]observation, len(f.site.Sensors))}
	inc.inc = alerting.Incident{
		Schema: alerting.SchemaIncident,
		ID:     f.newID(a.a.Site, a.a.Class, a.a.FirstSeen, strconv.FormatInt(int64(math.Round(a.a.FreqHz/1e3)), 10)),
		Site:   a.a.Site, Kind: alerting.IncidentPhone, Mode: a.a.Mode, Class: a.a.Class,
		FirstSeen: a.a.FirstSeen, LastSeen: a.a.LastSeen,
	}
	inc.lastChange = now
	f.attach(inc, a)
	f.add(inc)
	return inc
}

// refresh recomputes an incident from its alerts and localizes it.
func (f *Fuser) refresh(inc *incident, now time.Time) {
	x := &inc.inc
	inc.lastChange = now
	x.Active = false
	x.Sensors = x.Sensors[:0]
	x.FreqsHz = x.FreqsHz[:0]
	strongest := -1
	for i, a := range inc.alerts {
		if i == 0 || a.a.FirstSeen.Before(x.FirstSeen) {
			x.FirstSeen = a.a.FirstSeen
		}
		if i == 0 || a.a.LastSeen.After(x.LastSeen) {
			x.LastSeen = a.a.LastSeen
		}
		if !a.cleared {
			x.Active = true
		}
		l := level(&a.a)
		x.Sensors = append(x.Sensors, alerting.Heard{
			Sensor: a.a.Sensor, Wing: f.wingOf(a), AlertID: a.a.ID, PowerDBm: alerting.Level(l),
			Clipped: a.a.Clipped, Bursts: a.a.Bursts, LastSeen: a.a.LastSeen,
		})
		if strongest < 0 || stronger(&a.a, &inc.alerts[strongest].a) {
			strongest = i
		}
		for _, fr := range a.a.FreqsHz {
			if len(x.FreqsHz) < maxFreqs && !slices.Contains(x.FreqsHz, fr) {
				x.FreqsHz = append(x.FreqsHz, fr)
			}
		}
	}
	slices.Sort(x.FreqsHz)
	// Strongest first, uncalibrated (NaN) last, stable.
	slices.SortStableFunc(x.Sensors, func(p, q alerting.Heard) int {
		a, b := float64(p.PowerDBm), float64(q.PowerDBm)
		switch {
		case a > b || !math.IsNaN(a) && math.IsNaN(b):
			return -1
		case b > a || !math.IsNaN(b) && math.IsNaN(a):
			return 1
		}
		return 0
	})
	if strongest >= 0 {
		x.FreqHz = inc.alerts[strongest].a.FreqHz
	}
	inc.span = spanOf(inc)
	x.Alarm = alerting.AlarmUnacknowledged
	if !x.Active {
		x.Alarm = alerting.AlarmClearedUnacknowledged
	}
	if x.Kind == alerting.IncidentPhone {
		f.locate(inc, now)
	}
}

// stronger reports whether alert a is heard stronger than b: by dBm when
// both are calibrated, else by SNR.
func stronger(a, b *alerting.Alert) bool {
	la, lb := level(a), level(b)
	if !math.IsNaN(la) && !math.IsNaN(lb) {
		return la > lb || a.Clipped && !b.Clipped
	}
	if !math.IsNaN(la) != !math.IsNaN(lb) {
		return !math.IsNaN(la)
	}
	return a.SNR.Known() && (!b.SNR.Known() || a.SNR > b.SNR)
}

// wingOf is the wing of the sensor of an alert: the site's, or the one
// the sensor says.
func (f *Fuser) wingOf(a *alertState) string {
	if a.sensorIdx >= 0 {
		return f.site.Sensors[a.sensorIdx].Wing
	}
	return a.a.Wing
}

// sensorUp reports whether a site sensor is listening: known to be
// neither offline nor blind.
func (f *Fuser) sensorUp(si int) bool {
	st := f.sensors[f.site.Sensors[si].ID]
	return st == nil || st.offline == nil && st.lost == nil && st.overload == nil
}

// locate sets an incident's wing, confidence and method from what its
// sensors heard and what the others did not.
func (f *Fuser) locate(inc *incident, now time.Time) {
	x := &inc.inc
	obs := f.obs
	clear(obs)
	heard, usable := 0, 0
	var strongest *alertState
	for _, a := range inc.alerts {
		if strongest == nil || stronger(&a.a, &strongest.a) {
			strongest = a
		}
		if a.sensorIdx < 0 {
			continue
		}
		heard++
		o := &obs[a.sensorIdx]
		if l := level(&a.a); !math.IsNaN(l) {
			o.db, o.sigma = l, f.m.sigmaLvl
			o.kind = obsLevel
			if a.a.Clipped {
				o.kind = obsAtLeast
			}
		} else if fl := f.floorOf(a.sensorIdx, x.Class); !math.IsNaN(fl) {
			// Heard, level unknown: at least its floor.
			*o = observation{kind: obsAtLeast, db: fl, sigma: f.m.sigmaDet}
		}
		if o.kind != obsNone {
			usable++
		}
	}
	// A sensor's silence counts once it had time to hear the emitter.
	if x.LastSeen.Sub(x.FirstSeen) >= f.cfg.MissGrace || !x.Active {
		for si := range f.site.Sensors {
			sn := &f.site.Sensors[si]
			if obs[si].kind != obsNone || !sn.hears(x.FreqHz) || !f.sensorUp(si) || heardBy(inc, sn.ID) {
				continue
			}
			if fl := f.floorOf(si, x.Class); !math.IsNaN(fl) {
				obs[si] = observation{kind: obsBelow, db: fl, sigma: f.m.sigmaDet}
				usable++
			}
		}
	}
	if heard == 0 || usable < 2 {
		// The strongest sensor's wing.
		x.Method, x.Outside, x.RunnerUp, x.Margin, x.Wings = "strongest", false, "", 0, nil
		x.Confidence = f.cfg.StrongestConfidence
		x.Wing = ""
		if strongest != nil {
			x.Wing = f.wingOf(strongest)
		}
		f.placeWing(inc)
		inc.located = false
		return
	}
	if inc.located && inc.lastFreq == x.FreqHz && sameObs(inc.lastObs, obs) {
		return
	}
	copy(inc.lastObs, obs)
	inc.lastFreq = x.FreqHz
	inc.located = true
	f.stats.Located++
	probs := f.m.locate(obs, x.FreqHz, x.Class)
	r := f.m.ranked(probs)
	x.Method = "ml"
	x.Wings = x.Wings[:0]
	for _, s := range r {
		x.Wings = append(x.Wings, alerting.WingScore{Wing: s.name, Probability: round3(s.p)})
	}
	x.Confidence = round3(r[0].p)
	x.RunnerUp, x.Margin = "", 0
	if len(r) > 1 {
		x.RunnerUp, x.Margin = r[1].name, round3(r[0].p-r[1].p)
	}
	x.Outside = r[0].name == OutsideWing
	x.Wing = r[0].name
	if x.Outside {
		x.Wing = ""
	}
	f.placeWing(inc)
}

// heardBy reports whether a sensor has an alert in the incident.
func heardBy(inc *incident, sensor string) bool {
	for _, a := range inc.alerts {
		if a.a.Sensor == sensor {
			return true
		}
	}
	return false
}

// placeWing sets Building and Floor from the incident's wing and links it
// to an earlier incident there.
func (f *Fuser) placeWing(inc *incident) {
	x := &inc.inc
	x.Building, x.Floor = "", nil
	if w := f.site.wing(x.Wing); w >= 0 {
		x.Building = f.site.Wings[w].Building
		fl := f.site.Wings[w].Floor
		x.Floor = &fl
	}
	x.LinkedTo = f.link(inc)
}

// sameObs reports whether two observation sets would localize alike:
// the same kinds and levels within 0.5 dB.
func sameObs(a, b []observation) bool {
	for i := range a {
		if a[i].kind != b[i].kind || math.Abs(a[i].db-b[i].db) > 0.5 {
			return false
		}
	}
	return true
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// linkWing is the place of an incident for linking: its wing, or
// OutsideWing.
func linkWing(x *alerting.Incident) string {
	if x.Outside {
		return OutsideWing
	}
	return x.Wing
}

// link finds the latest ended incident of the same class and mode, in the
// same place, on the same channel(s), that ended within LinkWithin before
// this one began.
func (f *Fuser) link(inc *incident) string {
	x := &inc.inc
	w := linkWing(x)
	if w == "" {
		return ""
	}
	span := spanOf(inc)
	var best string
	var bestT time.Time
	ok := func(id, class, mode, wing string, freqs []float64, lo, hi float64, last time.Time) {
		if class != x.Class || mode != x.Mode || wing != w || last.After(x.FirstSeen) ||
			x.FirstSeen.Sub(last) > f.cfg.LinkWithin || (best != "" && !last.After(bestT)) {
			return
		}
		if m, _ := freqMatch(class, freqs, [2]float64{lo, hi}, x.FreqsHz, span); m {
			best, bestT = id, last
		}
	}
	for _, o := range f.open {
		if o != inc && !o.inc.Active && o.inc.Kind == alerting.IncidentPhone {
			s := o.span
			ok(o.inc.ID, o.inc.Class, o.inc.Mode, linkWing(&o.inc), o.inc.FreqsHz, s[0], s[1], o.inc.LastSeen)
		}
	}
	if r := f.history[w]; r != nil {
		for i := range r.e {
			h := &r.e[i]
			ok(h.id, h.class, h.mode, h.wing, h.freqs, h.lo, h.hi, h.last)
		}
	}
	return best
}

// close removes open incident i, keeping phone incidents for linking and
// forgetting their alerts.
func (f *Fuser) close(i int) {
	inc := f.open[i]
	f.open = slices.Delete(f.open, i, i+1)
	inc.closed = true
	delete(f.ids, inc.inc.ID)
	for _, a := range inc.alerts {
		f.retire(a)
	}
	for _, st := range f.sensors {
		for _, p := range []**incident{&st.offline, &st.lost, &st.tamper, &st.overload} {
			if *p == inc {
				*p = nil
			}
		}
	}
	x := &inc.inc
	if x.Kind != alerting.IncidentPhone || f.cfg.MaxHistory == 0 || linkWing(x) == "" {
		return
	}
	s := spanOf(inc)
	h := histEntry{id: x.ID, class: x.Class, mode: x.Mode, wing: linkWing(x), freqs: slices.Clone(x.FreqsHz), lo: s[0], hi: s[1], last: x.LastSeen}
	r := f.history[h.wing]
	if r == nil {
		r = &histRing{}
		f.history[h.wing] = r
	}
	if len(r.e) < f.cfg.MaxHistory {
		r.e = append(r.e, h)
	} else {
		r.e[r.n%f.cfg.MaxHistory] = h
	}
	r.n++
}

// Advance moves time on: alerts silent for AlertTimeout end, sensors
// whose health is SilentIntervals late go offline, and incidents ended
// CloseAfter ago leave Open. It returns the incidents that changed.
func (f *Fuser) Advance(now time.Time) []alerting.Incident {
	var out []alerting.Incident
	var touched []*incident
	for _, a := range f.alerts {
		if !a.cleared && now.Sub(a.lastEvent) > f.cfg.AlertTimeout {
			a.cleared = true
			f.stats.TimedOut++
			if a.inc != nil && !slices.Contains(touched, a.inc) {
				touched = append(touched, a.inc)
			}
		}
	}
	for _, inc := range touched {
		if inc.inc.Kind == alerting.IncidentOverload {
			f.refreshOverload(inc, now)
		} else {
			f.refresh(inc, now)
		}
		out = append(out, export(inc))
	}
	for _, st := range f.sensors {
		if st.lastHealth.IsZero() || st.offline != nil {
			continue
		}
		iv := st.interval
		if iv == 0 {
			iv = f.cfg.HealthInterval
		}
		if late := now.Sub(st.lastHealth); late > time.Duration(f.cfg.SilentIntervals)*iv {
			inc := f.newSensorInc(st, alerting.IncidentSensorOffline, now,
				fmt.Sprintf("health silent since %s (%d intervals of %v)", st.lastHealth.UTC().Format(time.RFC3339), f.cfg.SilentIntervals, iv))
			st.offline, st.silent = inc, true
			out = append(out, export(inc))
		}
	}
	for i := 0; i < len(f.open); {
		inc := f.open[i]
		if !inc.inc.Active && now.Sub(inc.lastChange) > f.cfg.CloseAfter {
			f.close(i)
			continue
		}
		i++
	}
	sortIncidents(out)
	return out
}

// sortIncidents orders incidents by first seen, then id, so that output
// does not depend on map order.
func sortIncidents(v []alerting.Incident) {
	slices.SortStableFunc(v, func(a, b alerting.Incident) int {
		if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Open returns the incidents still open (active, or ended less than
// CloseAfter ago), by first seen.
func (f *Fuser) Open() []alerting.Incident {
	out := make([]alerting.Incident, 0, len(f.open))
	for _, inc := range f.open {
		out = append(out, export(inc))
	}
	sortIncidents(out)
	return out
}

// export copies an incident for the caller.
func export(inc *incident) alerting.Incident {
	x := inc.inc
	x.FreqsHz = slices.Clone(x.FreqsHz)
	x.Sensors = slices.Clone(x.Sensors)
	x.Wings = slices.Clone(x.Wings)
	if x.Floor != nil {
		fl := *x.Floor
		x.Floor = &fl
	}
	return x
}

// newSensorInc starts a sensor incident.
func (f *Fuser) newSensorInc(st *sensorState, kind string, now time.Time, detail string) *incident {
	inc := &incident{sensorInc: true, lastChange: now}
	inc.inc = alerting.Incident{
		Schema: alerting.SchemaIncident, ID: f.newID(st.site, st.id+"-"+kind, now, ""),
		Site: st.site, Kind: kind, Mode: st.mode, Sensor: st.id, Detail: detail,
		Wing: st.wing, Building: st.build, Method: "sensor", Confidence: 1,
		FirstSeen: now, LastSeen: now, Active: true, Alarm: alerting.AlarmUnacknowledged,
	}
	if st.idx >= 0 {
		if w := f.site.wing(st.wing); w >= 0 {
			fl := f.site.Wings[w].Floor
			inc.inc.Floor = &fl
		}
	}
	f.add(inc)
	return inc
}

// end marks a sensor incident as no longer active.
func end(inc *incident, now time.Time, why string) {
	inc.inc.Active = false
	inc.inc.LastSeen = now
	inc.inc.Alarm = alerting.AlarmClearedUnacknowledged
	if why != "" {
		inc.inc.Detail += "; " + why
	}
	inc.lastChange = now
}

// Status takes a sensor's online/offline status. Offline (its last will,
// or a shutdown) opens a sensor-offline incident; online ends it.
func (f *Fuser) Status(s *alerting.Status, now time.Time) []alerting.Incident {
	if s == nil || !f.mine(&s.Origin) {
		return nil
	}
	st := f.sensor(&s.Origin)
	if st == nil {
		return nil
	}
	f.stats.Statuses++
	switch s.State {
	case "offline":
		if st.offline != nil {
			return nil
		}
		detail := "offline"
		if s.Reason != "" {
			detail = "offline: " + s.Reason
		}
		st.offline, st.silent = f.newSensorInc(st, alerting.IncidentSensorOffline, now, detail), false
		return []alerting.Incident{export(st.offline)}
	case "online":
		if st.offline == nil {
			return nil
		}
		inc := st.offline
		end(inc, now, "back online")
		st.offline = nil
		return []alerting.Incident{export(inc)}
	}
	f.stats.Invalid++
	return nil
}

// Health takes a sensor's periodic health: it learns the health period,
// ends a silence, and opens or ends the sensor's source-lost incident (the
// sensor blind, or a source lost) and tamper incident (an event starting
// with "tamper").
func (f *Fuser) Health(h *alerting.Health, now time.Time) []alerting.Incident {
	if h == nil || !f.mine(&h.Origin) {
		return nil
	}
	st := f.sensor(&h.Origin)
	if st == nil {
		return nil
	}
	f.stats.Healths++
	if h.Mode != "" {
		st.mode = h.Mode
	}
	// A gap that ends a silence or an offline spell is not a period (nor
	// one that long, should Advance not have been called during it).
	if !st.lastHealth.IsZero() && st.offline == nil {
		if gap := now.Sub(st.lastHealth); gap > 0 && (st.interval == 0 || gap <= time.Duration(f.cfg.SilentIntervals)*st.interval) {
			// The period is the longest of the last gaps: a sensor sends
			// extra health when a source is lost or back, and a burst of
			// those must not make its regular period look like a silence.
			st.gaps[st.ngaps%len(st.gaps)] = gap
			st.ngaps++
			st.interval = slices.Max(st.gaps[:min(st.ngaps, len(st.gaps))])
		}
	}
	st.lastHealth = now
	var out []alerting.Incident
	if st.offline != nil {
		// A health message means the sensor is back, whatever took it.
		inc := st.offline
		end(inc, now, "health again")
		st.offline = nil
		out = append(out, export(inc))
	}
	var lost []string
	for _, s := range h.Sources {
		if s.State == "lost" {
			d := s.Name + " lost"
			if s.Error != "" {
				d += ": " + s.Error
			}
			lost = append(lost, d)
		}
	}
	if h.State == "blind" && len(lost) == 0 {
		lost = append(lost, "sensor blind")
	}
	switch {
	case len(lost) > 0 && st.lost == nil:
		st.lost = f.newSensorInc(st, alerting.IncidentSourceLost, now, strings.Join(lost, "; "))
		out = append(out, export(st.lost))
	case len(lost) > 0:
		if d := strings.Join(lost, "; "); d != st.lost.inc.Detail {
			st.lost.inc.Detail = d
			st.lost.inc.LastSeen = now
			st.lost.lastChange = now
			out = append(out, export(st.lost))
		}
	case st.lost != nil:
		inc := st.lost
		end(inc, now, "sources back")
		st.lost = nil
		out = append(out, export(inc))
	}
	var tamper string
	for _, e := range h.Events {
		if strings.HasPrefix(strings.ToLower(e), "tamper") {
			tamper = e
			break
		}
	}
	switch {
	case tamper != "" && st.tamper == nil:
		st.tamper = f.newSensorInc(st, alerting.IncidentTamper, now, tamper)
		out = append(out, export(st.tamper))
	case tamper == "" && st.tamper != nil:
		inc := st.tamper
		end(inc, now, "")
		st.tamper = nil
		out = append(out, export(inc))
	}
	return out
}

// overload takes an alert of class overload: the sensor's overload
// incident (one at a time per sensor) opens or follows it.
func (f *Fuser) overload(sn *sensorState, a *alertState, now time.Time) []alerting.Incident {
	if a.inc == nil {
		inc := sn.overload
		if inc == nil {
			inc = f.newSensorInc(sn, alerting.IncidentOverload, now, "receiver overloaded: jammer or a radio keyed at the antenna suspected")
			inc.sensorInc = false // it has alerts
			inc.inc.Class = "overload"
			inc.inc.FirstSeen = a.a.FirstSeen
			sn.overload = inc
		}
		f.attach(inc, a)
	}
	f.refreshOverload(a.inc, now)
	return []alerting.Incident{export(a.inc)}
}

// refreshOverload recomputes an overload incident from its alerts; it ends
// with its last alert.
func (f *Fuser) refreshOverload(inc *incident, now time.Time) {
	f.refresh(inc, now)
	if !inc.inc.Active {
		if st := f.sensors[inc.inc.Sensor]; st != nil && st.overload == inc {
			st.overload = nil
		}
	}
}
