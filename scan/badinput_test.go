package scan_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickguard/clickguard/scan"
)

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// garbageServer answers every connection with bytes that are not HTTP.
func garbageServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Read the request first: a reply before it is a different
			// failure (an unsolicited response on an idle connection).
			_, _ = c.Read(make([]byte, 4096))
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.9\r\n\x00\x01\x02 not http\r\n\r\n"))
			c.Close()
		}
	}()
	return l.Addr().String()
}

func TestRun_badInput(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/limited", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", r.URL.Query().Get("after"))
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/huge-header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Padding", strings.Repeat("a", 1<<20))
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("X-Frame-Options", "DENY")
		_, _ = w.Write([]byte{0, 1, 2, 0xff, '<', 'm', 'e', 't', 'a', 0})
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0, 1, 2, 0xff, '<', 'm', 'e', 't', 'a', 0})
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>again</p>", 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/stalled-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><head>"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/stalled-headers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	// Cleanup, not defer: the subtests run after this function returns.
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewUnstartedServer(mux)
	// The certificate test makes the server log a failed handshake.
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	tests := []struct {
		name     string
		url      string
		opts     scan.Options
		wantErr  string // substring of Result.Error; "" means success
		wantFind string // a finding id expected on success
	}{
		{"no scheme", "example.com/page", scan.Options{}, `no http:// or https:// scheme (did you mean "https://example.com/page"?)`, ""},
		{"host and port without a scheme", "127.0.0.1:18091/ok", scan.Options{}, `no http:// or https:// scheme (did you mean "https://127.0.0.1:18091/ok"?)`, ""},
		{"host name and port without a scheme", "localhost:8080", scan.Options{}, `(did you mean "https://localhost:8080"?)`, ""},
		{"ftp scheme", "ftp://example.com/", scan.Options{}, "scheme must be http or https", ""},
		{"script scheme", "javascript:alert(1)", scan.Options{}, `"javascript:alert(1)": scheme must be http or https`, ""},
		{"mail scheme", "mailto:a@example.com", scan.Options{}, "scheme must be http or https", ""},
		{"relative", "/account", scan.Options{}, `"/account": a relative URL`, ""},
		{"no host", "http:///path", scan.Options{}, "no host", ""},
		{"bad escape", "http://example.com/%zz", scan.Options{}, "invalid URL", ""},
		{"bad IPv6", "http://[::1/", scan.Options{}, "invalid URL", ""},
		{"control character", "http://example.com/\x7f", scan.Options{}, "invalid URL", ""},
		{"empty", "", scan.Options{}, "invalid URL", ""},
		{"longer than Chromium takes", "http://127.0.0.1:1/?q=" + strings.Repeat("a", scan.MaxURLBytes), scan.Options{}, `invalid URL "http://127.0.0.1:1/?q=aaa`, ""},
		{"Unicode host browsers refuse", "http://a\u200db.example/", scan.Options{}, "not a domain name browsers accept", ""},
		{"closed port", "http://" + closedPort(t) + "/", scan.Options{}, "connection refused", ""},
		{"not HTTP", "http://" + garbageServer(t) + "/", scan.Options{}, "malformed HTTP", ""},
		{"endless redirects", srv.URL + "/loop", scan.Options{}, "too many redirects (more than 19)", ""},
		{"huge headers", srv.URL + "/huge-header", scan.Options{}, "headers exceeded", ""},
		{"rate limited", srv.URL + "/limited?after=30", scan.Options{}, "rate limited: the server answered 429 Too Many Requests, limiting the scan's requests, and asked to wait 30 seconds: its answer is not the page", ""},
		{"rate limited until a date", srv.URL + "/limited?after=Sun,+06+Dec+2099+21:00:00+GMT", scan.Options{}, "and asked to wait until Sun, 06 Dec 2099 21:00:00 GMT: its answer", ""},
		{"rate limited, Retry-After unreadable", srv.URL + "/limited?after=soon", scan.Options{}, "limiting the scan's requests: its answer is not the page", ""},
		{"self-signed certificate", tlsSrv.URL + "/binary", scan.Options{}, "certificate", ""},
		{"self-signed certificate with Insecure", tlsSrv.URL + "/binary", scan.Options{Insecure: true}, "", "not-html"},
		{"non-HTML body", srv.URL + "/binary", scan.Options{}, "", "not-html"},
		{"a download", srv.URL + "/download", scan.Options{}, "", "no-document"},
		{"endless body", srv.URL + "/endless", scan.Options{}, "", "body-truncated"},
		{"stalled body", srv.URL + "/stalled-body", scan.Options{Timeout: 300 * time.Millisecond}, "", "body-truncated"},
		{"stalled headers", srv.URL + "/stalled-headers", scan.Options{Timeout: 300 * time.Millisecond}, "no response within 300ms", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			var got []scan.Result
			err := scan.Run(t.Context(), tc.opts, []string{tc.url}, func(r scan.Result) { got = append(got, r) })
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s, want well under 5s", elapsed)
			}
			if len(got) != 1 {
				t.Fatalf("got %d results, want 1", len(got))
			}
			r := got[0]
			if tc.wantErr == "" {
				if r.Error != "" {
					t.Fatalf("Error = %q, want none", r.Error)
				}
				ids := idSeverities(r)
				if !slices.ContainsFunc(ids, func(s string) bool { return strings.HasPrefix(s, tc.wantFind+":") }) {
					t.Errorf("findings %v, want %s", ids, tc.wantFind)
				}
				if len(r.Verdicts) != 3 {
					t.Errorf("got %d verdicts, want 3", len(r.Verdicts))
				}
				return
			}
			t.Logf("error: %.500s", r.Error)
			if !strings.Contains(r.Error, tc.wantErr) {
				t.Errorf("Error = %q, want it to contain %q", r.Error, tc.wantErr)
			}
			if r.Err == nil || len(r.Verdicts) != 0 || len(r.Findings) != 0 {
				t.Errorf("a failed URL has Err %v, %d verdicts, %d findings; want an error only", r.Err, len(r.Verdicts), len(r.Findings))
			}
		})
	}
}

