package proof_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/scan/proof"
)

const chromiumPath = chromiumtest.Path

// startBrowser starts Chromium for a test, skipping the test when Chromium
// is missing unless CLICKGUARD_REQUIRE_ALL=1 says nothing may be skipped.
func startBrowser(t *testing.T, opts proof.Options) *proof.Browser {
	t.Helper()
	chromiumtest.Require(t)
	opts.Chromium = chromiumPath
	b, err := proof.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// framingSite serves one page per framing policy.
func framingSite() http.Handler {
	pages := map[string][2]string{
		"/none":       {},
		"/deny":       {"X-Frame-Options", "DENY"},
		"/sameorigin": {"X-Frame-Options", "SAMEORIGIN"},
		"/self":       {"Content-Security-Policy", "frame-ancestors 'self'"},
		"/attacker":   {"Content-Security-Policy", "frame-ancestors https://attacker.example"},
		"/nobody":     {"Content-Security-Policy", "frame-ancestors 'none'"},
		"/partner":    {"Content-Security-Policy", "frame-ancestors 'self' https://partner.example"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if h[0] != "" {
			w.Header().Set(h[0], h[1])
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>page %s</title><p>the page %s", r.URL.Path, r.URL.Path)
	})
}

// TestLoad_framingRules checks Chromium's verdict for each framing policy
// in the foreign, same-origin and double-framed chains, and in chains with
// an https attacker and an allowlisted partner, against what the HTML
// standard and CSP require.
func TestLoad_framingRules(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(framingSite())
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	own := srv.URL
	chains := []struct {
		name      string
		ancestors []string
	}{
		{"foreign", []string{"http://attacker.example"}},
		{"self", []string{own}},
		{"double", []string{own, "http://attacker.example"}},
		{"https attacker", []string{"https://attacker.example"}},
		{"partner", []string{"https://partner.example"}},
	}
	// rendered per chain, in the order above.
	want := map[string][]bool{
		"/none":       {true, true, true, true, true},
		"/deny":       {false, false, false, false, false},
		"/sameorigin": {false, true, false, false, false},
		"/self":       {false, true, false, false, false},
		"/attacker":   {false, false, false, true, false},
		"/nobody":     {false, false, false, false, false},
		"/partner":    {false, true, false, false, true},
	}
	for path, rendered := range want {
		for i, c := range chains {
			t.Run(path+" in "+c.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				f, err := b.Load(ctx, own+path, c.ancestors)
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if f.Rendered != rendered[i] {
					t.Errorf("Load(%s, %q): rendered %v, want %v: %s", path, c.ancestors, f.Rendered, rendered[i], f.What())
				}
				if f.Rendered && f.Title != "page "+path {
					t.Errorf("Load(%s, %q) rendered %s, want the page's title %q", path, c.ancestors, f.What(), "page "+path)
				}
				if !f.Rendered && !strings.HasPrefix(f.URL, "chrome-error://") {
					t.Errorf("blocked frame holds %s, want Chromium's error page", f.URL)
				}
				if diff := cmp.Diff(c.ancestors, f.Ancestors); diff != "" {
					t.Errorf("ancestor origins as Chromium reports them (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestLoad_opaqueAncestor checks that a "null" ancestor really has an
// opaque origin in Chromium, that an ancestor inside it cannot keep the
// origin a chain names (sandboxing is inherited) and is refused as a
// chain, and that frame-ancestors 'self' does not admit it.
func TestLoad_opaqueAncestor(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(framingSite())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	f, err := b.Load(ctx, srv.URL+"/none", []string{"null"})
	if err != nil {
		t.Fatalf("Load(/none, null): %v", err)
	}
	if !f.Rendered || !cmp.Equal(f.Ancestors, []string{"null"}) {
		t.Errorf("Load(/none, null): rendered %v with ancestors %q, want rendered in [null]: %s", f.Rendered, f.Ancestors, f.What())
	}
	f, err = b.Load(ctx, srv.URL+"/self", []string{"null"})
	if err != nil {
		t.Fatalf("Load(/self, null): %v", err)
	}
	if f.Rendered {
		t.Errorf("Load(/self, null) rendered, want blocked: %s", f.What())
	}
	_, err = b.Load(ctx, srv.URL+"/none", []string{srv.URL, "null"})
	if err == nil || !strings.Contains(err.Error(), "sandboxed") {
		t.Errorf("Load(/none, own in null) = %v, want an error about the sandboxed ancestor", err)
	}
}

// TestLoad_serviceWorker: a service worker that a page registered, which
// answers every navigation of its origin itself, does not take over the
// next proofs of that origin (their own-origin ancestors included).
func TestLoad_serviceWorker(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	activated := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<title>register</title><script>navigator.serviceWorker.register("/sw.js")</script>`)
	})
	mux.HandleFunc("/sw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, `self.addEventListener("install", e => self.skipWaiting());
self.addEventListener("activate", e => e.waitUntil(self.clients.claim().then(() => fetch("/activated"))));
self.addEventListener("fetch", e => { if (e.request.mode === "navigate") e.respondWith(new Response("<title>shell</title>", {headers: {"Content-Type": "text/html"}})); });`)
	})
	mux.HandleFunc("/activated", func(w http.ResponseWriter, r *http.Request) {
		select {
		case activated <- struct{}{}:
		default:
		}
	})
	mux.HandleFunc("/deny", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		io.WriteString(w, "<title>deny</title>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := b.Load(ctx, srv.URL+"/register", []string{srv.URL}); err != nil {
		t.Fatalf("Load(/register): %v", err)
	}
	t.Logf("Load(/register) took %v", time.Since(start))
	start = time.Now()
	select {
	case <-activated:
	case <-ctx.Done():
		t.Fatal("the service worker was never activated: the test proves nothing")
	}
	t.Logf("activated after %v", time.Since(start))
	for _, chain := range [][]string{{srv.URL}, {"http://attacker.example"}} {
		start := time.Now()
		f, err := b.Load(ctx, srv.URL+"/deny", chain)
		t.Logf("Load(/deny, %q) took %v", chain, time.Since(start))
		if err != nil {
			t.Fatalf("Load(/deny, %q) after a service worker: %v", chain, err)
		}
		if f.Rendered {
			t.Errorf("Load(/deny, %q) rendered %s, want blocked by X-Frame-Options", chain, f.What())
		}
	}
}

// TestLoad_frameBusting: a page that busts out of its frame by navigating
// the top (which its own origin may do) is judged by the document committed
// in the frame: the top's navigation is aborted and the chain stays.
func TestLoad_frameBusting(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<title>buster</title><script>if (top !== self) top.location = self.location</script>`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, chain := range [][]string{{srv.URL}, {srv.URL, srv.URL}} {
		f, err := b.Load(ctx, srv.URL+"/", chain)
		if err != nil {
			t.Fatalf("Load(/, %q): %v", chain, err)
		}
		if !f.Rendered || f.Title != "buster" {
			t.Errorf("Load(/, %q): rendered %v, %s; want the page rendered in its frame", chain, f.Rendered, f.What())
		}
	}
}

// TestLoad_noVerdict checks that a page Chromium cannot load, and one that
// never answers, give errors rather than verdicts, within the deadline.
func TestLoad_noVerdict(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// The error says why: Chromium's error code, which its error page may
	// cut, and the page's text, which its script writes after the commit.
	if f, err := b.Load(ctx, "http://"+closed+"/", []string{"http://attacker.example"}); err == nil || !strings.Contains(err.Error(), "even outside a frame: net::ERR_CONNECTION_REFUSED: \"") || !strings.Contains(err.Error(), "refused to connect") {
		t.Errorf("Load(closed port) = %s, %v; want an error that is not a framing refusal, with Chromium's reason", f.What(), err)
	}

	ctx, cancel = context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	f, err := b.Load(ctx, hang.URL+"/", []string{"http://attacker.example"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no verdict before the deadline") {
		t.Errorf("Load(hanging page) = %s, %v; want a deadline error", f.What(), err)
	}
	// A Load that ignored the deadline would wait for the page until the
	// test ends; a loaded machine may take some seconds past it to stop.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Load(hanging page) returned after %s, want about 2s", d)
	}
}

// TestLoad_dialogs checks that a page that opens JavaScript dialogs, as it
// loads or later, is still judged: Chromium renders it, and the dialog,
// left open, would stall every read of the frame until the deadline.
func TestLoad_dialogs(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script := strings.TrimPrefix(r.URL.Path, "/")
		fmt.Fprintf(w, "<!doctype html><title>dialogs</title><p>text<script>%s</script>", script)
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	scripts := []string{
		`alert("now")`,
		`confirm("now")`,
		`prompt("now")`,
		`setTimeout(function(){alert("later")},0)`,
	}
	for _, script := range scripts {
		for _, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
			t.Run(script+" in "+chain[0], func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				f, err := b.Load(ctx, srv.URL+"/"+url.PathEscape(script), chain)
				if err != nil || !f.Rendered {
					t.Errorf("Load = %s, %v; want rendered", f.What(), err)
				}
			})
		}
	}
}

// TestLoad_credentials checks that a page that asks for HTTP credentials
// (a 401 with WWW-Authenticate, as a staging site or an intranet sends) is
// judged by the 401 response, as a visitor who cancels the prompt sees it:
// Chromium, left waiting for credentials in a frame of the page's own
// origin or outside a frame, would give no verdict before the deadline. It
// sends none.
func TestLoad_credentials(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	var mu sync.Mutex
	var authorized []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			mu.Lock()
			authorized = append(authorized, a)
			mu.Unlock()
		}
		q := r.URL.Query()
		w.Header().Set("WWW-Authenticate", q.Get("challenge"))
		if x := q.Get("xfo"); x != "" {
			w.Header().Set("X-Frame-Options", x)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "<!doctype html><title>sign in</title><p>credentials needed")
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	for _, challenge := range []string{`Basic realm="staging"`, `Digest realm="staging", nonce="abc", qop="auth"`} {
		for _, xfo := range []string{"", "DENY"} {
			for i, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
				t.Run(fmt.Sprintf("%s %s in %s", challenge, xfo, chain[0]), func(t *testing.T) {
					t.Parallel()
					q := url.Values{"challenge": {challenge}, "xfo": {xfo}, "chain": {strconv.Itoa(i)}}
					u := srv.URL + "/?" + q.Encode()
					ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
					defer cancel()
					f, err := b.Load(ctx, u, chain)
					if err != nil {
						t.Fatalf("Load(%s, %q): %v", u, chain, err)
					}
					if rendered := xfo == ""; f.Rendered != rendered || rendered && f.Title != "sign in" {
						t.Errorf("Load(%s, %q) = %s, want rendered %v: the 401 response, judged by its headers", u, chain, f.What(), rendered)
					}
				})
			}
		}
	}
	t.Cleanup(func() {
		if len(authorized) > 0 {
			t.Errorf("Chromium sent credentials: %q", authorized)
		}
	})
}

// TestLoad_noDownload checks that a scanned page cannot write a file on the
// machine that scans it: Chromium, left to its defaults, saves a response
// with Content-Disposition: attachment in the user's Downloads directory,
// under a name the site chooses. Refused, the download still starts as a
// temporary file there (or in TMPDIR when there is no such directory),
// which Chromium removes when it cancels it: nothing may be left in either.
func TestLoad_noDownload(t *testing.T) {
	home, downloads, tmp := chromiumtest.IsolateFiles(t)
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment; filename=clickguard-dropped.sh")
		fmt.Fprint(w, "echo dropped by the scanned site")
	}))
	defer srv.Close()
	for _, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		f, err := b.Load(ctx, srv.URL+"/file", chain)
		cancel()
		if err != nil || f.NoDocument == "" {
			t.Errorf("Load(download, %q) = %s, %v; want no document", chain, f.What(), err)
		}
	}
	// Close removes the profile, and ends Chromium: it has removed its
	// temporary files by then.
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "clickguard-dropped") {
			t.Errorf("the scanned site wrote %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	chromiumtest.RequireEmpty(t, downloads, tmp)
}

// TestLoad_noDocument checks that Load says at once, from what Chromium
// reports, when the frame commits no document although the page answered,
// whatever its framing headers say: a response with status 204, 205 or 304,
// or a download (Content-Disposition: attachment, or a type Chromium does not
// render); and that it does not load the page outside a frame to find out
// (each URL is requested once). A download with an error status, a 407 (a
// proxy's challenge from a server that is no proxy) and a 101 (an upgrade
// no navigation asks for) show Chromium's error page for no framing rule:
// no document of the page either, at once.
// The controls render.
func TestLoad_noDocument(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	requests := &requestCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.add(r)
		q := r.URL.Query()
		for _, h := range []string{"Content-Type", "Content-Disposition", "X-Frame-Options"} {
			if v := q.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		status := http.StatusOK
		if s := q.Get("status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		if status == http.StatusSwitchingProtocols {
			// net/http writes no 101 with a body: write it raw.
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			fmt.Fprint(buf, "HTTP/1.1 101 Switching Protocols\r\nContent-Type: text/html\r\n\r\n<!doctype html><title>page</title><p>the page")
			buf.Flush()
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, "<!doctype html><title>page</title><p>the page")
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	const download = "Chromium turned the navigation into a download"
	for _, tc := range []struct {
		name  string
		query url.Values
		// noDocument is Frame.NoDocument; "" for a page that renders.
		noDocument string
	}{
		{"204", url.Values{"status": {"204"}}, "the response had status 204, which commits no document"},
		{"204 with DENY", url.Values{"status": {"204"}, "X-Frame-Options": {"DENY"}}, "the response had status 204, which commits no document"},
		{"205", url.Values{"status": {"205"}}, "the response had status 205, which commits no document"},
		{"304", url.Values{"status": {"304"}}, "the response had status 304, which commits no document"},
		{"attachment", url.Values{"Content-Type": {"text/html"}, "Content-Disposition": {"attachment"}}, download},
		{"attachment with DENY", url.Values{"Content-Type": {"text/html"}, "Content-Disposition": {"attachment"}, "X-Frame-Options": {"DENY"}}, download},
		{"octet-stream", url.Values{"Content-Type": {"application/octet-stream"}}, download},
		{"csv", url.Values{"Content-Type": {"text/csv"}}, download},
		{"html", url.Values{"Content-Type": {"text/html"}}, ""},
		{"json", url.Values{"Content-Type": {"application/json"}}, ""},
		{"404 octet-stream", url.Values{"status": {"404"}, "Content-Type": {"application/octet-stream"}},
			"Chromium failed the navigation with net::ERR_INVALID_RESPONSE after a response with status 404, a download with an error status, and shows its error page"},
		{"101", url.Values{"status": {"101"}},
			"Chromium failed the page's response as invalid HTTP (such as a status 101, Switching Protocols, that no navigation asks for) (net::ERR_INVALID_HTTP_RESPONSE), and shows its error page"},
		{"407", url.Values{"status": {"407"}, "Content-Type": {"text/html"}},
			"Chromium failed the page's response: its status, 407, is a proxy's challenge that no proxy sent (net::ERR_UNEXPECTED_PROXY_AUTH), and shows its error page"},
	} {
		for i, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
			t.Run(tc.name+" in "+chain[0], func(t *testing.T) {
				t.Parallel()
				q := url.Values{"chain": {strconv.Itoa(i)}}
				maps.Copy(q, tc.query)
				uri := "/page?" + q.Encode()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				f, err := b.Load(ctx, srv.URL+uri, chain)
				if ctx.Err() != nil {
					t.Fatalf("Load(%s, %q) = %s, %v: the context expired", uri, chain, f.What(), err)
				}
				switch {
				case err != nil:
					t.Fatalf("Load(%s, %q): %v", uri, chain, err)
				case tc.noDocument == "":
					if !f.Rendered || f.NoDocument != "" {
						t.Errorf("Load(%s, %q) = %s (no document: %q), want the page rendered", uri, chain, f.What(), f.NoDocument)
					}
					return // a rendered page is not loaded outside a frame either
				default:
					want := "nothing of the page: " + tc.noDocument
					// The frame keeps its empty document, or holds
					// Chromium's error page for a failed download or a 407.
					wantURL := ""
					if s := tc.query.Get("status"); s == "404" || s == "407" || s == "101" {
						wantURL = "chrome-error://chromewebdata/"
					}
					if f.Rendered || f.NoDocument != tc.noDocument || f.What() != want || f.URL != wantURL {
						t.Errorf("Load(%s, %q) = %s (rendered %v, URL %q); want %s at %q", uri, chain, f.What(), f.Rendered, f.URL, want, wantURL)
					}
					if diff := cmp.Diff(chain, f.Ancestors); diff != "" {
						t.Errorf("ancestor origins as Chromium reports them (-want +got):\n%s", diff)
					}
				}
				requests.wantOnce(t, uri, chain)
			})
		}
	}
}

// requestCounter counts the requests a test server gets, by request URI.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) add(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[r.URL.RequestURI()]++
}

