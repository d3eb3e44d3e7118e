package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

const (
	victim   = "victim"
	other    = "mallory"
	password = "correct horse battery staple"
	// titleSuffix is what the application's layout puts after every page
	// title: seeing it in a frame means the application's page rendered.
	titleSuffix = "· clickguard"
)

// fixture is the running application with its users and data.
type fixture struct {
	env     storetest.Env
	base    string // the application, protected
	control string // the same application built with Config.Unprotected
	// served and controlServed log the requests that base and control
	// answered.
	served, controlServed *servedLog
	atk                   attackers
	routes                []app.Route
	// victim and other are browser contexts (cookie jars) signed in as
	// victim and other.
	victim, other context.Context
	itemID        string // the victim's item every {id} route is shown with
	controlID     string // the victim's item the unprotected control deletes
	// doubleID is the victim's item the unprotected control of the
	// double-click attack deletes.
	doubleID string
	// sharedID is an item other shared with the victim, which the /leave
	// routes are shown with: the victim's own items have no such page.
	sharedID string
}

func (f *fixture) has(method, pattern string) bool {
	return slices.ContainsFunc(f.routes, func(r app.Route) bool { return r.Method == method && r.Pattern == pattern })
}

// newBrowserContext returns a context for a fresh browser context (its own
// cookie jar) of the shared browser, disposed of when the test ends.
func newBrowserContext(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return ctx
}

