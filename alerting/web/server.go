package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

//go:embed assets templates
var content embed.FS

// Server is the console's web UI and JSON API. Create it with New; its
// methods are safe for concurrent use.
type Server struct {
	cfg      Config
	st       Store
	log      *slog.Logger
	users    map[string]User
	sensors  map[string]SensorPlan // by id
	wings    map[string]Wing       // by name
	images   []planImage           // floor-plan images, by wing index
	tmpl     *template.Template
	sessions *sessions
	limiter  *limiter
	hub      *hub
	bursts   *burstLog
	handler  http.Handler

	changes  chan change   // IncidentChanged/SensorChanged → the events goroutine
	overflow atomic.Bool   // a change was dropped: tell the browsers to reload
	done     chan struct{} // closed by Close
	closeMu  sync.Once
	wg       sync.WaitGroup
}

// planImage is a floor-plan image read at New.
type planImage struct {
	data  []byte
	ctype string
}

// change is one notification from the console.
type change struct {
	inc    *alerting.Incident // an incident changed, or
	sensor string             // a sensor changed
}

// New checks cfg and returns a server on st. It reads the floor-plan
// images now, so that a missing file is a start-up error.
func New(cfg Config, st Store) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("web: no store")
	}
	tmpl, err := template.New("").Funcs(templateFuncs(cfg.Location, cfg.Now)).ParseFS(content, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		st:       st,
		log:      cfg.Log.With("stage", "web"),
		users:    map[string]User{},
		sensors:  map[string]SensorPlan{},
		wings:    map[string]Wing{},
		images:   make([]planImage, len(cfg.Plan.Wings)),
		tmpl:     tmpl,
		sessions: newSessions(cfg.SessionTTL, cfg.Now),
		limiter:  newLimiter(cfg.LoginFailures, cfg.LoginWindow),
		hub:      newHub(),
		bursts:   newBurstLog(cfg.BurstsPerSensor),
		changes:  make(chan change, 1024),
		done:     make(chan struct{}),
	}
	for _, u := range cfg.Users {
		s.users[u.Name] = u
	}
	s.sessions.log = s.log
	if b, ok := st.(SessionStore); ok {
		s.sessions.backend = b
		s.sessions.role = func(name string) (string, bool) {
			u, ok := s.users[name]
			return u.Role, ok
		}
	}
	for _, sp := range cfg.Plan.Sensors {
		s.sensors[sp.ID] = sp
	}
	for i, w := range cfg.Plan.Wings {
		s.wings[w.Name] = w
		if w.Image == "" {
			continue
		}
		data, err := os.ReadFile(w.Image)
		if err != nil {
			return nil, fmt.Errorf("web: plan.wings[%d].image: %w", i, err)
		}
		ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(w.Image)))
		if !strings.HasPrefix(ctype, "image/") {
			ctype = http.DetectContentType(data)
		}
		if !strings.HasPrefix(ctype, "image/") {
			return nil, fmt.Errorf("web: plan.wings[%d].image: %s is %s, not an image", i, w.Image, ctype)
		}
		s.images[i] = planImage{data: data, ctype: ctype}
	}
	s.handler = s.routes()
	s.wg.Add(1)
	go s.events()
	return s, nil
}

// Handler returns the HTTP handler of the UI and the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Close ends the live-update streams and the server's goroutine. The
// handler keeps answering other requests.
func (s *Server) Close() error {
	s.closeMu.Do(func() {
		close(s.done)
		s.hub.close()
	})
	s.wg.Wait()
	return nil
}

// IncidentChanged tells the open pages that inc (as the store returned it,
// with its alarm state) is new or changed. It never blocks: when the
// browsers cannot keep up they are told to reload.
func (s *Server) IncidentChanged(inc alerting.Incident) {
	if inc.Site != "" && inc.Site != s.cfg.Site {
		return // another site's: not on these pages
	}
	s.notify(change{inc: &inc})
}

// SensorChanged tells the open pages that a sensor's state changed
// (online, health, shelved, out of service). It never blocks.
func (s *Server) SensorChanged(id string) {
	s.notify(change{sensor: id})
}

func (s *Server) notify(c change) {
	select {
	case <-s.done:
	case s.changes <- c:
	default:
		s.overflow.Store(true)
		select { // wake the goroutine if it sleeps on an empty channel
		case s.changes <- change{}:
		default:
		}
	}
}

