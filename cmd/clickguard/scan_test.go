package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/scan"
)

// scanSite is a small site with the framing mistakes the scanner reports:
// header sets from the corpus, <meta> tags, redirects and error statuses.
// Its 404 page is unprotected, so protected pages get the error-page
// finding.
func scanSite() http.Handler {
	type page struct {
		status  int
		headers [][2]string
		meta    string
	}
	pages := map[string]page{
		"/protected":    {200, [][2]string{{"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"}, {"X-Frame-Options", "DENY"}}, ""},
		"/legacy":       {200, [][2]string{{"X-Frame-Options", "SAMEORIGIN"}}, ""},
		"/allow-from":   {200, [][2]string{{"X-Frame-Options", "ALLOW-FROM https://partner.example"}}, `<meta http-equiv="X-Frame-Options" content="DENY">`},
		"/report-only":  {200, [][2]string{{"Content-Security-Policy-Report-Only", "frame-ancestors 'none'"}}, ""},
		"/star":         {200, [][2]string{{"Content-Security-Policy", "frame-ancestors *"}, {"X-Frame-Options", "DENY"}}, ""},
		"/embed":        {200, [][2]string{{"Content-Security-Policy", "frame-ancestors 'self' https://partner.example"}}, ""},
		"/comma":        {200, [][2]string{{"Content-Security-Policy", "frame-ancestors https://partner.example, 'self'"}}, ""},
		"/conflict":     {200, [][2]string{{"X-Frame-Options", "SAMEORIGIN"}, {"X-Frame-Options", "DENY"}}, ""},
		"/server-error": {500, [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}, ""},
		"/meta-only":    {200, nil, `<meta http-equiv="Content-Security-Policy" content="frame-ancestors 'none'">`},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/protected", http.StatusMovedPermanently)
			return
		case "/twice":
			http.Redirect(w, r, "/old", http.StatusFound)
			return
		}
		p, ok := pages[r.URL.Path]
		if !ok {
			p = page{status: 404}
		}
		for _, h := range p.headers {
			w.Header().Add(h[0], h[1])
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(p.status)
		fmt.Fprintf(w, "<!doctype html><html><head>%s<title>t</title></head><body><form method=post><button>Pay</button></form></body></html>", p.meta)
	})
}

// runScanCmd runs "clickguard scan args..." and returns the exit code and
// both streams, with the test server's port and the random probe path
// replaced by fixed text.
func runScanCmd(t *testing.T, srvURL string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), append([]string{"scan"}, args...), &stdout, &stderr)
	return code, normalize(stdout.String(), srvURL), normalize(stderr.String(), srvURL)
}

var probePath = regexp.MustCompile(`clickguard-scan-[0-9a-f]{16}`)

func normalize(s, srvURL string) string {
	if srvURL != "" {
		s = strings.ReplaceAll(s, strings.TrimPrefix(srvURL, "http://"), "127.0.0.1:PORT")
	}
	return probePath.ReplaceAllString(s, "clickguard-scan-RANDOM")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// closedPort replaces the port of the closed address in the URL down with
// CLOSED, for a golden file.
func closedPort(s, down string) string {
	u, err := url.Parse(down)
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(s, u.Host, "127.0.0.1:CLOSED")
}

var sitePaths = []string{"/protected", "/legacy", "/allow-from", "/report-only", "/star", "/embed", "/comma", "/conflict", "/server-error", "/meta-only", "/old"}

// siteURLs returns the URLs of sitePaths on the scanSite served at base.
func siteURLs(base string) []string {
	urls := make([]string, len(sitePaths))
	for i, p := range sitePaths {
		urls[i] = base + p
	}
	return urls
}

func TestScan_golden(t *testing.T) {
	t.Setenv("NO_COLOR", "") // stdout is a buffer: no colour either way
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	down := "http://" + closedAddr(t) + "/down"
	urls := append(siteURLs(srv.URL), down)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			// A malformed URL on the command line is a usage error; in a
			// -urls file it is reported with the others.
			code, stdout, stderr := runScanCmd(t, srv.URL, append([]string{"-format", format, "-urls", badURLFile(t)}, urls...)...)
			if code != exitFailure {
				t.Errorf("exit code %d, want %d", code, exitFailure)
			}
			if stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			checkGolden(t, "scan-"+format+".golden", closedPort(stdout, down))
		})
	}
}