// TestApp attacks the real application in Chromium, signed in as the
// victim, in four phases: every GET route of app.Routes() framed four ways
// from the same site and another site (and the embed page from its
// allowlisted origin); every POST form the pages render replayed from both
// and from the application's own origin with no token, another user's
// token, a token of an earlier session and (from its own origin) a forged
// one (403 from the protection, data table unchanged); a cross-site link to
// every signed-in page (shown, nothing changed; a confirmation page
// refused); and the clickjacking of the delete confirmation. Controls
// against the build with Config.Unprotected show that each kind of attack
// succeeds where the protection is missing.
func TestApp(t *testing.T) {
	browser := needBrowser(t)
	f := setUp(t, browser)
	snap := func(t *testing.T) snapshot {
		t.Helper()
		s, err := scanTable(t.Context(), f.env.Client, f.env.Tables.Data)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("framing", func(t *testing.T) {
		css := f.stylesheetPath(t)
		jobs := map[string]func(t *testing.T){}
		for _, pg := range f.getPages(t, css, func(app.Route) bool { return true }) {
			rt := pg.Route
			if strings.HasPrefix(rt.Pattern, "/embed/") && !rt.Embeddable {
				t.Errorf("route GET %s is not Embeddable: the embed page cannot render from the allowlisted origin", rt.Pattern)
			}
			origins := []string{sameSite, crossSite}
			if rt.Embeddable {
				origins = append(origins, partnerSite)
			}
			for _, origin := range origins {
				// Only an embeddable page renders, and only directly in the
				// origin its owner allowlisted: nested, the application's
				// own origin is an ancestor too, and the allowlist does not
				// name it.
				want := map[string]bool{}
				for _, kind := range kinds {
					want[kind] = rt.Embeddable && origin == partnerSite && kind != "nested"
				}
				p := framingPage{
					Group: "framing", Route: "GET " + pg.Name, Origin: origin,
					Page:         framePageAll(f.atk.byName[origin], f.base+pg.Path, f.base+nestPath),
					TargetOrigin: f.base, WantRendered: want,
				}
				jobs[pg.Name+" from "+origin] = func(t *testing.T) {
					runFramingPage(t, f.victim, p)
					// Only a route that other origins may frame lets a
					// framed navigation reach its handler.
					checkFramedNavigations(t, "GET "+pg.Name, f.served, pg.Path, f.atk.byName[origin], !rt.Embeddable, strings.HasPrefix(rt.Pattern, "/static/"))
				}
			}
		}
		// The control: the item page of the unprotected build renders in
		// every kind of frame from the same site, so the verdicts above are
		// not an artefact of the harness.
		if f.itemID != "" {
			target := f.control + "/items/" + f.itemID
			p := framingPage{
				Group: "framing", Route: "GET /items/{id} (unprotected control)", Origin: sameSite,
				Page:         framePageAll(f.atk.byName[sameSite], target, f.control+nestPath),
				TargetOrigin: f.control,
				WantRendered: map[string]bool{"iframe": true, "object": true, "embed": true, "nested": true},
			}
			jobs["control: unprotected /items/{id} from "+sameSite] = func(t *testing.T) {
				runFramingPage(t, f.victim, p)
				checkFramedNavigations(t, p.Route, f.controlServed, mustPath(target), f.atk.byName[sameSite], false, false)
			}
		}
		runAll(t, jobs)
	})

	t.Run("forms", func(t *testing.T) {
		forms, tokens := f.crawl(t)
		if len(forms) == 0 {
			t.Fatal("crawling the signed-in pages found no POST form")
		}
		// Every state-changing route is attacked: a POST route that no
		// crawled page renders a form for would otherwise go untested.
		for _, rt := range f.routes {
			if rt.Method == http.MethodPost && !slices.ContainsFunc(forms, func(fm crawledForm) bool { return f.pattern(fm.Action) == rt.Pattern }) {
				t.Errorf("route POST %s: no page the suite crawls renders a form that posts to it, so it is not attacked", rt.Pattern)
			}
		}
		forged := forgedToken()
		variants := []struct {
			name  string
			token *string // nil: the field is left out
			// sameOriginOnly: sent only from the application's own
			// origin, where the token check alone decides (from the
			// other origins, the cross-origin check refuses whatever the
			// token).
			sameOriginOnly bool
		}{
			{"no token", nil, false},
			{"token of " + other, &tokens.other, false},
			{"token of the victim's earlier session", &tokens.earlier, false},
			{"forged token", &forged, true},
		}
		// Cross-origin replays are refused by the origin check; the
		// same-origin ones show that the token layer refuses too. The
		// replays of one form run at once between two scans of
		// the data table, so a change is pinned to one form; the statuses
		// are checked per replay.
		for _, fm := range forms {
			route := "POST " + f.pattern(fm.Action)
			type result struct {
				attack string
				res    postResult
			}
			var mu sync.Mutex
			var results []result
			before := snap(t)
			jobs := map[string]func(t *testing.T){}
			for _, origin := range []string{sameSite, crossSite, sameOrigin} {
				from := f.atk.byName[origin]
				if origin == sameOrigin {
					from = f.base + helperPrefix
				}
				for _, tv := range variants {
					if tv.sameOriginOnly && origin != sameOrigin {
						continue
					}
					attack := fmt.Sprintf("%s from %s", tv.name, origin)
					fields := withField(fm.Fields, guard.TokenField, tv.token)
					jobs[route+"/"+attack] = func(t *testing.T) {
						tab := newTab(t, f.victim)
						res, err := submitCrossOrigin(tab, postPage(from, fm.Action, fields), fm.Action)
						if err != nil {
							t.Fatalf("route %s, attack %s: %v", route, attack, err)
						}
						// The refusal must come from the protection that
						// stands in the way from there, not from the route
						// itself (a grantee's 403, say).
						why := crossOriginRefusal
						if origin == sameOrigin {
							why = tokenRefusal
						}
						if res.Status != http.StatusForbidden || !strings.Contains(res.Doc.Main, why) {
							t.Errorf("route %s (form on %s), attack %s: got status %d, want %d saying %q; the tab shows %s",
								route, fm.Page, attack, res.Status, http.StatusForbidden, why, res.Doc)
						}
						mu.Lock()
						results = append(results, result{attack, res})
						mu.Unlock()
					}
				}
			}
			runAll(t, jobs)
			d := before.diff(snap(t))
			if d != "" {
				t.Errorf("route %s (form on %s): the data table changed during the cross-origin replays:\n%s", route, fm.Page, d)
			}
			for _, r := range results {
				ok := r.res.Status == http.StatusForbidden && d == ""
				if err := suite.artifacts.add(shot{
					Group: "forms", Route: route, Attack: r.attack,
					Verdict: fmt.Sprintf("status %d, data %s", r.res.Status, dataVerdict(d)),
					What:    r.res.Doc.String(), OK: ok,
				}, r.res.PNG); err != nil {
					t.Error(err)
				}
			}
		}
		// The controls: the same replay, from the application's own origin
		// with the victim's current token, and from the same site without
		// a token against the unprotected build, must each be accepted and
		// add an item; otherwise the 403s above could come from a broken
		// replay rather than from the protection.
		i := slices.IndexFunc(forms, func(fm crawledForm) bool { return f.pattern(fm.Action) == "/items" })
		if i < 0 {
			t.Logf("no POST /items form was crawled: the replay controls are not run")
			return
		}
		fm := forms[i]
		for _, c := range []struct {
			name, from, action, title string
			drop                      bool // leave the token out; else send the current one
		}{
			{"control: current token from " + sameOrigin, f.base + helperPrefix, fm.Action, "Added by the same-origin replay control", false},
			{"control: no token from " + sameSite + " against the unprotected build", f.atk.byName[sameSite], f.control + mustPath(fm.Action), "Added by the unprotected replay control", true},
		} {
			body := "A replay control: this one must be accepted."
			fields := withField(withField(fm.Fields, "title", &c.title), "body", &body)
			if c.drop {
				fields = withField(fields, guard.TokenField, nil)
			}
			before := snap(t)
			res, err := submitCrossOrigin(newTab(t, f.victim), postPage(c.from, c.action, fields), c.action)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			d := before.diff(snap(t))
			ok := res.Status == http.StatusSeeOther && strings.Contains(d, strconv.Quote(c.title))
			if err := suite.artifacts.add(shot{
				Group: "forms", Route: "POST /items", Attack: c.name,
				Verdict: fmt.Sprintf("status %d, data %s", res.Status, dataVerdict(d)),
				What:    res.Doc.String(), OK: ok,
			}, res.PNG); err != nil {
				t.Error(err)
			}
			if !ok {
				t.Errorf("route POST /items, %s: got status %d and data change %q; want %d and a new item %q",
					c.name, res.Status, d, http.StatusSeeOther, c.title)
			}
		}
	})

	t.Run("top-level GET", func(t *testing.T) {
		// A cross-site link to a page with a form shows the page (the Lax
		// cookie is sent on top-level GET navigations) and changes nothing:
		// only the POST behind it could. Every signed-in page has a form,
		// Log out at least. A confirmation page, whose one click would
		// change state, refuses it instead and offers no form (see
		// double-clickjack).
		for _, pg := range f.getPages(t, "", func(rt app.Route) bool { return !rt.Public && !rt.Sessionless }) {
			rt, target, route := pg.Route, pg.Path, pg.Name
			before := snap(t)
			tab := newTab(t, f.victim)
			if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			responses := chromedp.Events(tab, network.ResponseReceived)
			if err := chromedp.Do(tab, chromedp.Navigate(linkPage(f.atk.byName[crossSite], f.base+target))); err != nil {
				t.Fatal(err)
			}
			if _, err := submitLink(tab); err != nil {
				t.Fatalf("route GET %s: %v", route, err)
			}
			status, err := waitResponse(responses, f.base+target)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := topDocument(tab)
			if err != nil {
				t.Fatal(err)
			}
			png, err := screenshot(tab)
			if err != nil {
				t.Error(err)
			}
			forms, err := chromedp.Run(tab, chromedp.Evaluate[int](
				`[...document.forms].filter(f => f.method === "post" && f.getAttribute("action") !== "/logout").length`))
			if err != nil {
				t.Fatal(err)
			}
			d := before.diff(snap(t))
			want, what := http.StatusOK, "the page"
			if rt.Confirms {
				want, what = http.StatusForbidden, "the refusal, with no form that posts"
			}
			shown := status == int64(want) && strings.HasSuffix(doc.Title, titleSuffix) && doc.URL == f.base+target &&
				(!rt.Confirms || forms == 0)
			if err := suite.artifacts.add(shot{
				Group: "top-level cross-site GET", Route: "GET " + route, Attack: "link from " + crossSite,
				Verdict: fmt.Sprintf("status %d, %d forms that post, data %s", status, forms, dataVerdict(d)),
				What:    doc.String(), OK: shown && d == "",
			}, png); err != nil {
				t.Error(err)
			}
			if !shown {
				t.Errorf("route GET %s, link from %s: got status %d, %d forms that post, and %s; want %s", route, crossSite, status, forms, doc, what)
			}
			if d != "" {
				t.Errorf("route GET %s, link from %s: the data table changed:\n%s", route, crossSite, d)
			}
		}
	})

	t.Run("clickjack", func(t *testing.T) {
		const pattern = "/items/{id}/delete"
		if !f.has(http.MethodGet, pattern) || !f.has(http.MethodPost, pattern) {
			t.Skipf("the application has no %s yet", pattern)
		}
		const button = `form[method=post][action$="/delete"] button`
		run := func(t *testing.T, base, id, origin string, wantLand bool) {
			target := base + strings.ReplaceAll(pattern, "{id}", id)
			tab := newTab(t, f.victim)
			bx, by, err := buttonCenter(newTab(t, f.victim), target, button)
			if err != nil {
				t.Fatal(err)
			}
			v, png, err := clickjack(tab, f.atk.byName[origin], target, base, bx, by, wantLand)
			if err != nil {
				t.Fatal(err)
			}
			_, gerr := f.env.Store.GetItem(t.Context(), victim, id)
			deleted := errors.Is(gerr, store.ErrNotFound)
			if gerr != nil && !deleted {
				t.Fatalf("get item %s: %v", id, gerr)
			}
			name := "app"
			if base == f.control {
				name = "unprotected control"
			}
			if err := suite.artifacts.add(shot{
				Group: "clickjack", Route: "GET " + pattern + " (" + name + ")", Attack: "decoy click from " + origin,
				Verdict: fmt.Sprintf("item deleted: %v", deleted), What: v.What, OK: deleted == wantLand,
			}, png); err != nil {
				t.Error(err)
			}
			if deleted != wantLand {
				t.Errorf("%s, clickjack from %s: item deleted %v, want %v; the frame held %s", name, origin, deleted, wantLand, v.What)
			}
		}
		for _, origin := range []string{sameSite, crossSite} {
			t.Run("app from "+origin, func(t *testing.T) { run(t, f.base, f.itemID, origin, false) })
		}
		// The control: the same page and click against the application
		// built without protection (same DynamoDB, same session cookie,
		// since cookies ignore ports) must delete, or the suite proves
		// nothing. Same-site, because a cross-site frame gets no Lax cookie.
		t.Run("unprotected control from "+sameSite, func(t *testing.T) { run(t, f.control, f.controlID, sameSite, true) })
	})

	t.Run("double-clickjack", func(t *testing.T) {
		// DoubleClickjacking: no frame at all. The attacker's decoy asks
		// for a double-click; its first press navigates the tab to a
		// confirmation page (a top-level GET, so the Lax cookie goes along)
		// and the second click lands where the page's button is. Every
		// confirmation page refuses the navigation, so the second click
		// finds no form; the unprotected control shows that the same
		// double-click deletes.
		attack := func(t *testing.T, target, origin string) doubleClick {
			bx, by, err := buttonCenter(newTab(t, f.victim), target, oneClickButton)
			if err != nil {
				t.Fatal(err)
			}
			dc, err := doubleClickjack(newTab(t, f.victim), f.atk.byName[origin], target, bx, by)
			if err != nil {
				t.Fatal(err)
			}
			return dc
		}
		record := func(t *testing.T, route, name, origin, verdict string, dc doubleClick, ok bool) {
			if err := suite.artifacts.add(shot{
				Group: "double-clickjack", Route: "GET " + route + " (" + name + ")", Attack: "double-click decoy from " + origin,
				Verdict: verdict, What: "second click on " + dc.Under + "; then " + dc.Doc.String(), OK: ok,
			}, dc.PNG); err != nil {
				t.Error(err)
			}
		}
		pages := f.getPages(t, "", func(rt app.Route) bool { return rt.Confirms })
		for _, pg := range pages {
			for _, origin := range []string{sameSite, crossSite} {
				t.Run(pg.Name+" from "+origin, func(t *testing.T) {
					before := snap(t)
					dc := attack(t, f.base+pg.Path, origin)
					d := before.diff(snap(t))
					ok := dc.Status == http.StatusForbidden && !dc.InPostForm && d == ""
					record(t, pg.Name, "app", origin, fmt.Sprintf("status %d, data %s", dc.Status, dataVerdict(d)), dc, ok)
					if !ok {
						t.Errorf("double-click from %s: the page answered %d and the second click landed on %s; want 403, no form that posts and no change%s",
							origin, dc.Status, dc.Under, map[bool]string{true: "", false: "; the data changed:\n" + d}[d == ""])
					}
				})
			}
		}
		if len(pages) == 0 {
			t.Skip("the application has no confirmation pages yet")
		}
		// The control: against the build without protection, the same
		// double-click deletes, or the suite proves nothing.
		const pattern = "/items/{id}/delete"
		t.Run("unprotected control "+pattern+" from "+crossSite, func(t *testing.T) {
			dc := attack(t, f.control+strings.ReplaceAll(pattern, "{id}", f.doubleID), crossSite)
			_, gerr := f.env.Store.GetItem(t.Context(), victim, f.doubleID)
			deleted := errors.Is(gerr, store.ErrNotFound)
			if gerr != nil && !deleted {
				t.Fatalf("get item %s: %v", f.doubleID, gerr)
			}
			record(t, pattern, "unprotected control", crossSite, fmt.Sprintf("status %d, item deleted: %v", dc.Status, deleted), dc, deleted)
			if !deleted {
				t.Errorf("unprotected control, double-click from %s: the item was not deleted; the page answered %d and the second click landed on %s",
					crossSite, dc.Status, dc.Under)
			}
		})
	})

	t.Run("one-click arming", func(t *testing.T) {
		// Where the refusal cannot help (a browser without Fetch Metadata,
		// or a chain of clicks on clickguard's own pages), the buttons of
		// one-click forms ignore the pointer for the first second a page is
		// shown. Each confirmation page, opened by the user: a click at its
		// first instant reaches no button and submits nothing; once armed,
		// the same click submits (the test cancels the submission).
		pages := f.getPages(t, "", func(rt app.Route) bool { return rt.Confirms })
		for _, pg := range pages {
			t.Run(pg.Name, func(t *testing.T) {
				tab := newTab(t, f.victim)
				if err := chromiumtest.HoldAnimations(tab); err != nil {
					t.Fatal(err)
				}
				bx, by, err := buttonCenter(tab, f.base+pg.Path, oneClickButton)
				if err != nil {
					t.Fatal(err)
				}
				before := snap(t)
				early, err := clickArmed(tab, bx, by, false)
				if err != nil {
					t.Fatal(err)
				}
				// The picture shows the page at its first instant, with the
				// button dimmed.
				png, err := screenshot(tab)
				if err != nil {
					t.Error(err)
				}
				late, err := clickArmed(tab, bx, by, true)
				if err != nil {
					t.Fatal(err)
				}
				d := before.diff(snap(t))
				if err := suite.artifacts.add(shot{
					Group: "one-click arming", Route: "GET " + pg.Name, Attack: "click at the page's first instant, then once armed",
					Verdict: fmt.Sprintf("first click reached %s (submitted %v); armed click reached %s (submitted %v)", early.Target, early.Submitted, late.Target, late.Submitted),
					What:    "the submission is cancelled by the test; data " + dataVerdict(d),
					OK:      early.Target != "button" && !early.Submitted && late.Target == "button" && late.Submitted && d == "",
				}, png); err != nil {
					t.Error(err)
				}
				if d != "" {
					t.Errorf("the data table changed:\n%s", d)
				}
				if early.Target == "button" || early.Submitted {
					t.Errorf("a click at the page's first instant reached %s and submitted %v; want no button and no submission", early.Target, early.Submitted)
				}
				if late.Target != "button" || !late.Submitted {
					t.Errorf("a click once armed reached %s and submitted %v; want the button and a submission", late.Target, late.Submitted)
				}
			})
		}
		if len(pages) == 0 {
			t.Skip("the application has no confirmation pages yet")
		}
		// The header's Log out, on every signed-in page, is armed too.
		t.Run("Log out on GET /items", func(t *testing.T) {
			tab := newTab(t, f.victim)
			if err := chromiumtest.HoldAnimations(tab); err != nil {
				t.Fatal(err)
			}
			bx, by, err := buttonCenter(tab, f.base+"/items", `form[action="/logout"] button`)
			if err != nil {
				t.Fatal(err)
			}
			early, err := clickArmed(tab, bx, by, false)
			if err != nil {
				t.Fatal(err)
			}
			late, err := clickArmed(tab, bx, by, true)
			if err != nil {
				t.Fatal(err)
			}
			if early.Target == "button" || early.Submitted {
				t.Errorf("a click on Log out at the page's first instant reached %s and submitted %v; want no button and no submission", early.Target, early.Submitted)
			}
			if late.Target != "button" || !late.Submitted {
				t.Errorf("a click on Log out once armed reached %s and submitted %v; want the button and a submission", late.Target, late.Submitted)
			}
		})
	})
}

// setUp starts the application and its unprotected twin on one embedded
// DynamoDB, and creates the users and data through the real UI.
func setUp(t *testing.T, browser context.Context) *fixture {
	t.Helper()
	f := &fixture{env: storetest.EmbeddedBackend(t).Env(t), routes: app.Routes(), atk: startAttackers(t)}
	f.served, f.controlServed = &servedLog{}, &servedLog{}
	f.base, f.control = startApp(t, f.env, false, f.served), startApp(t, f.env, true, f.controlServed)
	f.victim = newBrowserContext(t, browser)
	f.other = newBrowserContext(t, browser)
	vtab, otab := newTab(t, f.victim), newTab(t, f.other)

	for _, u := range []struct {
		tab  context.Context
		name string
	}{{vtab, victim}, {otab, other}} {
		loc, err := submitForm(u.tab, f.base+"/signup", `form[action="/signup"]`, map[string]string{"username": u.name, "password": password})
		if err != nil {
			t.Fatalf("sign up %s: %v", u.name, err)
		}
		if strings.HasSuffix(loc, "/signup") {
			doc, _ := topDocument(u.tab)
			t.Fatalf("sign up %s: still on %s: %s", u.name, loc, doc)
		}
	}
	// Two more sessions of the victim, each in a browser context of its
	// own, so that the victim's list of sessions has a button that signs
	// one out and one that signs out all the others (shown from two on).
	if f.has(http.MethodGet, "/account/sessions") {
		for range 2 {
			tab := newTab(t, newBrowserContext(t, browser))
			if _, err := submitForm(tab, f.base+"/login", `form[action="/login"]`, map[string]string{"username": victim, "password": password}); err != nil {
				t.Fatalf("another login of %s: %v", victim, err)
			}
		}
	}
	if !f.has(http.MethodPost, "/items") {
		t.Logf("the application has no POST /items yet: routes with {id} are not attacked")
		return f
	}
	// create makes an item as user, in tab, through the form.
	create := func(tab context.Context, user, title, body string) string {
		loc, err := submitForm(tab, f.base+"/items/new", `form[action="/items"]`, map[string]string{"title": title, "body": body})
		if err != nil {
			t.Fatalf("create item %q: %v", title, err)
		}
		id := path.Base(mustPath(loc))
		if _, err := f.env.Store.GetItem(t.Context(), user, id); err != nil {
			t.Fatalf("create item %q: landed on %s, item %q: %v", title, loc, id, err)
		}
		return id
	}
	// share shares item id with grantee, in its owner's tab. Sharing is
	// confirmed: the GET form leads to a confirmation page whose POST form
	// shares.
	share := func(tab context.Context, id, grantee string) {
		if _, err := submitForm(tab, f.base+"/items/"+id+"/share", `form[method=get][action$="/share"]`, map[string]string{"with": grantee}); err != nil {
			t.Fatalf("share with %s: %v", grantee, err)
		}
		if _, err := submitForm(tab, "", `form[method=post][action$="/share"]`, nil); err != nil {
			t.Fatalf("confirm share with %s: %v", grantee, err)
		}
		if _, err := f.env.Store.ReadableItem(t.Context(), grantee, id); err != nil {
			t.Fatalf("item %q shared with %s: %v", id, grantee, err)
		}
	}
	f.itemID = create(vtab, victim, "Quarterly numbers", "Revenue up 12%. Do not share outside the board.")
	f.controlID = create(vtab, victim, "Scratch note", "The unprotected control deletes this one.")
	f.doubleID = create(vtab, victim, "Second scratch note", "The double-click control deletes this one.")

	if f.has(http.MethodPost, "/items/{id}/share") {
		share(vtab, f.itemID, other)
		if f.has(http.MethodPost, "/items/{id}/leave") {
			f.sharedID = create(otab, other, "Team notes", "Shared with "+victim+".")
			share(otab, f.sharedID, victim)
		}
	}
	if p := "/items/{id}/visibility"; f.has(http.MethodPost, p) {
		u := f.base + strings.ReplaceAll(p, "{id}", f.itemID)
		if _, err := submitForm(vtab, u, `form[action$="/visibility"]`, map[string]string{"public": "true"}); err != nil {
			t.Fatalf("make public: %v", err)
		}
	}
	if f.has(http.MethodPost, "/account/embed-origins") {
		if _, err := submitForm(vtab, f.base+"/account", `form[action="/account/embed-origins"]`, map[string]string{"origins": f.atk.byName[partnerSite]}); err != nil {
			t.Fatalf("allowlist %s for embedding: %v", f.atk.byName[partnerSite], err)
		}
		u, err := f.env.Store.GetUser(t.Context(), victim)
		if err != nil || !slices.Equal(u.EmbedOrigins, []string{f.atk.byName[partnerSite]}) {
			t.Fatalf("embed allowlist of %s = %q (%v), want [%s]", victim, u.EmbedOrigins, err, f.atk.byName[partnerSite])
		}
	}
	return f
}

// startApp serves the application on env's tables, logging each request it
// answers to log, until the test ends, and returns its base URL;
// unprotected builds it without guard (Config.Unprotected).
func startApp(t *testing.T, env storetest.Env, unprotected bool, log *servedLog) string {
	t.Helper()
	cfg := app.Config{
		Password:    app.PasswordParams{Memory: 8 * 1024, Time: 1, Threads: 1},
		Unprotected: unprotected,
	}
	// Server errors go to the test's output: a 500 during the attacks must
	// be explained, not only counted.
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(cfg, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), logger)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	return serve(t, appHost+":0", withNestHelper(log.handler(a.Handler())))
}