// wantOnce checks that Load of uri in chain requested the page once: in
// its frame, not outside it.
func (c *requestCounter) wantOnce(t *testing.T, uri string, chain []string) {
	t.Helper()
	c.mu.Lock()
	n := c.n[uri]
	c.mu.Unlock()
	if n != 1 {
		t.Errorf("Load(%s, %q) requested the page %d times, want once: in its frame, not outside it", uri, chain, n)
	}
}

// TestLoad_unfollowedRedirect checks that a redirect to a URL of another
// scheme than http and https is a verdict at once, nothing of the page, as
// the framing model predicts: Chromium refuses data: and about: URLs
// (net::ERR_UNSAFE_REDIRECT) and ws: ones (net::ERR_UNKNOWN_URL_SCHEME) and
// shows its error page, and ends the navigation at any other scheme, such as
// javascript:, mailto: or an application's own (net::ERR_ABORTED), with
// nothing committed. The page is requested once: not outside a frame. The
// control, a redirect to an http page, renders.
func TestLoad_unfollowedRedirect(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	requests := &requestCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.add(r)
		if to := r.URL.Query().Get("to"); to != "" {
			w.Header().Set("Location", to)
			w.WriteHeader(http.StatusFound)
			return
		}
		fmt.Fprint(w, "<!doctype html><title>page</title><p>the page")
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	for _, tc := range []struct {
		to string
		// noDocument is in Frame.NoDocument; "" for a page that renders.
		noDocument string
		errorPage  bool
	}{
		{"data:text/html,<p>hi", "(net::ERR_UNSAFE_REDIRECT), and shows its error page", true},
		{"about:blank", "(net::ERR_UNSAFE_REDIRECT), and shows its error page", true},
		{"ws://127.0.0.1:1/", "(net::ERR_UNKNOWN_URL_SCHEME), and shows its error page", true},
		{"javascript:parent.postMessage(1,'*')", "Chromium did not follow the page's redirect: it ended the navigation (net::ERR_ABORTED)", false},
		{"mailto:a@example.com", "redirect to a mailto: URL: it ended the navigation (net::ERR_ABORTED)", false},
		{"clickguard-test://open", "redirect to a clickguard-test: URL: it ended the navigation (net::ERR_ABORTED)", false},
		{"/landing", "", false},
	} {
		for i, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
			t.Run(tc.to+" in "+chain[0], func(t *testing.T) {
				t.Parallel()
				uri := "/from?" + url.Values{"to": {tc.to}, "chain": {strconv.Itoa(i)}}.Encode()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				f, err := b.Load(ctx, srv.URL+uri, chain)
				switch {
				case err != nil:
					t.Fatalf("Load(%s, %q): %v", uri, chain, err)
				case tc.noDocument == "":
					if !f.Rendered || f.NoDocument != "" {
						t.Errorf("Load(%s, %q) = %s, want the page it redirected to rendered", uri, chain, f.What())
					}
				case f.Rendered || !strings.Contains(f.NoDocument, tc.noDocument) || strings.HasPrefix(f.URL, "chrome-error://") != tc.errorPage:
					t.Errorf("Load(%s, %q) = %s (URL %q); want nothing of the page, with %q (Chromium's error page: %v)", uri, chain, f.What(), f.URL, tc.noDocument, tc.errorPage)
				}
				requests.wantOnce(t, uri, chain)
			})
		}
	}
}

