package proof

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestStart_noAutoReload: the proof's Chromium does not reload an error
// page by itself, as Chromium does a second after a tab's error page
// commits: the check that a page loads outside a frame must read the
// outcome of its own navigation (see reachable). The page here fails with
// an empty response, an error Chromium reloads.
func TestStart_noAutoReload(t *testing.T) {
	chromiumtest.Require(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // no response: net::ERR_EMPTY_RESPONSE
		}
	}))
	defer srv.Close()
	b, err := Start(t.Context(), Options{Chromium: chromiumtest.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tab, cancel := chromedp.NewContext(b.bctx)
	defer cancel()
	_ = chromedp.Do(tab, chromedp.Navigate(srv.URL)) // fails, by design
	// The network stack retries an empty response at once; the navigation
	// has failed when Navigate returns.
	n := hits.Load()
	if n == 0 {
		t.Fatal("the navigation reached no server")
	}
	time.Sleep(2500 * time.Millisecond) // Chromium's first reload comes after a second
	if m := hits.Load(); m != n {
		t.Errorf("the server got %d requests after the navigation had failed with %d: Chromium reloaded its error page", m-n, n)
	}
}
