package scan_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/scan"
)

// hostilePages are pages whose headers and markup, each within the
// scanner's limits, name thousands of sources, policies or meta tags: what
// a site that wants to stall or flood the scanner sends.
func hostilePages() map[string]func(w http.ResponseWriter) {
	hosts := func(n int, sep string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("a%d.example", i)
		}
		return strings.Join(parts, sep)
	}
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>hostile</title>"+body)
	}
	return map[string]func(w http.ResponseWriter){
		// 16,000 hosts in one directive, about 230 KiB.
		"/hosts": func(w http.ResponseWriter) {
			w.Header().Set("Content-Security-Policy", "frame-ancestors "+hosts(16000, " "))
			html(w, "")
		},
		// 3,000 header lines, each a policy naming another host.
		"/lines": func(w http.ResponseWriter) {
			for i := range 3000 {
				w.Header().Add("Content-Security-Policy", fmt.Sprintf("frame-ancestors a%d.example", i))
			}
			html(w, "")
		},
		// 40,000 comma-joined policies, each frame-ancestors *.
		"/broad": func(w http.ResponseWriter) {
			w.Header().Set("Content-Security-Policy", strings.Repeat("frame-ancestors *,", 12000))
			html(w, "")
		},
		// 10,000 sources that match nothing, each a finding whose fix
		// would list the others.
		"/invalid": func(w http.ResponseWriter) {
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'"+strings.Repeat(" 'x'", 10000)+" "+hosts(2000, " "))
			html(w, "")
		},
		// A broad source or policy just past what the checks look at one
		// by one: the 65th source of the directive, the 65th policy.
		"/late-source": func(w http.ResponseWriter) {
			w.Header().Set("Content-Security-Policy", "frame-ancestors "+hosts(64, " ")+" *")
			html(w, "")
		},
		"/late-policy": func(w http.ResponseWriter) {
			for range 64 {
				w.Header().Add("Content-Security-Policy", "img-src x")
			}
			w.Header().Add("Content-Security-Policy", "frame-ancestors *")
			html(w, "")
		},
		// 5,000 meta tags, each ignored by browsers.
		"/meta": func(w http.ResponseWriter) {
			w.Header().Set("X-Frame-Options", "DENY")
			html(w, strings.Repeat(`<meta http-equiv="X-Frame-Options" content="SAMEORIGIN">`, 2500)+
				strings.Repeat(`<meta http-equiv="Content-Security-Policy" content="frame-ancestors *">`, 2500))
		},
	}
}

// TestRun_hostileBounded: a page cannot make its report grow with what it
// names, in any format: each result holds at most a bounded number of
// findings of bounded size, and says that it left some out. The verdicts
// stay exact. (Before the bounds, the checks' time grew with the square of
// what a header names, and /lines, /meta and /invalid each wrote from
// 0.9 to 3.9 GB of SARIF.) A page any site can frame has a high finding
// whatever the checks leave out: /late-source and /late-policy had none.
func TestRun_hostileBounded(t *testing.T) {
	t.Parallel()
	pages := hostilePages()
	mux := http.NewServeMux()
	for path, serve := range pages {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { serve(w) })
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns

	framable := map[string]bool{"/hosts": false, "/lines": false, "/broad": true, "/invalid": false, "/meta": false,
		"/late-source": true, "/late-policy": true}
	for path := range pages {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			t.Parallel()
			var res scan.Result
			if err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true}, []string{srv.URL + path}, func(r scan.Result) { res = r }); err != nil {
				t.Fatal(err)
			}
			if res.Error != "" {
				t.Fatalf("scan error: %s", res.Error)
			}
			if got := res.Verdicts[0].Framable; got != framable[path] {
				t.Errorf("framable by a foreign origin: %v, want %v (%s)", got, framable[path], res.Verdicts[0].Reason)
			}
			if res.Verdicts[0].Framable && !slices.ContainsFunc(res.Findings, func(f scan.Finding) bool { return f.Severity == scan.SeverityHigh }) {
				t.Errorf("a page a foreign origin can frame has no high finding: %v", idSeverities(res))
			}
			checkFixes(t, srv.URL+path, res)
			if n := len(res.Findings); n > scan.MaxFindings {
				t.Errorf("%d findings, want at most %d", n, scan.MaxFindings)
			}
			for _, format := range []scan.Format{scan.FormatText, scan.FormatJSON, scan.FormatSARIF, scan.FormatHTML} {
				var out countingWriter
				rep := scan.NewReport(&out, format, false)
				if err := rep.Add(res); err != nil {
					t.Fatal(err)
				}
				if err := rep.Close(); err != nil {
					t.Fatal(err)
				}
				if out.n > 2<<20 {
					t.Errorf("%s report of one page: %d bytes, want at most 2 MiB", format, out.n)
				}
			}
		})
	}
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
