package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/app"
)

// A grantee's name as long as usernames go, and the user agent of a real
// browser: the longest unbreakable words the pages show.
const (
	longGrantee   = "grantee_with_a_very_long_name_32"
	realUserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)

// browserTour is an application with an item that its owner, alice, made
// public and shared with longGrantee, an embed allowlist, three sessions of
// alice's (one from a browser that sends realUserAgent), and the path of
// every page a GET route serves, by who sees it: "anonymous", "alice" and
// "grantee".
type browserTour struct {
	srv   *testServer
	id    string
	users map[string]*browser // "alice" and "grantee"
	pages map[string][]string // who → paths
}

// newBrowserTour sets up a browserTour whose embed allowlist is origin.
func newBrowserTour(t *testing.T, origin string) browserTour {
	t.Helper()
	srv := newServer(t, newEnv(t), app.Config{})
	alice, grantee := user(t, srv, "alice"), user(t, srv, longGrantee)
	id := alice.createItem("A title with <b>markup</b> & “quotes” and Pneumonoultramicroscopicsilicovolcanoconiosis", "Some text\nover two lines")
	alice.share(id, longGrantee)
	item := "/items/" + id
	if r := alice.submit(item+"/visibility", item+"/visibility", url.Values{"public": {"true"}, "version": {alice.version(item + "/visibility")}}); r.status != http.StatusSeeOther {
		t.Fatalf("make the item public: status %d", r.status)
	}
	if r := alice.submit("/account", "/account/embed-origins", url.Values{"version": {alice.version("/account")}, "origins": {origin}}); r.status != http.StatusSeeOther {
		t.Fatalf("save the embed allowlist: status %d", r.status)
	}
	loginAgain(t, srv, "alice")
	other := newTab(t, srv)
	other.c.Transport = userAgent{other.c.Transport, realUserAgent}
	if r := other.login("alice", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("log alice in from another browser: status %d", r.status)
	}

	fill := strings.NewReplacer("{id}", id, "{$}", "")
	pages := map[string][]string{}
	for _, rt := range app.Routes() {
		if rt.Method != http.MethodGet || strings.Contains(rt.Pattern, "{hash}") {
			continue
		}
		p := fill.Replace(rt.Pattern)
		switch {
		case rt.Public:
			pages["anonymous"] = append(pages["anonymous"], p)
		case strings.HasSuffix(p, "/leave"):
			pages["grantee"] = append(pages["grantee"], p, item)
		default:
			pages["alice"] = append(pages["alice"], p)
		}
	}
	pages["anonymous"] = append(pages["anonymous"], "/no-such-page")
	pages["alice"] = append(pages["alice"], item+"/share?with=carol", item+"/share?with="+longGrantee, "/items?cursor=bad", "/no-such-page")
	return browserTour{srv: srv, id: id, users: map[string]*browser{"alice": alice, "grantee": grantee}, pages: pages}
}

// signIn makes the browser of ctx the visitor who ("anonymous": nobody),
// by its session cookie.
func (bt browserTour) signIn(t *testing.T, ctx context.Context, who string) {
	t.Helper()
	// Leave the page first, so that nothing it still loads can set a
	// cookie once the new one is in place.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("leave the page: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear the cookies: %v", err)
	}
	b := bt.users[who]
	if b == nil {
		return
	}
	yes := true
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "__Host-session", Value: b.cookie(), URL: bt.srv.URL, Path: "/",
		Secure: &yes, HTTPOnly: &yes, SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
}

// open loads u in the browser of ctx, signed in as who by signIn; a
// signed-in visitor must see the page, not the login form.
func (bt browserTour) open(t *testing.T, ctx context.Context, who, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("%s: load %s: %v", who, u, err)
	}
	if bt.users[who] != nil {
		at, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || strings.HasSuffix(at, "/login") {
			t.Fatalf("%s: %s: landed on %s (%v), want the page itself; %s", who, u, at, err, bt.sessionCookie(ctx, who))
		}
	}
}

// sessionCookie says whether the browser of ctx holds who's session cookie,
// for the message of a test that found itself logged out.
func (bt browserTour) sessionCookie(ctx context.Context, who string) string {
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{bt.srv.URL}})
	if err != nil {
		return fmt.Sprintf("cookies unread: %v", err)
	}
	want := bt.users[who].cookie()
	for _, c := range got.Cookies {
		if c.Name == "__Host-session" {
			return fmt.Sprintf("the browser's session cookie is %s's: %v", who, c.Value == want)
		}
	}
	return "the browser has no session cookie"
}
