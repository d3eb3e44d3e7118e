package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestPoc_Outputs: the page goes to standard output, or to the -o file and
// nowhere else, and frames the URL given.
func TestPoc_Outputs(t *testing.T) {
	clearEnv(t)
	const target = "https://bank.example/account"
	code, stdout, stderr := runCmd(t, "poc", target)
	if code != exitOK || stderr != "" || !strings.Contains(stdout, `<iframe id="target" src="`+target+`"`) {
		t.Fatalf("poc: exit %d, stderr %q, page framing the target: %v", code, stderr, strings.Contains(stdout, target))
	}
	out := filepath.Join(t.TempDir(), "poc.html")
	code, stdout2, stderr := runCmd(t, "poc", "-o", out, target)
	if code != exitOK || stderr != "" || stdout2 != "" {
		t.Fatalf("poc -o: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout2, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != stdout {
		t.Errorf("poc -o wrote %d bytes (%v), want the page poc prints", len(b), err)
	}
}

// pocWentIntoFrame starts what the page says of a click that went into
// the frame.
const pocWentIntoFrame = "The click went into the frame, not to the decoy. This page cannot see what the frame holds"

// TestPoc_badFlags: a frame size that is not a positive number of pixels
// is a usage error naming the flag, not a silent default.
func TestPoc_badFlags(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"negative width", []string{"-width", "-5"}, "-width -5: want a width of at least 1 pixel"},
		{"zero width", []string{"-width", "0"}, "-width 0: want a width of at least 1 pixel"},
		{"negative height", []string{"-height", "-1"}, "-height -1: want a height of at least 1 pixel"},
		{"zero height", []string{"-height", "0"}, "-height 0: want a height of at least 1 pixel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append(append([]string{"poc"}, tc.args...), "http://a.example/")...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.says) || !strings.Contains(stderr, "usage: clickguard poc") {
				t.Errorf("stderr does not say %q with the usage:\n%s", tc.says, stderr)
			}
		})
	}
}

// TestPocURL: the page served on every interface is opened at localhost,
// which browsers visit, not at the unspecified address the listener has.
func TestPocURL(t *testing.T) {
	for _, tc := range []struct {
		asked string
		got   net.Addr
		want  string
		every bool
	}{
		{"127.0.0.2:0", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 41000}, "http://127.0.0.2:41000/", false},
		{"localhost:8000", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}, "http://localhost:8000/", false},
		{"[::1]:0", &net.TCPAddr{IP: net.IPv6loopback, Port: 41001}, "http://[::1]:41001/", false},
		{"0.0.0.0:8000", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8000}, "http://localhost:8000/", true},
		{":8000", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8000}, "http://localhost:8000/", true},
		{"[::]:0", &net.TCPAddr{IP: net.IPv6unspecified, Port: 41002}, "http://localhost:41002/", true},
	} {
		if got, every := pocURL(tc.asked, tc.got); got != tc.want || every != tc.every {
			t.Errorf("pocURL(%q, %v) = %q, %v; want %q, %v", tc.asked, tc.got, got, every, tc.want, tc.every)
		}
	}
}

var servingAt = regexp.MustCompile(`proof of concept at (http://\S+/)`)

