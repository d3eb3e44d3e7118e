package app_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// sideways is a script that returns "" when the page fits the width of the
// window, and otherwise the page's width and the elements that stick out.
const sideways = `(() => {
	const w = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth <= w) return "";
	const out = [...document.body.querySelectorAll("*")]
		.filter(e => e.getBoundingClientRect().right > w + 0.5 && !e.closest(".visually-hidden, .skip"))
		.map(e => "<" + e.localName + (e.className ? " class=" + e.className : "") + ">");
	return "page " + document.documentElement.scrollWidth + "px wide; sticking out: " + out.slice(0, 6).join(", ");
})()`

// TestReflow_Chromium loads every page 320 CSS pixels wide, as a phone
// shows it or a 1280-pixel window at 400% zoom (WCAG 1.4.10): none may
// scroll sideways, with a username as long as they go, a long word in an
// item's title and a real browser's user agent in the list of sessions. A
// page with a wide element shows that the check sees one.
func TestReflow_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 640)); err != nil {
		t.Fatalf("set the window to 320 pixels: %v", err)
	}
	wide := func(who, u string) string {
		t.Helper()
		tour.open(t, ctx, who, u)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](sideways))
		if err != nil {
			t.Fatalf("%s: measure: %v", u, err)
		}
		return s
	}
	if wide("anonymous", `data:text/html,<meta name=viewport content="width=device-width"><div style="width:400px">wide</div>`) == "" {
		t.Fatal("a page with a 400-pixel element fits 320 pixels: the test cannot see what sticks out")
	}
	for _, who := range []string{"anonymous", "alice", "grantee"} {
		tour.signIn(t, ctx, who)
		for _, p := range tour.pages[who] {
			if s := wide(who, tour.srv.URL+p); s != "" {
				t.Errorf("%s: %s at 320 pixels: %s", who, p, s)
			}
		}
	}
}
