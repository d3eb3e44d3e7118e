package chromiumlive

import (
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
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

// The ports of the corpus's origins, which the lab replaces by its own
// servers' (same IP addresses, other ports) wherever they appear.
const (
	victimPort      = "18081" // the victim, http://127.0.0.1:18081
	attackerPort    = "18082" // the attacker, http://127.0.0.2:18082, and the named attackers
	otherPort       = "18083" // the victim's host on another port, http://127.0.0.1:18083
	victimTLSPort   = "18443" // the victim over https, https://127.0.0.1:18443
	attackerTLSPort = "18444" // the attacker over https, https://127.0.0.2:18444, and the named attackers
)

// Ancestors the lab builds from other documents than its pages: the corpus
// writes an opaque ancestor as "null" and what it is.
const (
	dataParent      = "null (data: URL document)"
	sandboxedPrefix = "null (sandboxed " // then an origin and ")": that origin's page in a sandboxed iframe
)

// resolverRules make Chromium resolve the corpus's named attackers
// (attacker.test, evil.attacker.test) to the attacker's address.
const resolverRules = "MAP attacker.test 127.0.0.2, MAP *.attacker.test 127.0.0.2"

// startChromium starts the headless Chromium of a live test, resolving the
// named attackers to the lab's attacker and accepting its https servers'
// certificate, and returns its tab.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	return chromiumtest.Start(t, chromedp.Flag("host-resolver-rules", resolverRules),
		chromedp.Flag("ignore-certificate-errors", true))
}

// lab serves the cases: a victim on 127.0.0.1, the same host on another
// port and an attacker on 127.0.0.2, and the victim and the attacker over
// https too, all with the same handler, and records which victim documents
// loaded.
type lab struct {
	victim, other, attacker *httptest.Server
	victimTLS, attackerTLS  *httptest.Server
	rewrite                 func(string) string

	mu     sync.Mutex
	cases  http.Handler    // corpustest.Handler of the lines served
	pages  []string        // the framing pages, at /page/<index>
	loaded map[string]bool // record ids whose victim document loaded
}

// newLab starts a lab serving records.
func newLab(t *testing.T, records []corpustest.Record) *lab {
	t.Helper()
	l := &lab{loaded: make(map[string]bool)}
	l.victim = serveOn(t, "127.0.0.1:0", l)
	l.other = serveOn(t, "127.0.0.1:0", l)
	l.attacker = serveOn(t, "127.0.0.2:0", l)
	l.victimTLS = serveTLSOn(t, "127.0.0.1:0", l)
	l.attackerTLS = serveTLSOn(t, "127.0.0.2:0", l)
	l.rewrite = strings.NewReplacer(
		victimPort, port(l.victim),
		otherPort, port(l.other),
		attackerPort, port(l.attacker),
		victimTLSPort, port(l.victimTLS),
		attackerTLSPort, port(l.attackerTLS),
	).Replace
	l.cases = corpustest.Handler(records, l.rewrite)
	return l
}

// serveOn serves h over http on addr until the test ends; serveTLSOn over
// https, with the lab's certificate (see labCA).
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	s := unstartedOn(t, addr, h)
	s.Start()
	return s
}

func serveTLSOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	s := unstartedOn(t, addr, h)
	_, cert := labCA()
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	return s
}

func unstartedOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	t.Cleanup(s.Close)
	return s
}

func port(s *httptest.Server) string {
	return strconv.Itoa(s.Listener.Addr().(*net.TCPAddr).Port)
}

// ServeHTTP answers
//
//   - /case/<case>?id=<id>: the case's header lines, in order and spelled as
//     recorded, its status, and a body with its <meta> tags and an image
//     that reports, at /beacon/<id>, that the document loaded;
//   - /redirect/<case>?id=<id>: a same-origin 302 to /case/<case> carrying
//     the case's redirect headers;
//   - /page/<index>: a framing page that addPage registered;
//   - /beacon/<id>: records that id's victim document loaded.
//
// The first two are corpustest.Handler's.
func (l *lab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rest, ok := strings.CutPrefix(r.URL.Path, "/page/"); ok {
		i, err := strconv.Atoi(rest)
		if err != nil || i < 0 || i >= len(l.pages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, l.pages[i])
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/beacon/"); ok {
		l.loaded[id] = true
		w.WriteHeader(http.StatusNoContent)
		return
	}
	l.cases.ServeHTTP(w, r)
}

// addPage registers a framing page holding markup and returns its path,
// which every server of the lab serves.
func (l *lab) addPage(markup string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pages = append(l.pages, "<!doctype html><title>frame</title>"+markup)
	return "/page/" + strconv.Itoa(len(l.pages)-1)
}

// frameMarkup returns a frame element of kind element (iframe, object or
// embed) loading src, with the sandbox attribute when sandbox is not empty.
func frameMarkup(element, sandbox, src string) string {
	src = html.EscapeString(src)
	switch element {
	case "object":
		return `<object type="text/html" data="` + src + `"></object>`
	case "embed":
		return `<embed type="text/html" src="` + src + `">`
	}
	if sandbox != "" {
		return `<iframe sandbox="` + html.EscapeString(sandbox) + `" src="` + src + `"></iframe>`
	}
	return `<iframe src="` + src + `"></iframe>`
}

