package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
)

// served is one request the application answered, as the server saw it.
type served struct {
	Method  string
	Path    string // path and query
	Dest    string // Sec-Fetch-Dest
	Site    string // Sec-Fetch-Site
	Referer string
	Status  int
	Body    string // the start of the body
}

// servedLog records every request an application answers, so that the suite
// can tell what the server did with a navigation whose document Chromium
// never shows (a refused frame commits Chromium's error page, whatever the
// response). It is safe for concurrent use.
type servedLog struct {
	mu   sync.Mutex
	reqs []*served
}

// bodyPrefix is how much of each body the log keeps: enough for the
// application's error pages.
const bodyPrefix = 16 << 10

// handler serves next and logs each request. The entry is in the log before
// the first byte of the response can reach the browser: net/http sends
// nothing before the first Write, and the status is logged at WriteHeader and
// the body before it is passed on.
func (l *servedLog) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := &served{
			Method: r.Method, Path: r.URL.RequestURI(), Dest: r.Header.Get("Sec-Fetch-Dest"), Site: r.Header.Get("Sec-Fetch-Site"),
			Referer: r.Header.Get("Referer"),
		}
		next.ServeHTTP(&servedWriter{ResponseWriter: w, l: l, s: s}, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		if s.Status == 0 {
			s.Status = http.StatusOK
			l.reqs = append(l.reqs, s)
		}
	})
}

// framed returns the framed navigations (Sec-Fetch-Dest iframe, object or
// embed) to path whose page came from origin (its Referer), by destination.
func (l *servedLog) framed(path, origin string) map[string][]served {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]served{}
	for _, s := range l.reqs {
		if s.Path == path && strings.TrimSuffix(s.Referer, "/") == origin &&
			slices.Contains([]string{"iframe", "object", "embed"}, s.Dest) {
			out[s.Dest] = append(out[s.Dest], *s)
		}
	}
	return out
}

// posts returns the POST requests answered that the POST route pattern of
// app.Routes() serves.
func (l *servedLog) posts(pattern string) []served {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []served
	for _, s := range l.reqs {
		if s.Method == http.MethodPost && postPattern(app.Routes(), s.Path) == pattern {
			out = append(out, *s)
		}
	}
	return out
}

func (s served) String() string {
	return fmt.Sprintf("%d to %s with Sec-Fetch-Dest %s, Sec-Fetch-Site %s", s.Status, s.Path, s.Dest, s.Site)
}

type servedWriter struct {
	http.ResponseWriter
	l *servedLog
	s *served
}

func (w *servedWriter) WriteHeader(code int) {
	w.l.mu.Lock()
	if w.s.Status == 0 {
		w.s.Status = code
		w.l.reqs = append(w.l.reqs, w.s)
	}
	w.l.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (w *servedWriter) Write(b []byte) (int, error) {
	w.l.mu.Lock()
	if w.s.Status == 0 {
		w.s.Status = http.StatusOK
		w.l.reqs = append(w.l.reqs, w.s)
	}
	if n := bodyPrefix - len(w.s.Body); n > 0 {
		w.s.Body += string(b[:min(n, len(b))])
	}
	w.l.mu.Unlock()
	return w.ResponseWriter.Write(b)
}

func (w *servedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// framedRefusal is what the application's 403 page says when guard refuses
// a framed navigation (internal/app/protect.go).
const framedRefusal = "This page cannot be shown inside another site."

// checkFramedNavigations checks what the server answered the framed
// navigations (iframe, object, embed) that the attacker page of origin made
// to path: each kind must have reached the server, and each must have been
// refused with the application's framing refusal, before the handler ran,
// when refused is true, or served by the handler otherwise. The frames'
// documents say only that Chromium blocked them; this says that the work
// behind them was not done either. With cached true (an immutable static
// file) a kind may not reach the server: the nested frame's same-origin
// load may have put the file in the cache first, and Chromium answers
// from it.
func checkFramedNavigations(t *testing.T, route string, log *servedLog, path, origin string, refused, cached bool) {
	t.Helper()
	got := log.framed(path, origin)
	for _, dest := range []string{"iframe", "object", "embed"} {
		if len(got[dest]) == 0 && !cached {
			t.Errorf("route %s, %s from %s: no framed navigation reached the server", route, dest, origin)
		}
		for _, s := range got[dest] {
			switch {
			case refused && (s.Status != http.StatusForbidden || !strings.Contains(s.Body, framedRefusal)):
				t.Errorf("route %s, %s from %s: the server answered %s; want 403 with %q", route, dest, origin, s, framedRefusal)
			case !refused && s.Status != http.StatusOK:
				t.Errorf("route %s, %s from %s: the server answered %s; want 200 from the handler", route, dest, origin, s)
			}
		}
	}
}
