package guard_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/guard"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestHandler_Golden pins the exact header set of a few configurations, so
// that any change to what guard sends shows up as a reviewed diff.
func TestHandler_Golden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		guard *guard.Guard
		tls   bool
		app   http.Header
	}{
		{"zero", &guard.Guard{}, false, nil},
		{"zero-tls", &guard.Guard{}, true, nil},
		{"self-app-csp", &guard.Guard{Framing: guard.SameOrigin()}, false,
			http.Header{"Content-Security-Policy": {"default-src 'self'; frame-ancestors *"}, "X-Frame-Options": {"ALLOWALL"}}},
		{"allowlist", &guard.Guard{Framing: mustPolicy(t, originA, originB, "'self'")}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.app {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<p>x</p>"))
			}))
			req := httptest.NewRequest("GET", "http://app.example/", nil)
			if tc.tls {
				req = httptest.NewRequest("GET", "https://app.example/", nil)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var lines []string
			for k, vs := range rec.Result().Header {
				for _, v := range vs {
					lines = append(lines, fmt.Sprintf("%s: %s", k, v))
				}
			}
			slices.Sort(lines)
			got := strings.Join(lines, "\n") + "\n"
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("headers differ from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestHandler_Concurrent serves requests from many goroutines while trusted
// origins are added: the configuration is read-only after Handler, and
// AddTrustedOrigin is documented as safe at any time (run with -race).
func TestHandler_Concurrent(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	h := g.Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, originA); err != nil {
			t.Errorf("AllowFraming: %v", err)
		}
		w.Write([]byte("x"))
	})))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				if i == 0 {
					if err := g.AddTrustedOrigin(fmt.Sprintf("https://o%d.example", j)); err != nil {
						t.Errorf("AddTrustedOrigin: %v", err)
					}
				}
				req := httptest.NewRequest("POST", "http://app.example/", nil)
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				req.Header.Set("Origin", "https://o1.example")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if got := rec.Header().Get("Content-Security-Policy"); rec.Code == 200 && got != "frame-ancestors https://a.example" {
					t.Errorf("Content-Security-Policy = %q", got)
				}
			}
		})
	}
	wg.Wait()
}