// pattern returns the pattern of the POST route that serves u's path.
func (f *fixture) pattern(u string) string { return postPattern(f.routes, u) }

// postPattern returns the pattern of the POST route of routes that serves
// u's path, or the path when none does.
func postPattern(routes []app.Route, u string) string {
	mux := http.NewServeMux()
	for _, rt := range routes {
		if rt.Method == http.MethodPost {
			mux.HandleFunc(rt.Method+" "+rt.Pattern, http.NotFound)
		}
	}
	_, p := mux.Handler(&http.Request{Method: http.MethodPost, URL: &url.URL{Path: mustPath(u)}})
	if p == "" {
		return mustPath(u)
	}
	return strings.TrimPrefix(p, "POST ")
}

// queries returns the query strings a GET route is shown with: "" always,
// and the confirmation that a GET form of the page leads to (sharing is
// confirmed at /items/{id}/share?with=<grantee>).
func (f *fixture) queries(pattern string) []string {
	if pattern == "/items/{id}/share" {
		return []string{"", "?" + url.Values{"with": {other}}.Encode()}
	}
	return []string{""}
}

// dataVerdict says whether a diff of the data table shows a change.
func dataVerdict(diff string) string {
	if diff == "" {
		return "unchanged"
	}
	return "changed"
}

// oneClickButton selects the button of a page's first one-click form.
const oneClickButton = `form[method=post]:not([action="/logout"]) button`