// frames returns r's top-level origin, with the lab's ports, and the markup
// its page holds for r: r's victim in r's frame element, inside a document
// for every other ancestor, parent innermost. An ancestor is a page of the
// lab, a data: URL document (dataParent) or a page of the lab in a
// sandboxed iframe ("null (sandboxed <origin>)").
func (l *lab) frames(t *testing.T, r corpustest.Record) (top, markup string) {
	t.Helper()
	victim := l.rewrite(r.VictimOrigin)
	if victim != l.victim.URL && victim != l.victimTLS.URL {
		t.Fatalf("%s: the live test serves the victim at http://127.0.0.1:%s and https://127.0.0.1:%s only, not %s", r.ID, victimPort, victimTLSPort, r.VictimOrigin)
	}
	p := "/case/"
	if r.RedirectHeaders != nil {
		p = "/redirect/"
	}
	markup = frameMarkup(r.Element, r.Sandbox, victim+p+url.PathEscape(r.Case)+"?id="+url.QueryEscape(r.ID))
	for i, a := range r.Ancestors {
		origin, sandboxed := strings.CutPrefix(a, sandboxedPrefix)
		if sandboxed {
			origin = strings.TrimSuffix(origin, ")")
		}
		origin = l.rewrite(origin)
		switch {
		case a == dataParent && i < len(r.Ancestors)-1:
			markup = frameMarkup("iframe", "", "data:text/html,"+url.PathEscape("<!doctype html><title>data</title>"+markup))
			continue
		case !l.serves(origin) || sandboxed && i != 0:
			// Sandboxing passes to descendants: below a sandboxed parent
			// every ancestor would be opaque too.
			t.Fatalf("%s: the live test cannot build ancestor %d, %s, of %q", r.ID, i+1, a, r.Ancestors)
		case i == len(r.Ancestors)-1:
			return origin, markup
		}
		sandbox := ""
		if sandboxed {
			sandbox = "allow-scripts"
		}
		markup = frameMarkup("iframe", sandbox, origin+l.addPage(markup))
	}
	t.Fatalf("%s: no ancestor", r.ID)
	return "", ""
}

// serves reports whether one of the lab's servers answers origin: the
// victim, the victim's host on the other port, the attacker, the https
// victim and attacker, and the named attackers on the attacker's port of
// either scheme.
func (l *lab) serves(origin string) bool {
	if slices.Contains([]string{l.victim.URL, l.other.URL, l.attacker.URL, l.victimTLS.URL, l.attackerTLS.URL}, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" ||
		!(u.Scheme == "http" && u.Port() == port(l.attacker) || u.Scheme == "https" && u.Port() == port(l.attackerTLS)) {
		return false
	}
	return u.Hostname() == "attacker.test" || strings.HasSuffix(u.Hostname(), ".attacker.test")
}

// measure opens r's framing page in tab and reports whether the victim
// document rendered in its frame.
func (l *lab) measure(t *testing.T, tab context.Context, r corpustest.Record) bool {
	t.Helper()
	l.forget(r.ID)
	top, markup := l.frames(t, r)
	navigate(t, tab, top+l.addPage(markup))
	return l.wasLoaded(r.ID)
}

// navigate opens a framing page in tab.
func navigate(t *testing.T, tab context.Context, pageURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	// Navigate returns after the top page's load event, which waits for
	// every frame's load, and a victim document's load waits for its
	// beacon image: a victim that rendered has reported by now.
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("load the framing page %s: %v", pageURL, err)
	}
}

func (l *lab) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.loaded, id)
}

// wasLoaded reports whether id's victim document loaded: the server sees
// the beacon's path unescaped, as the id itself.
func (l *lab) wasLoaded(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loaded[id]
}

// browserVersion returns the product name and version of tab's browser.
func browserVersion(t *testing.T, tab context.Context) string {
	t.Helper()
	version, err := chromedp.Call(tab, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("read the browser version: %v", err)
	}
	return version.Product
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
	}
	if framed == 0 || blocked == 0 {
		t.Fatalf("extra corpus has %d framed and %d blocked lines; it needs both, controls included, for the measurement to be able to fail", framed, blocked)
	}

	tab := startChromium(t)
	l := newLab(t, records)
	version := browserVersion(t, tab)
	t.Logf("measuring %d lines in %s", len(records), version)

	wrong := 0
	for _, r := range records {
		got := l.measure(t, tab, r)
		// The file holds Chromium 156's verdicts (see expectFramed).
		if want := expectFramed(t, version, r.Framed, r.Response(), r.Ancestors); !slices.Contains(want, got) {
			wrong++
			t.Errorf("%s: Chromium framed = %v, the extra corpus says %v, and so Chromium %d should frame it: %v\n\theaders: %q\n\tancestors: %q",
				r.ID, got, r.Framed, chromiumMajor(t, version), want, r.Headers, r.Ancestors)
		} else if got == r.Framed {
			t.Logf("%s: framed = %v, as recorded", r.ID, got)
		} else {
			t.Logf("%s: framed = %v, as Chromium %d reads the response (recorded: %v)", r.ID, got, chromiumMajor(t, version), r.Framed)
		}
	}
	t.Logf("%d lines re-measured, %d disagree", len(records), wrong)
}
