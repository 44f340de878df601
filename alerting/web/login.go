package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

type loginView struct {
	Token string // pairs with the login cookie
	Next  string
	User  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, ok := s.sessions.get(c.Value); ok {
			http.Redirect(w, r, safeReturn(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	s.showLogin(w, r, http.StatusOK, loginView{Next: safeReturn(r.URL.Query().Get("next"))})
}

// showLogin renders the login form with a fresh double-submit token.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Token = randomToken()
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: v.Token, Path: "/login", MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies || r.TLS != nil,
	})
	s.render(w, status, "login", s.pageData(nil, "Log in", "login", v))
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, nil, http.StatusBadRequest, "Unreadable login form.")
		return
	}
	v := loginView{Next: safeReturn(r.PostForm.Get("next")), User: r.PostForm.Get("user")}
	c, err := r.Cookie(loginCookie)
	if err != nil || !equalToken(c.Value, r.PostForm.Get("login_token")) {
		v.Error = "The login form had expired. Try again."
		s.showLogin(w, r, http.StatusForbidden, v)
		return
	}
	ss, token, status, msg := s.login(r, v.User, r.PostForm.Get("password"))
	if status != http.StatusOK {
		v.Error = msg
		s.showLogin(w, r, status, v)
		return
	}
	_ = ss
	s.clearCookie(w, r, loginCookie, "/login")
	s.setSessionCookie(w, r, token)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// apiLogin logs an API client in from a JSON body {"user", "password"}
// and answers its CSRF token. JSON only: a cross-site form cannot send it
// without the browser asking first.
func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeJSONError(w, http.StatusUnsupportedMediaType, `send {"user": …, "password": …} as application/json`)
		return
	}
	var body struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSONError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	ss, token, status, msg := s.login(r, body.User, body.Password)
	if status != http.StatusOK {
		writeJSONError(w, status, msg)
		return
	}
	s.setSessionCookie(w, r, token)
	writeJSON(w, http.StatusOK, meView{User: ss.user, Role: ss.role, CSRFToken: ss.csrf})
}

// login checks the rate limit and the password and starts a session. It
// audits the outcome with the remote address.
func (s *Server) login(r *http.Request, user, password string) (session, string, int, string) {
	now := s.cfg.Now()
	addr := remoteAddr(r)
	keys := []string{"user:" + user, "addr:" + addr}
	if wait := s.limiter.wait(now, keys...); wait > 0 {
		mins := int(math.Ceil(wait.Minutes()))
		s.audit(r.Context(), AuditEntry{User: user, Action: "login-refused", Target: user,
			Detail: "too many failed logins", Remote: addr})
		return session{}, "", http.StatusTooManyRequests,
			fmt.Sprintf("Too many failed logins for this user or from this address. Try again in %d min.", mins)
	}
	if user == "" || password == "" {
		return session{}, "", http.StatusUnauthorized, "Give your user name and password."
	}
	u, ok := s.authenticate(user, password)
	if !ok {
		s.limiter.fail(now, keys...)
		s.audit(r.Context(), AuditEntry{User: user, Action: "login-failed", Target: user,
			Detail: "wrong user name or password", Remote: addr})
		return session{}, "", http.StatusUnauthorized, "Wrong user name or password."
	}
	s.limiter.reset(keys...)
	token, ss := s.sessions.create(u.Name, u.Role, addr)
	s.audit(r.Context(), AuditEntry{User: u.Name, Action: "login", Target: u.Name, Detail: "role " + u.Role, Remote: addr})
	return ss, token, http.StatusOK, ""
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, ss session) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.delete(c.Value)
	}
	s.clearCookie(w, r, sessionCookie, "/")
	s.audit(r.Context(), AuditEntry{User: ss.user, Action: "logout", Target: ss.user, Remote: remoteAddr(r)})
	if plainForm(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
	return nil
}

type meView struct {
	User      string `json:"user"`
	Role      string `json:"role"`
	CSRFToken string `json:"csrf_token"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, ss session) error {
	writeJSON(w, http.StatusOK, meView{User: ss.user, Role: ss.role, CSRFToken: ss.csrf})
	return nil
}

// audit appends to the store's audit log. A failure is logged, not shown:
// the action itself has happened.
func (s *Server) audit(ctx context.Context, e AuditEntry) {
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.st.Audit(ctx, e); err != nil {
		s.log.Error("audit entry lost", "action", e.Action, "user", e.User, "target", e.Target, "err", err)
	}
}