// TestLoad_otherFailure checks that Chromium's error page in the frame is
// "blocked" only for a framing refusal: a page that fails in a frame of
// another site for another reason, and loads outside a frame, has no
// verdict. Here a cookie wall: it sets a cookie and redirects to itself,
// and the cookie, SameSite=Lax by default, is not stored in a frame of
// another site, so the frame's navigation ends in
// net::ERR_TOO_MANY_REDIRECTS, while a tab gets the page. The control
// refuses frames with X-Frame-Options.
func TestLoad_otherFailure(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/deny" {
			w.Header().Set("X-Frame-Options", "DENY")
		} else if _, err := r.Cookie("seen"); err != nil {
			w.Header().Set("Set-Cookie", "seen=1; Path=/")
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
			return
		}
		fmt.Fprint(w, "<!doctype html><title>page</title><p>the page")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	chain := []string{"http://attacker.example"}
	if f, err := b.Load(ctx, srv.URL+"/wall", chain); err == nil || !strings.Contains(err.Error(), "with net::ERR_TOO_MANY_REDIRECTS, which is no framing refusal") {
		t.Errorf("Load(cookie wall) = %s, %v; want an error that names Chromium's failure", f.What(), err)
	}
	if f, err := b.Load(ctx, srv.URL+"/deny", chain); err != nil || f.Rendered {
		t.Errorf("Load(DENY) = %s, %v; want blocked", f.What(), err)
	}
}

