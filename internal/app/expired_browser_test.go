package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestExpiredForm_Chromium: a person writes an item in one tab while, in
// another tab of the same browser, they log out (and in again): what they
// typed survives the click on "Create item". Logged out, it is on the page
// to copy; logged in again, the form comes back filled in, and a second
// click saves exactly what was typed.
func TestExpiredForm_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	srv := newServer(t, newEnv(t), app.Config{})
	user(t, srv, "alice")
	other, cancel := chromedp.NewContext(ctx) // a second tab
	defer cancel()

	// load waits for the page that action leads to.
	load := func(tab context.Context, what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, action)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// submit submits the form of the page that matches sel as pressing
	// Enter in it would (the log-out button ignores the pointer for the
	// page's first second).
	submit := func(sel string) chromedp.Action[chromedp.Void] {
		ev := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { setTimeout(() => document.querySelector(%q).requestSubmit(), 0); return true; })()`, sel))
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := ev(ctx, tg)
			return chromedp.Void{}, err
		}
	}
	logIn := func(tab context.Context) {
		t.Helper()
		load(tab, "open the login page", chromedp.Navigate(srv.URL+"/login"))
		if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), testPassword)); err != nil {
			t.Fatalf("type the credentials: %v", err)
		}
		load(tab, "log in", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	}
	logOut := func(tab context.Context) {
		t.Helper()
		load(tab, "open the items", chromedp.Navigate(srv.URL+"/items"))
		load(tab, "log out", submit(`form[action="/logout"]`))
	}
	const title, body = `Minutes <b>"draft"</b>`, "\nAgenda\n1. Budget & </textarea>\n\n2. Hiring"
	write := func() {
		t.Helper()
		load(ctx, "open the new-item form", chromedp.Navigate(srv.URL+"/items/new"))
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("title"), title), chromedp.SendKeys(chromedp.ID("body"), body)); err != nil {
			t.Fatalf("type the item: %v", err)
		}
	}
	values := func(ids ...string) []string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`%s.map(id => document.getElementById(id)?.value ?? "(no #" + id + ")")`, jsArray(ids))))
		if err != nil {
			t.Fatalf("read the fields: %v", err)
		}
		return got
	}

	logIn(ctx)
	write()
	logOut(other)
	load(ctx, "create the item", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if got := values("unsaved-0", "unsaved-1"); got[0] != title || got[1] != body {
		t.Errorf("logged out: the page shows title %q and text %q, want %q and %q", got[0], got[1], title, body)
	}

	logIn(ctx)
	write()
	logOut(other)
	logIn(other)
	load(ctx, "create the item", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if got := values("title", "body"); got[0] != title || got[1] != body {
		t.Fatalf("logged in again: the form holds title %q and text %q, want %q and %q", got[0], got[1], title, body)
	}
	load(ctx, "create the item again", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(at, "/items/") {
		t.Fatalf("after the second click the tab is at %q (%v), want the new item", at, err)
	}
	load(ctx, "open the edit page", chromedp.Navigate(at+"/edit"))
	if got := values("title", "body"); got[0] != title || got[1] != body {
		t.Errorf("saved: title %q and text %q, want %q and %q", got[0], got[1], title, body)
	}
}

// jsArray writes ss as a JavaScript array literal.
func jsArray(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}
