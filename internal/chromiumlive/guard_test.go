package chromiumlive

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/guard"
)

// TestGuard_pageBrowsers proves guard's refusals in Firefox and WebKit, as
// guard's own browser tests do in Chromium. A page of another site frames
// a route that is not embeddable and one that lets that site frame it, then
// opens the first at the top level; that page opens a confirmation page
// (Guard.ConfirmationHandler) by a link of its own, and then the other
// site opens the confirmation page too. The framed navigation to the first
// route must be answered 403 before its handler runs (the browser sends
// Sec-Fetch-Dest: iframe and Sec-Fetch-Site: cross-site), the embeddable
// route must be served and render (its image loads), the top-level
// navigation must be served, and the confirmation page must be served to
// the application's own link and refused, before its handler runs, to the
// other site, which reaches it through a redirect of its own. A second
// confirmation page lets the browser keep it (Cache-Control: private,
// max-age=600): opened by the application's link, then by the other site
// directly, it must be asked for again and refused (guard's Vary:
// Sec-Fetch-Site; without it, Firefox shows its copy).
func TestGuard_pageBrowsers(t *testing.T) {
	for _, b := range []struct {
		name    string
		require func(*testing.T) pageBrowser
	}{{"Firefox", requireFirefox}, {"WebKit", requireWebKit}} {
		t.Run(b.name, func(t *testing.T) {
			guardInBrowser(t, b.require(t))
		})
	}
}

func guardInBrowser(t *testing.T, b pageBrowser) {
	var (
		mu   sync.Mutex
		seen = map[string][]string{} // path: what each request carried and got
		ran  = map[string]int{}      // path: how often its handler ran
	)
	done := make(chan struct{})
	// Both servers' URLs are known before either serves: each page links
	// to the other's.
	victim := unstartedOn(t, "127.0.0.1:0", nil)
	attacker := unstartedOn(t, "127.0.0.2:0", nil)
	victimURL, attackerURL := "http://"+victim.Listener.Addr().String(), "http://"+attacker.Listener.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ran["/account"]++
		mu.Unlock()
		fmt.Fprint(w, `<p>account</p><script>setTimeout(() => { location = "/confirm" }, 50)</script>`)
	})
	// After the first refusal, the refusal page goes on, by a link of the
	// application's, to the confirmation page browsers may keep.
	g := &guard.Guard{DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<p>refused</p>")
		if r.URL.Path == "/confirm" {
			fmt.Fprint(w, `<script>setTimeout(() => { location = "/confirm-cached" }, 50)</script>`)
		}
	})}
	mux.Handle("GET /confirm", g.ConfirmationHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ran["/confirm"]++
		mu.Unlock()
		fmt.Fprintf(w, "<p>Delete?</p><script>setTimeout(() => { location = %q }, 50)</script>", attackerURL+"/to-confirm")
	})))
	mux.Handle("GET /confirm-cached", g.ConfirmationHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ran["/confirm-cached"]++
		mu.Unlock()
		w.Header().Set("Cache-Control", "private, max-age=600")
		fmt.Fprintf(w, "<p>Delete?</p><script>setTimeout(() => { location = %q }, 50)</script>", attackerURL+"/direct")
	})))
	mux.Handle("GET /widget", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, attackerURL); err != nil {
			t.Errorf("AllowFraming(%s): %v", attackerURL, err)
		}
		mu.Lock()
		ran["/widget"]++
		mu.Unlock()
		fmt.Fprint(w, `<p>widget</p><img src="/beacon">`)
	})))
	mux.HandleFunc("GET /beacon", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ran["/beacon"]++
		mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	})
	protected := g.Handler(mux)
	victim.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		protected.ServeHTTP(rec, r)
		mu.Lock()
		defer mu.Unlock()
		seen[r.URL.Path] = append(seen[r.URL.Path], fmt.Sprintf("dest=%s site=%s status=%d",
			r.Header.Get("Sec-Fetch-Dest"), r.Header.Get("Sec-Fetch-Site"), rec.status))
		if r.URL.Path == "/confirm-cached" && len(seen["/confirm-cached"]) == 2 {
			close(done)
		}
	})
	attacker.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprintf(w, `<iframe src="%[1]s/account"></iframe><iframe src="%[1]s/widget"></iframe>
<script>onload = () => setTimeout(() => { location = %[2]q }, 50)</script>`, victimURL, victimURL+"/account")
		case "/to-confirm":
			http.Redirect(w, r, victimURL+"/confirm", http.StatusFound)
		case "/direct":
			fmt.Fprintf(w, "<script>setTimeout(() => { location = %q }, 50)</script>", victimURL+"/confirm-cached")
		default:
			http.NotFound(w, r)
		}
	})
	victim.Start()
	attacker.Start()

	output, ok := b.browse(t, attackerURL+"/", done, 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if !ok {
		t.Fatalf("%s did not reach the end; the server saw %q; its output:\n%s", b.name, seen, output)
	}
	want := map[string][]string{
		"/account":        {"dest=iframe site=cross-site status=403", "dest=document site=cross-site status=200"},
		"/widget":         {"dest=iframe site=cross-site status=200"},
		"/beacon":         {"dest=image site=same-origin status=200"},
		"/confirm":        {"dest=document site=same-origin status=200", "dest=document site=cross-site status=403"},
		"/confirm-cached": {"dest=document site=same-origin status=200", "dest=document site=cross-site status=403"},
	}
	for path, w := range want {
		if got := seen[path]; fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s, %s: the server saw %q, want %q", b.version, path, got, w)
		}
	}
	if ran["/account"] != 1 || ran["/widget"] != 1 || ran["/beacon"] != 1 || ran["/confirm"] != 1 || ran["/confirm-cached"] != 1 {
		t.Errorf("%s: handlers ran %v times, want /account and each confirmation page once (the top-level navigation, the application's own link), /widget and /beacon once", b.version, ran)
	}
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