// TestLoad_hidden checks that a page which hides itself in frames, as the
// defence against framing written in script does (its root or body kept at
// display: none unless it is the top document), is rendered but hidden;
// and that a page hidden only until it has loaded, or made transparent
// (which still takes clicks), is not.
func TestLoad_hidden(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	pages := map[string]string{
		"/root":    `<style>html{display:none}</style><script>if (self === top) document.documentElement.style.display = "block"</script>`,
		"/body":    `<style id="anti">body{display:none !important}</style><script>if (self === top) document.getElementById("anti").remove()</script>`,
		"/cloak":   `<body style="display:none"><script>addEventListener("load", () => setTimeout(() => document.body.style.display = "block", 100))</script>`,
		"/opacity": `<style>html{opacity:0}</style>`,
		"/plain":   ``,
		// visibility: hidden is inherited; an element may show itself.
		"/invisible": `<style>html{visibility:hidden}</style><script>if (self === top) document.documentElement.style.visibility = "visible"</script>`,
		"/collapse":  `<body style="visibility:collapse">`,
		"/peeking":   `<style>body{visibility:hidden}</style><p style="visibility:visible">the button`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>page</title>%s<p>the page", pages[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	for path, hidden := range map[string]bool{"/root": true, "/body": true, "/cloak": false, "/opacity": false, "/plain": false, "/invisible": true, "/collapse": true, "/peeking": false} {
		for _, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
			t.Run(path+" in "+chain[0], func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				f, err := b.Load(ctx, srv.URL+path, chain)
				if err != nil {
					t.Fatalf("Load(%s, %q): %v", path, chain, err)
				}
				if !f.Rendered || f.Hidden != hidden || strings.Contains(f.What(), "hidden") != hidden {
					t.Errorf("Load(%s, %q) = %s (rendered %v, hidden %v); want rendered, hidden %v", path, chain, f.What(), f.Rendered, f.Hidden, hidden)
				}
			})
		}
	}
}