// TestRun_unfinishedBody checks that a page whose headers come in time but
// whose body does not end (one that streams, or stalls) is judged, as
// browsers show it in a frame, by its headers: with the part of its body
// read (its links are crawled) and a finding that says the body was cut,
// not with an error.
func TestRun_unfinishedBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/linked" {
			w.Header().Set("X-Frame-Options", "DENY")
			fmt.Fprint(w, "<title>linked</title>")
			return
		}
		if r.URL.Path == "/deny" {
			w.Header().Set("X-Frame-Options", "DENY")
		}
		fmt.Fprint(w, `<!doctype html><title>live</title><a href="/linked">more</a>`)
		w.(http.Flusher).Flush()
		for r.Context().Err() == nil {
			select {
			case <-r.Context().Done():
			case <-time.After(50 * time.Millisecond):
				fmt.Fprint(w, "<p>still going")
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	const timeout = 300 * time.Millisecond
	for path, framable := range map[string]bool{"/deny": false, "/none": true} {
		var got []scan.Result
		opts := scan.Options{Timeout: timeout, Crawl: 1, SkipErrorPage: true}
		if err := scan.Run(t.Context(), opts, []string{srv.URL + path}, func(r scan.Result) { got = append(got, r) }); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(got) != 2 || got[1].URL != srv.URL+"/linked" {
			t.Fatalf("%s: got %d results, want the page and /linked, found in the part of its body read", path, len(got))
		}
		r := got[0]
		if r.Err != nil || len(r.Verdicts) != 3 {
			t.Fatalf("%s: error %v, %d verdicts; want the page judged by its headers", path, r.Err, len(r.Verdicts))
		}
		for _, v := range r.Verdicts {
			if v.Framable != framable {
				t.Errorf("%s: %s framable %v, want %v", path, v.Chain, v.Framable, framable)
			}
		}
		i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == "body-truncated" })
		if want := "did not end within the timeout (300ms)"; i < 0 || !strings.Contains(r.Findings[i].Message, want) {
			t.Errorf("%s: findings %v, want body-truncated saying %q", path, idSeverities(r), want)
		}
	}
}

