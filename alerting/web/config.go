package web

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Roles, from least to most trusted. Each role may do everything the roles
// before it may.
const (
	RoleGuard      = "guard"      // sees incidents, acknowledges and resolves them
	RoleTechnician = "technician" // also sensor pages, waterfall, shelve, out of service
	RoleAdmin      = "admin"      // also the users and audit pages
)

// roleRank orders the roles; 0 is no role.
func roleRank(role string) int {
	switch role {
	case RoleGuard:
		return 1
	case RoleTechnician:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Config configures a Server. Zero fields take the defaults named on each
// field.
type Config struct {
	// Site is the site this console serves; incident and sensor queries
	// are limited to it. Required.
	Site string
	// Plan is the site's floor plan: wings and sensors.
	Plan Plan
	// Users who may log in. At least one.
	Users []User
	// SecureCookies marks the session cookie Secure even when the request
	// did not come over TLS (a TLS-terminating proxy in front). A request
	// that came over TLS always gets a Secure cookie.
	SecureCookies bool
	// SessionTTL is the idle expiry of a session (default 1 h, at least
	// 1 min): a session not used for that long is gone. An open live view
	// keeps its session alive (a wall screen must not log itself out).
	SessionTTL time.Duration
	// Log receives the server's log (default: discarded).
	Log *slog.Logger
	// Location is the time zone times are shown in and dates of the
	// history filters are read in (default time.Local).
	Location *time.Location

	// LoginFailures failed logins within LoginWindow for one user name or
	// from one address block further attempts for that name or address
	// until the window has passed (defaults 5 and 15 min).
	LoginFailures int
	LoginWindow   time.Duration

	// BurstWindow is how far back the technician's waterfall reaches and
	// BurstsPerSensor how many bursts it keeps per sensor (defaults
	// 10 min and 4096).
	BurstWindow     time.Duration
	BurstsPerSensor int

	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// User is one operator account; the hash comes from HashPassword.
type User struct {
	Name         string
	Role         string // RoleGuard, RoleTechnician or RoleAdmin
	PasswordHash string // bcrypt
}

// Plan is what the live view draws: wings as polygons, sensors as points,
// in metres in the site's own coordinates (x east, y north).
type Plan struct {
	Wings   []Wing
	Sensors []SensorPlan
}

// Wing is one wing of a building on one floor.
type Wing struct {
	Name     string
	Building string
	Floor    int
	// Polygon is the wing's outline, at least 3 points (x, y) in metres.
	Polygon [][2]float64
	// Image optionally names a floor-plan image file (PNG, JPEG or SVG)
	// drawn under the wing, stretched over the polygon's bounding box.
	Image string
}

// SensorPlan is one sensor on the plan.
type SensorPlan struct {
	ID    string
	Wing  string // the wing it hangs in
	X, Y  float64
	Floor int
	// Bands the sensor listens to, in words ("GSM900 uplink 880–915 MHz").
	Bands []string
	// NotHeard lists the bands it cannot hear and why, so that nobody
	// believes a wing is covered where it is not.
	NotHeard []BandGap
}

// BandGap is a band a sensor cannot hear.
type BandGap struct {
	Band string // "B1 2100 MHz"
	Why  string // "beyond the dongle's 1766 MHz"
}

// HashPassword returns the bcrypt hash of pw for the console's user list.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", errors.New("web: empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("web: hash password: %w", err)
	}
	return string(h), nil
}

// withDefaults validates cfg and fills its zero fields. Every error names
// the field.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if cfg.Site == "" {
		bad("site: required")
	}
	if len(cfg.Users) == 0 {
		bad("users: at least one user is required")
	}
	names := map[string]int{}
	for i, u := range cfg.Users {
		if u.Name == "" {
			bad("users[%d].name: required", i)
		} else if j, dup := names[u.Name]; dup {
			bad("users[%d].name: %q already used by users[%d]", i, u.Name, j)
		} else {
			names[u.Name] = i
		}
		if roleRank(u.Role) == 0 {
			bad("users[%d].role: %q is not %s, %s or %s", i, u.Role, RoleGuard, RoleTechnician, RoleAdmin)
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			bad("users[%d].password_hash: not a bcrypt hash (make one with HashPassword)", i)
		}
	}
	wings := map[string]int{}
	for i, w := range cfg.Plan.Wings {
		if w.Name == "" {
			bad("plan.wings[%d].name: required", i)
		} else if j, dup := wings[w.Name]; dup {
			bad("plan.wings[%d].name: %q already used by plan.wings[%d]", i, w.Name, j)
		} else {
			wings[w.Name] = i
		}
		if len(w.Polygon) < 3 {
			bad("plan.wings[%d].polygon: %d points, need at least 3", i, len(w.Polygon))
		}
		for k, p := range w.Polygon {
			if !finite(p[0]) || !finite(p[1]) {
				bad("plan.wings[%d].polygon[%d]: not a finite point", i, k)
			}
		}
	}
	sensors := map[string]int{}
	for i, s := range cfg.Plan.Sensors {
		if s.ID == "" {
			bad("plan.sensors[%d].id: required", i)
		} else if j, dup := sensors[s.ID]; dup {
			bad("plan.sensors[%d].id: %q already used by plan.sensors[%d]", i, s.ID, j)
		} else {
			sensors[s.ID] = i
		}
		if s.Wing != "" {
			if _, ok := wings[s.Wing]; !ok {
				bad("plan.sensors[%d].wing: %q is not a wing of the plan", i, s.Wing)
			}
		}
		if !finite(s.X) || !finite(s.Y) {
			bad("plan.sensors[%d]: position not finite", i)
		}
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = time.Hour
	} else if cfg.SessionTTL < time.Minute {
		bad("session_ttl: %v is below 1m", cfg.SessionTTL)
	}
	if cfg.LoginFailures == 0 {
		cfg.LoginFailures = 5
	} else if cfg.LoginFailures < 1 {
		bad("login_failures: %d is below 1", cfg.LoginFailures)
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	} else if cfg.LoginWindow < time.Second {
		bad("login_window: %v is below 1s", cfg.LoginWindow)
	}
	if cfg.BurstWindow == 0 {
		cfg.BurstWindow = 10 * time.Minute
	} else if cfg.BurstWindow < time.Second {
		bad("burst_window: %v is below 1s", cfg.BurstWindow)
	}
	if cfg.BurstsPerSensor == 0 {
		cfg.BurstsPerSensor = 4096
	} else if cfg.BurstsPerSensor < 1 || cfg.BurstsPerSensor > 1<<20 {
		bad("bursts_per_sensor: %d is outside 1..1048576", cfg.BurstsPerSensor)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("web: config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
