package chromiumtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestStart_leavesNothing checks that a browser started for a test leaves
// nothing in the temporary directory once the test is over: not its
// profile, whose disk cache its helper processes may still be writing as
// the browser stops, nor the directory of its singleton socket, which
// Chromium removes only when it is closed cleanly.
func TestStart_leavesNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the profile goes, and Chromium's own files
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>cached</title><p>%s", strings.Repeat("cache me ", 4096))
	}))
	defer srv.Close()
	for i := range 2 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx := chromiumtest.Start(t)
			for _, p := range []string{"/a", "/b", "/c"} {
				if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+p)); err != nil {
					t.Fatalf("load %s: %v", p, err)
				}
			}
		})
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("browser %d left behind in the temporary directory: %s", i, e.Name())
		}
	}
}

// TestStart_noDownload checks that a page loaded by a test's browser
// cannot leave a file on the machine: Chromium, left to its defaults,
// saves a response with Content-Disposition: attachment in the user's
// Downloads directory.
func TestStart_noDownload(t *testing.T) {
	_, downloads, tmp := chromiumtest.IsolateFiles(t)
	served := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/file" {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", `attachment; filename="clickguard-dropped.bin"`)
			fmt.Fprint(w, "a file the site chose")
			served <- struct{}{}
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>page</title><iframe src="/file"></iframe>`)
	}))
	defer srv.Close()
	t.Run("browser", func(t *testing.T) {
		ctx := chromiumtest.Start(t)
		if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
			t.Fatalf("load the page: %v", err)
		}
		select {
		case <-served:
		case <-time.After(30 * time.Second):
			t.Fatal("the download was never requested")
		}
		// Left to its defaults, Chromium has saved the file within a few
		// milliseconds of the response; give it a second.
		time.Sleep(time.Second)
	}) // the browser is closed here
	chromiumtest.RequireEmpty(t, downloads, tmp)
}