// TestRun_largeHeaders: headers up to Chromium's limit (256 KiB) are read
// and judged; beyond it, the URL fails and says why. So it goes when a
// header holds a control character, which the scanner reads through a
// connection of its own (see ctlConn) that escapes each such byte in two:
// the limit is on the bytes the server sent, and the error the same.
func TestRun_largeHeaders(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("kib"))
		pad := strings.Repeat("x", 1000)
		if r.URL.Query().Has("ctl-pad") {
			pad = strings.Repeat("\x01", 1000)
		}
		for i := range n {
			w.Header().Add(fmt.Sprintf("X-Pad-%d", i), pad)
		}
		w.Header().Set("X-Frame-Options", "DENY")
		if r.URL.Query().Has("ctl") {
			// Unknown to browsers: the page would be framable.
			w.Header().Set("X-Frame-Options", "DENY\x01")
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		query   string
		wantErr string
	}{
		{"kib=100", ""},
		{"kib=300", "exceeded 262144 bytes"},
		{"kib=300&ctl", "net/http: server response headers exceeded 262144 bytes; aborted"},
		{"kib=250&ctl&ctl-pad", ""}, // 500 KiB once escaped
		{"kib=100&ctl", ""},
	} {
		u := srv.URL + "/?" + tc.query
		err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true}, []string{u}, func(r scan.Result) {
			switch {
			case tc.wantErr == "" && (r.Err != nil || len(r.Verdicts) == 0):
				t.Errorf("%s: error %v, verdicts %v; want judged", tc.query, r.Err, r.Verdicts)
			case tc.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr)):
				t.Errorf("%s: error %v, want one saying %q", tc.query, r.Err, tc.wantErr)
			}
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
}

