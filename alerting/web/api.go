package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellsentry/cellsentry/alerting"
)

// Page sizes of GET /api/incidents, and the largest limit an export
// accepts (without one it exports every match).
const (
	apiIncidentsDefault = 100
	apiIncidentsMax     = 1000
	exportMax           = 1000000
)

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request, ss session) error {
	f, err := parseFilter(r.URL.Query(), s.cfg.Location, apiIncidentsMax)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err.Error())
	}
	if f.Site == "" {
		f.Site = s.cfg.Site
	}
	if f.Limit == 0 {
		f.Limit = apiIncidentsDefault
	}
	list, err := s.st.Incidents(r.Context(), f)
	if err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	if list == nil {
		list = []alerting.Incident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": list, "limit": f.Limit, "offset": f.Offset})
	return nil
}

func (s *Server) sensorStates(ctx context.Context) (map[string]SensorState, error) {
	states, err := s.st.Sensors(ctx, s.cfg.Site)
	if err != nil {
		return nil, fmt.Errorf("sensor states: %w", err)
	}
	return sensorMap(states), nil
}

// incident reads one incident; an unknown id is a 404 the user can read.
func (s *Server) incident(ctx context.Context, id string) (alerting.Incident, error) {
	inc, err := s.st.Incident(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return inc, errorf(http.StatusNotFound, "no incident %q", clip(id))
	} else if err != nil {
		return inc, fmt.Errorf("incident %s: %w", id, err)
	}
	return inc, nil
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	inc, err := s.incident(r.Context(), id)
	if err != nil {
		return err
	}
	alerts, err := s.st.Alerts(r.Context(), id)
	if err != nil {
		return fmt.Errorf("alerts of incident %s: %w", id, err)
	}
	if alerts == nil {
		alerts = []alerting.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": inc, "alerts": alerts})
	return nil
}

// actionBody is the body of the action endpoints, as JSON or as a form.
type actionBody struct {
	Note       string `json:"note"`
	Resolution string `json:"resolution"`
	Duration   string `json:"duration"` // shelve: "2h", "30m"
	Until      string `json:"until"`    // shelve: RFC 3339, instead of duration
	On         *bool  `json:"on"`       // out of service: true to take out, false to return
}

// maxNote bounds an operator's note, in characters.
const maxNote = 2000

// readAction reads an action body: JSON (Content-Type application/json),
// a form, or nothing.
func readAction(r *http.Request) (actionBody, error) {
	var b actionBody
	switch {
	case isJSON(r):
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return b, errorf(http.StatusBadRequest, "request body: %v", err)
		}
	case isForm(r):
		if err := r.ParseForm(); err != nil {
			return b, errorf(http.StatusBadRequest, "request form: %v", err)
		}
		f := r.PostForm
		b.Note, b.Resolution, b.Duration, b.Until = f.Get("note"), f.Get("resolution"), f.Get("duration"), f.Get("until")
		if v := f.Get("on"); v != "" {
			on, err := parseBool(v)
			if err != nil {
				return b, errorf(http.StatusBadRequest, "form field \"on\": %v", err)
			}
			b.On = &on
		}
	case r.ContentLength > 0:
		return b, errorf(http.StatusUnsupportedMediaType, "send the body as application/json or as a form")
	}
	b.Note = strings.TrimSpace(b.Note)
	if n := utf8.RuneCountInString(b.Note); n > maxNote {
		return b, errorf(http.StatusBadRequest, "note: %d characters, at most %d", n, maxNote)
	}
	if !utf8.ValidString(b.Note) {
		return b, errorf(http.StatusBadRequest, "note: not valid UTF-8")
	}
	return b, nil
}

// storeErr turns a store error of an action into what the operator can
// act on: the store's own words for a missing thing, a conflict or an
// invalid argument, a 500 for anything else.
func storeErr(action string, err error) error {
	var status int
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrInvalid):
		status = http.StatusBadRequest
	default:
		return fmt.Errorf("%s: %w", action, err)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "store: ")
	for _, sentinel := range []error{ErrNotFound, ErrConflict, ErrInvalid} {
		msg = strings.TrimSuffix(msg, ": "+sentinel.Error())
	}
	return &httpError{status: status, msg: msg, err: err}
}

func (s *Server) apiAck(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	b, err := readAction(r)
	if err != nil {
		return err
	}
	inc, err := s.st.Ack(withRemote(r), id, ss.user, b.Note)
	if err != nil {
		return storeErr("acknowledge", err)
	}
	s.IncidentChanged(inc)
	s.answer(w, r, map[string]any{"incident": inc})
	return nil
}

func (s *Server) apiResolve(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	b, err := readAction(r)
	if err != nil {
		return err
	}
	if !slices.Contains(resolutions, b.Resolution) {
		return errorf(http.StatusBadRequest, "resolution: %q is not one of %s", clip(b.Resolution), strings.Join(resolutions, ", "))
	}
	inc, err := s.st.Resolve(withRemote(r), id, ss.user, b.Resolution, b.Note)
	if err != nil {
		return storeErr("resolve", err)
	}
	s.IncidentChanged(inc)
	s.answer(w, r, map[string]any{"incident": inc})
	return nil
}

