package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/clickguard/clickguard/internal/app"
)

// The text of an item, with what a careless page would break on: a line
// break first (which the HTML parser drops after <textarea>), markup, and
// the end of a textarea.
const (
	keptTitle = `Minutes <b>"draft"</b>`
	keptBody  = "\nFirst point & second.\n</textarea><script>alert(1)</script>\n"
)

// field returns the value a browser shows in the form control with the
// given id, and whether there is one, and whether it is read-only.
func field(t *testing.T, page, id string) (value string, ok, readonly bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	els := find(doc, hasAttr("id", id))
	if len(els) != 1 {
		return "", false, false
	}
	n := els[0]
	_, readonly = attrLookup(n, "readonly")
	if n.Data == "textarea" {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(c.Data) // the text as parsed, line breaks kept
		}
		return b.String(), true, readonly
	}
	return attrOf(n, "value"), true, readonly
}

func attrLookup(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// TestExpiredForm: a form whose session ended before it was sent loses
// nothing the user typed. A visitor who is logged out by then gets the text
// to copy and a login that leaves the page open; a user who logged in again
// gets the form back, filled in, with a token that works, and with the
// version the edit started from; a login or sign-up form gets the username
// back. Nothing is saved from the refused request itself.
func TestExpiredForm(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	itemText := url.Values{"title": {keptTitle}, "body": {keptBody}}
	with := func(form url.Values, token string) url.Values {
		f := url.Values{"csrf_token": {token}}
		for k, v := range form {
			f[k] = v
		}
		return f
	}
	// The text comes back to be copied, read-only, with a link to log in
	// in a new tab that goes on to the form, to enter it again.
	loginLink := regexp.MustCompile(`<a class="button" href="([^"]*)" target="_blank">`)
	wantCopy := func(t *testing.T, r response, form string) {
		t.Helper()
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		for id, want := range map[string]string{"unsaved-0": keptTitle, "unsaved-1": keptBody} {
			if got, ok, ro := field(t, r.body, id); !ok || got != want || !ro {
				t.Errorf("field %s: %q (present %v, read-only %v), want %q, read-only", id, got, ok, ro, want)
			}
		}
		m := loginLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatal("no login link that opens a new tab")
		}
		if u, err := url.Parse(html.UnescapeString(m[1])); err != nil || u.Path != "/login" || u.Query().Get("next") != form {
			t.Errorf("the login link goes to %q; want /login with next=%s", m[1], form)
		}
		if tokenIn(r.body) != "" {
			t.Error("the page of a logged-out visitor has a form")
		}
	}

	t.Run("new item, logged out since", func(t *testing.T) {
		alice := user(t, srv, "alice")
		tok := tokenIn(alice.get("/items/new").body)
		alice.logout()
		before := dataItems(t, env)
		r := alice.postRaw("/items", with(itemText, tok))
		wantCopy(t, r, "/items/new")
		if !strings.Contains(r.body, "Your session ended before this form went through") {
			t.Error("the page does not say why nothing was saved")
		}
		if n := dataItems(t, env); n != before {
			t.Errorf("the data table went from %d to %d records", before, n)
		}
	})

	t.Run("new item, token of a visitor's session", func(t *testing.T) {
		// The token layer lets it through; the login requirement stops it.
		b := newTab(t, srv)
		r := b.postRaw("/items", with(itemText, tokenIn(b.get("/login").body)))
		wantCopy(t, r, "/items/new")
	})

	t.Run("edit, session gone", func(t *testing.T) {
		bob := user(t, srv, "bob")
		id := bob.createItem("Plan", "original")
		edit := "/items/" + id + "/edit"
		page := bob.get(edit)
		bob.setCookie("ended") // as after the idle timeout: an unknown session
		r := bob.postRaw(edit, with(url.Values{"title": {keptTitle}, "body": {keptBody}, "version": {versionRE.FindStringSubmatch(page.body)[1]}}, tokenIn(page.body)))
		wantCopy(t, r, edit)
		if got := loginAgain(t, srv, "bob").get("/items/" + id).body; !strings.Contains(got, "original") {
			t.Error("the item changed")
		}
	})

	t.Run("new item, logged in again", func(t *testing.T) {
		carol := user(t, srv, "carol")
		tok := tokenIn(carol.get("/items/new").body)
		carol.logout()
		carol.login("carol", testPassword)
		before := dataItems(t, env)
		r := carol.postRaw("/items", with(itemText, tok))
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		if n := dataItems(t, env); n != before {
			t.Errorf("the refused request changed the data table: %d records, then %d", before, n)
		}
		if !strings.Contains(r.body, "made for an earlier session") || !strings.Contains(r.body, `action="/items"`) {
			t.Fatalf("not the new-item form with the reason:\n%s", r.body)
		}
		if got, _, ro := field(t, r.body, "title"); got != keptTitle || ro {
			t.Errorf("title %q (read-only %v), want %q, editable", got, ro, keptTitle)
		}
		if got := textareaValue(t, r.body, "body"); got != keptBody {
			t.Errorf("text %q, want %q", got, keptBody)
		}
		// Sent again from the page, as shown, it is saved.
		again := carol.postRaw("/items", with(url.Values{"title": {keptTitle}, "body": {textareaValue(t, r.body, "body")}}, tokenIn(r.body)))
		if again.status != http.StatusSeeOther {
			t.Fatalf("sent again: status %d, want 303", again.status)
		}
		if got := textareaValue(t, carol.get(again.header.Get("Location")+"/edit").body, "body"); got != keptBody {
			t.Errorf("saved text %q, want %q", got, keptBody)
		}
	})

	t.Run("edit, logged in again, changed meanwhile", func(t *testing.T) {
		dave := user(t, srv, "dave")
		id := dave.createItem("Plan", "original")
		edit := "/items/" + id + "/edit"
		page := dave.get(edit)
		v := versionRE.FindStringSubmatch(page.body)[1]
		dave.logout()
		dave.login("dave", testPassword)
		if r := dave.submit(edit, edit, url.Values{"title": {"Plan"}, "body": {"changed in another tab"}, "version": {v}}); r.status != http.StatusSeeOther {
			t.Fatalf("edit in the new session: status %d", r.status)
		}
		r := dave.postRaw(edit, with(url.Values{"title": {keptTitle}, "body": {keptBody}, "version": {v}}, tokenIn(page.body)))
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		if got := textareaValue(t, r.body, "body"); got != keptBody {
			t.Errorf("text %q, want %q", got, keptBody)
		}
		if m := versionRE.FindStringSubmatch(r.body); m == nil || m[1] != v {
			t.Fatalf("the form carries version %v, want the one the edit started from, %s", m, v)
		}
		// Sent again, it meets the change made since: the conflict page.
		again := dave.postRaw(edit, with(url.Values{"title": {keptTitle}, "body": {keptBody}, "version": {v}}, tokenIn(r.body)))
		if again.status != http.StatusConflict || !strings.Contains(again.body, "changed in another tab") {
			t.Errorf("sent again: status %d, want 409 showing the other change", again.status)
		}
	})

	t.Run("edit of an item not the user's", func(t *testing.T) {
		erin := user(t, srv, "erin")
		theirs := user(t, srv, "frank").createItem("Frank's", "original")
		tok := tokenIn(erin.get("/items/new").body)
		erin.logout()
		erin.login("erin", testPassword)
		r := erin.postRaw("/items/"+theirs+"/edit", with(url.Values{"title": {keptTitle}, "body": {keptBody}, "version": {"1"}}, tok))
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		if got, _, ro := field(t, r.body, "unsaved-1"); got != keptBody || !ro {
			t.Errorf("text %q (read-only %v), want %q to copy", got, ro, keptBody)
		}
		if strings.Contains(r.body, "Frank&#39;s") || strings.Contains(r.body, "original") {
			t.Error("the page shows the other user's item")
		}
		if strings.Contains(r.body, `action="/items/`+theirs) {
			t.Error("the page has a form to edit the other user's item")
		}
	})

	t.Run("embed allowlist, logged in again", func(t *testing.T) {
		gina := user(t, srv, "gina")
		page := gina.get("/account")
		gina.logout()
		gina.login("gina", testPassword)
		origins := "https://blog.example\nhttps://news.example"
		r := gina.postRaw("/account/embed-origins", with(url.Values{"origins": {origins}, "version": {versionRE.FindStringSubmatch(page.body)[1]}}, tokenIn(page.body)))
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		if got := textareaValue(t, r.body, "origins"); got != origins {
			t.Errorf("allowlist %q, want %q", got, origins)
		}
		if !strings.Contains(r.body, "made for an earlier session") {
			t.Error("the page does not say why nothing was saved")
		}
	})

	t.Run("embed allowlist, logged out since", func(t *testing.T) {
		hana := user(t, srv, "hana")
		page := hana.get("/account")
		hana.logout()
		origins := "https://blog.example"
		r := hana.postRaw("/account/embed-origins", with(url.Values{"origins": {origins}, "version": {versionRE.FindStringSubmatch(page.body)[1]}}, tokenIn(page.body)))
		if got, _, ro := field(t, r.body, "unsaved-0"); r.status != http.StatusForbidden || got != origins || !ro {
			t.Fatalf("status %d, allowlist %q (read-only %v); want 403 and %q to copy", r.status, got, ro, origins)
		}
		m := loginLink.FindStringSubmatch(r.body)
		if m == nil || html.UnescapeString(m[1]) != "/login?next=%2Faccount" {
			t.Errorf("the login link is %v; want /login?next=%%2Faccount, in a new tab", m)
		}
	})

	for _, tc := range []struct{ path, username string }{{"/login", "kate"}, {"/signup", "leo"}} {
		t.Run(tc.path+", page open too long", func(t *testing.T) {
			if tc.path == "/login" {
				user(t, srv, tc.username) // the account to log in to
			}
			b := newTab(t, srv)
			tok := tokenIn(b.get(tc.path).body)
			b.setCookie("ended") // the anonymous session is gone
			r := b.postRaw(tc.path, url.Values{"csrf_token": {tok}, "username": {" " + tc.username + " "}, "password": {testPassword}})
			if r.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.status)
			}
			if got, ok, _ := field(t, r.body, "username"); !ok || got != tc.username {
				t.Errorf("username %q, want %q", got, tc.username)
			}
			if got, _, _ := field(t, r.body, "password"); got != "" {
				t.Error("the password is in the page")
			}
			if !strings.Contains(r.body, "its form expired") || tokenIn(r.body) == "" {
				t.Fatalf("not the form again, with the reason and a token:\n%s", r.body)
			}
			if b.loggedIn() {
				t.Fatal("the refused request logged the browser in")
			}
			// The form works again.
			again := b.postRaw(tc.path, url.Values{"csrf_token": {tokenIn(r.body)}, "username": {tc.username}, "password": {testPassword}})
			if again.status != http.StatusSeeOther || !b.loggedIn() {
				t.Errorf("sent again: status %d, want 303 and logged in", again.status)
			}
		})
	}

	t.Run("no text to keep", func(t *testing.T) {
		ivan := user(t, srv, "ivan")
		id := ivan.createItem("Plan", "text")
		share := "/items/" + id + "/share"
		tok := tokenIn(ivan.get(share + "?with=alice").body)
		ivan.logout()
		r := ivan.postRaw(share, url.Values{"csrf_token": {tok}, "action": {"add"}, "grantee": {"alice"}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Your session ended before this form went through") {
			t.Errorf("logged out: status %d, want 403 saying the session ended:\n%s", r.status, r.body)
		}
		ivan.login("ivan", testPassword)
		r = ivan.postRaw(share, url.Values{"csrf_token": {tok}, "action": {"add"}, "grantee": {"alice"}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "The form had expired or did not come from this page.") {
			t.Errorf("logged in again: status %d, want 403 saying the form had expired:\n%s", r.status, r.body)
		}
	})

	t.Run("from another site", func(t *testing.T) {
		judy := user(t, srv, "judy")
		tok := tokenIn(judy.get("/items/new").body)
		judy.logout()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/items", strings.NewReader(with(itemText, tok).Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://attacker.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r := judy.do(req)
		if r.status != http.StatusForbidden || strings.Contains(r.body, "Minutes") || strings.Contains(r.body, "First point") {
			t.Errorf("status %d; a cross-site post's text must not be shown on the application's page:\n%s", r.status, r.body)
		}
	})
}