// badURLFile returns a -urls file that holds one malformed URL.
func badURLFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "urls")
	if err := os.WriteFile(path, []byte("not-a-url\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// scanJSON is the documented JSON shape; decoding with unknown fields
// disallowed at the top and in results would break on additions, so only
// the required fields are checked to be present.
type scanJSON struct {
	Results []struct {
		URL      string `json:"url"`
		FinalURL string `json:"final_url"`
		Status   int    `json:"status"`
		Verdicts []struct {
			Ancestors []string `json:"ancestors"`
			Framable  bool     `json:"framable"`
			DecidedBy string   `json:"decided_by"`
			Reason    string   `json:"reason"`
		} `json:"verdicts"`
		Findings []struct {
			ID       string   `json:"id"`
			Severity string   `json:"severity"`
			Message  string   `json:"message"`
			Evidence []string `json:"evidence"`
			Fix      string   `json:"fix"`
		} `json:"findings"`
		Error *string `json:"error"`
	} `json:"results"`
}

// TestScan_endToEnd scans the site through the command line and checks the
// JSON report's verdicts and findings page by page.
func TestScan_endToEnd(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	urls := siteURLs(srv.URL)
	code, stdout, stderr := runScanCmd(t, "", append([]string{"-format", "json", "-concurrency", "3"}, urls...)...)
	if code != exitFailure || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, stderr)
	}
	var doc scanJSON
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if len(doc.Results) != len(urls) {
		t.Fatalf("%d results, want %d", len(doc.Results), len(urls))
	}
	tests := map[string]struct {
		foreign, self, double bool
		decidedBy             string
		findings              []string // ids, sorted
	}{
		"/protected":    {false, false, false, "csp", []string{"error-page-framable"}},
		"/legacy":       {false, true, false, "xfo", []string{"browser-difference", "error-page-framable", "xfo-only"}},
		"/allow-from":   {true, true, true, "none", []string{"meta-xfo", "no-protection", "xfo-allow-from"}},
		"/report-only":  {true, true, true, "none", []string{"csp-report-only", "no-protection"}},
		"/star":         {true, true, true, "csp", []string{"overbroad-source"}},
		"/embed":        {false, true, false, "csp", []string{"embeddable", "error-page-framable"}},
		"/comma":        {false, false, false, "csp", []string{"csp-comma", "embeddable", "error-page-framable"}},
		"/conflict":     {false, false, false, "xfo", []string{"error-page-framable", "xfo-conflict"}},
		"/server-error": {false, false, false, "csp", []string{"error-page-framable", "error-status"}},
		"/meta-only":    {true, true, true, "none", []string{"meta-frame-ancestors", "no-protection"}},
		"/old":          {false, false, false, "csp", []string{"error-page-framable", "redirected"}},
	}
	for i, r := range doc.Results {
		path := sitePaths[i]
		want := tests[path]
		if r.URL != srv.URL+path {
			t.Errorf("result %d is for %s, want %s (input order)", i, r.URL, srv.URL+path)
		}
		if r.Error == nil || *r.Error != "" {
			t.Errorf("%s: error field %v, want present and empty", path, r.Error)
		}
		if len(r.Verdicts) != 3 {
			t.Fatalf("%s: %d verdicts, want 3", path, len(r.Verdicts))
		}
		got := [3]bool{r.Verdicts[0].Framable, r.Verdicts[1].Framable, r.Verdicts[2].Framable}
		if got != [3]bool{want.foreign, want.self, want.double} {
			t.Errorf("%s: framable (foreign, self, double) = %v, want %v", path, got, [3]bool{want.foreign, want.self, want.double})
		}
		if r.Verdicts[0].DecidedBy != want.decidedBy {
			t.Errorf("%s: decided_by %q, want %q", path, r.Verdicts[0].DecidedBy, want.decidedBy)
		}
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.ID)
			if !slices.Contains([]string{"info", "low", "medium", "high"}, f.Severity) || f.Message == "" || f.Evidence == nil {
				t.Errorf("%s: finding %+v lacks a severity, message or evidence", path, f)
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if diff := cmp.Diff(want.findings, ids); diff != "" {
			t.Errorf("%s: findings mismatch (-want +got):\n%s", path, diff)
		}
	}
	if r := doc.Results[len(doc.Results)-1]; r.FinalURL != srv.URL+"/protected" || r.Status != 200 {
		t.Errorf("/old: final_url %s status %d, want %s/protected 200", r.FinalURL, r.Status, srv.URL)
	}
}

