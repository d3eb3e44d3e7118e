package guard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clickguard/clickguard/guard"
)

func TestHandler_DefaultHeaders(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hi"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got, want := rec.Header().Values("Content-Security-Policy"), []string{"frame-ancestors 'none'"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("CSP = %q, want %q", got, want)
	}
	if got := rec.Header().Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("XFO = %q, want [DENY]", got)
	}
}
