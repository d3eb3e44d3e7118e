package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestUse does in Chromium, through the application's pages and with every
// protection on, everything its users do: each form is filled by typing and
// sent with a real mouse click once the page's buttons are armed, and each
// change is read back from DynamoDB or from what the browser then shows. It
// is the other half of TestApp's proof: the protections that refuse every
// attack there let every action of the real user through here. It fails if
// any POST route of app.Routes() was not used, and answered with success,
// from the application's own pages.
func TestUse(t *testing.T) {
	browser := needBrowser(t)
	env := storetest.EmbeddedBackend(t).Env(t)
	log := &servedLog{}
	base := startApp(t, env, false, log)
	const (
		owner, friend = "ada", "grace"
		newPassword   = "a longer passphrase for ada"
		partner       = "https://blog.example.com"
	)
	ada, grace := newPerson(t, browser), newPerson(t, browser)
	// use does act in a new tab of p's browser, or, with no pageURL, in
	// the tab of p's last action.
	use := func(p *person, pageURL, form string, fields ...string) string {
		t.Helper()
		if pageURL != "" {
			p.open("")
		}
		loc, err := act(p.tab, pageURL, form, fields...)
		if err != nil {
			doc, _ := topDocument(p.tab)
			t.Fatalf("%v; the tab shows %s", err, doc)
		}
		return loc
	}
	// at checks that p's tab shows the page at path, titled with the
	// application's suffix.
	at := func(p *person, step, want string) {
		t.Helper()
		doc, err := topDocument(p.tab)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if mustPath(doc.URL) != want || !strings.HasSuffix(doc.Title, titleSuffix) {
			t.Fatalf("%s: the tab shows %s; want the page at %s", step, doc, want)
		}
	}

	// Sign up, and land on the list of items.
	for _, u := range []struct {
		p    *person
		name string
	}{{ada, owner}, {grace, friend}} {
		use(u.p, base+"/signup", `form[action="/signup"]`, "username", u.name, "password", password)
		at(u.p, "sign up "+u.name, "/items")
		if _, err := env.Store.GetUser(t.Context(), u.name); err != nil {
			t.Fatalf("sign up %s: %v", u.name, err)
		}
	}

	// Create an item, then edit it.
	loc := use(ada, base+"/items/new", `form[action="/items"]`, "title", "Garden plan", "body", "Tomatoes by the wall.")
	id := path.Base(mustPath(loc))
	at(ada, "create an item", "/items/"+id)
	use(ada, base+"/items/"+id+"/edit", `form[action$="/edit"]`, "title", "Garden plan for May")
	if it, err := env.Store.GetItem(t.Context(), owner, id); err != nil || it.Title != "Garden plan for May" || it.Body != "Tomatoes by the wall." {
		t.Fatalf("edit the title: the item is %+v (%v); want the new title and the text kept", it, err)
	}

	// Share it, confirmed; the friend removes it from her list; share it
	// again, and revoke it.
	share := func() {
		t.Helper()
		use(ada, base+"/items/"+id+"/share", `form[method=get][action$="/share"]`, "with", friend)
		use(ada, "", `form[method=post][action$="/share"]`)
		if _, err := env.Store.ReadableItem(t.Context(), friend, id); err != nil {
			t.Fatalf("share with %s: she cannot read it: %v", friend, err)
		}
	}
	unshared := func(step string) {
		t.Helper()
		if _, err := env.Store.ReadableItem(t.Context(), friend, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: %s reads the item with error %v; want %v", step, friend, err, store.ErrNotFound)
		}
	}
	share()
	use(grace, base+"/items/"+id+"/leave", `form[action$="/leave"]`)
	unshared(friend + " removes it from her list")
	share()
	use(ada, base+"/items/"+id+"/share", `form:has(input[name=action][value=revoke])`)
	unshared("revoke")

	// Make it public: a visitor then reads it.
	use(ada, base+"/items/"+id+"/visibility", `form:has(input[name=public][value=true])`)
	visitor := newPerson(t, browser).open(base + "/p/" + id)
	if text, err := chromedp.Run(visitor, chromedp.Text(chromedp.CSS("main"))); err != nil || !strings.Contains(text, "Tomatoes by the wall.") {
		t.Fatalf("make public: a visitor's /p/%s shows %q (%v); want the item's text", id, text, err)
	}

	// Allowlist an origin for embedding.
	use(ada, base+"/account", `form[action="/account/embed-origins"]`, "origins", partner)
	if u, err := env.Store.GetUser(t.Context(), owner); err != nil || !slices.Equal(u.EmbedOrigins, []string{partner}) {
		t.Fatalf("allowlist %s: the embed origins are %q (%v)", partner, u.EmbedOrigins, err)
	}

	// Export as CSV: the browser saves the file.
	tab := ada.open(base + "/export")
	dir := download(t, tab)
	if err := armed(tab, `form[action="/export"]`); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`form[action="/export"] [name=format][value=csv]`)),
		chromedp.Click(chromedp.CSS(`form[action="/export"] button[type=submit]`))); err != nil {
		t.Fatalf("export: %v", err)
	}
	if got, err := downloaded(tab, dir); err != nil || !strings.Contains(got, "Garden plan for May") {
		t.Fatalf("export: the downloaded file holds %q (%v); want a CSV with the item", got, err)
	}

	// Three more sessions: sign one out, then the other two.
	var others []*person
	for range 3 {
		p := newPerson(t, browser)
		use(p, base+"/login", `form[action="/login"]`, "username", owner, "password", password)
		at(p, "log in", "/items")
		others = append(others, p)
	}
	sessions := store.NewSessions(env.Client, env.Tables.Sessions)
	count := func(step string, want int) {
		t.Helper()
		all, err := sessions.ListAll(t.Context(), owner)
		if err != nil || len(all) != want {
			t.Fatalf("%s: %s has %d sessions (%v); want %d", step, owner, len(all), err, want)
		}
	}
	count("three more logins", 4)
	use(ada, base+"/account/sessions", `form[action="/account/sessions/end"]`)
	count("sign one session out", 3)
	use(ada, base+"/account/sessions", `form[action="/account/sessions/end-others"]`)
	count("sign the others out", 1)
	for i, p := range others {
		p.open(base + "/items")
		at(p, fmt.Sprintf("session %d after the sign-outs", i+1), "/login")
	}

	// Change the password: the new one logs in, the old one no longer.
	use(ada, base+"/account", `form[action="/account/password"]`,
		"current_password", password, "new_password", newPassword, "confirm_password", newPassword)
	for _, p := range []struct {
		password string
		want     string
	}{{password, "/login"}, {newPassword, "/items"}} {
		q := newPerson(t, browser)
		use(q, base+"/login", `form[action="/login"]`, "username", owner, "password", p.password)
		at(q, "log in after the password change", p.want)
	}

	// Log out; the item's address then asks to log in, and returns to it.
	use(ada, base+"/items", `form[action="/logout"]`)
	ada.open(base + "/items/" + id)
	at(ada, "after logging out", "/login")
	use(ada, "", `form[action^="/login?next="]`, "username", owner, "password", newPassword)
	at(ada, "log in again", "/items/"+id)

	// Delete the item, then the account.
	use(ada, base+"/items/"+id+"/delete", `form[action$="/delete"]`)
	if _, err := env.Store.GetItem(t.Context(), owner, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete the item: reading it gives %v; want %v", err, store.ErrNotFound)
	}
	use(ada, base+"/account/delete", `form[action="/account/delete"]`, "password", newPassword)
	if _, err := env.Store.GetUser(t.Context(), owner); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete the account: reading %s gives %v; want %v", owner, err, store.ErrNotFound)
	}

	// Every POST route was used from the application's own pages, and
	// each use succeeded.
	for _, rt := range app.Routes() {
		if rt.Method != http.MethodPost {
			continue
		}
		// The login with the old password is the one use meant to fail.
		uses := log.posts(rt.Pattern)
		if !slices.ContainsFunc(uses, func(s served) bool { return s.Status < 400 }) {
			t.Errorf("route POST %s was never used with success: %v", rt.Pattern, uses)
		}
		for _, s := range uses {
			if s.Site != "same-origin" {
				t.Errorf("route POST %s: the server answered %s; want a request from the application's own page", rt.Pattern, s)
			}
		}
	}
}

