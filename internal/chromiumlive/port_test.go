package chromiumlive

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestBadPorts_chromium measures the framing model's bad ports in the local
// Chromium: it must refuse to fetch from each of them
// (net::ERR_UNSAFE_PORT), and from none of their neighbours, on loopback
// where nothing needs to listen. The model must say the same of a page on
// each port, in a frame.
func TestBadPorts_chromium(t *testing.T) {
	tab := chromiumtest.Start(t)
	bad := framing.BadPorts()
	var ports []int
	for _, p := range bad {
		ports = append(ports, p)
		for _, n := range []int{p - 1, p + 1} {
			if n > 0 && !slices.Contains(bad, n) && !slices.Contains(ports, n) {
				ports = append(ports, n)
			}
		}
	}
	refused := 0
	for _, p := range ports {
		u := "http://127.0.0.1:" + strconv.Itoa(p) + "/"
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		err := chromedp.Do(ctx, chromedp.Navigate(u))
		cancel()
		unsafe := err != nil && strings.Contains(err.Error(), "net::ERR_UNSAFE_PORT")
		if unsafe {
			refused++
		}
		if unsafe != slices.Contains(bad, p) {
			t.Errorf("port %d: Chromium refuses it as unsafe: %v (%v); the Fetch standard's list says %v", p, unsafe, err, !unsafe)
		}
		v, err := framing.Evaluate(framing.Response{URL: u, Status: 200}, []string{"http://attacker.example"})
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", u, err)
		}
		if v.Framable == unsafe {
			t.Errorf("port %d: the model says framable = %v (%s), Chromium refuses it as unsafe: %v", p, v.Framable, v.Reason, unsafe)
		}
	}
	t.Logf("%d ports measured, %d refused as unsafe", len(ports), refused)
}
