package proof

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// errorPageURL is the URL of Chromium's error page, which a frame it
// refused shows.
const errorPageURL = "chrome-error://chromewebdata/"

// TestRefresh_chromium measures what the scanner's refresh finding says of
// Chromium: a page in a frame of another origin that refreshes, by a
// <meta> tag or a Refresh header, is replaced by the page it refreshes to,
// whose own headers then decide (here they refuse, so the frame ends on
// the error page); in a frame sandboxed without allow-scripts, a <meta>
// refresh does not run, and the page stays, but a Refresh header runs.
func TestRefresh_chromium(t *testing.T) {
	chromiumtest.Require(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/meta":
			fmt.Fprint(w, `<!doctype html><title>moving</title><meta http-equiv="refresh" content="0; url=/protected">`)
		case "/header":
			w.Header().Set("Refresh", "0; url=/protected")
			fmt.Fprint(w, `<!doctype html><title>moving</title>`)
		default:
			w.Header().Set("X-Frame-Options", "DENY")
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
			fmt.Fprint(w, `<!doctype html><title>protected</title><button>Delete</button>`)
		}
	}))
	defer site.Close()
	framer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%s" %s></iframe>`, site.URL+r.URL.Query().Get("path"), r.URL.Query().Get("attrs"))
	}))
	defer framer.Close()
	b, err := Start(t.Context(), Options{Chromium: chromiumtest.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	for _, tc := range []struct {
		path, attrs string
		want        string // the frame's URL once the refresh has had its time
	}{
		{"/meta", "", errorPageURL},
		{"/header", "", errorPageURL},
		{"/meta", `sandbox="allow-same-origin allow-forms"`, site.URL + "/meta"},
		{"/header", `sandbox="allow-same-origin allow-forms"`, errorPageURL},
	} {
		t.Run(tc.path+" "+tc.attrs, func(t *testing.T) {
			tab, cancel := chromedp.NewContext(b.bctx)
			defer cancel()
			if err := chromedp.Do(tab); err != nil {
				t.Fatal(err)
			}
			u := framer.URL + "/?" + url.Values{"path": {tc.path}, "attrs": {tc.attrs}}.Encode()
			if _, err := chromedp.Call(tab, page.Navigate, page.NavigateParams{URL: u}); err != nil {
				t.Fatal(err)
			}
			var got string
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
				time.Sleep(100 * time.Millisecond)
				ft, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
				if err != nil {
					t.Fatal(err)
				}
				if len(ft.FrameTree.ChildFrames) == 1 {
					got = ft.FrameTree.ChildFrames[0].Frame.URL
				}
				if got == errorPageURL {
					break // a refresh that ran; the page itself waits out the time
				}
			}
			if got != tc.want {
				t.Errorf("the frame shows %q; want %q", got, tc.want)
			}
		})
	}
}