// person is a user's browser: a browser context, whose cookie jar holds the
// user's session, and the tab of the last thing done in it. Each page
// opened gets a new tab, so that a tab's deadline (see newTab) bounds one
// action, not the whole story.
type person struct {
	t       *testing.T
	browser context.Context // the browser context
	tab     context.Context
}

func newPerson(t *testing.T, browser context.Context) *person {
	t.Helper()
	return &person{t: t, browser: newBrowserContext(t, browser)}
}

// open loads u (unless it is empty) in a new tab of p's browser, and
// returns the tab.
func (p *person) open(u string) context.Context {
	p.t.Helper()
	p.tab = newTab(p.t, p.browser)
	if u != "" {
		if err := chromedp.Do(p.tab, chromedp.Navigate(u)); err != nil {
			p.t.Fatalf("load %s: %v", u, err)
		}
	}
	return p.tab
}

// act loads pageURL in tab (unless it is empty: the page the tab shows),
// waits until the page's buttons are armed, types the values into the fields
// of the form matching formSel (fields holds name, value pairs; a radio
// button is clicked instead), clicks the form's submit button with the
// mouse and waits for the next page to load. It returns that page's URL.
func act(tab context.Context, pageURL, formSel string, fields ...string) (string, error) {
	if pageURL != "" {
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL)); err != nil {
			return "", fmt.Errorf("load %s: %w", pageURL, err)
		}
	}
	if err := armed(tab, formSel); err != nil {
		return "", err
	}
	for i := 0; i+1 < len(fields); i += 2 {
		name, value := fields[i], fields[i+1]
		sel := fmt.Sprintf(`%s [name=%q]`, formSel, name)
		// The field is emptied first, as a user selecting what it holds
		// and typing over it would.
		typ, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const el = document.querySelector(%q);
			if (!el) return "";
			if (el.type !== "radio") el.value = "";
			return el.type;
		})()`, sel)))
		if err != nil || typ == "" {
			return "", fmt.Errorf("no field %s in %s: %v", name, formSel, err)
		}
		if typ == "radio" {
			err = chromedp.Do(tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s [name=%q][value=%q]`, formSel, name, value))))
		} else if err = chromedp.Do(tab, chromedp.Focus(chromedp.CSS(sel))); err == nil {
			// As a paste or the browser's autofill enters it: one
			// input event for the whole value.
			_, err = chromedp.Call(tab, input.InsertText, input.InsertTextParams{Text: value})
		}
		if err != nil {
			return "", fmt.Errorf("enter %s into %s: %w", name, formSel, err)
		}
	}
	return submitFormClick(tab, formSel+` button[type=submit]`)
}

