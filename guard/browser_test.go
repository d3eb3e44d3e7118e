package guard_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// seen is what the server observed for one path.
type seen struct {
	dest, site string
	status     int
	ran        bool
}

// serverLog keeps, for each path, what the server saw of its last request.
type serverLog struct {
	mu sync.Mutex
	m  map[string]*seen
}

// serve serves h and records the request's Sec-Fetch-Dest and
// Sec-Fetch-Site and the status h answered with.
func (l *serverLog) serve(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := &seen{}
		l.mu.Lock()
		if l.m == nil {
			l.m = map[string]*seen{}
		}
		l.m[r.URL.Path] = s
		l.mu.Unlock()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		s.dest, s.site, s.status = r.Header.Get("Sec-Fetch-Dest"), r.Header.Get("Sec-Fetch-Site"), rec.status
		l.mu.Unlock()
	})
}

// ran records that the handler of r's path ran.
func (l *serverLog) ran(r *http.Request) {
	l.mu.Lock()
	l.m[r.URL.Path].ran = true
	l.mu.Unlock()
}

// snapshot returns what was seen of path's last request, once it has been
// answered.
func (l *serverLog) snapshot(path string) (seen, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.m[path]
	if !ok || s.status == 0 {
		return seen{}, false
	}
	return *s, true
}

// wait waits up to 15 seconds for path's request to be answered.
func (l *serverLog) wait(path string) (seen, bool) {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s, ok := l.snapshot(path); ok {
			return s, true
		}
	}
	return l.snapshot(path)
}