// knownSensor checks a sensor id against the plan (or the store when the
// plan lists none).
func (s *Server) knownSensor(ctx context.Context, id string) error {
	if _, ok := s.sensors[id]; ok {
		return nil
	}
	m, err := s.sensorStates(ctx)
	if err != nil {
		return err
	}
	if _, ok := m[id]; ok {
		return nil
	}
	return errorf(http.StatusNotFound, "no sensor %q on this site", clip(id))
}

// Shelving must end by itself (ISA-18.2): between a minute and a week.
const (
	minShelve = time.Minute
	maxShelve = 7 * 24 * time.Hour
)

func (s *Server) apiShelve(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	b, err := readAction(r)
	if err != nil {
		return err
	}
	if err := s.knownSensor(r.Context(), id); err != nil {
		return err
	}
	now := s.cfg.Now()
	var until time.Time
	switch {
	case b.Duration != "" && b.Until != "":
		return errorf(http.StatusBadRequest, "give duration or until, not both")
	case b.Duration != "":
		d, err := time.ParseDuration(b.Duration)
		if err != nil {
			return errorf(http.StatusBadRequest, "duration: %q is not a duration like 30m or 4h", clip(b.Duration))
		}
		until = now.Add(d)
	case b.Until != "":
		until, err = time.Parse(time.RFC3339, b.Until)
		if err != nil {
			return errorf(http.StatusBadRequest, "until: %q is not an RFC 3339 time", clip(b.Until))
		}
	default:
		return errorf(http.StatusBadRequest, "duration: required (how long to shelve, like 4h)")
	}
	if d := until.Sub(now); d < minShelve || d > maxShelve {
		return errorf(http.StatusBadRequest, "shelving must last between %v and %v, not %v", minShelve, maxShelve, d.Round(time.Second))
	}
	if b.Note == "" {
		return errorf(http.StatusBadRequest, "note: required (why shelve it, for the next shift)")
	}
	if err := s.st.Shelve(withRemote(r), s.sensorRef(id), ss.user, until, b.Note); err != nil {
		return storeErr("shelve", err)
	}
	s.SensorChanged(id)
	s.answer(w, r, map[string]any{"sensor": id, "shelved_until": until})
	return nil
}

func (s *Server) apiUnshelve(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	b, err := readAction(r)
	if err != nil {
		return err
	}
	if err := s.knownSensor(r.Context(), id); err != nil {
		return err
	}
	if err := s.st.Unshelve(withRemote(r), s.sensorRef(id), ss.user, b.Note); err != nil {
		return storeErr("unshelve", err)
	}
	s.SensorChanged(id)
	s.answer(w, r, map[string]any{"sensor": id, "shelved": false})
	return nil
}

func (s *Server) apiOutOfService(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	b, err := readAction(r)
	if err != nil {
		return err
	}
	if err := s.knownSensor(r.Context(), id); err != nil {
		return err
	}
	if b.On == nil {
		return errorf(http.StatusBadRequest, "on: required (true takes the sensor out of service, false returns it)")
	}
	if *b.On && b.Note == "" {
		return errorf(http.StatusBadRequest, "note: required (why it is out of service, for the next shift)")
	}
	if err := s.st.SetOutOfService(withRemote(r), s.sensorRef(id), ss.user, *b.On, b.Note); err != nil {
		return storeErr("out of service", err)
	}
	s.SensorChanged(id)
	s.answer(w, r, map[string]any{"sensor": id, "out_of_service": *b.On})
	return nil
}

// sensorRef names a sensor of this site for the store, unambiguous when
// the database holds several sites.
func (s *Server) sensorRef(id string) string { return s.cfg.Site + "/" + id }

// sensorJSON is one sensor in GET /api/sensors: its place on the plan and
// its state.
type sensorJSON struct {
	ID           string           `json:"id"`
	Wing         string           `json:"wing,omitempty"`
	InPlan       bool             `json:"in_plan"`
	X            float64          `json:"x_m"`
	Y            float64          `json:"y_m"`
	Floor        int              `json:"floor"`
	Bands        []string         `json:"bands,omitempty"`
	NotHeard     []bandGapJSON    `json:"not_heard,omitempty"`
	Status       string           `json:"status"` // ok, degraded, blind, offline, shelved, out-of-service, never-seen
	Online       bool             `json:"online"`
	LastSeen     time.Time        `json:"last_seen,omitzero"`
	Reason       string           `json:"reason,omitempty"` // why it went offline
	ShelvedUntil time.Time        `json:"shelved_until,omitzero"`
	ShelvedBy    string           `json:"shelved_by,omitempty"`
	OutOfService bool             `json:"out_of_service"`
	OOSBy        string           `json:"out_of_service_by,omitempty"`
	Note         string           `json:"note,omitempty"`
	Health       *alerting.Health `json:"health,omitempty"`
}

type bandGapJSON struct {
	Band string `json:"band"`
	Why  string `json:"why"`
}

