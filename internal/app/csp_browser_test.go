package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// cspLog collects the Content-Security-Policy violations Chromium reports
// in a tab's console. Chromium adds the message when it blocks the load,
// while parsing the page, so by the time a navigation's load event has
// arrived the messages about that page have too (one ordered stream).
type cspLog struct {
	mu   sync.Mutex
	seen []string
}

// listen starts collecting the violations reported in tab. chromedp.Listen
// calls back in the order of the browser's messages, before the command
// that follows returns.
func (l *cspLog) listen(tab context.Context) error {
	if _, err := chromedp.Call(tab, log.Enable, cdp.Empty{}); err != nil {
		return err
	}
	return chromedp.Listen(tab, func(ev any) {
		var e *log.Entry
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			e = ev.Entry
		case log.EventEntryAdded:
			e = ev.Entry
		}
		if e != nil && strings.Contains(e.Text, "Content Security Policy") {
			l.mu.Lock()
			l.seen = append(l.seen, e.Text)
			l.mu.Unlock()
		}
	})
}

// take returns the violations reported since the last call.
func (l *cspLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen
	l.seen = nil
	return s
}

// TestContentPolicy_Chromium loads every page a GET route serves, logged
// out, as an item's owner and as a grantee, the embed page also framed by
// an allowlisted site, in Chromium: none may break the app's own
// Content-Security-Policy (a stylesheet, image, inline style or script it
// does not allow). A page with an inline style under the same policy shows
// that a violation would be seen.
func TestContentPolicy_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	var cl cspLog
	if err := cl.listen(ctx); err != nil {
		t.Fatalf("listen to the console: %v", err)
	}

	// The partner site: another origin (another port) that frames a page of
	// the app (?src=), and the control page.
	var appURL string
	partner := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/control" {
			w.Header().Set("Content-Security-Policy", "default-src 'none'")
			fmt.Fprint(w, `<!doctype html><title>control</title><p style="color: red">inline style</p>`)
			return
		}
		fmt.Fprintf(w, `<!doctype html><title>partner</title><iframe src="%s"></iframe>`, appURL+r.URL.Query().Get("src"))
	}))
	t.Cleanup(partner.Close)

	tour := newBrowserTour(t, partner.URL)
	appURL = tour.srv.URL

	visit := func(who, u string) {
		t.Helper()
		tour.open(t, ctx, who, u)
		for _, v := range cl.take() {
			t.Errorf("%s: %s: %s", who, u, v)
		}
	}

	// The controls: a violation is seen, and so is a frame the app refuses.
	for _, u := range []string{partner.URL + "/control", partner.URL + "/?src=/login"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatalf("load the control page %s: %v", u, err)
		}
		if v := cl.take(); len(v) == 0 {
			t.Fatalf("the control page %s was reported as no violation: the test cannot see one", u)
		}
	}

	// Every GET route with its wildcards filled in, as each visitor.
	for _, who := range []string{"anonymous", "alice", "grantee"} {
		tour.signIn(t, ctx, who)
		for _, p := range tour.pages[who] {
			visit(who, tour.srv.URL+p)
		}
	}

	// The embed page framed by the allowlisted partner breaks no rule,
	// neither the framing one nor any inside the frame.
	tour.signIn(t, ctx, "anonymous")
	visit("partner", partner.URL+"/?src=/embed/"+tour.id)
}
