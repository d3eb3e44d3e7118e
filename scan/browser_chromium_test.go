package scan_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/scan"
	"github.com/clickguard/clickguard/scan/proof"
)

// TestRun_browserChromium scans, with Chromium's proof and a cookie, a URL
// that redirects to a page whose frame-ancestors source has a path, and a
// page that navigates itself to one that refuses frames, and responses that
// show nothing in a frame: a 204, a download, a 407 and redirects to a data:
// URL and to an application's own scheme. Chromium must agree with every
// verdict (it ignores the path after the redirect, it rendered the page
// asked for, and it shows nothing of the last five, which it says before
// the proof's deadline), and the cookie must reach no other origin than the
// URL's.
func TestRun_browserChromium(t *testing.T) {
	chromiumtest.Require(t)
	var mu sync.Mutex
	leaked := map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := r.Header.Get("Cookie"); c != "" {
			mu.Lock()
			leaked[r.URL.Path] = c
			mu.Unlock()
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		fmt.Fprint(w, "<!doctype html><title>landing</title>")
	}))
	defer other.Close()
	// Another host name, so another origin and no cookie of the URL's.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/path", http.StatusFound)
			return
		case "/away":
			http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
			return
		case "/path":
			w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		case "/deny":
			w.Header().Set("X-Frame-Options", "DENY")
		case "/js-nav":
			fmt.Fprint(w, "<!doctype html><title>js-nav</title><script>location.href = '/deny'</script>")
			return
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		case "/download":
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprint(w, "<!doctype html><title>download</title>")
			return
		case "/proxy-auth":
			w.WriteHeader(http.StatusProxyAuthRequired)
			fmt.Fprint(w, "<!doctype html><title>407</title>")
			return
		case "/data":
			http.Redirect(w, r, "data:text/html,<title>data</title>", http.StatusFound)
			return
		case "/app":
			http.Redirect(w, r, "clickguard-test://open", http.StatusFound)
			return
		}
		fmt.Fprint(w, "<!doctype html><title>page</title>")
	}))
	defer srv.Close()

	b := startProver(t, proof.Options{Cookie: "sid=s3cret"})
	opts := scan.Options{SkipErrorPage: true, Browser: b, Cookie: "sid=s3cret", Timeout: 30 * time.Second}
	nothing := []string{"/empty", "/download", "/proxy-auth", "/data", "/app"}
	urls := []string{srv.URL + "/redirect", srv.URL + "/away", srv.URL + "/js-nav"}
	for _, p := range nothing {
		urls = append(urls, srv.URL+p)
	}
	err := scan.Run(t.Context(), opts, urls, func(res scan.Result) {
		if res.Error != "" {
			t.Errorf("%s: %s", res.URL, res.Error)
			return
		}
		for _, v := range res.Verdicts {
			if v.Browser == nil || v.Browser.Error != "" {
				t.Errorf("%s in %q: no proof: %+v", res.URL, v.Ancestors, v.Browser)
			}
			if slices.Contains(nothing, strings.TrimPrefix(res.URL, srv.URL)) {
				if v.Framable || v.DecidedBy != string(framing.DecidedByNoDocument) || v.Browser == nil || v.Browser.Rendered {
					t.Errorf("%s in %q: framable = %v, Chromium: %+v; want nothing of the page, predicted and proved", res.URL, v.Ancestors, v.Framable, v.Browser)
				}
			}
		}
		for _, f := range res.Findings {
			if f.ID == "browser-disagrees" {
				t.Errorf("%s: %s %q", res.URL, f.Message, f.Evidence)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) != 0 {
		t.Errorf("the cookie reached another origin: %q", leaked)
	}
}

// TestRun_olderChromium proves in the local Chromium two pages that
// Chromium 150 and older read otherwise than Chromium 156, whose verdicts
// the scanner predicts: an HTML page with Content-Disposition: attachment
// on two lines and no framing header, a download to Chromium 156 and a
// page to 150; and one whose only policy is "frame-ancestors<VT>'none'", a
// directive of another name to Chromium 156 (framable) and frame-ancestors
// 'none' to 150. Each gets its older-chromium-differs finding (medium for
// the first, info for the second) and no browser-disagrees: from Chromium
// 156 on the proof agrees with the prediction; up to 150 it gives 150's
// reading, which each proof says; in between either may hold.
func TestRun_olderChromium(t *testing.T) {
	chromiumtest.Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/twice":
			w.Header()["Content-Disposition"] = []string{"attachment", "attachment"}
		case "/vt":
			w.Header().Set("Content-Security-Policy", "frame-ancestors\v'none'")
		}
		fmt.Fprint(w, "<!doctype html><title>page</title>")
	}))
	defer srv.Close()
	b := startProver(t, proof.Options{})
	_, v, _ := strings.Cut(b.Version(), " ")
	major, err := strconv.Atoi(strings.Split(v, ".")[0])
	if err != nil {
		t.Fatalf("browser version %q: %v", b.Version(), err)
	}
	want := map[string]struct {
		framable bool
		severity scan.Severity
	}{"/twice": {false, scan.SeverityMedium}, "/vt": {true, scan.SeverityInfo}}
	err = scan.Run(t.Context(), scan.Options{SkipErrorPage: true, Browser: b, Timeout: 30 * time.Second}, []string{srv.URL + "/twice", srv.URL + "/vt"}, func(res scan.Result) {
		w := want[strings.TrimPrefix(res.URL, srv.URL)]
		if len(res.Verdicts) != 3 {
			t.Errorf("%s: %d verdicts: %v", res.URL, len(res.Verdicts), res.Error)
			return
		}
		older := 0
		for _, f := range res.Findings {
			switch f.ID {
			case "browser-disagrees":
				t.Errorf("%s in %s: %s %q", res.URL, b.Version(), f.Message, f.Evidence)
			case "older-chromium-differs":
				older++
				if f.Severity != w.severity {
					t.Errorf("%s: %s: %s (%s), want %s", res.URL, f.ID, f.Message, f.Severity, w.severity)
				}
			}
		}
		if older != 1 {
			t.Errorf("%s: %d older-chromium-differs findings, want 1", res.URL, older)
		}
		reads := 0
		for _, v := range res.Verdicts {
			if v.Framable != w.framable || v.Browser == nil || v.Browser.Error != "" {
				t.Errorf("%s: verdict %q: framable %v, browser %+v; want framable %v, proved", res.URL, v.Chain, v.Framable, v.Browser, w.framable)
				continue
			}
			if v.Browser.Reads != "" {
				reads++
			}
		}
		switch {
		case major >= framing.Chromium && reads != 0, major <= 150 && reads != 3:
			t.Errorf("%s in %s: %d proofs read the response as Chromium 150 does (%+v)", res.URL, b.Version(), reads, res.Verdicts)
		}
		t.Logf("%s in %s: %d proofs read the response as Chromium 150 does", res.URL, b.Version(), reads)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRun_redirectLimitChromium checks that the scanner follows, by
// default, as many redirects as Chromium does in a frame: a page reached
// through DefaultMaxRedirects redirects is judged, and proved rendered; one
// more redirect is an error for both.
func TestRun_redirectLimitChromium(t *testing.T) {
	chromiumtest.Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n > 0 {
			http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
			return
		}
		fmt.Fprint(w, "<!doctype html><title>landing</title>")
	}))
	defer srv.Close()
	b := startProver(t, proof.Options{})
	within := fmt.Sprintf("%s/%d", srv.URL, scan.DefaultMaxRedirects)
	beyond := fmt.Sprintf("%s/%d", srv.URL, scan.DefaultMaxRedirects+1)
	foreign := []string{"http://attacker.example"}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if f, err := b.Load(ctx, within, foreign); err != nil || !f.Rendered || f.Title != "landing" {
		t.Errorf("Chromium, %d redirects: %s, %v; want the landing page rendered", scan.DefaultMaxRedirects, f.What(), err)
	}
	if f, err := b.Load(ctx, beyond, foreign); err == nil || !strings.Contains(err.Error(), "ERR_TOO_MANY_REDIRECTS") {
		t.Errorf("Chromium, %d redirects: %s, %v; want ERR_TOO_MANY_REDIRECTS", scan.DefaultMaxRedirects+1, f.What(), err)
	}

	opts := scan.Options{SkipErrorPage: true, Browser: b, Timeout: 30 * time.Second, Chains: [][]string{foreign}}
	var got []scan.Result
	if err := scan.Run(t.Context(), opts, []string{within, beyond}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	if r := got[0]; r.Error != "" || len(r.Verdicts) != 1 || !r.Verdicts[0].Framable || r.Verdicts[0].Browser == nil || !r.Verdicts[0].Browser.Rendered {
		t.Errorf("scan, %d redirects: error %q, verdicts %+v; want framable, proved rendered", scan.DefaultMaxRedirects, r.Error, r.Verdicts)
	}
	if r := got[1]; !errors.Is(r.Err, scan.ErrTooManyRedirects) {
		t.Errorf("scan, %d redirects: error %v, want ErrTooManyRedirects", scan.DefaultMaxRedirects+1, r.Err)
	}
}