// TestRun_noRefererOnRedirect: a redirect does not tell the next site the
// URL it came from (a token in its query would leak), as a browser's
// navigation does not.
func TestRun_noRefererOnRedirect(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	got.Store("")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ref := r.Header.Get("Referer"); ref != "" {
			got.Store(ref)
		}
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	defer target.Close()
	from := httptest.NewServer(http.RedirectHandler(target.URL+"/landing", http.StatusFound))
	defer from.Close()
	err := scan.Run(t.Context(), scan.Options{}, []string{from.URL + "/login?token=SECRET"}, func(r scan.Result) {
		if r.Err != nil || r.FinalURL != target.URL+"/landing" {
			t.Errorf("error %v, final URL %s; want the landing page", r.Err, r.FinalURL)
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ref := got.Load().(string); ref != "" {
		t.Errorf("the redirect's target got Referer %q", ref)
	}
}

// TestRun_cookieWall: a page that redirects until the browser sends back
// the cookie it set ends in too many redirects, as the scanner keeps no
// cookie; the error names the cookie (never its value), and the cookie
// given as Options.Cookie gets the page. A loop that sets no cookie says
// nothing of cookies.
func TestRun_cookieWall(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wall" {
			if _, err := r.Cookie("consent"); err == nil {
				w.Header().Set("X-Frame-Options", "DENY")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "consent", Value: "s3cr3t-value", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "region", Value: "eu", Path: "/"})
		}
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	opts := scan.Options{SkipErrorPage: true, MaxRedirects: 3}
	r := scanOne(t, srv, opts, "/wall")
	wall, ok := errors.AsType[*scan.CookieWallError](r.Err)
	if !ok || !errors.Is(r.Err, scan.ErrTooManyRedirects) || !slices.Equal(wall.Names, []string{"consent", "region"}) ||
		!strings.Contains(r.Error, "too many redirects (more than 3): the redirects set the cookie consent, region, which the scanner does not send back") ||
		strings.Contains(r.Error, "s3cr3t") {
		t.Errorf("cookie wall: error %q (%#v); want too many redirects naming the cookies consent and region, without their values", r.Error, r.Err)
	}
	if r := scanOne(t, srv, opts, "/loop"); !errors.Is(r.Err, scan.ErrTooManyRedirects) || strings.Contains(r.Error, "cookie") {
		t.Errorf("loop without a cookie: error %q; want too many redirects, and no word of cookies", r.Error)
	}
	opts.Cookie = "consent=yes"
	if r := scanOne(t, srv, opts, "/wall"); r.Error != "" || r.Status != http.StatusOK {
		t.Errorf("cookie wall with its cookie: status %d, error %q; want the page", r.Status, r.Error)
	}
}

// TestRun_rateLimited: a 429 is the server limiting the scanner, not the
// page. For the framed navigation it is an error (ErrRateLimited), not a
// verdict on the 429 page nor a refusal of framed navigations; for the
// top-level navigation alone, that fetch fails and the page is judged
// without comparing the two, so no framing-headers-differ finding.
func TestRun_rateLimited(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Dest") == strings.TrimPrefix(r.URL.Path, "/limit-") {
			http.Error(w, "<!doctype html><p>slow down", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	defer srv.Close()
	opts := scan.Options{SkipErrorPage: true}
	r := scanOne(t, srv, opts, "/limit-iframe")
	if !errors.Is(r.Err, scan.ErrRateLimited) || len(r.Verdicts) != 0 || len(r.Findings) != 0 {
		t.Errorf("framed navigation limited: error %v, %d verdicts, %d findings; want ErrRateLimited and nothing judged", r.Err, len(r.Verdicts), len(r.Findings))
	}
	r = scanOne(t, srv, opts, "/limit-document")
	if r.Err != nil || len(r.Verdicts) == 0 || r.TopLevel == nil || !strings.Contains(r.TopLevel.Error, "rate limited: the server answered 429") {
		t.Errorf("top-level navigation limited: error %v, top level %+v; want the page judged and the top-level fetch failed", r.Err, r.TopLevel)
	}
	for _, f := range r.Findings {
		if f.ID == "framing-headers-differ" || f.ID == "framed-navigation-refused" {
			t.Errorf("finding %s from a rate-limited top-level fetch", f.ID)
		}
	}
}

// TestRun_rateLimitedRetry: a 429 whose Retry-After asks for a short wait
// is asked again after it, twice at most, with the waits outside the
// Timeout; one that asks for longer, or for no time the scanner can read,
// is not, and the fetch fails at once.
func TestRun_rateLimitedRetry(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		tries = map[string][]time.Time{} // by path and Sec-Fetch-Dest
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path + " " + r.Header.Get("Sec-Fetch-Dest")
		mu.Lock()
		tries[key] = append(tries[key], time.Now())
		n := len(tries[key])
		mu.Unlock()
		limited, _ := strconv.Atoi(r.URL.Query().Get("limited"))
		if n <= limited {
			if after := r.URL.Query().Get("after"); after != "" {
				w.Header().Set("Retry-After", after)
			}
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, path string
		want       int    // requests per fetch
		err        string // "" for the page judged
	}{
		{"limited twice, no wait", "/twice?limited=2&after=0", 3, ""},
		{"limited once, a second's wait, longer than the Timeout", "/second?limited=1&after=1", 2, ""},
		{"limited until a date past", "/date?limited=1&after=Sun,+06+Dec+2026+21:00:00+GMT", 2, ""},
		{"limited three times", "/always?limited=3&after=0", 3, "asked to wait 0 seconds (the scanner waited as asked and tried 3 times): its answer is not the page"},
		{"a wait too long", "/long?limited=1&after=11", 1, "asked to wait 11 seconds: its answer is not the page"},
		{"no Retry-After", "/none?limited=1", 1, "limiting the scan's requests: its answer is not the page"},
		{"a Retry-After with a sign", "/sign?limited=1&after=%2B1", 1, "limiting the scan's requests: its answer is not the page"},
		{"a Retry-After in fractions", "/fraction?limited=1&after=0.5", 1, "limiting the scan's requests: its answer is not the page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := scanOne(t, srv, scan.Options{Timeout: 500 * time.Millisecond, SkipErrorPage: true}, tc.path)
			switch {
			case tc.err == "" && (r.Error != "" || r.TopLevel == nil || r.TopLevel.Error != "" || r.Status != http.StatusOK):
				t.Errorf("error %q, status %d, top level %+v; want the page judged from both fetches", r.Error, r.Status, r.TopLevel)
			case tc.err != "" && (!errors.Is(r.Err, scan.ErrRateLimited) || !strings.Contains(r.Error, tc.err)):
				t.Errorf("error %q; want ErrRateLimited saying %q", r.Error, tc.err)
			}
			path, _, _ := strings.Cut(tc.path, "?")
			mu.Lock()
			defer mu.Unlock()
			for _, dest := range []string{"iframe", "document"} {
				got := tries[path+" "+dest]
				if dest == "document" && tc.err != "" {
					continue // the page is not judged, so it may not be asked for
				}
				if len(got) != tc.want {
					t.Errorf("%s: %d requests; want %d", dest, len(got), tc.want)
				}
				if strings.Contains(tc.path, "after=1") && len(got) == 2 && got[1].Sub(got[0]) < time.Second {
					t.Errorf("%s: asked again after %v; want the second Retry-After asked for", dest, got[1].Sub(got[0]))
				}
			}
		})
	}
}

// TestRun_upgradeResponse: a 101 Switching Protocols with an Upgrade, to a
// navigation that asked for none, hands the connection over: net/http
// makes the rest of it the body, which no deadline bounds. The verdict
// needs none of it (browsers fail the navigation at the status), so the
// scanner reads none and closes the connection itself; the server, which
// would hold it for a minute, sees it closed by the scanner.
func TestRun_upgradeResponse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	closedByScanner := make(chan bool, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Read(make([]byte, 4096))
				_, _ = c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Type: text/html\r\n\r\n"))
				_ = c.SetReadDeadline(time.Now().Add(time.Minute))
				_, err := c.Read(make([]byte, 1))
				closedByScanner <- errors.Is(err, io.EOF)
			}()
		}
	}()
	var r scan.Result
	if err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true, Timeout: 2 * time.Minute}, []string{"http://" + l.Addr().String() + "/"}, func(res scan.Result) { r = res }); err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusSwitchingProtocols || r.Error != "" || !slices.Contains(idSeverities(r), "no-document:info") {
		t.Errorf("status %d, error %q, findings %v; want the 101 judged as no document", r.Status, r.Error, idSeverities(r))
	}
	for range 2 { // the framed and the top-level navigation
		if !<-closedByScanner {
			t.Errorf("the server had to end a connection the scanner kept reading")
		}
	}
}

