package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// pageData is what every page template gets.
type pageData struct {
	Title string
	Page  string // nav entry to mark current
	Site  string
	User  string
	Role  string
	CSRF  string
	Tech  bool // may see the technician's pages
	Admin bool
	Data  any
}

func (s *Server) pageData(ss *session, title, page string, data any) pageData {
	p := pageData{Title: title, Page: page, Site: s.cfg.Site, Data: data}
	if ss != nil {
		p.User, p.Role, p.CSRF = ss.user, ss.role, ss.csrf
		p.Tech = roleRank(ss.role) >= roleRank(RoleTechnician)
		p.Admin = roleRank(ss.role) >= roleRank(RoleAdmin)
	}
	return p
}

// render executes a template into a buffer first, so that a template error
// becomes a clean 500 and not half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error("page not rendered", "template", name, "err", err)
		http.Error(w, "internal error: page not rendered; the console's log has the detail", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// templateFuncs are the formatting helpers of the templates; times are
// shown in loc.
func templateFuncs(loc *time.Location, now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"alarmText":   alarmText,
		"statusText":  statusText,
		"kindText":    kindText,
		"mhz":         mhz,
		"percent":     percent,
		"upper":       strings.ToUpper,
		"join":        strings.Join,
		"needsAck":    needsAck,
		"resolutions": func() []string { return resolutions },
		"resolutionText": func(r string) string {
			switch r {
			case alerting.ResolutionFoundPhone:
				return "Found a phone"
			case alerting.ResolutionFalseAlarm:
				return "False alarm"
			case alerting.ResolutionUnknown:
				return "Unknown"
			}
			return r
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			t = t.In(loc)
			n := now().In(loc)
			if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
				return t.Format("15:04:05")
			}
			return t.Format("2006-01-02 15:04")
		},
		"full": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04:05 MST")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago": func(t time.Time) string { return ago(now().Sub(t)) },
		"level": func(l alerting.Level, unit string) string {
			if !l.Known() {
				return "—"
			}
			return strings.Replace(fmt.Sprintf("%.1f %s", float64(l), unit), "-", "−", 1)
		},
		"future": func(t time.Time) bool { return t.After(now()) },
		"add":    func(a, b int) int { return a + b },
		"act": func(inc *incidentView, csrf, ret string) actionData {
			return actionData{Inc: inc, CSRF: csrf, Return: ret}
		},
	}
}

// actionData is what the "actions" and "incident-item" templates get.
type actionData struct {
	Inc    *incidentView
	CSRF   string
	Return string // where a plain form sends the browser back to
}

// span says a duration in words: "10 min", "2 h", "90 s".
func span(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// ago says how long ago in words a glance can read.
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// panelView is the live view's changing part: the plan and the list.
type panelView struct {
	Plans     []planView
	Incidents []*incidentView
	NeedAck   int
	Undrawn   outsideSummary
	Gaps      []coverageGap
	Updated   time.Time
}

// maxLive bounds the open incidents the live view lists.
const maxLive = 500

func (s *Server) buildPanel(ctx context.Context) (panelView, error) {
	list, err := s.st.Incidents(ctx, Filter{Site: s.cfg.Site, OpenOnly: true, Limit: maxLive})
	if err != nil {
		return panelView{}, fmt.Errorf("open incidents: %w", err)
	}
	states, err := s.st.Sensors(ctx, s.cfg.Site)
	if err != nil {
		return panelView{}, fmt.Errorf("sensor states: %w", err)
	}
	m := sensorMap(states)
	now := s.cfg.Now()
	p := panelView{Updated: now, Gaps: s.coverageGaps()}
	for _, inc := range list {
		v := s.viewIncident(inc, m)
		if !v.Open {
			continue
		}
		p.Incidents = append(p.Incidents, v)
		if needsAck(v.Alarm) {
			p.NeedAck++
		}
	}
	sortForLive(p.Incidents)
	p.Plans = s.plans(p.Incidents, m, now)
	p.Undrawn = summarizeUndrawn(p.Incidents)
	return p, nil
}

func (s *Server) livePage(w http.ResponseWriter, r *http.Request, ss session) error {
	p, err := s.buildPanel(r.Context())
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "live", s.pageData(&ss, "Live", "live", p))
	return nil
}