// TestRun_headerChromium: a page behind HTTP Basic authentication, scanned
// with its Authorization header, is judged by the page the scanner gets
// (DENY); Chromium, which is given no header, gets the 401 page, which
// sends no framing header, and renders it. That is another response, not
// a contradiction: the verdicts say they are not proved, and why, and no
// browser-disagrees finding follows. Load reports each status.
func TestRun_headerChromium(t *testing.T) {
	chromiumtest.Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="admin"`)
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprint(w, "<!doctype html><title>admin</title>")
	}))
	defer srv.Close()
	b := startProver(t, proof.Options{})
	foreign := []string{"http://attacker.example"}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if f, err := b.Load(ctx, srv.URL+"/", foreign); err != nil || !f.Rendered || f.Status != http.StatusUnauthorized {
		t.Errorf("Chromium: %s (status %d), %v; want the 401 page rendered", f.What(), f.Status, err)
	}

	opts := scan.Options{SkipErrorPage: true, Browser: b, Timeout: 30 * time.Second, Chains: [][]string{foreign},
		Header: http.Header{"Authorization": {"Basic YWRtaW46cHc="}}}
	var r scan.Result
	if err := scan.Run(t.Context(), opts, []string{srv.URL + "/"}, func(res scan.Result) { r = res }); err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusOK || len(r.Verdicts) != 1 || r.Verdicts[0].Framable {
		t.Fatalf("scan: status %d, verdicts %+v; want 200, blocked by X-Frame-Options", r.Status, r.Verdicts)
	}
	if bv := r.Verdicts[0].Browser; bv == nil || !strings.Contains(bv.Error, "got status 401 where the scanner got 200: it sends none of the headers given") {
		t.Errorf("scan: browser %+v; want not proved, for the 401 Chromium got", bv)
	}
	for _, f := range r.Findings {
		if f.ID == "browser-disagrees" {
			t.Errorf("finding %+v: the browser judged another response", f)
		}
	}
}

// startProver starts the Chromium proof with opts, on the Chromium the
// tests use, for the life of the test.
func startProver(t *testing.T, opts proof.Options) *proof.Browser {
	t.Helper()
	opts.Chromium = chromiumtest.Path
	b, err := proof.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("proof.Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