func (s *Server) apiSensors(w http.ResponseWriter, r *http.Request, ss session) error {
	list, err := s.sensorViews(r.Context())
	if err != nil {
		return err
	}
	out := make([]sensorJSON, 0, len(list))
	for _, v := range list {
		j := sensorJSON{ID: v.ID, Wing: v.Wing, InPlan: v.InPlan, X: v.Plan.X, Y: v.Plan.Y, Floor: v.Plan.Floor,
			Bands: v.Plan.Bands, Status: v.Status, Online: v.State.Online, LastSeen: v.State.LastSeen,
			Reason: v.State.Reason, ShelvedUntil: v.State.ShelvedUntil, ShelvedBy: v.State.ShelvedBy,
			OutOfService: v.State.OutOfService, OOSBy: v.State.OutOfServiceBy, Note: v.State.Note, Health: v.Health}
		for _, g := range v.Plan.NotHeard {
			j.NotHeard = append(j.NotHeard, bandGapJSON(g))
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sensors": out})
	return nil
}

// Waterfall image sizes, in pixels.
const (
	waterfallW, waterfallH = 960, 540
	gridRows, gridCols     = 300, 480
)

// apiWaterfall draws a sensor's recent bursts as a PNG. Optional query:
// from and to (MHz) fix the frequency span; w and h the size in pixels.
func (s *Server) apiWaterfall(w http.ResponseWriter, r *http.Request, ss session) error {
	id := r.PathValue("id")
	if err := s.knownSensor(r.Context(), id); err != nil {
		return err
	}
	q := r.URL.Query()
	width, height := waterfallW, waterfallH
	var fLo, fHi float64
	for _, k := range slices.Sorted(maps.Keys(q)) { // the same first error every time
		v := strings.TrimSpace(q[k][0])
		if v == "" {
			continue
		}
		var err error
		switch k {
		case "from", "to":
			var f float64
			f, err = strconv.ParseFloat(v, 64)
			if err != nil || !finite(f) || f < 0 || f > 100e3 {
				err = fmt.Errorf("%q is not a frequency in MHz", clip(v))
			}
			if k == "from" {
				fLo = f * 1e6
			} else {
				fHi = f * 1e6
			}
		case "w":
			width, err = parseCount(v, 300, 2000)
		case "h":
			height, err = parseCount(v, 200, 1500)
		case "t": // cache buster of the page's refresh
		default:
			err = fmt.Errorf("unknown (known: from, to, w, h)")
		}
		if err != nil {
			return errorf(http.StatusBadRequest, "query parameter %q: %v", clip(k), err)
		}
	}
	if (fLo == 0) != (fHi == 0) || fHi < fLo || (fHi > 0 && fHi == fLo) {
		return errorf(http.StatusBadRequest, "query parameters \"from\" and \"to\": give both, from below to")
	}
	now := s.cfg.Now()
	bursts := s.bursts.since(nil, id, now.Add(-s.cfg.BurstWindow))
	g := buildGrid(bursts, now, s.cfg.BurstWindow, fLo, fHi, gridRows, gridCols)
	title := fmt.Sprintf("%s: %d bursts in the last %s", id, g.count, span(s.cfg.BurstWindow))
	if g.count == 0 {
		title = fmt.Sprintf("%s: no bursts in the last %s", id, span(s.cfg.BurstWindow))
	}
	w.Header().Set("Content-Type", "image/png")
	return renderWaterfall(w, g, title, width, height)
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request, ss session) error {
	f, err := parseFilter(r.URL.Query(), s.cfg.Location, exportMax)
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err.Error())
	}
	if f.Site == "" {
		f.Site = s.cfg.Site
	}
	// Limit 0: the store exports every match.
	s.audit(r.Context(), AuditEntry{User: ss.user, Action: "export", Target: "incidents", Detail: r.URL.RawQuery, Remote: remoteAddr(r)})
	name := fmt.Sprintf("cellsentry-%s-%s.csv", s.cfg.Site, s.cfg.Now().In(s.cfg.Location).Format("20060102-1504"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.Map(safeFileRune, name)+`"`)
	if err := s.st.ExportCSV(r.Context(), w, f); err != nil {
		// Rows may already be out: the status cannot change any more.
		s.log.Error("CSV export broken off", "user", ss.user, "err", err)
	}
	return nil
}

func safeFileRune(r rune) rune {
	if r == '"' || r == '\\' || r == '/' || r < ' ' || r > '~' {
		return '_'
	}
	return r
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, ss session) error {
	since, limit, err := s.auditQuery(r.URL.Query())
	if err != nil {
		return errorf(http.StatusBadRequest, "%s", err.Error())
	}
	list, err := s.st.AuditLog(r.Context(), since, limit)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	type entry struct {
		ID     int64     `json:"id"`
		Time   time.Time `json:"time"`
		User   string    `json:"user"`
		Action string    `json:"action"`
		Target string    `json:"target,omitempty"`
		Detail string    `json:"detail,omitempty"`
		Remote string    `json:"remote,omitempty"`
	}
	out := make([]entry, 0, len(list))
	for _, e := range list {
		out = append(out, entry(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}