// Burst keeps b for the technician's waterfall of its sensor. Bursts of
// another site, or of a sensor not on the plan (when the plan lists
// sensors), are ignored. It does not allocate once the sensor has a ring.
func (s *Server) Burst(b *alerting.Burst) {
	if b == nil || b.Sensor == "" || (b.Site != "" && b.Site != s.cfg.Site) {
		return
	}
	if len(s.sensors) > 0 {
		if _, ok := s.sensors[b.Sensor]; !ok {
			return
		}
	}
	s.bursts.add(b)
}

// events turns changes into server-sent events for every open page.
func (s *Server) events() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case c := <-s.changes:
			if s.overflow.Swap(false) {
				s.hub.broadcast(sseMessage("refresh", []byte(`{}`)))
			}
			switch {
			case c.inc != nil:
				data, err := json.Marshal(c.inc)
				if err != nil {
					s.log.Warn("incident not sent to the pages", "id", c.inc.ID, "err", err)
					continue
				}
				s.hub.broadcast(sseMessage("incident", data))
			case c.sensor != "":
				data, _ := json.Marshal(map[string]string{"id": c.sensor})
				s.hub.broadcast(sseMessage("sensor", data))
			}
		}
	}
}

func sensorMap(list []SensorState) map[string]SensorState {
	m := make(map[string]SensorState, len(list))
	for _, st := range list {
		m[st.ID] = st
	}
	return m
}

// routes builds the handler: security headers around cross-origin
// protection around the router.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(content, "assets")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	mux.HandleFunc("GET /healthz", s.healthz)

	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginForm)
	mux.Handle("POST /logout", s.page(RoleGuard, s.logout))
	mux.HandleFunc("POST /api/login", s.apiLogin)
	mux.Handle("POST /api/logout", s.api(RoleGuard, s.logout))
	mux.Handle("GET /api/me", s.api(RoleGuard, s.apiMe))

	mux.Handle("GET /{$}", s.page(RoleGuard, s.livePage))
	mux.Handle("GET /live/panel", s.page(RoleGuard, s.livePanel))
	mux.Handle("GET /incidents/{id}", s.page(RoleGuard, s.incidentPage))
	mux.Handle("GET /history", s.page(RoleGuard, s.historyPage))
	mux.Handle("GET /plan/images/{i}", s.page(RoleGuard, s.planImage))
	mux.Handle("GET /sensors", s.page(RoleTechnician, s.sensorsPage))
	mux.Handle("GET /sensors/{id}", s.page(RoleTechnician, s.sensorPage))
	mux.Handle("GET /admin/users", s.page(RoleAdmin, s.usersPage))
	mux.Handle("GET /admin/audit", s.page(RoleAdmin, s.auditPage))

	mux.Handle("GET /api/events", s.api(RoleGuard, s.apiEvents))
	mux.Handle("GET /api/incidents", s.api(RoleGuard, s.apiIncidents))
	mux.Handle("GET /api/incidents/{id}", s.api(RoleGuard, s.apiIncident))
	mux.Handle("POST /api/incidents/{id}/ack", s.api(RoleGuard, s.apiAck))
	mux.Handle("POST /api/incidents/{id}/resolve", s.api(RoleGuard, s.apiResolve))
	mux.Handle("GET /api/export.csv", s.api(RoleGuard, s.apiExport))
	mux.Handle("GET /api/sensors", s.api(RoleTechnician, s.apiSensors))
	mux.Handle("GET /api/sensors/{id}/waterfall.png", s.api(RoleTechnician, s.apiWaterfall))
	mux.Handle("POST /api/sensors/{id}/shelve", s.api(RoleTechnician, s.apiShelve))
	mux.Handle("POST /api/sensors/{id}/unshelve", s.api(RoleTechnician, s.apiUnshelve))
	mux.Handle("POST /api/sensors/{id}/out-of-service", s.api(RoleTechnician, s.apiOutOfService))
	mux.Handle("GET /api/audit", s.api(RoleAdmin, s.apiAudit))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, nil, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusForbidden, "cross-origin request refused: use the console's own pages")
	}))
	return securityHeaders(cop.Handler(mux))
}

// csp allows only the console's own scripts, styles and images: no inline
// script, no CDN, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-cache")
		} else {
			// Pages and API answers hold live state and operators' data.
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.Sensors(ctx, s.cfg.Site); err != nil {
		s.log.Warn("healthz: store unavailable", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "store unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "site": s.cfg.Site})
}