// TestHandler_FramedNavigationChromium loads, in headless Chromium, an
// attacker page on another site (localhost, against the victim's
// 127.0.0.1) that frames two routes of a guarded server, and checks on the
// server side what the refusal depends on: Chromium really sends
// Sec-Fetch-Dest: iframe with Sec-Fetch-Site: cross-site, the route that is
// not embeddable answers 403 without its handler running, and the
// embeddable route that allows the attacker's origin runs, also when framed
// at a path ServeMux redirects to it (/widget to /widget/): Chromium follows
// the redirect in the frame, whatever the redirect's own framing headers.
func TestHandler_FramedNavigationChromium(t *testing.T) {
	ctx := chromiumtest.Start(t)
	var log serverLog

	// The attacker's server: a page on another site framing the victim.
	attacker := httptest.NewServer(nil)
	defer attacker.Close()
	attackerOrigin := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) {
		log.ran(r)
		io.WriteString(w, "<p>plain</p>")
	})
	mux.Handle("GET /embed", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, attackerOrigin); err != nil {
			t.Errorf("AllowFraming(%q): %v", attackerOrigin, err)
		}
		log.ran(r)
		io.WriteString(w, "<p>embed</p>")
	})))
	// The same widget at /widget/, framed as /widget: ServeMux redirects.
	mux.Handle("GET /widget/", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, attackerOrigin); err != nil {
			t.Errorf("AllowFraming(%q): %v", attackerOrigin, err)
		}
		log.ran(r)
		io.WriteString(w, "<p>widget</p>")
	})))
	var g guard.Guard
	victim := httptest.NewServer(log.serve(g.Handler(mux)))
	defer victim.Close()
	attacker.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%[1]s/plain"></iframe><iframe src="%[1]s/embed"></iframe><iframe src="%[1]s/widget"></iframe>`, victim.URL)
	})

	if _, err := chromedp.Run(ctx, chromedp.Navigate(attackerOrigin+"/")); err != nil {
		t.Fatalf("navigate to the attacker page: %v", err)
	}
	plain, ok := log.wait("/plain")
	if !ok {
		t.Fatalf("Chromium never requested /plain")
	}
	if plain.dest != "iframe" || plain.site != "cross-site" {
		t.Errorf("/plain: Sec-Fetch-Dest %q, Sec-Fetch-Site %q; want iframe, cross-site", plain.dest, plain.site)
	}
	if plain.status != http.StatusForbidden || plain.ran {
		t.Errorf("/plain framed cross-site: status %d, handler ran %v; want 403 before the handler", plain.status, plain.ran)
	}
	embed, ok := log.wait("/embed")
	if !ok {
		t.Fatalf("Chromium never requested /embed")
	}
	if embed.status != http.StatusOK || !embed.ran {
		t.Errorf("/embed framed by an allowed origin: status %d, handler ran %v; want 200 from the handler", embed.status, embed.ran)
	}
	// The redirect to the embeddable route is let through, and Chromium
	// follows it in the frame, whose request guard checks in turn.
	if redirect, ok := log.wait("/widget"); !ok || redirect.status != http.StatusTemporaryRedirect {
		t.Errorf("/widget framed by an allowed origin: answered %v, status %d; want ServeMux's 307 to /widget/", ok, redirect.status)
	}
	widget, ok := log.wait("/widget/")
	if !ok {
		t.Fatalf("Chromium never followed the redirect to /widget/")
	}
	if widget.dest != "iframe" || widget.status != http.StatusOK || !widget.ran {
		t.Errorf("/widget/ after the redirect: Sec-Fetch-Dest %q, status %d, handler ran %v; want iframe, 200 from the handler", widget.dest, widget.status, widget.ran)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestAddInsecureBypassPattern_Chromium has headless Chromium post forms
// from another site (localhost, against the application's 127.0.0.1) the
// way a card issuer's 3-D Secure page does, and checks on the server what
// guard let through: a top-level post to the bypassed route runs its
// handler and one to another route is refused; a post made inside an
// iframe of the application's own checkout page (the 3-D Secure 2
// challenge) reaches its bypassed route only when that route's policy names
// the application's own origin ('self' is not enough), since guard cannot
// see that the frame's parent is the application.
func TestAddInsecureBypassPattern_Chromium(t *testing.T) {
	ctx := chromiumtest.Start(t)
	var log serverLog
	ran := func(w http.ResponseWriter, r *http.Request) {
		log.ran(r)
		io.WriteString(w, "<p>done</p>")
	}

	issuer := httptest.NewServer(nil)
	defer issuer.Close()
	issuerOrigin := strings.Replace(issuer.URL, "127.0.0.1", "localhost", 1)

	mux := http.NewServeMux()
	var g guard.Guard
	victim := httptest.NewServer(nil)
	defer victim.Close()
	own, err := guard.NewPolicy(victim.URL)
	if err != nil {
		t.Fatal(err)
	}
	g.AddInsecureBypassPattern("POST /payments/return")
	g.AddInsecureBypassPattern("POST /payments/challenge")
	g.AddInsecureBypassPattern("POST /payments/challenge-undeclared")
	g.AddInsecureBypassPattern("POST /payments/challenge-self")
	mux.HandleFunc("POST /payments/return", ran)
	mux.HandleFunc("POST /save", ran)
	mux.Handle("POST /payments/challenge", own.Handler(http.HandlerFunc(ran)))
	mux.HandleFunc("POST /payments/challenge-undeclared", ran)
	mux.Handle("POST /payments/challenge-self", guard.SameOrigin().Handler(http.HandlerFunc(ran)))
	mux.HandleFunc("GET /checkout/{route}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%s/acs/payments/%s"></iframe>`, issuerOrigin, r.PathValue("route"))
	})
	victim.Config.Handler = log.serve(g.Handler(mux))
	// The issuer's page posts itself to the application as soon as it loads.
	issuer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method=post action="%s%s"><input name=PaRes value=x></form>
<script>document.forms[0].submit()</script>`, victim.URL, strings.TrimPrefix(r.URL.Path, "/acs"))
	})

	for _, tc := range []struct {
		open, path, dest string
		status           int
	}{
		{issuerOrigin + "/acs/payments/return", "/payments/return", "document", http.StatusOK},
		{issuerOrigin + "/acs/save", "/save", "document", http.StatusForbidden},
		{victim.URL + "/checkout/challenge", "/payments/challenge", "iframe", http.StatusOK},
		{victim.URL + "/checkout/challenge-undeclared", "/payments/challenge-undeclared", "iframe", http.StatusForbidden},
		{victim.URL + "/checkout/challenge-self", "/payments/challenge-self", "iframe", http.StatusForbidden},
	} {
		if _, err := chromedp.Run(ctx, chromedp.Navigate(tc.open)); err != nil {
			t.Fatalf("navigate to %s: %v", tc.open, err)
		}
		s, ok := log.wait(tc.path)
		if !ok {
			t.Errorf("Chromium never posted to %s (from %s)", tc.path, tc.open)
			continue
		}
		if s.site != "cross-site" || s.dest != tc.dest {
			t.Errorf("POST %s: Sec-Fetch-Site %q, Sec-Fetch-Dest %q; want cross-site, %s", tc.path, s.site, s.dest, tc.dest)
		}
		if s.status != tc.status || s.ran != (tc.status == http.StatusOK) {
			t.Errorf("POST %s from the issuer's page: status %d, handler ran %v; want %d", tc.path, s.status, s.ran, tc.status)
		}
	}
}