func TestScan_exitCodes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	t.Cleanup(srv.Close) // the parallel subtests outlive this function's body
	down := "http://" + closedAddr(t) + "/"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean page", []string{"-skip-error-page", srv.URL + "/protected"}, exitOK},
		{"flag after the URLs", []string{srv.URL + "/protected", "-skip-error-page"}, exitUsage},
		{"error page finding below high", []string{srv.URL + "/protected"}, exitOK},
		{"fail on medium", []string{"-fail-on", "medium", srv.URL + "/protected"}, exitFailure},
		{"high finding", []string{srv.URL + "/allow-from"}, exitFailure},
		{"high finding, never fail", []string{"-fail-on", "never", srv.URL + "/allow-from"}, exitOK},
		{"low finding, fail on low", []string{"-fail-on", "low", srv.URL + "/legacy"}, exitFailure},
		{"unreachable", []string{down}, exitUnreachable},
		{"unreachable beside a clean page", []string{"-skip-error-page", srv.URL + "/protected", down}, exitUnreachable},
		{"unreachable beside a high finding", []string{srv.URL + "/allow-from", down}, exitFailure},
		{"malformed URL", []string{"http://[::1"}, exitUsage},
		{"host and port without a scheme", []string{"127.0.0.1:18091/ok"}, exitUsage},
		{"host name without a scheme", []string{"example.com"}, exitUsage},
		{"ftp URL", []string{"ftp://example.com/"}, exitUsage},
		{"malformed URL in a -urls file", []string{"-urls", badURLFile(t)}, exitUnreachable},
		{"-urls names a directory", []string{"-urls", t.TempDir()}, exitUsage},
		{"redirect not followed", []string{"-max-redirects", "0", srv.URL + "/old"}, exitUnreachable},
		{"redirect followed", []string{"-max-redirects", "1", "-skip-error-page", srv.URL + "/old"}, exitOK},
		{"too many redirects", []string{"-max-redirects", "1", srv.URL + "/twice"}, exitUnreachable},
		{"custom chain allowed", []string{"-from", "https://partner.example", srv.URL + "/embed"}, exitOK},
		{"custom chain with a Unicode host", []string{"-from", "https://bücher.example", "-skip-error-page", srv.URL + "/protected"}, exitOK},
		{"custom chain with a host browsers refuse", []string{"-from", "https://a\u200db.example", srv.URL}, exitUsage},
		{"no URL", nil, exitUsage},
		{"bad format", []string{"-format", "xml", srv.URL}, exitUsage},
		{"bad severity", []string{"-fail-on", "critical", srv.URL}, exitUsage},
		{"bad chain", []string{"-from", "https://a.example/path", srv.URL}, exitUsage},
		{"bad header", []string{"-header", "no colon", srv.URL}, exitUsage},
		{"cookie as a header", []string{"-header", "cookie: session=abc", srv.URL}, exitUsage},
		{"bad timeout", []string{"-timeout", "0s", srv.URL}, exitUsage},
		{"bad concurrency", []string{"-concurrency", "0", srv.URL}, exitUsage},
		{"negative rate", []string{"-rate", "-1", srv.URL}, exitUsage},
		{"rate not a number", []string{"-rate", "NaN", srv.URL}, exitUsage},
		{"rate too low", []string{"-rate", "0.0001", srv.URL}, exitUsage},
		{"rate", []string{"-rate", "100", "-skip-error-page", srv.URL + "/protected"}, exitOK},
		{"missing cookie file", []string{"-cookie", "@/nonexistent/cookie", srv.URL}, exitUsage},
		{"missing URL file", []string{"-urls", "/nonexistent/urls.txt"}, exitUsage},
		{"help", []string{"-h"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScanCmd(t, "", tc.args...)
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			if code == exitUsage && !strings.Contains(stderr, "usage: clickguard scan") {
				t.Errorf("usage error without the usage:\n%s", stderr)
			}
		})
	}
}

