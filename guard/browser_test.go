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

// TestHandler_FramedNavigationChromium loads, in headless Chromium, an
// attacker page on another site (localhost, against the victim's
// 127.0.0.1) that frames two routes of a guarded server, and checks on the
// server side what the refusal depends on: Chromium really sends
// Sec-Fetch-Dest: iframe with Sec-Fetch-Site: cross-site, the route that is
// not embeddable answers 403 without its handler running, and the
// embeddable route that allows the attacker's origin runs.
func TestHandler_FramedNavigationChromium(t *testing.T) {
	ctx := chromiumtest.Start(t)

	var mu sync.Mutex
	log := map[string]*seen{}
	record := func(path string) *seen {
		mu.Lock()
		defer mu.Unlock()
		if log[path] == nil {
			log[path] = &seen{}
		}
		return log[path]
	}
	snapshot := func(path string) (seen, bool) {
		mu.Lock()
		defer mu.Unlock()
		s, ok := log[path]
		if !ok {
			return seen{}, false
		}
		return *s, true
	}

	// The attacker's server: a page on another site framing the victim.
	attacker := httptest.NewServer(nil)
	defer attacker.Close()
	attackerOrigin := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log["/plain"].ran = true
		mu.Unlock()
		io.WriteString(w, "<p>plain</p>")
	})
	mux.Handle("GET /embed", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, attackerOrigin); err != nil {
			t.Errorf("AllowFraming(%q): %v", attackerOrigin, err)
		}
		mu.Lock()
		log["/embed"].ran = true
		mu.Unlock()
		io.WriteString(w, "<p>embed</p>")
	})))
	var g guard.Guard
	protected := g.Handler(mux)
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := record(r.URL.Path)
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		protected.ServeHTTP(rec, r)
		mu.Lock()
		s.dest, s.site, s.status = r.Header.Get("Sec-Fetch-Dest"), r.Header.Get("Sec-Fetch-Site"), rec.status
		mu.Unlock()
	}))
	defer victim.Close()
	attacker.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%[1]s/plain"></iframe><iframe src="%[1]s/embed"></iframe>`, victim.URL)
	})

	if _, err := chromedp.Run(ctx, chromedp.Navigate(attackerOrigin+"/")); err != nil {
		t.Fatalf("navigate to the attacker page: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, p := snapshot("/plain")
		_, e := snapshot("/embed")
		if p && e || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the responses finish before reading what they were.
	time.Sleep(200 * time.Millisecond)

	plain, ok := snapshot("/plain")
	if !ok {
		t.Fatalf("Chromium never requested /plain")
	}
	if plain.dest != "iframe" || plain.site != "cross-site" {
		t.Errorf("/plain: Sec-Fetch-Dest %q, Sec-Fetch-Site %q; want iframe, cross-site", plain.dest, plain.site)
	}
	if plain.status != http.StatusForbidden || plain.ran {
		t.Errorf("/plain framed cross-site: status %d, handler ran %v; want 403 before the handler", plain.status, plain.ran)
	}
	embed, ok := snapshot("/embed")
	if !ok {
		t.Fatalf("Chromium never requested /embed")
	}
	if embed.status != http.StatusOK || !embed.ran {
		t.Errorf("/embed framed by an allowed origin: status %d, handler ran %v; want 200 from the handler", embed.status, embed.ran)
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
