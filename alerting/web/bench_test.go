package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkLivePanel measures what every live update costs the console:
// reading the open incidents and the sensors from the store (SQLite) and
// rendering the plan and the list, for 200 open incidents.
func BenchmarkLivePanel(b *testing.B) {
	e := newEnv(b, false)
	e.online("sA", "sB", "sC")
	for i := 0; i < 200; i++ {
		e.phone(fmt.Sprintf("inc-%03d", i), []string{"A", "B", "C"}[i%3], "sA", "sB")
	}
	c := e.login("alice")
	var cookie string
	for _, ck := range c.hc.Jar.Cookies(mustURL(e.ts.URL)) {
		cookie = ck.Name + "=" + ck.Value
	}
	h := e.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/live/panel", nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "panels/s")
}