// TestLoad_badPort checks that a URL on a bad port, or one that redirects
// to such a URL, is a verdict at once: Chromium fetches nothing from it
// (net::ERR_UNSAFE_PORT) and shows its error page, nothing of the page, as
// the framing model predicts. No server needs to listen there.
func TestLoad_badPort(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:6666/", http.StatusFound)
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	for _, u := range []string{"http://127.0.0.1:6000/", srv.URL + "/away"} {
		for _, chain := range [][]string{{"http://attacker.example"}, {srv.URL}} {
			t.Run(u+" in "+chain[0], func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				f, err := b.Load(ctx, u, chain)
				if err != nil {
					t.Fatalf("Load(%s, %q): %v", u, chain, err)
				}
				if f.Rendered || !strings.Contains(f.NoDocument, "net::ERR_UNSAFE_PORT") || !strings.HasPrefix(f.URL, "chrome-error://") {
					t.Errorf("Load(%s, %q) = %s (rendered %v, URL %q); want nothing of the page, for its bad port", u, chain, f.What(), f.Rendered, f.URL)
				}
			})
		}
	}
}

// TestLoad_longTitle checks that a page cannot fill every verdict of the
// report with its title: the proof keeps the first 160 characters, on one
// line, as it keeps its text.
func TestLoad_longTitle(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	title := "first\nline " + strings.Repeat("é", 100000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>%s</title><p>long", title)
	}))
	defer srv.Close()
	f, err := b.Load(t.Context(), srv.URL+"/", []string{"http://attacker.example"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "first line " + strings.Repeat("é", 149); f.Title != want {
		t.Errorf("title of %d bytes, starting %.40q; want the first 160 characters on one line", len(f.Title), f.Title)
	}
}

// TestLoad_cookie checks that the cookie reaches the page in a frame of its
// own origin and not in a frame of another site (SameSite=Lax by default),
// __Host- and __Secure- cookies included.
func TestLoad_cookie(t *testing.T) {
	for _, cookie := range []string{
		"sid=s3cret",
		// Names whose prefix needs the Secure attribute, as a site sets its
		// session cookie; Chromium takes one on a local http URL.
		"__Host-sid=s3cret; __Secure-pref=1; __host-lower=2",
	} {
		t.Run(cookie, func(t *testing.T) { testLoadCookie(t, cookie) })
	}
}

func testLoadCookie(t *testing.T, cookie string) {
	b := startBrowser(t, proof.Options{Cookie: cookie})
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("Cookie")
		mu.Unlock()
		fmt.Fprint(w, "<!doctype html><title>t</title>")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for path, chain := range map[string][]string{"/self": {srv.URL}, "/foreign": {"http://attacker.example"}} {
		if f, err := b.Load(ctx, srv.URL+path, chain); err != nil || !f.Rendered {
			t.Fatalf("Load(%s) = %s, %v; want rendered", path, f.What(), err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got["/self"] != cookie || got["/foreign"] != "" {
		t.Errorf("cookies received: own-origin frame %q, foreign frame %q; want %q and none", got["/self"], got["/foreign"], cookie)
	}
}

// TestLoad_firstDocument checks that Load judges the document committed for
// the URL it is given: Chromium follows the URL's redirects in the frame,
// as it does for a victim (and then ignores a source's path, which it does
// not when the final URL is framed directly), and a page that navigates
// itself by script to a page that refuses frames still counts as rendered.
func TestLoad_firstDocument(t *testing.T) {
	b := startBrowser(t, proof.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/path", http.StatusFound)
			return
		case "/path":
			w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		case "/deny":
			w.Header().Set("X-Frame-Options", "DENY")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		script := ""
		if r.URL.Path == "/js-nav" {
			script = "<script>location.href = '/deny'</script>"
		}
		fmt.Fprintf(w, "<!doctype html><title>page %s</title>%s<p>the page %s", r.URL.Path, script, r.URL.Path)
	}))
	t.Cleanup(srv.Close) // the subtests run in parallel, after this function returns
	for _, tc := range []struct {
		path     string
		rendered bool
		title    string
	}{
		{"/path", false, ""}, // framed directly: Chromium matches the path, which differs
		{"/redirect", true, "page /path"},
		{"/js-nav", true, "page /js-nav"},
		{"/deny", false, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			f, err := b.Load(ctx, srv.URL+tc.path, []string{"http://attacker.example"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if f.Rendered != tc.rendered || f.Rendered && f.Title != tc.title {
				t.Errorf("Load(%s) = %s, want rendered %v with the title %q", tc.path, f.What(), tc.rendered, tc.title)
			}
		})
	}
}

// TestLoad_cookieOrigin checks that the cookie is stored for the origin of
// the URL given only: it does not follow a redirect to another origin, even
// one on the same host (cookies are not bound to a port unless Chromium is
// told to).
func TestLoad_cookieOrigin(t *testing.T) {
	b := startBrowser(t, proof.Options{Cookie: "sid=s3cret"})
	var mu sync.Mutex
	got := map[string]string{}
	record := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Host+r.URL.Path] = r.Header.Get("Cookie")
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(w, r)
		fmt.Fprint(w, "<!doctype html><title>other</title>")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(w, r)
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	f, err := b.Load(ctx, srv.URL+"/go", []string{srv.URL})
	if err != nil || !f.Rendered || f.Title != "other" {
		t.Fatalf("Load(/go) = %s, %v; want the redirect's target rendered", f.What(), err)
	}
	mu.Lock()
	defer mu.Unlock()
	start, landing := got[strings.TrimPrefix(srv.URL, "http://")+"/go"], got[strings.TrimPrefix(other.URL, "http://")+"/landing"]
	if start != "sid=s3cret" || landing != "" {
		t.Errorf("cookies received: URL given %q, redirect target on another port %q; want sid=s3cret and none", start, landing)
	}
}

func TestFindChromium(t *testing.T) {
	if _, err := proof.FindChromium("/nonexistent/chromium"); err == nil {
		t.Errorf("FindChromium(/nonexistent/chromium) succeeded")
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := proof.FindChromium(""); !errors.Is(err, proof.ErrNoChromium) {
		t.Errorf("FindChromium(\"\") with an empty PATH = %v, want ErrNoChromium", err)
	}
}

// TestStart_brokenChromium: a Chromium that exits at once is reported on one
// line that says it printed nothing, not with chromedp's message and the
// empty output it read; and nothing is written to the standard logger
// (chromedp's default for its own errors, such as the write to the pipe of
// a browser that has gone), which would land in the middle of a report.
// The log line comes from a race, so each case runs 100 times.
func TestStart_brokenChromium(t *testing.T) {
	var logged strings.Builder
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	for _, tc := range []struct{ name, script, want string }{
		{"silent", "exit 1", "chrome failed to start: it printed nothing"},
		{"with a message", "echo 'cannot open display' >&2; exit 1", "cannot open display"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "chromium")
			if err := os.WriteFile(exe, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			for range 100 {
				b, err := proof.Start(t.Context(), proof.Options{Chromium: exe})
				if err == nil {
					b.Close()
					t.Fatal("Start succeeded with a Chromium that exits at once")
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || strings.HasSuffix(msg, ":") || !strings.Contains(msg, tc.want) {
					t.Fatalf("Start: %q; want one line that says %q", msg, tc.want)
				}
			}
		})
	}
	if logged.Len() > 0 {
		t.Errorf("the standard logger got %q; want nothing", logged.String())
	}
}

// TestClose_removesProfile checks that Close leaves nothing of Chromium's
// profile behind, after loads that filled its disk cache, several times
// over: its helper processes can still be writing the cache when the
// browser process has gone. Nor does a browser whose context ended before
// Close (a scan interrupted), which stops it.
func TestClose_removesProfile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where Start makes the profile
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>cached</title><p>%s", strings.Repeat("cache me ", 4096))
	}))
	defer srv.Close()
	chromiumtest.Require(t)
	for i := range 3 {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		b, err := proof.Start(ctx, proof.Options{Chromium: chromiumPath})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		for _, p := range []string{"/a", "/b", "/c"} {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			_, err := b.Load(ctx, srv.URL+p, []string{"http://attacker.example"})
			cancel()
			if err != nil {
				t.Fatalf("round %d: Load %s: %v", i, p, err)
			}
		}
		if i == 2 {
			// The browser stops when its context ends: loads fail.
			cancel()
			for deadline := time.Now().Add(20 * time.Second); ; {
				ctx, cancelLoad := context.WithTimeout(t.Context(), 5*time.Second)
				_, err := b.Load(ctx, srv.URL+"/d", []string{"http://attacker.example"})
				cancelLoad()
				if err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the browser still loads pages 20 seconds after its context ended")
				}
			}
		}
		if err := b.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", i, err)
		}
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("round %d: left behind in the temporary directory: %s", i, e.Name())
		}
	}
}