// TestScan_cookieUsage: a Set-Cookie line given as -cookie is a usage error
// that says so; so is, with -browser, a pair that Chromium cannot be given
// as a cookie, which the scanner's own requests send as written.
func TestScan_cookieUsage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		args    []string
		browser bool
		want    string // in stderr; "" for success
	}{
		{"Set-Cookie attributes", []string{"-cookie", "sid=1; Path=/; HttpOnly"}, false, `-cookie: "Path=/" is an attribute of a Set-Cookie line, not a cookie`},
		{"a Set-Cookie flag", []string{"-cookie", "sid=1; secure"}, false, `-cookie: "secure" is an attribute of a Set-Cookie line`},
		{"a value Go's cookie parser refuses", []string{"-cookie", `prefs={"a":1,"b":2}`}, false, ""},
		{"the same with -browser", []string{"-browser", "-chromium", chromiumPath, "-cookie", `prefs={"a":1,"b":2}`}, true, "-cookie: with -browser, every name=value pair must be a valid cookie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.browser {
				chromiumtest.Require(t)
			}
			code, stdout, stderr := runScanCmd(t, "", append(tc.args, "-skip-error-page", srv.URL+"/protected")...)
			switch {
			case tc.want == "" && code != exitOK:
				t.Errorf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			case tc.want != "" && (code != exitUsage || !strings.Contains(stderr, tc.want)):
				t.Errorf("exit code %d, stderr:\n%s\nwant %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestScan_jsonl checks that -format jsonl writes one result object per
// line, in input order.
func TestScan_jsonl(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	urls := []string{srv.URL + "/protected", srv.URL + "/star", srv.URL + "/legacy"}
	code, stdout, _ := runScanCmd(t, "", append([]string{"-format", "jsonl", "-skip-error-page"}, urls...)...)
	if code != exitFailure {
		t.Errorf("exit code %d, want 1 (the star page)", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(urls) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(urls), stdout)
	}
	for i, l := range lines {
		var r struct {
			URL      string            `json:"url"`
			Verdicts []json.RawMessage `json:"verdicts"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d is not a JSON object: %v", i+1, err)
		}
		if r.URL != urls[i] || len(r.Verdicts) != 3 {
			t.Errorf("line %d: url %s with %d verdicts, want %s with 3", i+1, r.URL, len(r.Verdicts), urls[i])
		}
	}
}

// TestScan_headersAndCookie checks that -header and -cookie (also from a
// file and from CLICKGUARD_COOKIE) reach the server.
func TestScan_headersAndCookie(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cookieFile := write("cookie", []byte("session=fromfile\n"))
	headerFile := write("headers", []byte("X-A: 1\r\nX-B: two words\n\n"))
	// As Notepad saves them, with UTF-8's byte order mark, and as Windows
	// PowerShell's > writes them, in UTF-16 with a byte order mark.
	bomCookie := write("cookie-bom", []byte("\uFEFFsession=fromfile\r\n"))
	bomHeaders := write("headers-bom", []byte("\uFEFFX-A: 1\r\n"))
	utf16Cookie := write("cookie-utf16", utf16LE("\uFEFFsession=fromfile\r\n"))
	utf16Headers := write("headers-utf16", utf16LE("\uFEFFX-A: 1\r\nX-B: two words\r\n"))
	// Two requests per run: the framed navigation and the top-level one.
	got := make(chan http.Header, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/p" {
			got <- r.Header.Clone()
		}
	}))
	defer srv.Close()
	tests := []struct {
		name string
		env  string
		args []string
		want map[string]string
	}{
		{"flags", "", []string{"-header", "Authorization: Bearer x", "-cookie", "session=abc"},
			map[string]string{"Authorization": "Bearer x", "Cookie": "session=abc"}},
		{"files", "", []string{"-header", "@" + headerFile, "-cookie", "@" + cookieFile},
			map[string]string{"X-A": "1", "X-B": "two words", "Cookie": "session=fromfile"}},
		{"files with a byte order mark", "", []string{"-header", "@" + bomHeaders, "-cookie", "@" + bomCookie},
			map[string]string{"X-A": "1", "Cookie": "session=fromfile"}},
		{"files in UTF-16", "", []string{"-header", "@" + utf16Headers, "-cookie", "@" + utf16Cookie},
			map[string]string{"X-A": "1", "X-B": "two words", "Cookie": "session=fromfile"}},
		{"environment", "session=env", nil, map[string]string{"Cookie": "session=env"}},
		{"flag beats environment", "session=env", []string{"-cookie", "session=flag"}, map[string]string{"Cookie": "session=flag"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CLICKGUARD_COOKIE", tc.env)
			args := append(slices.Clone(tc.args), "-skip-error-page", "-fail-on", "never", srv.URL+"/p")
			code, _, stderr := runScanCmd(t, "", args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for range 2 {
				h := <-got
				for name, want := range tc.want {
					if h.Get(name) != want {
						t.Errorf("%s: %s = %q, want %q", h.Get("Sec-Fetch-Dest"), name, h.Get(name), want)
					}
				}
			}
		})
	}
}

func TestScan_help(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"help", "scan"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	checkGolden(t, "help-scan.golden", stdout.String())
}

// TestUseColor: colour only for a character device, and never with
// NO_COLOR set.
func TestUseColor(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	file, err := os.Create(filepath.Join(t.TempDir(), "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if useColor(&bytes.Buffer{}) {
		t.Errorf("useColor(buffer) = true")
	}
	if useColor(file) {
		t.Errorf("useColor(regular file) = true")
	}
	if !useColor(devNull) {
		t.Errorf("useColor(%s) = false for a character device", os.DevNull)
	}
	t.Setenv("NO_COLOR", "1")
	if useColor(devNull) {
		t.Errorf("useColor with NO_COLOR set = true")
	}
}

// TestScan_interrupted: when the context ends mid-scan (as on Ctrl-C),
// the command exits with its own code, not that of a finding, the JSON
// report is still a complete document, and every report says that the
// scan was interrupted, after the URLs done so far.
func TestScan_interrupted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close) // the parallel subtests outlive this function's body
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"scan", "-format", format, "-skip-error-page", srv.URL + "/done", srv.URL + "/hang"}, &stdout, &stderr)
			if code != exitInterrupted {
				t.Errorf("exit code %d, want %d", code, exitInterrupted)
			}
			if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "context deadline exceeded") {
				t.Errorf("stderr %q does not say what happened and why", stderr.String())
			}
			if format == "text" {
				if want := "INTERRUPTED before every URL was scanned (scan: context deadline exceeded): 1 URL scanned,"; !strings.Contains(stdout.String(), want) {
					t.Errorf("text report does not say %q:\n%s", want, stdout.String())
				}
				return
			}
			var doc struct {
				scanJSON
				Interrupted string `json:"interrupted"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("interrupted report is not JSON: %v\n%s", err, stdout.String())
			}
			if len(doc.Results) != 1 || !strings.Contains(doc.Interrupted, "context deadline exceeded") {
				t.Errorf("json report: %d results, interrupted %q; want 1 and why", len(doc.Results), doc.Interrupted)
			}
		})
	}
}

// TestScan_interruptedReadingURLs: an interrupt ends a scan whose -urls
// - is a terminal or a pipe that has nothing to give yet, at once, with
// the interrupted report: it does not wait for the next line.
func TestScan_interruptedReadingURLs(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprint(w, "<!doctype html><title>ok</title>")
	}))
	t.Cleanup(srv.Close)
	sf, err := parseScanFlags([]string{"-skip-error-page", "-format", "json", "-urls", "-", srv.URL + "/given"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	stdin, typing := io.Pipe() // open, with nothing typed yet
	t.Cleanup(func() { typing.Close() })
	sf.stdin = stdin
	ctx, cancel := context.WithCancel(t.Context())
	var stdout bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- sf.run(ctx, &stdout) }()
	if _, err := io.WriteString(typing, srv.URL+"/typed\n"); err != nil { // read: the next read waits
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel() // Ctrl-C
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		typing.Close()
		<-done
		t.Fatal("the scan still ran 5 s after the interrupt, waiting for the next line")
	}
	if ee, ok := errors.AsType[*exitError](err); !ok || ee.code != exitInterrupted {
		t.Errorf("run = %v, want exit code %d", err, exitInterrupted)
	}
	var doc struct {
		scanJSON
		Interrupted string `json:"interrupted"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Interrupted == "" {
		t.Errorf("report %q (%v): want JSON that says it was interrupted", stdout.String(), err)
	}
}

// TestScan_messages checks that the messages of common mistakes say what
// to do, and that a mistake on the command line is a usage error.
func TestScan_messages(t *testing.T) {
	t.Parallel()
	tls := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused
	tls.StartTLS()
	t.Cleanup(tls.Close)
	wall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("consent"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "consent", Value: "1", Path: "/"})
			http.Redirect(w, r, "/", http.StatusFound)
		}
	}))
	t.Cleanup(wall.Close)
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	t.Cleanup(limited.Close)
	tests := []struct {
		name   string
		args   []string
		code   int
		want   string // in stdout or stderr
		unwant string
	}{
		{"port out of range", []string{"http://127.0.0.1:99999/"}, exitUsage, "port 99999 is not between 1 and 65535", "dial"},
		{"port zero", []string{"http://127.0.0.1:0/"}, exitUsage, "port 0 is not between 1 and 65535", ""},
		{"empty URL", []string{""}, exitUsage, `invalid URL "": empty`, "https://"},
		{"blank URL", []string{"  "}, exitUsage, "empty", "https://"},
		{"unknown -fail-on", []string{"-fail-on", "critical", "http://a.example/"}, exitUsage, "want info, low, medium, high or never", ""},
		{"timeout without a unit", []string{"-timeout", "1", "http://a.example/"}, exitUsage, "missing unit: write 1s for seconds", ""},
		{"timeout not a duration", []string{"-timeout", "soon", "http://a.example/"}, exitUsage, "not a duration such as 10s", ""},
		{"cookie as a header", []string{"-header", "Cookie: session=abc", "-cookie", "other=1", "http://a.example/"}, exitUsage,
			"-header: give the cookie with -cookie, not as a Cookie header: -cookie is the one the browser proof (-browser) sends too", "session=abc"},
		{"certificate not trusted", []string{"-skip-error-page", tls.URL + "/"}, exitUnreachable, "accept any certificate with -insecure", ""},
		{"cookie wall", []string{"-skip-error-page", wall.URL + "/"}, exitUnreachable, "the redirects set the cookie consent, which the scanner does not send back (it keeps no cookie between redirects), as a cookie wall expects (send it with -cookie, with the value a browser gets)", ""},
		{"cookie wall with its cookie", []string{"-skip-error-page", "-fail-on", "never", "-cookie", "consent=1", wall.URL + "/"}, exitOK, "", "cookie"},
		{"rate limited", []string{"-skip-error-page", limited.URL + "/"}, exitUnreachable, "the server answered 429 Too Many Requests, limiting the scan's requests, and asked to wait 120 seconds: its answer is not the page (scan it again later, or more slowly with -rate)", "FRAMABLE"},
		{"certificate accepted", []string{"-skip-error-page", "-insecure", "-fail-on", "never", tls.URL + "/"}, exitOK, "", "-insecure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScanCmd(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			// The first line of stderr: the usage that follows names every flag.
			out := stdout + strings.SplitN(stderr, "\n", 2)[0]
			if !strings.Contains(out, tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
			if tc.unwant != "" && strings.Contains(out, tc.unwant) {
				t.Errorf("output says %q:\n%s", tc.unwant, out)
			}
		})
	}
}

// TestScan_urlsFile: -urls adds the URLs of a file, after those of the
// command line, skipping blank lines and comments.
func TestScan_urlsFile(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	list := filepath.Join(t.TempDir(), "urls.txt")
	content := "# pages to check\n" + srv.URL + "/protected\n\n   " + srv.URL + "/legacy  \r\n" + srv.URL + "/star"
	if err := os.WriteFile(list, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runScanCmd(t, "", "-format", "jsonl", "-skip-error-page", "-urls", list, srv.URL+"/embed")
	if code != exitFailure {
		t.Errorf("exit code %d, want 1 (the star page); stderr %s", code, stderr)
	}
	var got []string
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var r struct{ URL string }
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimPrefix(r.URL, srv.URL))
	}
	want := []string{"/embed", "/protected", "/legacy", "/star"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scanned URLs mismatch (-want +got):\n%s", diff)
	}

	// The same list as Notepad saves it, with UTF-8's byte order mark, and
	// as Windows PowerShell's > writes it, in UTF-16 with a byte order mark.
	for name, b := range map[string][]byte{"UTF-8 with a byte order mark": []byte("\uFEFF" + content), "UTF-16": utf16LE("\uFEFF" + content)} {
		if err := os.WriteFile(list, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runScanCmd(t, "", "-format", "jsonl", "-skip-error-page", "-urls", list)
		if code != exitFailure {
			t.Errorf("%s: exit code %d, want 1 (the star page); stderr %s", name, code, stderr)
		}
		var got []string
		for l := range strings.Lines(stdout) {
			var r struct{ URL, Error string }
			if err := json.Unmarshal([]byte(l), &r); err != nil || r.Error != "" {
				t.Errorf("%s: result %s: %v", name, l, err)
			}
			got = append(got, strings.TrimPrefix(r.URL, srv.URL))
		}
		if diff := cmp.Diff(want[1:], got); diff != "" {
			t.Errorf("%s: scanned URLs mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// utf16LE is s in UTF-16, little-endian.
func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestScan_crawl checks -crawl end to end: the pages found follow their
// start URL with found_on, the limit holds, no logout link is requested,
// and the exit codes: a crawled page that cannot be fetched exits 3, one
// that redirects to another origin does not.
func TestScan_crawl(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to the other origin: %s", r.URL)
	}))
	defer other.Close()
	var (
		mu       sync.Mutex
		requests []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
			return
		case "/broken":
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<a href="/one">1</a> <a href="two">2</a> <a href="/logout">bye</a> <a href="/broken">?</a>`)
		case "/leaves":
			fmt.Fprint(w, `<a href="/away">elsewhere</a>`)
		}
	}))
	defer srv.Close()
	s := srv.URL

	code, stdout, stderr := runScanCmd(t, "", "-crawl", "2", "-format", "jsonl", "-skip-error-page", s+"/")
	if code != exitOK {
		t.Errorf("-crawl 2: exit code %d, want 0\n%s%s", code, stdout, stderr)
	}
	var got []string
	for l := range strings.Lines(stdout) {
		var r struct {
			URL     string `json:"url"`
			FoundOn string `json:"found_on"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.URL+" <- "+r.FoundOn)
	}
	if want := []string{s + "/ <- ", s + "/one <- " + s + "/", s + "/two <- " + s + "/"}; !slices.Equal(got, want) {
		t.Errorf("-crawl 2 reported %q, want %q", got, want)
	}

	code, stdout, _ = runScanCmd(t, "", "-crawl", "10", "-skip-error-page", s+"/")
	if code != exitUnreachable {
		t.Errorf("a crawled page unreachable: exit code %d, want 3\n%s", code, stdout)
	}
	if want := s + "/broken\n  found on " + s + "/\n  error: "; !strings.Contains(stdout, want) {
		t.Errorf("text report without %q:\n%s", want, stdout)
	}

	// A crawled page redirecting away is reported, as not followed, in
	// every format, and is not an error in any.
	code, stdout, _ = runScanCmd(t, "", "-crawl", "10", "-skip-error-page", s+"/leaves")
	if code != exitOK || !strings.Contains(stdout, "not followed: redirect to another origin not followed") || !strings.Contains(stdout, "0 errors") {
		t.Errorf("a crawled page redirecting away: exit code %d, want 0, the redirect reported, and no error:\n%s", code, stdout)
	}
	code, stdout, _ = runScanCmd(t, "", "-crawl", "10", "-skip-error-page", "-format", "sarif", s+"/leaves")
	var sarif struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				Notifications       []struct {
					Level string `json:"level"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &sarif); err != nil {
		t.Fatal(err)
	}
	if inv := sarif.Runs[0].Invocations[0]; code != exitOK || !inv.ExecutionSuccessful || len(inv.Notifications) != 1 || inv.Notifications[0].Level != "note" {
		t.Errorf("sarif for a crawled page redirecting away: exit code %d, invocation %+v; want 0, successful, one note", code, inv)
	}

	code, stdout, _ = runScanCmd(t, "", "-skip-error-page", s+"/")
	if code != exitOK || strings.Count(stdout, s+"/") != 1 {
		t.Errorf("without -crawl: exit code %d, want only the URL given:\n%s", code, stdout)
	}
	if code, _, stderr := runScanCmd(t, "", "-crawl", "-1", s+"/"); code != exitUsage || !strings.Contains(stderr, "-crawl must be") {
		t.Errorf("-crawl -1: exit code %d, want 2\n%s", code, stderr)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if r != "GET "+strings.Fields(r)[1] || strings.Contains(r, "logout") {
			t.Errorf("request %s: the crawl only GETs pages that do not log out", r)
		}
	}
}