func TestRun_invalidChain(t *testing.T) {
	t.Parallel()
	for _, chains := range [][][]string{{{}}, {{"not an origin"}}, {{"https://a.example/path"}}, {{"https://a\u200db.example"}}} {
		err := scan.Run(t.Context(), scan.Options{Chains: chains}, []string{"http://127.0.0.1:1/"}, func(scan.Result) {
			t.Errorf("emit called for an invalid chain")
		})
		if err == nil {
			t.Errorf("Run with chains %q: no error", chains)
		}
	}
}

// TestRun_order checks that results come in input order whatever order
// the fetches finish in, and that every URL is emitted once.
func TestRun_order(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Earlier URLs answer later.
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
	}))
	defer srv.Close()
	var urls []string
	for i := range 20 {
		urls = append(urls, srv.URL+"/?d="+(time.Duration(20-i)*2*time.Millisecond).String())
	}
	var got []string
	err := scan.Run(t.Context(), scan.Options{Concurrency: 8, SkipErrorPage: true}, urls, func(r scan.Result) { got = append(got, r.URL) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !slices.Equal(got, urls) {
		t.Errorf("results in order %q, want %q", got, urls)
	}
}

// TestRun_cancel checks that Run returns soon after its context ends.
func TestRun_cancel(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	urls := slices.Repeat([]string{srv.URL + "/"}, 50)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	n := 0
	err := scan.Run(ctx, scan.Options{Concurrency: 4}, urls, func(scan.Result) { n++ })
	if err == nil {
		t.Errorf("Run after cancel: no error")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %s after its context ended", elapsed)
	}
	if n != 0 {
		t.Errorf("emitted %d results after cancellation", n)
	}
}

// TestRunSeq_lazy checks that RunSeq pulls URLs only as workers free up:
// when the first result is emitted, only a bounded number were read.
func TestRunSeq_lazy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var pulled atomic.Int64
	urls := func(yield func(string) bool) {
		for range 300 {
			pulled.Add(1)
			if !yield(srv.URL + "/") {
				return
			}
		}
	}
	const c = 4
	first, n := int64(-1), 0
	err := scan.RunSeq(t.Context(), scan.Options{Concurrency: c, SkipErrorPage: true}, urls, func(scan.Result) {
		if n++; n == 1 {
			first = pulled.Load()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 300 {
		t.Errorf("emitted %d results, want 300", n)
	}
	if first > 2*c+2 {
		t.Errorf("%d URLs pulled before the first result, want at most %d", first, 2*c+2)
	}
}
