package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestConfigErrors(t *testing.T) {
	good := func() Config { return Config{Site: "s", Users: users(), Plan: testPlan()} }
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no site", func(c *Config) { c.Site = "" }, "web: config: site: required"},
		{"no users", func(c *Config) { c.Users = nil }, "web: config: users: at least one user is required"},
		{"user without a name", func(c *Config) { c.Users[1].Name = "" }, "web: config: users[1].name: required"},
		{"duplicate user", func(c *Config) { c.Users[2].Name = "alice" }, `web: config: users[2].name: "alice" already used by users[0]`},
		{"bad role", func(c *Config) { c.Users[0].Role = "boss" }, `web: config: users[0].role: "boss" is not guard, technician or admin`},
		{"plain password", func(c *Config) { c.Users[0].PasswordHash = "alice-pw" },
			"web: config: users[0].password_hash: not a bcrypt hash (make one with HashPassword)"},
		{"duplicate wing, and its sensor's wing is gone", func(c *Config) { c.Plan.Wings[1].Name = "A" },
			"web: config: plan.wings[1].name: \"A\" already used by plan.wings[0]\nplan.sensors[1].wing: \"B\" is not a wing of the plan"},
		{"two-point wing", func(c *Config) { c.Plan.Wings[0].Polygon = c.Plan.Wings[0].Polygon[:2] },
			"web: config: plan.wings[0].polygon: 2 points, need at least 3"},
		{"NaN point", func(c *Config) { c.Plan.Wings[2].Polygon[1][0] = nan() }, "web: config: plan.wings[2].polygon[1]: not a finite point"},
		{"sensor in no wing", func(c *Config) { c.Plan.Sensors[0].Wing = "Z" }, `web: config: plan.sensors[0].wing: "Z" is not a wing of the plan`},
		{"duplicate sensor", func(c *Config) { c.Plan.Sensors[2].ID = "sA" }, `web: config: plan.sensors[2].id: "sA" already used by plan.sensors[0]`},
		{"short session", func(c *Config) { c.SessionTTL = time.Second }, "web: config: session_ttl: 1s is below 1m"},
		{"two errors at once", func(c *Config) { c.Site = ""; c.Users[0].Role = "" },
			"web: config: site: required\nusers[0].role: \"\" is not guard, technician or admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			cfg.Users = users()
			cfg.Plan = testPlan()
			tc.change(&cfg)
			_, err := cfg.withDefaults()
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant %s", err, tc.want)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		cfg, err := good().withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.SessionTTL != time.Hour || cfg.LoginFailures != 5 || cfg.LoginWindow != 15*time.Minute ||
			cfg.BurstWindow != 10*time.Minute || cfg.BurstsPerSensor != 4096 || cfg.Location != time.Local || cfg.Log == nil {
			t.Errorf("defaults %+v", cfg)
		}
	})
}

func nan() float64 { var z float64; return z / z }

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil {
		t.Error("the hash does not match its password")
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horsE")) == nil {
		t.Error("the hash matches another password")
	}
	if cost, _ := bcrypt.Cost([]byte(h)); cost < bcrypt.DefaultCost {
		t.Errorf("cost %d below the default %d", cost, bcrypt.DefaultCost)
	}
	if _, err := HashPassword(""); err == nil || err.Error() != "web: empty password" {
		t.Errorf("empty password: %v", err)
	}
}

func TestPlanImages(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.svg")
	if err := os.WriteFile(img, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("missing file", func(t *testing.T) {
		e := newEnv(t, false)
		plan := testPlan()
		plan.Wings[1].Image = filepath.Join(dir, "nope.png")
		_, err := New(Config{Site: testSite, Users: users(), Plan: plan}, e.st)
		if err == nil || !strings.HasPrefix(err.Error(), "web: plan.wings[1].image: open ") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("served under the wing", func(t *testing.T) {
		e := newEnv(t, false, func(c *Config) { c.Plan.Wings[0].Image = img })
		c := e.login("alice")
		r := c.get("/plan/images/0")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.body, "<svg") {
			t.Errorf("%d %q", r.status, r.header.Get("Content-Type"))
		}
		if r := c.get("/plan/images/1"); r.status != http.StatusNotFound {
			t.Errorf("a wing without an image: %d", r.status)
		}
		if live := c.get("/").body; !strings.Contains(live, `<image href="/plan/images/0"`) {
			t.Error("the live view does not draw the image")
		}
	})
}
