package guard_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/guard"
)

func TestConfirmationHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		site       string // Sec-Fetch-Site; "" sends none
		reportOnly bool
		inside     bool // inside Guard.Handler
		wantRan    bool
	}{
		{"cross-site navigation", "GET", "cross-site", false, true, false},
		{"same-site navigation", "GET", "same-site", false, true, false},
		{"cross-site HEAD", "HEAD", "cross-site", false, true, false},
		{"same-origin navigation", "GET", "same-origin", false, true, true},
		{"user-initiated (address bar, bookmark)", "GET", "none", false, true, true},
		{"no Fetch Metadata", "GET", "", false, true, true},
		{"cross-site, report-only", "GET", "cross-site", true, true, true},
		{"same-origin, report-only", "GET", "same-origin", true, true, true},
		{"cross-site, outside Guard.Handler", "GET", "cross-site", false, false, false},
		{"same-origin, outside Guard.Handler", "GET", "same-origin", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			var reason error
			denied := false
			g := &guard.Guard{
				ReportOnly: tc.reportOnly,
				Logger:     slog.New(slog.NewTextHandler(&log, nil)),
				DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					denied, reason = true, guard.Reason(r)
					w.WriteHeader(http.StatusForbidden)
				}),
			}
			ran := false
			h := g.ConfirmationHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				w.Header().Add("Vary", "Cookie")
			}))
			if tc.inside {
				h = g.Handler(h)
			}
			req := httptest.NewRequest(tc.method, "http://app.example/items/1/delete", nil)
			req.Header.Set("Sec-Fetch-Mode", "navigate")
			req.Header.Set("Sec-Fetch-Dest", "document")
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			rec := serve(h, req)
			if ran != tc.wantRan {
				t.Errorf("handler ran = %v, want %v", ran, tc.wantRan)
			}
			if want := !tc.wantRan; denied != want {
				t.Errorf("deny handler called = %v, want %v", denied, want)
			}
			refusable := tc.site == "cross-site" || tc.site == "same-site"
			if refusable {
				if !tc.reportOnly && !errors.Is(reason, guard.ErrCrossSiteConfirmation) {
					t.Errorf("Reason = %v, want %v", reason, guard.ErrCrossSiteConfirmation)
				}
				want := "request refused"
				if tc.reportOnly {
					want = "request would be refused"
				}
				if got := log.String(); !strings.Contains(got, want) || !strings.Contains(got, "/items/1/delete") {
					t.Errorf("log = %q, want %q with the path", got, want)
				}
			} else if log.Len() != 0 {
				t.Errorf("log = %q, want nothing for a request that passes", log.String())
			}
			if !tc.wantRan && rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", rec.Code)
			}
			// The answer depends on Sec-Fetch-Site: a cache must not give
			// one site's answer to another (Firefox would, measured).
			wantVary := []string{"Sec-Fetch-Site"}
			if ran {
				wantVary = []string{"Cookie", "Sec-Fetch-Site"} // the handler's own kept
			}
			if got := rec.Header().Values("Vary"); !slices.Equal(got, wantVary) {
				t.Errorf("Vary = %q, want %q", got, wantVary)
			}
			if tc.inside && !tc.wantRan {
				if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
					t.Errorf("refusal X-Frame-Options = %q, want DENY", got)
				}
			}
		})
	}
}

// TestConfirmationHandler_Vary: Sec-Fetch-Site is in Vary however the
// handler writes its own Vary (Set replaces the whole header) and however
// it sends the header, unless Vary names it already or is "*".
func TestConfirmationHandler_Vary(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want []string
	}{
		{"Set", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Cookie")
			w.Write([]byte("page"))
		}, []string{"Cookie", "Sec-Fetch-Site"}},
		{"Del", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Del("Vary")
			w.WriteHeader(http.StatusOK)
		}, []string{"Sec-Fetch-Site"}},
		{"writes nothing", func(w http.ResponseWriter, r *http.Request) {}, []string{"Sec-Fetch-Site"}},
		{"flushes", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Accept")
			http.NewResponseController(w).Flush()
			w.Header().Set("Vary", "Cookie") // too late: the header is sent
		}, []string{"Accept", "Sec-Fetch-Site"}},
		{"named already", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Accept, sec-fetch-site")
			w.Write([]byte("page"))
		}, []string{"Accept, sec-fetch-site"}},
		{"*", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "*")
			w.Write([]byte("page"))
		}, []string{"*"}},
	} {
		for _, inside := range []bool{false, true} {
			h := g.ConfirmationHandler(tc.h)
			if inside {
				h = g.Handler(h)
			}
			req := httptest.NewRequest("GET", "http://app.example/items/1/delete", nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Result().Header.Values("Vary"); !slices.Equal(got, tc.want) {
				t.Errorf("%s (inside Guard.Handler: %v): Vary = %q, want %q", tc.name, inside, got, tc.want)
			}
		}
	}
}

// TestConfirmationHandler_DefaultDeny: without a DenyHandler, the refusal is
// the default 403 page, not cached.
func TestConfirmationHandler_DefaultDeny(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	ran := false
	h := g.Handler(g.ConfirmationHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })))
	req := httptest.NewRequest("GET", "http://app.example/account/delete", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := serve(h, req)
	if ran || rec.Code != http.StatusForbidden {
		t.Errorf("ran = %v, status %d; want the handler not run and 403", ran, rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", got)
	}
}