// armed waits until the animations of the form matching formSel on the
// page in tab have finished: a one-click form's buttons take no pointer
// events until then (see TestApp's one-click arming), and a user's click
// before that reaches nothing.
func armed(tab context.Context, formSel string) error {
	_, err := chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const f = document.querySelector(%q);
		if (!f) throw new Error("no form " + %q + " on " + location.href);
		return Promise.all(f.getAnimations({subtree: true}).map(a => a.finished)).then(() => true);
	})()`, formSel, formSel), chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("wait for the page's buttons to be armed: %w", err)
	}
	return nil
}

// download allows downloads in tab's browser context into a new temporary
// directory, which it returns.
func download(t *testing.T, tab context.Context) string {
	t.Helper()
	dir := t.TempDir()
	c := chromedp.FromContext(tab)
	if _, err := chromedp.CallBrowser(tab, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	return dir
}

// downloaded waits until the download into dir has finished, and returns the
// content of the one file there.
func downloaded(tab context.Context, dir string) (string, error) {
	for {
		files, err := os.ReadDir(dir)
		if err != nil {
			return "", err
		}
		if len(files) == 1 && !strings.HasSuffix(files[0].Name(), ".crdownload") {
			b, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
			return string(b), err
		}
		select {
		case <-tab.Done():
			return "", fmt.Errorf("no finished download in %s: %w", dir, context.Cause(tab))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
