package chromiumlive

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// TestMixedContent_chromium measures every case of
// framing/testdata/mixed-content.json in the local Chromium: the page, its
// redirects and its ancestors are served over http and https from loopback
// (the names a case uses resolve to 127.0.0.1), the page's headers allow
// every ancestor, and the case counts as blocked when the page's document
// never loaded. Chromium must block exactly the cases the file says it
// blocks, and framing.Evaluate must agree with Chromium on each.
func TestMixedContent_chromium(t *testing.T) {
	cases := corpustest.ReadMixedContent(t)
	blocked := 0
	for _, c := range cases {
		if c.Blocked {
			blocked++
		}
	}
	if blocked == 0 || blocked == len(cases) {
		t.Fatalf("%d of %d cases are blocked: the file needs both for the measurement to be able to fail", blocked, len(cases))
	}

	tab := chromiumtest.Start(t,
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true))
	l := newMixedLab(t)
	for _, c := range cases {
		top, resp, ancestors := l.build(t, c)
		navigate(t, tab, top)
		framed := l.loaded(c.Name)
		if framed == c.Blocked {
			t.Errorf("%s: Chromium framed = %v, the file says blocked = %v\n\tpage %s via %q in %q", c.Name, framed, c.Blocked, resp.URL, resp.Redirects, ancestors)
		}
		v, err := framing.Evaluate(resp, ancestors)
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", c.Name, err)
		}
		if v.Framable != framed || (v.DecidedBy == framing.DecidedByMixedContent) != !framed {
			t.Errorf("%s: the model says framable = %v (%s: %s), Chromium framed = %v", c.Name, v.Framable, v.DecidedBy, v.Reason, framed)
		}
		t.Logf("%s: framed = %v", c.Name, framed)
	}
}

// mixedLab serves the mixed-content cases over http on 127.0.0.1 and
// [::1] and over https on 127.0.0.1, all with one handler:
//
//   - /frame?src=<url>[&sandbox=1]: a page framing url, in a sandboxed
//     iframe with sandbox=1;
//   - /redirect?to=<url>: a 302 to url;
//   - /victim?id=<name>: the page, whose headers allow every ancestor,
//     with an image that reports at /beacon?id=<name> that it loaded.
type mixedLab struct {
	http, http6, https *httptest.Server

	mu   sync.Mutex
	seen map[string]bool
}

func newMixedLab(t *testing.T) *mixedLab {
	t.Helper()
	l := &mixedLab{seen: map[string]bool{}}
	l.http = serveOn(t, "127.0.0.1:0", l)
	l.http6 = serveOn(t, "[::1]:0", l)
	l.https = serveTLSOn(t, "127.0.0.1:0", l)
	return l
}

func (l *mixedLab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch r.URL.Path {
	case "/frame":
		sandbox := ""
		if q.Get("sandbox") != "" {
			sandbox = ` sandbox="allow-scripts"`
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>frame</title><iframe%s src="%s"></iframe>`, sandbox, html.EscapeString(q.Get("src")))
	case "/redirect":
		http.Redirect(w, r, q.Get("to"), http.StatusFound)
	case "/victim":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "frame-ancestors *")
		fmt.Fprintf(w, `<!doctype html><title>victim</title><img src="/beacon?id=%s">`, url.QueryEscape(q.Get("id")))
	case "/beacon":
		l.mu.Lock()
		l.seen[q.Get("id")] = true
		l.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// origin returns the lab's origin for a case's scheme://host: its host,
// and the port of the lab's server for that scheme and address.
func (l *mixedLab) origin(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("the mixed-content lab cannot serve %q", raw)
	}
	s := l.http
	switch {
	case u.Scheme == "https":
		s = l.https
	case u.Hostname() == "::1":
		s = l.http6
	case u.Scheme != "http":
		t.Fatalf("the mixed-content lab cannot serve %q", raw)
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port(s))
}

// build returns the URL of c's top-level page, and c's response and
// ancestors as the lab serves them, for the model.
func (l *mixedLab) build(t *testing.T, c corpustest.MixedContentCase) (top string, resp framing.Response, ancestors []string) {
	t.Helper()
	resp = c.Response()
	resp.URL = l.origin(t, c.URL) + "/victim?id=" + url.QueryEscape(c.Name)
	resp.Redirects = make([]string, len(c.Redirects))
	src := resp.URL
	for i := len(c.Redirects) - 1; i >= 0; i-- {
		src = l.origin(t, c.Redirects[i]) + "/redirect?to=" + url.QueryEscape(src)
		resp.Redirects[i] = src
	}
	sandbox := false // whether the next page frames src in a sandboxed iframe
	for i, a := range c.Ancestors {
		origin, sandboxed := strings.CutPrefix(a, sandboxedPrefix)
		if sandboxed {
			if i == len(c.Ancestors)-1 {
				t.Fatalf("%s: the top-level page cannot be sandboxed", c.Name)
			}
			origin = strings.TrimSuffix(origin, ")")
			ancestors = append(ancestors, "null")
		} else {
			origin = l.origin(t, origin)
			ancestors = append(ancestors, origin)
		}
		src = origin + "/frame?src=" + url.QueryEscape(src)
		if sandbox {
			src += "&sandbox=1"
		}
		sandbox = sandboxed
	}
	return src, resp, ancestors
}

func (l *mixedLab) loaded(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[name]
}
