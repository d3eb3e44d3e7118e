package e2e

import (
	"fmt"
	"iter"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/network"
)

// standIn is a tiny site with one page per framing policy and two forms, one
// guarded by Fetch Metadata and one open. It lets the harness prove that it
// tells a blocked frame from a rendered one, a refused POST from an accepted
// one, and a clickjack that lands from one that does not — independently of
// the application.
type standIn struct {
	posts atomic.Int64 // POSTs the site accepted
}

func (s *standIn) handler(partner string) http.Handler {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, title, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>%s · stand-in</title></head>
<body style="font: 20px system-ui; background: #e8f0ff"><h1>%s</h1>%s</body></html>`, title, title, body)
	}
	form := func(action string) string {
		return fmt.Sprintf(`<form method="post" action="%s"><input type="hidden" name="id" value="42">
<button type="submit" style="font-size: 20px; margin: 200px 0 0 300px">Delete item 42</button></form>`, action)
	}
	mux.HandleFunc("GET /deny", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		page(w, "deny", form("/guarded"))
	})
	mux.HandleFunc("GET /self", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		page(w, "self", "")
	})
	mux.HandleFunc("GET /allow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors "+partner)
		page(w, "allowlisted", "")
	})
	mux.HandleFunc("GET /open", func(w http.ResponseWriter, r *http.Request) {
		page(w, "open", form("/open-post"))
	})
	mux.HandleFunc("POST /guarded", func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "same-origin" && site != "none" {
			w.WriteHeader(http.StatusForbidden)
			page(w, "forbidden", "cross-origin request refused")
			return
		}
		s.posts.Add(1)
		page(w, "deleted", "")
	})
	mux.HandleFunc("POST /open-post", func(w http.ResponseWriter, r *http.Request) {
		s.posts.Add(1)
		page(w, "deleted", "")
	})
	return withNestHelper(mux)
}

// TestHarness runs every framing attack, a form replay and the clickjack
// against the stand-in site, where the right answers are known, so that a
// harness that could not see a rendered frame, a 200 or a landed click
// fails here instead of passing the application vacuously.
func TestHarness(t *testing.T) {
	browser := needBrowser(t)
	atk := startAttackers(t)
	var site standIn
	base := serve(t, appHost+":0", site.handler(atk.byName[partnerSite]))

	t.Run("framing", func(t *testing.T) {
		cases := []struct {
			path   string
			render map[string]bool // attacker origin → must render directly
		}{
			{"/deny", nil},
			{"/self", nil},
			{"/allow", map[string]bool{partnerSite: true}},
			{"/open", map[string]bool{sameSite: true, crossSite: true, partnerSite: true}},
		}
		jobs := map[string]func(t *testing.T){}
		for _, tc := range cases {
			for _, origin := range []string{sameSite, crossSite, partnerSite} {
				want := map[string]bool{}
				for _, kind := range kinds {
					// frame-ancestors checks every ancestor: nested, the
					// middle page of the target's own origin is one too,
					// and only /open allows it.
					want[kind] = tc.render[origin] && (kind != "nested" || tc.path == "/open")
				}
				p := framingPage{
					Group: "harness: stand-in site", Route: "GET " + tc.path, Origin: origin,
					Page: framePageAll(atk.byName[origin], base+tc.path, base+nestPath), TargetOrigin: base, WantRendered: want,
				}
				jobs[tc.path[1:]+"/from "+origin] = func(t *testing.T) { runFramingPage(t, browser, p) }
			}
		}
		runAll(t, jobs)
	})

	t.Run("forms", func(t *testing.T) {
		for _, tc := range []struct {
			action     string
			wantStatus int64
			wantPosts  int64 // accepted POSTs this case adds
		}{
			{"/guarded", http.StatusForbidden, 0},
			{"/open-post", http.StatusOK, 1},
		} {
			for _, origin := range []string{sameSite, crossSite} {
				before := site.posts.Load()
				tab := newTab(t, browser)
				res, err := submitCrossOrigin(tab, postPage(atk.byName[origin], base+tc.action, []field{{"id", "42"}}), base+tc.action)
				if err != nil {
					t.Fatalf("POST %s from %s: %v", tc.action, origin, err)
				}
				ok := res.Status == tc.wantStatus && site.posts.Load()-before == tc.wantPosts
				if err := suite.artifacts.add(shot{
					Group: "harness: stand-in site", Route: "POST " + tc.action, Attack: "form from " + origin,
					Verdict: fmt.Sprintf("status %d", res.Status), What: res.Doc.String(), OK: ok,
				}, res.PNG); err != nil {
					t.Error(err)
				}
				if res.Status != tc.wantStatus {
					t.Errorf("POST %s from %s: got status %d, want %d", tc.action, origin, res.Status, tc.wantStatus)
				}
				if got := site.posts.Load() - before; got != tc.wantPosts {
					t.Errorf("POST %s from %s: site accepted %d POSTs, want %d", tc.action, origin, got, tc.wantPosts)
				}
			}
		}
	})

	t.Run("clickjack", func(t *testing.T) {
		for _, tc := range []struct {
			path     string
			wantLand bool
		}{
			{"/deny", false},
			{"/open", true},
		} {
			tab := newTab(t, browser)
			bx, by, err := buttonCenter(newTab(t, browser), base+tc.path, "form button")
			if err != nil {
				t.Fatal(err)
			}
			before := site.posts.Load()
			v, png, err := clickjack(tab, atk.byName[sameSite], base+tc.path, base, bx, by, tc.wantLand)
			if err != nil {
				t.Fatalf("clickjack %s: %v", tc.path, err)
			}
			landed := site.posts.Load() > before
			if err := suite.artifacts.add(shot{
				Group: "harness: stand-in site", Route: "GET " + tc.path, Attack: "clickjack from " + sameSite,
				Verdict: fmt.Sprintf("click landed: %v", landed), What: v.What, OK: landed == tc.wantLand,
			}, png); err != nil {
				t.Error(err)
			}
			if landed != tc.wantLand || v.Rendered != tc.wantLand {
				t.Errorf("clickjack %s: click landed %v, frame rendered %v (%s); want %v", tc.path, landed, v.Rendered, v.What, tc.wantLand)
			}
		}
	})
}

// waitResponse reads network events until the response for u arrives and
// returns its status.
func waitResponse(responses iter.Seq2[network.EventResponseReceived, error], u string) (int64, error) {
	for ev, err := range responses {
		if err != nil {
			return 0, fmt.Errorf("wait for the response of %s: %w", u, err)
		}
		if ev.Response.URL == u {
			return ev.Response.Status, nil
		}
	}
	return 0, fmt.Errorf("no response for %s", u)
}