// livePanel answers the live view's changing part alone; the page's script
// swaps it in after each event.
func (s *Server) livePanel(w http.ResponseWriter, r *http.Request, ss session) error {
	p, err := s.buildPanel(r.Context())
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "panel", s.pageData(&ss, "", "", p))
	return nil
}

// detailView is the incident page.
type detailView struct {
	Inc     *incidentView
	Alerts  []alerting.Alert
	Chain   []*incidentView // earlier incidents it is linked to, newest first
	Related []*incidentView // other incidents in the same wing
}

// maxChain bounds how far the linked history is followed.
const maxChain = 20

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, ss session) error {
	ctx := r.Context()
	id := r.PathValue("id")
	inc, err := s.st.Incident(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return errorf(http.StatusNotFound, "There is no incident %q.", id)
	} else if err != nil {
		return fmt.Errorf("incident %s: %w", id, err)
	}
	alerts, err := s.st.Alerts(ctx, id)
	if err != nil {
		return fmt.Errorf("alerts of incident %s: %w", id, err)
	}
	states, err := s.st.Sensors(ctx, s.cfg.Site)
	if err != nil {
		return fmt.Errorf("sensor states: %w", err)
	}
	m := sensorMap(states)
	d := detailView{Inc: s.viewIncident(inc, m), Alerts: alerts}
	seen := map[string]bool{inc.ID: true}
	// A merged incident's LinkedTo is the incident it was merged into,
	// shown as such, not an earlier one it came back after.
	next := inc.LinkedTo
	if d.Inc.MergedInto != "" {
		next = ""
	}
	for next != "" && !seen[next] && len(d.Chain) < maxChain {
		seen[next] = true
		prev, err := s.st.Incident(ctx, next)
		if err != nil {
			break // the linked incident may have aged out of retention
		}
		d.Chain = append(d.Chain, s.viewIncident(prev, m))
		next = prev.LinkedTo
	}
	if inc.Wing != "" {
		related, err := s.st.Incidents(ctx, Filter{Site: s.cfg.Site, Wing: inc.Wing, Kind: inc.Kind, Limit: 20})
		if err != nil {
			return fmt.Errorf("incidents of wing %s: %w", inc.Wing, err)
		}
		for _, o := range related {
			if !seen[o.ID] {
				d.Related = append(d.Related, s.viewIncident(o, m))
			}
		}
	}
	s.render(w, http.StatusOK, "incident", s.pageData(&ss, "Incident "+inc.ID, "", d))
	return nil
}

// historyView is the history page.
type historyView struct {
	Q       url.Values
	Error   string
	Rows    []*incidentView
	Wings   []string
	Kinds   []string
	Classes []string
	Alarms  []string
	Modes   []string
	Export  template.URL // the CSV export of the same filters
	Prev    template.URL
	Next    template.URL
	From    int // 1-based number of the first row
}

// historyPageSize is the default page of the history list.
const historyPageSize = 50

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request, ss session) error {
	q := r.URL.Query()
	v := historyView{Q: q, Kinds: kinds, Classes: classes, Alarms: alarms, Modes: modes}
	for _, wg := range s.cfg.Plan.Wings {
		v.Wings = append(v.Wings, wg.Name)
	}
	f, err := parseFilter(q, s.cfg.Location, 1000)
	if err != nil {
		v.Error = err.Error()
		s.render(w, http.StatusBadRequest, "history", s.pageData(&ss, "History", "history", v))
		return nil
	}
	if f.Site == "" {
		f.Site = s.cfg.Site
	}
	if f.Limit == 0 {
		f.Limit = historyPageSize
	}
	list, err := s.st.Incidents(r.Context(), f)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	states, err := s.st.Sensors(r.Context(), s.cfg.Site)
	if err != nil {
		return fmt.Errorf("sensor states: %w", err)
	}
	m := sensorMap(states)
	for _, inc := range list {
		v.Rows = append(v.Rows, s.viewIncident(inc, m))
	}
	v.From = f.Offset + 1
	export := url.Values{}
	for k, vs := range q {
		if k != "limit" && k != "offset" && len(vs) == 1 && vs[0] != "" {
			export.Set(k, vs[0])
		}
	}
	// url.Values.Encode escapes every value: the links are safe as URLs.
	v.Export = template.URL("/api/export.csv?" + export.Encode())
	page := func(off int) template.URL {
		p := url.Values{}
		for k, vs := range export {
			p[k] = vs
		}
		p.Set("offset", strconv.Itoa(off))
		p.Set("limit", strconv.Itoa(f.Limit))
		return template.URL("/history?" + p.Encode())
	}
	if f.Offset > 0 {
		v.Prev = page(max(f.Offset-f.Limit, 0))
	}
	if len(list) == f.Limit {
		v.Next = page(f.Offset + f.Limit)
	}
	s.render(w, http.StatusOK, "history", s.pageData(&ss, "History", "history", v))
	return nil
}

