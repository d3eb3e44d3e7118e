package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/scan"
)

const chromiumPath = chromiumtest.Path

// TestScan_browser scans pages whose headers are the same for every
// request with -browser: Chromium must render exactly where the model
// predicts, with no browser-disagrees finding.
func TestScan_browser(t *testing.T) {
	chromiumtest.Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/deny":
			w.Header().Set("X-Frame-Options", "DENY")
		case "/sameorigin":
			w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		case "/self":
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		case "/attacker":
			w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example")
		case "/both":
			w.Header().Set("X-Frame-Options", "DENY")
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		}
		fmt.Fprint(w, "<!doctype html><title>page</title>")
	}))
	defer srv.Close()
	var urls []string
	for _, p := range []string{"/none", "/deny", "/sameorigin", "/self", "/attacker", "/both"} {
		urls = append(urls, srv.URL+p)
	}
	code, stdout, stderr := runScanCmd(t, "", append([]string{"-browser", "-chromium", chromiumPath, "-timeout", "60s", "-skip-error-page", "-fail-on", "never", "-format", "json"}, urls...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit code %d, stderr %q; want 0 and nothing:\n%s", code, stderr, stdout)
	}
	var doc struct{ Results []scan.Result }
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, stdout)
	}
	// Lists are lists, empty ones too, as without -browser.
	var raw struct{ Results []map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("decode: %v", err)
	}
	for i, r := range raw.Results {
		if f := string(r["findings"]); !strings.HasPrefix(f, "[") {
			t.Errorf("%s: \"findings\": %s, want a list", urls[i], f)
		}
	}
	framable := 0
	for _, r := range doc.Results {
		for _, v := range r.Verdicts {
			if v.Browser == nil || v.Browser.Error != "" || !strings.HasPrefix(v.Browser.Browser, "Chromium ") {
				t.Errorf("%s in %q: browser proof %+v, want Chromium's verdict", r.URL, v.Ancestors, v.Browser)
				continue
			}
			if v.Browser.Rendered != v.Framable {
				t.Errorf("%s in %q: Chromium rendered %v, model framable %v: %s", r.URL, v.Ancestors, v.Browser.Rendered, v.Framable, v.Browser.What)
			}
			if v.Framable {
				framable++
			}
		}
		for _, f := range r.Findings {
			if f.ID == "browser-disagrees" {
				t.Errorf("%s: %s", r.URL, f.Message)
			}
		}
	}
	// none: 3, sameorigin and self: own origin, attacker: foreign.
	if framable != 6 {
		t.Errorf("%d framable verdicts, want 6: the pages do not exercise both outcomes", framable)
	}
}

// TestScan_browserDisagrees scans pages that answer Chromium with other
// headers than they give the scanner (told apart by the scanner's
// User-Agent, as a site that cloaks for scanners would), both ways: each
// contradicted verdict must become a browser-disagrees finding, exit 1, and
// -screenshot must save the PNGs.
func TestScan_browserDisagrees(t *testing.T) {
	chromiumtest.Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		browser := r.Header.Get("User-Agent") != scan.UserAgent
		if r.URL.Path == "/open-to-frames" && !browser || r.URL.Path == "/closed-to-frames" && browser {
			w.Header().Set("X-Frame-Options", "DENY")
		}
		fmt.Fprint(w, "<!doctype html><title>two-faced</title><p>two-faced page")
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "shots")
	code, stdout, stderr := runScanCmd(t, srv.URL, "-browser", "-chromium", chromiumPath, "-timeout", "60s", "-skip-error-page", "-screenshot", dir,
		srv.URL+"/open-to-frames", srv.URL+"/closed-to-frames")
	if code != exitFailure || stderr != "" {
		t.Errorf("exit code %d, stderr %q; want %d and nothing", code, stderr, exitFailure)
	}
	if n := strings.Count(stdout, "HIGH    browser-disagrees: Chromium "); n != 6 {
		t.Errorf("report has %d browser-disagrees findings, want 6 (3 chains, 2 pages):\n%s", n, stdout)
	}
	if n := strings.Count(stdout, "rendered: document http://127.0.0.1:PORT/open-to-frames titled \"two-faced\" (DISAGREES with the prediction)"); n != 3 {
		t.Errorf("report shows Chromium rendering the page the scanner saw protected %d times, want 3:\n%s", n, stdout)
	}
	// The error page's text may not be filled in yet when it is read, so
	// only its address is required.
	if n := len(regexp.MustCompile(`blocked: Chromium's error page \(chrome-error://chromewebdata/\).*\(DISAGREES with the prediction\)`).FindAllString(stdout, -1)); n != 3 {
		t.Errorf("report shows Chromium refusing the page the scanner saw open %d times, want 3:\n%s", n, stdout)
	}
	shots, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(shots) != 6 {
		t.Errorf("%d screenshots in %s, want 6", len(shots), dir)
	}
	for _, s := range shots {
		if b, err := os.ReadFile(s); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("screenshot %s is not a PNG (%v)", s, err)
		}
	}
}

func TestScan_browserUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-screenshot", t.TempDir(), "http://127.0.0.1:1/"},
		{"-chromium", chromiumPath, "http://127.0.0.1:1/"},
		{"-browser", "-chromium", "/nonexistent/chromium", "http://127.0.0.1:1/"},
		{"-browser", "-chromium", chromiumPath, "-header", "Host: site.example", "http://127.0.0.1:1/"},
	} {
		code, _, stderr := runScanCmd(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "-browser") {
			t.Errorf("scan %q: exit code %d, stderr %q; want %d naming -browser", args, code, stderr, exitUsage)
		}
	}

	// A -screenshot that names a file, or a directory that cannot be made,
	// is a usage error, before Chromium starts.
	chromiumtest.Require(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(file, "shots")} {
		code, stdout, stderr := runScanCmd(t, "", "-browser", "-chromium", chromiumPath, "-screenshot", dir, "http://127.0.0.1:1/")
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "-screenshot: mkdir "+file+": not a directory: name a directory") {
			first, _, _ := strings.Cut(stderr, "\n")
			t.Errorf("scan -screenshot %s: exit code %d, stdout %q, stderr %q…; want %d saying %s is not a directory", dir, code, stdout, first, exitUsage, file)
		}
	}
}
