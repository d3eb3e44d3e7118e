package scan_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/scan"
	"github.com/clickguard/clickguard/scan/proof"
)

// TestRun_browserChromium scans, with Chromium's proof and a cookie, a URL
// that redirects to a page whose frame-ancestors source has a path, and a
// page that navigates itself to one that refuses frames, and two responses
// that show nothing in a frame, a 204 and a download. Chromium must agree
// with every verdict (it ignores the path after the redirect, it rendered
// the page asked for, and it committed nothing for the last two, which it
// says before the proof's deadline), and the cookie must reach no other
// origin than the URL's.
func TestRun_browserChromium(t *testing.T) {
	chromiumtest.Require(t)
	var mu sync.Mutex
	leaked := map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := r.Header.Get("Cookie"); c != "" {
			mu.Lock()
			leaked[r.URL.Path] = c
			mu.Unlock()
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		fmt.Fprint(w, "<!doctype html><title>landing</title>")
	}))
	defer other.Close()
	// Another host name, so another origin and no cookie of the URL's.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/path", http.StatusFound)
			return
		case "/away":
			http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
			return
		case "/path":
			w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		case "/deny":
			w.Header().Set("X-Frame-Options", "DENY")
		case "/js-nav":
			fmt.Fprint(w, "<!doctype html><title>js-nav</title><script>location.href = '/deny'</script>")
			return
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		case "/download":
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprint(w, "<!doctype html><title>download</title>")
			return
		}
		fmt.Fprint(w, "<!doctype html><title>page</title>")
	}))
	defer srv.Close()

	b, err := proof.Start(t.Context(), proof.Options{Chromium: chromiumtest.Path, Cookie: "sid=s3cret"})
	if err != nil {
		t.Fatalf("proof.Start: %v", err)
	}
	defer b.Close()
	opts := scan.Options{SkipErrorPage: true, Browser: b, Cookie: "sid=s3cret", Timeout: 30 * time.Second}
	urls := []string{srv.URL + "/redirect", srv.URL + "/away", srv.URL + "/js-nav", srv.URL + "/empty", srv.URL + "/download"}
	err = scan.Run(t.Context(), opts, urls, func(res scan.Result) {
		if res.Error != "" {
			t.Errorf("%s: %s", res.URL, res.Error)
			return
		}
		for _, v := range res.Verdicts {
			if v.Browser == nil || v.Browser.Error != "" {
				t.Errorf("%s in %q: no proof: %+v", res.URL, v.Ancestors, v.Browser)
			}
			if strings.HasSuffix(res.URL, "/empty") || strings.HasSuffix(res.URL, "/download") {
				if v.Framable || v.Browser == nil || v.Browser.Rendered {
					t.Errorf("%s in %q: framable = %v, Chromium: %+v; want nothing of the page, predicted and proved", res.URL, v.Ancestors, v.Framable, v.Browser)
				}
			}
		}
		for _, f := range res.Findings {
			if f.ID == "browser-disagrees" {
				t.Errorf("%s: %s %q", res.URL, f.Message, f.Evidence)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) != 0 {
		t.Errorf("the cookie reached another origin: %q", leaked)
	}
}