// sensorView is one sensor as the technician's pages show it.
type sensorView struct {
	ID       string
	Wing     string
	InPlan   bool
	Plan     SensorPlan
	Known    bool
	State    SensorState
	Status   string
	Shelved  bool
	Health   *alerting.Health
	Drops    string // dropped samples as a share of all, since start
	Temp     string
	Floors   []bandFloor
	Problems []string // sources not streaming, recent events
}

type bandFloor struct {
	Band     string
	CenterHz float64
	Floor    alerting.Level
}

func (s *Server) sensorViews(ctx context.Context) ([]sensorView, error) {
	states, err := s.st.Sensors(ctx, s.cfg.Site)
	if err != nil {
		return nil, fmt.Errorf("sensor states: %w", err)
	}
	m := sensorMap(states)
	now := s.cfg.Now()
	var out []sensorView
	for _, sp := range s.cfg.Plan.Sensors {
		st, ok := m[sp.ID]
		out = append(out, makeSensorView(sp, true, st, ok, now))
	}
	// Sensors that report but are not on the plan still need a technician.
	var extra []string
	for id := range m {
		if _, ok := s.sensors[id]; !ok {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	for _, id := range extra {
		st := m[id]
		out = append(out, makeSensorView(SensorPlan{ID: id, Wing: st.Wing}, false, st, true, now))
	}
	return out, nil
}

func makeSensorView(sp SensorPlan, inPlan bool, st SensorState, known bool, now time.Time) sensorView {
	v := sensorView{ID: sp.ID, Wing: sp.Wing, InPlan: inPlan, Plan: sp, Known: known, State: st,
		Status: sensorStatus(st, known, now), Shelved: st.ShelvedUntil.After(now), Health: st.Health}
	if v.Wing == "" {
		v.Wing = st.Wing
	}
	h := st.Health
	if h == nil {
		return v
	}
	var samples, dropped int64
	for _, src := range h.Sources {
		samples += src.Samples
		dropped += src.Dropped
		if src.State != "streaming" {
			p := src.Name + ": " + src.State
			if src.Error != "" {
				p += " (" + src.Error + ")"
			}
			v.Problems = append(v.Problems, p)
		}
	}
	if total := samples + dropped; total > 0 {
		v.Drops = fmt.Sprintf("%.3f %% (%d samples)", 100*float64(dropped)/float64(total), dropped)
	}
	if h.TempC != nil && !math.IsNaN(*h.TempC) {
		v.Temp = fmt.Sprintf("%.1f °C", *h.TempC)
	}
	for _, b := range h.Bands {
		v.Floors = append(v.Floors, bandFloor{Band: b.Band, CenterHz: b.CenterHz, Floor: b.FloorDBFS})
	}
	v.Problems = append(v.Problems, h.Events...)
	return v
}

// shelveChoices are the shelving times the sensors page offers; ISA-18.2
// wants shelving to end by itself.
var shelveChoices = []struct{ Value, Text string }{
	{"15m", "15 minutes"}, {"1h", "1 hour"}, {"4h", "4 hours"}, {"12h", "12 hours"}, {"24h", "24 hours"},
}

type sensorsPageView struct {
	Sensors []sensorView
	Choices any
	Gaps    []coverageGap
}

func (s *Server) sensorsPage(w http.ResponseWriter, r *http.Request, ss session) error {
	list, err := s.sensorViews(r.Context())
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "sensors", s.pageData(&ss, "Sensors", "sensors", sensorsPageView{Sensors: list, Choices: shelveChoices, Gaps: s.coverageGaps()}))
	return nil
}

type sensorPageView struct {
	Sensor    sensorView
	Choices   any
	Bursts    []burstRow
	Total     int
	Window    string
	Incidents []*incidentView
}

type burstRow struct {
	Time     time.Time
	DurMS    string
	Freq     string
	BWkHz    string
	PowerDBF alerting.Level
}

// recentBursts is how many bursts the sensor page lists under the waterfall.
const recentBursts = 30

func (s *Server) sensorPage(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	list, err := s.sensorViews(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(v sensorView) bool { return v.ID == id })
	if i < 0 {
		return errorf(http.StatusNotFound, "There is no sensor %q on this site.", id)
	}
	now := s.cfg.Now()
	bursts := s.bursts.since(nil, id, now.Add(-s.cfg.BurstWindow))
	slices.SortStableFunc(bursts, func(a, b burstRec) int { return a.t.Compare(b.t) })
	v := sensorPageView{Sensor: list[i], Choices: shelveChoices, Total: len(bursts), Window: span(s.cfg.BurstWindow)}
	for j := len(bursts) - 1; j >= 0 && len(v.Bursts) < recentBursts; j-- {
		b := bursts[j]
		v.Bursts = append(v.Bursts, burstRow{Time: b.t, DurMS: fmt.Sprintf("%.2f", b.durS*1000), Freq: mhz(b.freqHz),
			BWkHz: fmt.Sprintf("%.0f", b.bwHz/1000), PowerDBF: alerting.Level(b.dbfs)})
	}
	incs, err := s.st.Incidents(r.Context(), Filter{Site: s.cfg.Site, Sensor: id, Limit: 20})
	if err != nil {
		return fmt.Errorf("incidents of sensor %s: %w", id, err)
	}
	states, _ := s.st.Sensors(r.Context(), s.cfg.Site)
	m := sensorMap(states)
	for _, inc := range incs {
		v.Incidents = append(v.Incidents, s.viewIncident(inc, m))
	}
	s.render(w, http.StatusOK, "sensor", s.pageData(&ss, "Sensor "+id, "sensors", v))
	return nil
}

type usersView struct {
	Users    []User
	Sessions []sessionInfo
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, ss session) error {
	users := slices.Clone(s.cfg.Users)
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	for i := range users {
		users[i].PasswordHash = "" // never on a page
	}
	s.render(w, http.StatusOK, "users", s.pageData(&ss, "Users", "users", usersView{Users: users, Sessions: s.sessions.list()}))
	return nil
}

type auditView struct {
	Entries []AuditEntry
	Since   string
	Limit   int
	Error   string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, ss session) error {
	since, limit, err := s.auditQuery(r.URL.Query())
	v := auditView{Since: r.URL.Query().Get("since"), Limit: limit}
	if err != nil {
		v.Error = err.Error()
		s.render(w, http.StatusBadRequest, "audit", s.pageData(&ss, "Audit log", "audit", v))
		return nil
	}
	v.Entries, err = s.st.AuditLog(r.Context(), since, limit)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	s.render(w, http.StatusOK, "audit", s.pageData(&ss, "Audit log", "audit", v))
	return nil
}

// auditQuery reads since (default a week ago) and limit (default 200,
// at most 5000) of the audit views.
func (s *Server) auditQuery(q url.Values) (time.Time, int, error) {
	since := s.cfg.Now().Add(-7 * 24 * time.Hour)
	limit := 200
	for _, k := range slices.Sorted(maps.Keys(q)) { // the same first error every time
		vs := q[k]
		if k != "since" && k != "limit" && k != "t" {
			return since, limit, fmt.Errorf("unknown query parameter %q (known: since, limit)", clip(k))
		}
		if len(vs) != 1 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		var err error
		switch k {
		case "since":
			since, err = parseWhen(strings.TrimSpace(vs[0]), s.cfg.Location, false)
		case "limit":
			limit, err = parseCount(strings.TrimSpace(vs[0]), 1, 5000)
		}
		if err != nil {
			return since, limit, fmt.Errorf("query parameter %q: %w", k, err)
		}
	}
	return since, limit, nil
}

func (s *Server) planImage(w http.ResponseWriter, r *http.Request, ss session) error {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 || i >= len(s.images) || s.images[i].data == nil {
		return errorf(http.StatusNotFound, "no such floor-plan image")
	}
	w.Header().Set("Content-Type", s.images[i].ctype)
	_, _ = w.Write(s.images[i].data)
	return nil
}
