package guard_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/clickguard/clickguard/guard"
)

const (
	originA   = "https://a.example"
	originB   = "https://b.example"
	originBad = "https://evil.example"
)

func mustPolicy(t *testing.T, sources ...string) guard.Policy {
	t.Helper()
	p, err := guard.NewPolicy(sources...)
	if err != nil {
		t.Fatalf("NewPolicy(%q): %v", sources, err)
	}
	return p
}

// kind is one way a response comes to be written.
type kind struct {
	name     string
	method   string
	path     string
	header   http.Header
	status   int
	fromMux  bool // written by ServeMux, outside any route wrapper
	isPanic  bool
	wantBody bool
}

var modTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var kinds = []kind{
	{name: "page", method: "GET", path: "/page", status: 200, wantBody: true},
	{name: "http.Error", method: "GET", path: "/error", status: 400, wantBody: true},
	{name: "http.Redirect", method: "GET", path: "/redirect", status: 303},
	{name: "ServeMux 404", method: "GET", path: "/nowhere", status: 404, fromMux: true},
	{name: "ServeMux 405", method: "DELETE", path: "/page", status: 405, fromMux: true},
	{name: "FileServer", method: "GET", path: "/static/app.css", status: 200, wantBody: true},
	{name: "FileServer 304", method: "GET", path: "/static/app.css", status: 304,
		header: http.Header{"If-Modified-Since": {modTime.Add(time.Hour).Format(http.TimeFormat)}}},
	{name: "HEAD", method: "HEAD", path: "/page", status: 200},
	{name: "empty handler", method: "GET", path: "/empty", status: 200},
	{name: "panic", method: "GET", path: "/panic", status: 500, isPanic: true, wantBody: true},
}

// routes builds the application: every route goes through wrap.
func routes(wrap func(http.Handler) http.Handler) *http.ServeMux {
	fsys := fstest.MapFS{"app.css": {Data: []byte("body{}"), ModTime: modTime}}
	mux := http.NewServeMux()
	mux.Handle("GET /page", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<p>page</p>")
	})))
	mux.Handle("GET /error", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad request", http.StatusBadRequest)
	})))
	mux.Handle("GET /redirect", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/page", http.StatusSeeOther)
	})))
	mux.Handle("GET /static/", wrap(http.StripPrefix("/static/", http.FileServerFS(fsys))))
	mux.Handle("GET /empty", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.Handle("GET /panic", wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "leak=1")
		w.Header().Set("Content-Security-Policy", "frame-ancestors *")
		panic("boom")
	})))
	return mux
}

