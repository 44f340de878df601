package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// handlerFunc serves one request of a logged-in user. A returned error
// is shown to the user: an *httpError with its status and message, any
// other error as a 500 whose detail goes only to the log.
type handlerFunc func(w http.ResponseWriter, r *http.Request, ss session) error

// httpError is an error with the status and the message an operator can
// act on; err, when set, is the cause for the log.
type httpError struct {
	status int
	msg    string
	err    error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

func errorf(status int, format string, a ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

// maxBody bounds request bodies: notes, not uploads.
const maxBody = 64 << 10

// page wraps a handler of an HTML page: no session sends the browser to
// the login page, too small a role gets a 403 page.
func (s *Server) page(role string, h handlerFunc) http.Handler {
	return s.guarded(role, h, false)
}

// api wraps a handler of the JSON API: no session is a 401, too small a
// role a 403, as JSON. Action endpoints also serve plain HTML forms (for
// browsers without script): their errors are then pages.
func (s *Server) api(role string, h handlerFunc) http.Handler {
	return s.guarded(role, h, true)
}

func (s *Server) guarded(role string, h handlerFunc, api bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API answers are JSON, except to a browser's plain form post.
		jsonMode := api && !plainForm(r)
		fail := func(status int, msg string) {
			if jsonMode {
				writeJSONError(w, status, msg)
			} else {
				s.renderError(w, r, nil, status, msg)
			}
		}
		var token string
		if c, err := r.Cookie(sessionCookie); err == nil {
			token = c.Value
		}
		ss, ok := s.sessions.get(token)
		if !ok {
			if jsonMode {
				writeJSONError(w, http.StatusUnauthorized, "not logged in (or the session expired): log in at /login or POST /api/login")
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			fail(http.StatusUnauthorized, "Your session has ended. Log in again.")
			return
		}
		if roleRank(ss.role) < roleRank(role) {
			fail(http.StatusForbidden, fmt.Sprintf("This needs the %s role; %s is a %s.", role, ss.user, ss.role))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			token := r.Header.Get(csrfHeader)
			if token == "" && isForm(r) {
				if err := r.ParseForm(); err != nil {
					fail(http.StatusBadRequest, "unreadable form: "+err.Error())
					return
				}
				token = r.PostForm.Get(csrfField)
			}
			if !equalToken(token, ss.csrf) {
				s.log.Warn("request without a valid CSRF token refused", "user", ss.user, "path", r.URL.Path, "remote", remoteAddr(r))
				fail(http.StatusForbidden, "missing or wrong CSRF token: send the "+csrfHeader+" header (GET /api/me gives it) or reload the page")
				return
			}
		}
		err := h(w, r, ss)
		if err == nil {
			return
		}
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{status: http.StatusInternalServerError, msg: "internal error; the console's log has the detail", err: err}
		}
		if he.status >= 500 {
			s.log.Error("request failed", "path", r.URL.Path, "user", ss.user, "err", err)
		}
		fail(he.status, he.msg)
	})
}

// plainForm tells a browser's form post (no script) from an API client's
// or the page script's request: browsers ask for text/html first.
func plainForm(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Accept"), "text/html") && isForm(r)
}

func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

func isJSON(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal error: unencodable answer")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = w.Write(append(b, '\n'))
}

// renderError shows an error page; ss may be nil (not logged in).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string) {
	if ss == nil {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if got, ok := s.sessions.get(c.Value); ok {
				ss = &got
			}
		}
	}
	back := "/"
	if ss == nil {
		back = "/login"
	}
	s.render(w, status, "error", s.pageData(ss, "Error", "", errorView{Status: status, StatusText: http.StatusText(status), Message: msg, Back: back}))
}

type errorView struct {
	Status     int
	StatusText string
	Message    string
	Back       string
}

// answer answers a successful action: JSON for API clients, back to the page
// for a plain form.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, v any) {
	if plainForm(r) {
		http.Redirect(w, r, safeReturn(r.PostForm.Get("return")), http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