// servePocCmd runs "clickguard poc -serve 127.0.0.2:0 args..." until the
// test ends and returns the page's address.
func servePocCmd(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runPoc(ctx, append([]string{"-serve", "127.0.0.2:0"}, args...), io.Discard, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("poc -serve after interrupt: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingAt.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("poc -serve did not say where it serves: %q", stderr.String())
	return ""
}

// TestPoc_Chromium proves the page in headless Chromium, the way a person
// would use it: served from 127.0.0.2, it frames a page of 127.0.0.1 whose
// "Delete" button covers the decoy, invisibly (-opacity 0); a click on the
// decoy submits the framed page's form when that page can be framed, and
// submits nothing when it sends X-Frame-Options: DENY. Either way the click
// goes into the frame (Chromium's error page takes it too), and the page,
// which cannot see which of the two the frame holds, says just that: it
// never claims that the click landed on the site.
func TestPoc_Chromium(t *testing.T) {
	browser := chromiumtest.Start(t, chromedp.WindowSize(1200, 1000))
	var mu sync.Mutex
	clicked := map[string]int{}
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			clicked[r.URL.Path]++
			mu.Unlock()
			io.WriteString(w, "deleted")
			return
		}
		if r.URL.Path == "/deny" {
			w.Header().Set("X-Frame-Options", "DENY")
		}
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s"><button style="position:absolute;left:0;top:0;width:400px;height:200px">Delete</button></form>`, r.URL.Path)
	}))
	defer victim.Close()

	type point struct{ X, Y float64 }
	for _, tc := range []struct {
		path  string
		posts int
	}{{"/open", 1}, {"/deny", 0}} {
		page := servePocCmd(t, "-opacity", "0", victim.URL+tc.path)
		tab, cancel := chromedp.NewContext(browser)
		ctx, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
		landed, err := func() (string, error) {
			err := chromedp.Do(ctx,
				chromedp.Navigate(page),
				// The frame has committed its document or the error page.
				chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := chromedp.Poll[bool](`document.getElementById("target").dataset.loaded === "1"`,
						chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
					return err
				}),
			)
			if err != nil {
				return "", err
			}
			c, err := chromedp.Run(ctx, chromedp.Evaluate[point](`(() => { const r = document.getElementById("decoy").getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`))
			if err != nil {
				return "", err
			}
			// Click as a person would, again if nothing happened: a frame
			// that has just loaded may not take input at once. A
			// submission takes a moment to arrive; the one that must not
			// come gets as long as the one that must.
			for range 3 {
				if err := chromedp.Do(ctx, chromedp.MouseClickXY(c.X, c.Y)); err != nil {
					return "", err
				}
				for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					mu.Lock()
					n := clicked[tc.path]
					mu.Unlock()
					if n > 0 {
						return chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("landed").textContent`))
					}
				}
			}
			return chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("landed").textContent`))
		}()
		cancelTimeout()
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		mu.Lock()
		n := clicked[tc.path]
		mu.Unlock()
		if n != tc.posts {
			t.Errorf("%s: clicks on the decoy submitted the framed form %d times, want %d", tc.path, n, tc.posts)
		}
		if !strings.HasPrefix(landed, pocWentIntoFrame) || strings.Contains(landed, "landed in the framed site") {
			t.Errorf("%s: the page says %q, want that the click went into the frame (%q), and no claim about what it hit", tc.path, landed, pocWentIntoFrame)
		}
	}
}

// TestPoc_credentialsChromium measures why poc refuses a URL with a user
// name or password: Chromium does not load one in a frame of another
// origin (the request never reaches the site), while the same URL without
// them loads.
func TestPoc_credentialsChromium(t *testing.T) {
	browser := chromiumtest.Start(t)
	var mu sync.Mutex
	hits := map[string]int{}
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		io.WriteString(w, "<!doctype html><title>victim</title>")
	}))
	defer victim.Close()
	ln, err := net.Listen("tcp", "127.0.0.2:0") // another origin than the victim's
	if err != nil {
		t.Fatal(err)
	}
	withUser := strings.Replace(victim.URL, "http://", "http://user:s3cret@", 1)
	page := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><iframe src="%s/with"></iframe><iframe src="%s/without" onload="document.title='loaded'"></iframe>`, withUser, victim.URL)
	}))
	page.Listener.Close()
	page.Listener = ln
	page.Start()
	defer page.Close()

	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`document.title === "loaded"`, chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	// The frame with credentials was requested first; give it as long again.
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if hits["/without"] != 1 || hits["/with"] != 0 {
		t.Errorf("requests: %v; want /without once (the control) and /with never", hits)
	}
}