func TestHandler_ResponseKinds(t *testing.T) {
	t.Parallel()
	const (
		none     = "frame-ancestors 'none'"
		self     = "frame-ancestors 'self'"
		allowAB  = "frame-ancestors https://a.example https://b.example"
		allowA   = "frame-ancestors https://a.example"
		noXFO    = ""
		routeAB  = "route allowlist"
		narrowA  = "embeddable narrowed per request"
		narrowAB = "route allowlist narrowed per request"
		loosen   = "loosening a non-embeddable route"
		loosenAB = "loosening a route allowlist"
	)
	policyAB := mustPolicy(t, originA, originB)
	allowFraming := func(t *testing.T, wantErr error, sources ...string) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				err := guard.AllowFraming(r, sources...)
				if !errors.Is(err, wantErr) {
					t.Errorf("AllowFraming(%q) = %v, want %v", sources, err, wantErr)
				}
				h.ServeHTTP(w, r)
			})
		}
	}
	tests := []struct {
		name             string
		guard            *guard.Guard
		wrap             func(t *testing.T) func(http.Handler) http.Handler
		wantCSP, wantXFO string // for responses written by a route
		muxCSP, muxXFO   string // for ServeMux's own 404 and 405
	}{
		{"none (zero value)", &guard.Guard{}, nil, none, "DENY", none, "DENY"},
		{"self", &guard.Guard{Framing: guard.SameOrigin()}, nil, self, "SAMEORIGIN", self, "SAMEORIGIN"},
		{"allowlist", &guard.Guard{Framing: policyAB}, nil, allowAB, noXFO, allowAB, noXFO},
		{routeAB, &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return policyAB.Handler
		}, allowAB, noXFO, none, "DENY"},
		{narrowA, &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler { return guard.Embeddable(allowFraming(t, nil, originA)(h)) }
		}, allowA, noXFO, none, "DENY"},
		{narrowAB, &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler { return policyAB.Handler(allowFraming(t, nil, originA)(h)) }
		}, allowA, noXFO, none, "DENY"},
		{loosen, &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return allowFraming(t, guard.ErrNotEmbeddable, originBad)
		}, none, "DENY", none, "DENY"},
		{loosenAB, &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return policyAB.Handler(allowFraming(t, guard.ErrNotEmbeddable, originBad)(h))
			}
		}, allowAB, noXFO, none, "DENY"},
		{"self route, loosening to an origin", &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return guard.SameOrigin().Handler(allowFraming(t, guard.ErrNotEmbeddable, originA)(h))
			}
		}, self, "SAMEORIGIN", none, "DENY"},
		{"embeddable, nothing chosen", &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return guard.Embeddable
		}, none, "DENY", none, "DENY"},
		{"non-embeddable route inside embeddable", &guard.Guard{}, func(t *testing.T) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return guard.Embeddable(guard.Policy{}.Handler(allowFraming(t, guard.ErrNotEmbeddable, originA)(h)))
			}
		}, none, "DENY", none, "DENY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wrap := func(h http.Handler) http.Handler { return h }
			if tc.wrap != nil {
				wrap = tc.wrap(t)
			}
			srv := httptest.NewServer(tc.guard.Handler(routes(wrap)))
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			for _, k := range kinds {
				t.Run(k.name, func(t *testing.T) {
					req, err := http.NewRequestWithContext(t.Context(), k.method, srv.URL+k.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					for name, v := range k.header {
						req.Header[name] = v
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != k.status {
						t.Errorf("got status %d, want %d", resp.StatusCode, k.status)
					}
					wantCSP, wantXFO := tc.wantCSP, tc.wantXFO
					switch {
					case k.isPanic:
						wantCSP, wantXFO = none, "DENY"
					case k.fromMux:
						wantCSP, wantXFO = tc.muxCSP, tc.muxXFO
					}
					if got := resp.Header.Values("Content-Security-Policy"); len(got) != 1 || got[0] != wantCSP {
						t.Errorf("Content-Security-Policy = %q, want exactly [%q]", got, wantCSP)
					}
					got := resp.Header.Values("X-Frame-Options")
					switch {
					case wantXFO == noXFO && len(got) != 0:
						t.Errorf("X-Frame-Options = %q, want none", got)
					case wantXFO != noXFO && (len(got) != 1 || got[0] != wantXFO):
						t.Errorf("X-Frame-Options = %q, want exactly [%q]", got, wantXFO)
					}
					for name, want := range map[string]string{
						"X-Content-Type-Options":     "nosniff",
						"Referrer-Policy":            "same-origin",
						"Cross-Origin-Opener-Policy": "same-origin",
					} {
						if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
							t.Errorf("%s = %q, want [%q]", name, got, want)
						}
					}
					if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
						t.Errorf("Strict-Transport-Security = %q on plain HTTP, want none", got)
					}
					checkMeaning(t, srv.URL+k.path, resp, wantCSP)
					if k.wantBody && len(body) == 0 {
						t.Errorf("empty body, want one")
					}
					if k.isPanic {
						if got := resp.Header.Get("Set-Cookie"); got != "" {
							t.Errorf("500 page carries Set-Cookie %q from the panicking handler", got)
						}
						if !strings.Contains(string(body), "Internal Server Error") {
							t.Errorf("500 body = %q", body)
						}
					}
				})
			}
		})
	}
}