// TestScan_credentialsStayOnOrigin: -cookie and -header go to the origin
// of the URL given only, never to another origin a redirect leads to, nor
// to that origin's missing page.
func TestScan_credentialsStayOnOrigin(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	leaked := func(h http.Header) bool {
		return h.Get("Cookie") != "" || h.Get("X-Api-Key") != "" || h.Get("Authorization") != ""
	}
	var mu sync.Mutex
	var otherPaths []string
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherPaths = append(otherPaths, r.URL.Path)
		mu.Unlock()
		if leaked(r.Header) {
			t.Errorf("request to the other origin %s with Cookie %q, Authorization %q, X-Api-Key %q",
				r.URL.Path, r.Header.Get("Cookie"), r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
		}
	}))
	other.Listener.Close()
	other.Listener = l
	other.Start()
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !leaked(r.Header) {
			t.Errorf("request to the origin given %s without the credentials", r.URL.Path)
		}
		http.Redirect(w, r, other.URL+"/p", http.StatusFound)
	}))
	defer srv.Close()
	code, stdout, stderr := runScanCmd(t, "", "-cookie", "sid=SECRET", "-header", "Authorization: Bearer TOK", "-header", "X-Api-Key: KEY",
		"-fail-on", "never", srv.URL+"/r/cross")
	if code != exitOK {
		t.Errorf("exit code %d, want 0\n%s%s", code, stdout, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(otherPaths, func(p string) bool { return strings.HasPrefix(p, "/clickguard-scan-") }) {
		t.Errorf("requests to the other origin %q: want its missing page among them", otherPaths)
	}
}

// TestScan_rateOption checks that -rate reaches the scan's options (its
// effect is scan.TestRun_rate's business).
func TestScan_rateOption(t *testing.T) {
	t.Parallel()
	sf, err := parseScanFlags([]string{"-rate", "2.5", "http://a.example/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if sf.opts.Rate != 2.5 {
		t.Errorf("-rate 2.5 gives Options.Rate %v", sf.opts.Rate)
	}
}

// TestScan_urlsLongLines: a -urls line longer than bufio.Scanner's 64 KiB
// is a URL like any other, one longer than scan.MaxURLBytes (Chromium's
// own bound) is an error result, and the lines after both are scanned; a
// byte order mark starts any line of files joined with cat, not only the
// first.
func TestScan_urlsLongLines(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	t.Cleanup(srv.Close)
	long := srv.URL + "/protected?q=" + strings.Repeat("a", 70<<10)
	tooLong := "  " + srv.URL + "/protected?q=" + strings.Repeat("b", scan.MaxURLBytes)
	list := filepath.Join(t.TempDir(), "urls.txt")
	content := "\uFEFF" + srv.URL + "/protected\n" + long + "\n" + tooLong + "\n\uFEFF" + srv.URL + "/legacy\n\uFEFF# a comment\n"
	if err := os.WriteFile(list, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runScanCmd(t, "", "-format", "json", "-fail-on", "never", "-skip-error-page", "-urls", list)
	if code != exitUnreachable || stderr != "" {
		t.Errorf("exit code %d, stderr %q; want %d (a line not scanned) and nothing", code, stderr, exitUnreachable)
	}
	var doc struct {
		Results []struct{ URL, Error string }
		// Interrupted is absent: every line was read.
		Interrupted *string
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if doc.Interrupted != nil {
		t.Errorf("interrupted %q, want none", *doc.Interrupted)
	}
	if len(doc.Results) != 4 {
		t.Fatalf("got %d results, want 4:\n%.2000s", len(doc.Results), stdout)
	}
	for i, want := range []string{srv.URL + "/protected", long, "", srv.URL + "/legacy"} {
		r := doc.Results[i]
		if want == "" {
			// The line too long: an error that says why, its URL cut.
			if !strings.Contains(r.Error, "longer than 2 MiB (2097152 bytes), the most Chromium takes in a URL") || len(r.URL) > 1024 || len(r.Error) > 1024 {
				t.Errorf("result %d: URL of %d bytes, error %.300q; want a short one that says the line is too long", i, len(r.URL), r.Error)
			}
			continue
		}
		if r.URL != want || r.Error != "" {
			t.Errorf("result %d: URL %.100q, error %q; want %.100q scanned", i, r.URL, r.Error, want)
		}
	}
}

// TestScan_urlsReadError: a -urls file that cannot be read to its end
// leaves a report that says it is incomplete, in every format, and exits 3,
// not 1 with a report that looks whole.
func TestScan_urlsReadError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	t.Cleanup(srv.Close)
	for _, format := range []string{"text", "json", "sarif", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			sf, err := parseScanFlags([]string{"-format", format, "-fail-on", "never", "-skip-error-page", "-urls", "-"}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			// /legacy has a finding, which every format reports.
			sf.stdin = io.MultiReader(strings.NewReader(srv.URL+"/legacy\n"), iotest.ErrReader(errors.New("disk gone")))
			var stdout, stderr bytes.Buffer
			code := report(sf.run(t.Context(), &stdout), &stderr)
			if want := "clickguard: scan: read -urls -: disk gone: the URLs after line 1 were not scanned\n"; code != exitUnreachable || stderr.String() != want {
				t.Errorf("exit code %d, stderr %q; want %d and %q", code, stderr.String(), exitUnreachable, want)
			}
			out := stdout.String()
			if !strings.Contains(out, "/legacy") {
				t.Errorf("the URL read is not reported:\n%s", out)
			}
			switch format {
			case "json":
				var doc struct{ Interrupted string }
				if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || !strings.Contains(doc.Interrupted, "disk gone") {
					t.Errorf("interrupted %q (%v), want the read error", doc.Interrupted, err)
				}
			case "sarif":
				if !strings.Contains(out, `"executionSuccessful": false`) || !strings.Contains(out, "disk gone") {
					t.Errorf("SARIF log does not fail the invocation with the read error:\n%s", out)
				}
			default:
				if !strings.Contains(out, "disk gone") {
					t.Errorf("%s report does not say that the scan stopped:\n%s", format, out)
				}
			}
		})
	}
}

// TestScan_passwordNotEchoed: a password in a URL that does not parse is
// not echoed either, in any format or in the usage error of the command
// line.
func TestScan_passwordNotEchoed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	secrets := []string{"s3cr%t", "pw99", "pw3", "hunter2"}
	lines := []string{
		"http://alice:s3cr%t@" + host + "/protected", // a raw % in the password
		"http://alice:pw99@" + host + "/%zz",         // a bad escape elsewhere
		"alice:pw3@" + host + "/",                    // no scheme
		"http://alice:hunter2@" + host + "/legacy",   // parses: reported redacted
	}
	list := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(list, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, out string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("password %q echoed:\n%s", s, out)
			}
		}
	}
	for _, format := range []string{"text", "json", "jsonl", "sarif", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runScanCmd(t, "", "-format", format, "-skip-error-page", "-urls", list)
			if code != exitUnreachable {
				t.Errorf("exit code %d, want %d", code, exitUnreachable)
			}
			check(t, stdout+stderr)
			if n := strings.Count(stdout, "alice:xxxxx@"); n < len(lines) {
				t.Errorf("%d URLs shown redacted, want %d at least:\n%s", n, len(lines), stdout)
			}
		})
	}
	for _, u := range lines[:3] {
		code, stdout, stderr := runScanCmd(t, "", u)
		if code != exitUsage || !strings.Contains(stderr, "alice:xxxxx@") {
			t.Errorf("scan %s: exit code %d, stderr %q; want a usage error that shows the URL redacted", u, code, strings.SplitN(stderr, "\n", 2)[0])
		}
		check(t, stdout+stderr)
	}
}
