package chromiumlive

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// The corpus's victim and attacker hosts, which the test replaces by its
// own servers' (same IP addresses, other ports).
const (
	victimHost   = "127.0.0.1:18081"
	attackerHost = "127.0.0.2:18082"
)

// lab serves the cases: a victim on 127.0.0.1 and an attacker on 127.0.0.2,
// both with the same handler, and records which victim documents loaded.
type lab struct {
	victim, attacker *httptest.Server
	rewrite          func(string) string
	cases            http.Handler // corpustest.Handler

	mu     sync.Mutex
	loaded map[string]bool // record ids whose victim document loaded
}

func newLab(t *testing.T, records []corpustest.Record) *lab {
	t.Helper()
	l := &lab{loaded: make(map[string]bool)}
	l.cases = corpustest.Handler(records, func(v string) string { return l.rewrite(v) })
	l.victim = serveOn(t, "127.0.0.1:0", l)
	l.attacker = serveOn(t, "127.0.0.2:0", l)
	l.rewrite = strings.NewReplacer(
		victimHost, l.victim.Listener.Addr().String(),
		attackerHost, l.attacker.Listener.Addr().String(),
	).Replace
	return l
}

func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// ServeHTTP answers
//
//   - /case/<case>?id=<id>: the case's header lines, in order and spelled as
//     recorded, its status, and a body with its <meta> tags and an image
//     that reports, at /beacon/<id>, that the document loaded;
//   - /redirect/<case>?id=<id>: a same-origin 302 to /case/<case> carrying
//     the case's redirect headers;
//   - /frame?src=<url>: a page holding one iframe of src;
//   - /beacon/<id>: records that id's victim document loaded.
//
// The first two are corpustest.Handler's.
func (l *lab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/frame":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>frame</title><iframe src="%s"></iframe>`, html.EscapeString(r.URL.Query().Get("src")))
	case strings.HasPrefix(r.URL.Path, "/beacon/"):
		l.mu.Lock()
		l.loaded[strings.TrimPrefix(r.URL.Path, "/beacon/")] = true
		l.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		// /case/ and /redirect/, with the beacon for ?id=.
		l.cases.ServeHTTP(w, r)
	}
}

// topURL returns the page to open for r: the victim case framed by one
// /frame page per ancestor, the parent innermost and the top outermost.
func (l *lab) topURL(t *testing.T, r corpustest.Record) string {
	t.Helper()
	p := "/case/"
	if r.RedirectHeaders != nil {
		p = "/redirect/"
	}
	u := l.victim.URL + p + url.PathEscape(r.Case) + "?id=" + url.QueryEscape(r.ID)
	for _, a := range r.Ancestors {
		origin := l.rewrite(a)
		if origin != l.victim.URL && origin != l.attacker.URL {
			t.Fatalf("%s: ancestor %s is neither the victim's nor the attacker's origin; the live test frames only from those", r.ID, a)
		}
		u = origin + "/frame?src=" + url.QueryEscape(u)
	}
	return u
}

// measure opens r's framing page in tab and reports whether the victim
// document rendered in its frame.
func (l *lab) measure(t *testing.T, tab context.Context, r corpustest.Record) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	// Navigate returns after the top page's load event, which waits for
	// every frame's load, and a victim document's load waits for its
	// beacon image: a victim that rendered has reported by now.
	if err := chromedp.Do(ctx, chromedp.Navigate(l.topURL(t, r))); err != nil {
		t.Fatalf("%s: load the framing page: %v", r.ID, err)
	}
	return l.wasLoaded(r.ID)
}

func (l *lab) wasLoaded(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded[url.PathEscape(id)]
}

// TestExtraCorpus_chromium measures every line of the extra corpus again in
// the local Chromium and requires the recorded verdict. The file's control
// lines (no header frames, DENY blocks, ...) make the test fail when the
// harness itself is broken, whichever way.
func TestExtraCorpus_chromium(t *testing.T) {
	records := corpustest.ReadExtra(t)
	framed, blocked := 0, 0
	for _, r := range records {
		if r.Framed {
			framed++
		} else {
			blocked++
		}
		if r.Element != "iframe" || r.Sandbox != "" {
			t.Fatalf("%s: the live test frames with a plain iframe only, not %s sandbox=%q", r.ID, r.Element, r.Sandbox)
		}
	}
	if framed == 0 || blocked == 0 {
		t.Fatalf("extra corpus has %d framed and %d blocked lines; it needs both, controls included, for the measurement to be able to fail", framed, blocked)
	}

	tab := chromiumtest.Start(t)
	l := newLab(t, records)
	version, err := chromedp.Call(tab, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("read the browser version: %v", err)
	}
	t.Logf("measuring %d lines in %s", len(records), version.Product)

	wrong := 0
	for _, r := range records {
		got := l.measure(t, tab, r)
		if got != r.Framed {
			wrong++
			t.Errorf("%s: Chromium framed = %v, the extra corpus says %v\n\theaders: %q\n\tancestors: %q",
				r.ID, got, r.Framed, r.Headers, r.Ancestors)
		} else {
			t.Logf("%s: framed = %v, as recorded", r.ID, got)
		}
	}
	t.Logf("%d lines re-measured, %d disagree", len(records), wrong)
}