// getPage is a GET route at one of the paths the suite loads it at.
type getPage struct {
	app.Route
	// Path is the route's pattern with its wildcards filled (see fill) and
	// one of its queries (see queries) added.
	Path string
	// Name is the pattern with that query, for subtests and messages.
	Name string
}

// getPages returns the GET routes for which keep is true, each at every path
// the suite loads it at; css fills the static route. A route whose wildcards
// the fixture cannot fill is an error of t, and left out.
func (f *fixture) getPages(t *testing.T, css string, keep func(app.Route) bool) []getPage {
	t.Helper()
	var pages []getPage
	for _, rt := range f.routes {
		if rt.Method != http.MethodGet || !keep(rt) {
			continue
		}
		base, err := f.fill(rt.Pattern, css)
		if err != nil {
			t.Errorf("route GET %s: %v", rt.Pattern, err)
			continue
		}
		for _, q := range f.queries(rt.Pattern) {
			pages = append(pages, getPage{Route: rt, Path: base + q, Name: rt.Pattern + q})
		}
	}
	return pages
}

// wildcard matches a ServeMux wildcard.
var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// fill substitutes the route pattern's wildcards with the fixture's real
// values: {id} the victim's item (in /leave, the item shared with the
// victim), the static file the stylesheet link names. A wildcard it does
// not know is an error, so that a new kind of route is noticed rather than
// skipped.
func (f *fixture) fill(pattern, css string) (string, error) {
	var bad []string
	out := wildcard.ReplaceAllStringFunc(pattern, func(w string) string {
		switch w {
		case "{$}":
			return ""
		case "{id}":
			if strings.HasSuffix(pattern, "/leave") {
				if f.sharedID == "" {
					bad = append(bad, w+" (no item was shared with "+victim+")")
				}
				return f.sharedID
			}
			if f.itemID == "" {
				bad = append(bad, w+" (no item was created)")
			}
			return f.itemID
		}
		if strings.HasPrefix(pattern, "/static/") && css != "" {
			// /static/{hash}/{file...}: the whole path comes from the
			// stylesheet link, once.
			return ""
		}
		bad = append(bad, w)
		return w
	})
	if strings.HasPrefix(pattern, "/static/") && css != "" {
		out = css
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("no value for %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// stylesheetPath returns the path of the stylesheet the layout links to.
func (f *fixture) stylesheetPath(t *testing.T) string {
	t.Helper()
	tab := newTab(t, f.victim)
	if err := chromedp.Do(tab, chromedp.Navigate(f.base+"/login")); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("link[rel=stylesheet]").href`))
	if err != nil {
		t.Fatalf("stylesheet link: %v", err)
	}
	return mustPath(href)
}

// What the application's 403 page says when guard refuses an unsafe request
// from another origin, and one without the session's token to a user who is
// logged in, whether the page is the plain refusal or the form again with
// what was sent (internal/app/protect.go, expired.go).
const (
	crossOriginRefusal = "Changes can only be made from clickguard's own pages."
	tokenRefusal       = "The form had expired"
)

// forgedToken returns a token of the shape guard's are (the unpadded
// base64url encoding of 64 bytes, so that it passes the format check) that
// no session ever issued.
func forgedToken() string {
	b := make([]byte, 64)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokens lifted for the replays.
type tokens struct {
	other   string // from another user's session
	earlier string // from the victim's session before a logout and login
}

// crawl visits every GET page as the victim and returns the POST forms the
// application renders, deduplicated, with the victim's current fields; on
// the way it lifts the other user's token and one from an earlier session
// of the victim (logging the victim out and in again).
func (f *fixture) crawl(t *testing.T) ([]crawledForm, tokens) {
	t.Helper()
	var tk tokens
	tab := newTab(t, f.victim)
	pages := func() []crawledForm {
		var all []crawledForm
		seen := map[string]bool{}
		for _, rt := range f.routes {
			if rt.Method != http.MethodGet || strings.HasPrefix(rt.Pattern, "/static/") {
				continue
			}
			u, err := f.fill(rt.Pattern, "")
			if err != nil {
				continue
			}
			for _, q := range f.queries(rt.Pattern) {
				forms, err := crawlForms(tab, f.base+u+q)
				if err != nil {
					t.Fatalf("crawl: %v", err)
				}
				for _, fm := range forms {
					if !seen[fm.key()] {
						seen[fm.key()] = true
						all = append(all, fm)
					}
				}
			}
		}
		return all
	}
	// A token of the current session, from the page that has the logout
	// form (every signed-in page does).
	first, err := crawlForms(tab, f.base+"/items")
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	for _, fm := range first {
		if v, ok := fieldValue(fm.Fields, guard.TokenField); ok && v != "" {
			tk.earlier = v
			break
		}
	}
	// Log out and in: the session token and the CSRF token are renewed.
	if _, err := submitForm(tab, "", `form[action="/logout"]`, nil); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if _, err := submitForm(tab, f.base+"/login", `form[action="/login"]`, map[string]string{"username": victim, "password": password}); err != nil {
		t.Fatalf("log in again: %v", err)
	}
	forms := pages()
	// Logged out, the victim's browser would see the sign-up and login
	// forms: login CSRF is an attack too.
	anon := newTab(t, newBrowserContext(t, suite.browser))
	for _, p := range []string{"/signup", "/login"} {
		fs, err := crawlForms(anon, f.base+p)
		if err != nil {
			t.Fatalf("crawl: %v", err)
		}
		forms = append(forms, fs...)
	}
	otab := newTab(t, f.other)
	ofs, err := crawlForms(otab, f.base+"/items")
	if err != nil {
		t.Fatalf("crawl as %s: %v", other, err)
	}
	for _, fm := range ofs {
		if v, ok := fieldValue(fm.Fields, guard.TokenField); ok && v != "" {
			tk.other = v
		}
	}
	if tk.other == "" || tk.earlier == "" {
		t.Fatalf("no %s field found to lift (other user's %q, earlier session's %q)", guard.TokenField, tk.other, tk.earlier)
	}
	return forms, tk
}

// submitLink clicks the attacker page's link #go and waits for the next
// page to load.
func submitLink(tab context.Context) (string, error) {
	return submitFormClick(tab, "#go")
}

func mustPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}