// TestLoad_mixedContent checks that Load says at once when Chromium blocks
// the page's request as mixed content (an http page, not on the local
// machine, in a frame whose parent or top is https), which commits nothing
// in the frame, and that it still renders the same page in http chains and
// a local http page in https ones. page.test resolves to 127.0.0.1 in the
// Chromium of this test only, so that it is not on the local machine by
// name.
func TestLoad_mixedContent(t *testing.T) {
	chromiumtest.Require(t)
	exe := filepath.Join(t.TempDir(), "chromium")
	script := fmt.Sprintf("#!/bin/sh\nexec %q --host-resolver-rules='MAP page.test 127.0.0.1' \"$@\"\n", chromiumPath)
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := proof.Start(t.Context(), proof.Options{Chromium: exe})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	srv := httptest.NewServer(framingSite())
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	named, local := "http://page.test:"+port+"/none", srv.URL+"/none"
	for _, tc := range []struct {
		name      string
		url       string
		ancestors []string
		mixed     bool
	}{
		{"https parent", named, []string{"https://attacker.example"}, true},
		{"https top above a local http parent", named, []string{"http://localhost:9", "https://attacker.example"}, true},
		{"http parent", named, []string{"http://attacker.example"}, false},
		{"local page in an https parent", local, []string{"https://attacker.example"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			f, err := b.Load(ctx, tc.url, tc.ancestors)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tc.mixed {
				if f.Rendered || f.MixedContent != tc.url || !strings.Contains(f.What(), "blocked the frame's request for "+tc.url+" as mixed content") {
					t.Errorf("Load(%s, %q) = %s (mixed content %q), want the request blocked as mixed content", tc.url, tc.ancestors, f.What(), f.MixedContent)
				}
				return
			}
			if !f.Rendered || f.MixedContent != "" {
				t.Errorf("Load(%s, %q) = %s, want the page rendered", tc.url, tc.ancestors, f.What())
			}
		})
	}
	// An http ancestor on a name, below an https one, is itself blocked:
	// the chain cannot be built, and Load says so at once.
	t.Run("ancestor blocked", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		f, err := b.Load(ctx, local, []string{"http://attacker.example", "https://top.example"})
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "the chain cannot be built: ancestor http://attacker.example") ||
			!strings.Contains(err.Error(), "as mixed content") {
			t.Errorf("Load = %s, %v; want at once the error that the http ancestor is blocked as mixed content", f.What(), err)
		}
	})
}
