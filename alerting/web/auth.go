package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cellsentry/cellsentry/alerting/store"
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
	saved    time.Time // the last use the backend was told of
}

// SessionStore keeps sessions across console restarts; *store.Store
// implements it. The web server uses it when its Store does.
type SessionStore interface {
	SaveSession(ctx context.Context, ss store.Session) error
	Session(ctx context.Context, hash [32]byte) (store.Session, error)
	TouchSession(ctx context.Context, hash [32]byte, lastSeen, expires time.Time) error
	DeleteSession(ctx context.Context, hash [32]byte) error
	PruneSessions(ctx context.Context, now time.Time) (int, error)
	Sessions(ctx context.Context, now time.Time) ([]store.Session, error)
}

// sessions holds the live sessions in memory, keyed by the SHA-256 of their
// token so that a lookup's timing says nothing about the tokens. With a
// backend, every session is also written there (the hash, never the
// token), so that a console restart logs nobody out: a token the memory
// does not know is looked up in the backend once, and its user must still
// be configured (with the role the configuration now gives). Uses are
// written back at most once per touchEvery, so a session may lapse up to
// that much early after a restart.
type sessions struct {
	mu         sync.Mutex
	m          map[[32]byte]*session
	ttl        time.Duration
	touchEvery time.Duration
	now        func() time.Time
	backend    SessionStore                             // nil: memory only
	role       func(user string) (role string, ok bool) // the configured users
	log        *slog.Logger
}

// backendTimeout bounds one session read or write in the backend.
const backendTimeout = 5 * time.Second

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, ttl: ttl, touchEvery: min(ttl/10, time.Minute), now: now,
		log: slog.New(slog.DiscardHandler)}
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func backendCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), backendTimeout)
}

// create starts a session and returns its token.
func (s *sessions) create(user, role, remote string) (string, session) {
	now := s.now()
	token := randomToken()
	k := tokenKey(token)
	ss := &session{user: user, role: role, csrf: randomToken(), created: now, lastSeen: now, remote: remote, saved: now}
	s.mu.Lock()
	s.sweepLocked(now)
	s.m[k] = ss
	out := *ss
	s.mu.Unlock()
	if s.backend != nil {
		ctx, cancel := backendCtx()
		defer cancel()
		// A session the backend lost still works until a restart.
		if err := s.backend.SaveSession(ctx, store.Session{TokenHash: k, User: user, Role: role, CSRF: out.csrf,
			Remote: remote, Created: now, LastSeen: now, Expires: now.Add(s.ttl)}); err != nil {
			s.log.Error("session not stored: a restart will log it out", "user", user, "err", err)
		}
		if _, err := s.backend.PruneSessions(ctx, now); err != nil {
			s.log.Error("expired sessions not pruned", "err", err)
		}
	}
	return token, out
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
	ss, ok := s.m[k]
	if ok {
		if now.Sub(ss.lastSeen) > s.ttl {
			delete(s.m, k)
			s.mu.Unlock()
			s.forget(k)
			return session{}, false
		}
		ss.lastSeen = now
		touch := s.backend != nil && now.Sub(ss.saved) >= s.touchEvery
		if touch {
			ss.saved = now
		}
		out := *ss
		s.mu.Unlock()
		if touch {
			s.touch(k, now)
		}
		return out, true
	}
	s.mu.Unlock()
	if s.backend == nil {
		return session{}, false
	}
	return s.load(k, now)
}

// load looks a token the memory does not know up in the backend (a
// session from before a restart).
func (s *sessions) load(k [32]byte, now time.Time) (session, bool) {
	ctx, cancel := backendCtx()
	defer cancel()
	st, err := s.backend.Session(ctx, k)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("session lookup failed", "err", err)
		}
		return session{}, false
	}
	role, known := "", false
	if s.role != nil {
		role, known = s.role(st.User)
	}
	if !known || now.Sub(st.LastSeen) > s.ttl {
		// Its user was removed from the configuration, or it lapsed.
		if err := s.backend.DeleteSession(ctx, k); err != nil {
			s.log.Error("stale session not deleted", "user", st.User, "err", err)
		}
		return session{}, false
	}
	ss := &session{user: st.User, role: role, csrf: st.CSRF, created: st.Created, lastSeen: now, remote: st.Remote, saved: now}
	s.mu.Lock()
	if cur, ok := s.m[k]; ok { // loaded meanwhile by another request
		ss = cur
	} else {
		s.m[k] = ss
	}
	out := *ss
	s.mu.Unlock()
	s.touch(k, now)
	return out, true
}

// touch writes a use to the backend.
func (s *sessions) touch(k [32]byte, now time.Time) {
	ctx, cancel := backendCtx()
	defer cancel()
	if err := s.backend.TouchSession(ctx, k, now, now.Add(s.ttl)); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("session use not stored", "err", err)
	}
}

// forget deletes a session from the backend.
func (s *sessions) forget(k [32]byte) {
	if s.backend == nil {
		return
	}
	ctx, cancel := backendCtx()
	defer cancel()
	if err := s.backend.DeleteSession(ctx, k); err != nil {
		s.log.Error("session not deleted from the store", "err", err)
	}
}

func (s *sessions) delete(token string) {
	k := tokenKey(token)
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
	s.forget(k)
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

// list is every live session: the backend's (those from before a restart
// too) with the last use the memory knows.
func (s *sessions) list() []sessionInfo {
	now := s.now()
	s.mu.Lock()
	s.sweepLocked(now)
	byKey := make(map[[32]byte]sessionInfo, len(s.m))
	for k, ss := range s.m {
		byKey[k] = sessionInfo{User: ss.user, Role: ss.role, Remote: ss.remote, Created: ss.created, LastSeen: ss.lastSeen}
	}
	s.mu.Unlock()
	if s.backend != nil {
		ctx, cancel := backendCtx()
		stored, err := s.backend.Sessions(ctx, now)
		cancel()
		if err != nil {
			s.log.Error("session list incomplete", "err", err)
		}
		for _, st := range stored {
			if _, ok := byKey[st.TokenHash]; ok || now.Sub(st.LastSeen) > s.ttl {
				continue
			}
			role := st.Role
			if s.role != nil {
				r, known := s.role(st.User)
				if !known {
					continue
				}
				role = r
			}
			byKey[st.TokenHash] = sessionInfo{User: st.User, Role: role, Remote: st.Remote, Created: st.Created, LastSeen: st.LastSeen}
		}
	}
	out := make([]sessionInfo, 0, len(byKey))
	for _, v := range byKey {
		out = append(out, v)
	}
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
