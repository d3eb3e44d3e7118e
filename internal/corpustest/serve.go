package corpustest

import (
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The corpus's victim hosts, which Servers replaces by its own.
const (
	victimHost    = "127.0.0.1:18081"
	victimTLSHost = "127.0.0.1:18443"
)

// corpusPorts are the ports of the corpus's origins. A test server on one of
// them could be mistaken for another origin of the corpus (a server on 18083
// would make the cross-port ancestor same-origin with the victim), so
// Servers never listens on them.
var corpusPorts = []int{18081, 18082, 18083, 18443, 18444}

// Handler serves every case of records at /case/<case>: the case's header
// lines in order and with their spelling, its status, and an HTML body with
// its <meta http-equiv> tags, as text/html unless the case has its own
// Content-Type. At /redirect/<case> it serves a 302 to /case/<case>
// carrying the case's redirect headers and the request's query: same-origin,
// or to the case's FinalOrigin, rewritten. Any other path is 404. rewrite
// maps the corpus's victim origins in header values and meta content to the
// test servers'; it is called on every request. A request with a query parameter id gets, in the body, an
// image at /beacon/<id>, so that a server answering that path learns that
// the document loaded in a browser.
func Handler(records []Record, rewrite func(string) string) http.Handler {
	byCase := make(map[string]Record)
	for _, r := range records {
		byCase[r.Case] = r
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, redirect := strings.CutPrefix(r.URL.Path, "/redirect/")
		if !redirect {
			var ok bool
			if name, ok = strings.CutPrefix(r.URL.Path, "/case/"); !ok {
				http.NotFound(w, r)
				return
			}
		}
		c, ok := byCase[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if redirect {
			for _, h := range c.RedirectHeaders {
				if h.Name != "Location" {
					w.Header()[h.Name] = append(w.Header()[h.Name], rewrite(h.Value))
				}
			}
			loc := "/case/" + url.PathEscape(name)
			if o := c.FinalOrigin(); o != c.VictimOrigin {
				loc = rewrite(o) + loc
			}
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusFound)
			return
		}
		// Raw names keep the case's spelling on the wire.
		for _, h := range c.Headers {
			w.Header()[h.Name] = append(w.Header()[h.Name], rewrite(h.Value))
		}
		if _, ok := w.Header()["Content-Type"]; !ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		w.WriteHeader(c.Status)
		var b strings.Builder
		b.WriteString("<!doctype html><html><head>")
		for _, m := range c.Meta {
			fmt.Fprintf(&b, `<meta http-equiv="%s" content="%s">`, html.EscapeString(m.HTTPEquiv), html.EscapeString(rewrite(m.Content)))
		}
		b.WriteString("<title>victim</title></head><body>")
		if id := r.URL.Query().Get("id"); id != "" {
			fmt.Fprintf(&b, `<img src="/beacon/%s" alt="">`, html.EscapeString(url.PathEscape(id)))
		}
		b.WriteString("<button>Delete account</button></body></html>")
		_, _ = io.WriteString(w, b.String())
	})
}

// Servers stand in for the corpus's victim origins: Plain for
// http://127.0.0.1:18081 and TLS for https://127.0.0.1:18443, both serving
// Handler. They are closed when the test ends.
type Servers struct {
	Plain, TLS *httptest.Server
	rewrite    func(string) string
}

// Serve starts Servers for records, on loopback ports that are none of the
// corpus's own.
func Serve(t testing.TB, records []Record) *Servers {
	t.Helper()
	plainL, tlsL := listen(t), listen(t)
	s := &Servers{
		rewrite: strings.NewReplacer(victimHost, plainL.Addr().String(), victimTLSHost, tlsL.Addr().String()).Replace,
	}
	h := Handler(records, s.rewrite)
	s.Plain = httptest.NewUnstartedServer(h)
	s.Plain.Listener.Close()
	s.Plain.Listener = plainL
	s.Plain.Start()
	t.Cleanup(s.Plain.Close)
	s.TLS = httptest.NewUnstartedServer(h)
	s.TLS.Listener.Close()
	s.TLS.Listener = tlsL
	// Connections a client drops without a TLS close make the server log.
	s.TLS.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.TLS.StartTLS()
	t.Cleanup(s.TLS.Close)
	return s
}

// listen returns a loopback listener on a port that is none of corpusPorts.
func listen(t testing.TB) net.Listener {
	t.Helper()
	var held []net.Listener // refused ports, kept open so they are not handed out again
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen on loopback: %v", err)
		}
		if !slices.Contains(corpusPorts, l.Addr().(*net.TCPAddr).Port) {
			return l
		}
		held = append(held, l)
	}
	t.Fatalf("listen on loopback: got only ports of the corpus's origins")
	return nil
}

// Rewrite replaces the corpus's victim hosts in s by the servers' hosts.
func (s *Servers) Rewrite(v string) string { return s.rewrite(v) }

// Ancestors returns r's ancestors with the victim origins rewritten to the
// servers'.
func (s *Servers) Ancestors(r Record) []string {
	chain := make([]string, len(r.Ancestors))
	for i, a := range r.Ancestors {
		chain[i] = s.rewrite(a)
	}
	return chain
}

// URL returns where s serves r: the TLS server for an https victim, the plain
// one otherwise, and the /redirect/ path when r has redirect headers.
func (s *Servers) URL(r Record) string {
	base := s.Plain.URL
	if strings.HasPrefix(r.VictimOrigin, "https:") {
		base = s.TLS.URL
	}
	p := "/case/"
	if len(r.RedirectHeaders) > 0 {
		p = "/redirect/"
	}
	return base + p + url.PathEscape(r.Case)
}
