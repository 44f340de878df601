package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Cookie names. The session cookie carries a random token; the login
// cookie pairs with the login form's hidden field (double submit), so that
// another site cannot log a browser in under its own account.
const (
	sessionCookie = "cellsentry_session"
	loginCookie   = "cellsentry_login"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
)

// session is one logged-in browser or API client.
type session struct {
	user     string
	role     string
	csrf     string    // required on every state-changing request
	created  time.Time // for the admin's list
	lastSeen time.Time // idle expiry counts from here
	remote   string    // address at login
}

// sessions holds the live sessions in memory, keyed by the SHA-256 of their
// token so that a lookup's timing says nothing about the tokens. A console
// restart logs everyone out.
type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	ttl time.Duration
	now func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, ttl: ttl, now: now}
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// create starts a session and returns its token.
func (s *sessions) create(user, role, remote string) (string, session) {
	now := s.now()
	token := randomToken()
	ss := &session{user: user, role: role, csrf: randomToken(), created: now, lastSeen: now, remote: remote}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	s.m[tokenKey(token)] = ss
	return token, *ss
}

// get returns the session of token and marks it used, or false when there
// is none or it has been idle longer than the TTL.
func (s *sessions) get(token string) (session, bool) {
	if token == "" {
		return session{}, false
	}
	now := s.now()
	k := tokenKey(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[k]
	if !ok {
		return session{}, false
	}
	if now.Sub(ss.lastSeen) > s.ttl {
		delete(s.m, k)
		return session{}, false
	}
	ss.lastSeen = now
	return *ss, true
}

func (s *sessions) delete(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, tokenKey(token))
}

// sweepLocked drops expired sessions, so that abandoned ones do not pile up.
func (s *sessions) sweepLocked(now time.Time) {
	for k, ss := range s.m {
		if now.Sub(ss.lastSeen) > s.ttl {
			delete(s.m, k)
		}
	}
}

// sessionInfo is one row of the admin's session list.
type sessionInfo struct {
	User, Role, Remote string
	Created, LastSeen  time.Time
}

func (s *sessions) list() []sessionInfo {
	now := s.now()
	s.mu.Lock()
	s.sweepLocked(now)
	out := make([]sessionInfo, 0, len(s.m))
	for _, ss := range s.m {
		out = append(out, sessionInfo{User: ss.user, Role: ss.role, Remote: ss.remote, Created: ss.created, LastSeen: ss.lastSeen})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out
}

// limiter counts failed logins per key (a user name, an address) in a
// sliding window.
type limiter struct {
	mu     sync.Mutex
	fails  map[string][]time.Time
	max    int
	window time.Duration
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{fails: map[string][]time.Time{}, max: max, window: window}
}

// maxLimiterKeys bounds the limiter's memory under a flood of names.
const maxLimiterKeys = 10000

// wait returns how long until the keys may try again; 0 when they may now.
func (l *limiter) wait(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		ts := l.pruneLocked(k, now)
		if len(ts) >= l.max {
			if w := ts[len(ts)-l.max].Add(l.window).Sub(now); w > longest {
				longest = w
			}
		}
	}
	return longest
}

// fail records a failed attempt for every key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > maxLimiterKeys {
		for k := range l.fails {
			l.pruneLocked(k, now)
		}
	}
	for _, k := range keys {
		ts := l.pruneLocked(k, now)
		if len(ts) >= 2*l.max { // enough to decide; keep the newest
			ts = append(ts[:0], ts[len(ts)-l.max:]...)
		}
		l.fails[k] = append(ts, now)
	}
}

// reset forgets the failures of keys after a successful login.
func (l *limiter) reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.fails, k)
	}
}

func (l *limiter) pruneLocked(k string, now time.Time) []time.Time {
	ts := l.fails[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, k)
		return nil
	}
	l.fails[k] = ts
	return ts
}

// dummyHash is checked against when the user name is unknown, so that a
// wrong name costs as long as a wrong password and timing does not reveal
// which names exist. It is the hash of a random password at the default
// cost.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	return h
})

// authenticate checks a user name and password against the configured
// users and returns the user.
func (s *Server) authenticate(name, password string) (User, bool) {
	u, ok := s.users[name]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return User{}, false
	}
	return u, true
}

// remoteAddr is the client's address without the port. Forwarding headers
// are ignored: anyone can write them.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// equalToken compares two tokens in constant time; empty never matches.
func equalToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// safeReturn accepts only a local path as a place to send the browser back
// to, so that no link can use the console to redirect elsewhere.
func safeReturn(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\\") {
		return "/"
	}
	return p
}

// setSessionCookie sends the session token; Secure when configured or when
// the request came over TLS.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies || r.TLS != nil,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies || r.TLS != nil,
	})
}
