package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truora/minidyn/server"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// TestPageMarkup renders every kind of page, forms with their errors
// included, and checks the structure that screen readers and keyboards rely
// on: a language, one h1 and no skipped heading level, a title, the
// landmarks and the skip link, a label for every control, unique ids and
// resolvable references, autocomplete on credential fields, invalid fields
// described by their error messages shown beside them, no interactive element inside another,
// no two buttons with the same name, forms that leave checking their
// fields to the server, and a note on each page whose buttons
// are armed late.
func TestPageMarkup(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: 2, MaxPerAddr: 100}); err != nil {
		t.Fatal(err)
	}
	pinWindow(env, time.Hour)
	srv := newServer(t, env, app.Config{MaxBodyBytes: 64 << 10})
	visitor := newTab(t, srv)
	alice := user(t, srv, "alice")
	loginAgain(t, srv, "alice")
	loginAgain(t, srv, "alice")
	bob := user(t, srv, "bob")
	user(t, srv, "carol")
	id := alice.createItem("Notes", "Some text.")
	alice.share(id, "bob")
	draft := alice.createItem("Draft", "")
	item := "/items/" + id
	if r := alice.submit(item+"/visibility", item+"/visibility", url.Values{"public": {"true"}, "version": {alice.version(item + "/visibility")}}); r.status != http.StatusSeeOther {
		t.Fatalf("make item public: status %d", r.status)
	}
	get := func(b *browser, path string) func() response { return func() response { return b.get(path) } }
	post := func(b *browser, formPage, action string, form url.Values) func() response {
		return func() response { return b.submit(formPage, action, form) }
	}

	for _, tc := range []struct {
		name    string
		load    func() response
		status  int
		invalid bool // the page shows a form's errors
	}{
		{"home", get(visitor, "/"), 200, false},
		{"signup", get(visitor, "/signup"), 200, false},
		{"signup errors", post(visitor, "/signup", "/signup", url.Values{"username": {"A"}, "password": {"short"}}), 422, true},
		{"login", get(visitor, "/login"), 200, false},
		{"login errors", post(visitor, "/login", "/login", url.Values{"username": {"alice"}, "password": {"not the password"}}), 401, true},
		{"items", get(alice, "/items"), 200, false},
		{"new item", get(alice, "/items/new"), 200, false},
		{"new item errors", post(alice, "/items/new", "/items", url.Values{"title": {" "}, "body": {"a\x00"}}), 422, true},
		{"item", get(alice, item), 200, false},
		{"item shared with me", get(bob, item), 200, false},
		{"edit", get(alice, item+"/edit"), 200, false},
		{"edit conflict", post(alice, item+"/edit", item+"/edit", url.Values{"title": {"Notes"}, "body": {"mine"}, "version": {"1"}}), 409, false},
		{"delete", get(alice, "/items/"+draft+"/delete"), 200, false},
		{"make public", get(alice, "/items/"+draft+"/visibility"), 200, false},
		{"make private", get(alice, item+"/visibility"), 200, false},
		{"sharing", get(alice, item+"/share"), 200, false},
		{"sharing errors", get(alice, item+"/share?with=nobody"), 422, true},
		{"sharing empty", get(alice, item+"/share?with="), 422, true},
		{"share confirmation", get(alice, item+"/share?with=carol"), 200, false},
		{"leave", get(bob, item+"/leave"), 200, false},
		{"activity", get(alice, "/activity"), 200, false},
		{"account", get(alice, "/account"), 200, false},
		{"account password errors", post(alice, "/account", "/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"short"}, "confirm_password": {"other"}}), 422, true},
		{"account allowlist errors", post(alice, "/account", "/account/embed-origins", url.Values{"origins": {"https://a.example/path\nnot an origin"}, "version": {alice.version("/account")}}), 422, true},
		{"sessions", get(alice, "/account/sessions"), 200, false},
		{"after an action", func() response {
			if r := alice.submit("/account", "/account/embed-origins", url.Values{"origins": {""}, "version": {alice.version("/account")}}); r.status != http.StatusSeeOther {
				t.Fatalf("clear the embed allowlist: status %d", r.status)
			}
			return alice.get("/account")
		}, 200, false},
		{"export", get(alice, "/export"), 200, false},
		{"account delete", get(alice, "/account/delete"), 200, false},
		{"account delete errors", post(alice, "/account/delete", "/account/delete", url.Values{"password": {"not the password"}}), 422, true},
		{"public", get(visitor, "/p/"+id), 200, false},
		{"embed", get(visitor, "/embed/"+id), 200, false},
		{"403", get(bob, item+"/edit"), 403, false},
		{"not saved", func() response {
			b := user(t, srv, "erin")
			tok := tokenIn(b.get("/items/new").body)
			b.logout()
			return b.postRaw("/items", url.Values{"csrf_token": {tok}, "title": {"Notes"}, "body": {"Some text."}})
		}, 403, false},
		{"expired item form", func() response {
			b := user(t, srv, "frank")
			tok := tokenIn(b.get("/items/new").body)
			b.logout()
			b.login("frank", testPassword)
			return b.postRaw("/items", url.Values{"csrf_token": {tok}, "title": {"Notes"}, "body": {"Some text."}})
		}, 403, false},
		{"expired login", func() response {
			b := newTab(t, srv)
			tok := tokenIn(b.get("/login").body)
			b.setCookie("ended")
			return b.postRaw("/login", url.Values{"csrf_token": {tok}, "username": {"alice"}, "password": {"x"}})
		}, 403, true},
		{"404", get(alice, "/no-such-page"), 404, false},
		{"405", get(alice, "/logout"), 405, false},
		{"413", post(visitor, "/signup", "/signup", url.Values{"username": {"ivan"}, "password": {strings.Repeat("x", 100<<10)}}), 413, false},
		{"429", func() response {
			for range 2 {
				newTab(t, srv).login("nobody", "not the password")
			}
			return newTab(t, srv).login("nobody", "not the password")
		}, 429, false},
		{"503", func() response {
			b := newTab(t, srv)
			tok := tokenIn(b.get("/signup").body)
			md := env.Backend.Minidyn
			md.EmulateFailureForTable(env.Tables.Data, server.FailureConditionInternalServerError)
			defer md.EmulateFailureForTable(env.Tables.Data, server.FailureConditionNone)
			return b.postRaw("/signup", url.Values{"username": {"judy"}, "password": {goodPassword}, "csrf_token": {tok}})
		}, 503, false},
	} {
		// Not parallel: the rows share the accounts and the throttle.
		t.Run(tc.name, func(t *testing.T) {
			r := tc.load()
			if r.status != tc.status {
				t.Fatalf("got status %d, want %d", r.status, tc.status)
			}
			doc, err := html.Parse(strings.NewReader(r.body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, p := range checkMarkup(doc, tc.name == "embed") {
				t.Error(p)
			}
			if got := len(find(doc, hasAttr("aria-invalid", "true"))) > 0; got != tc.invalid {
				t.Errorf("page has a field marked aria-invalid: %v, want %v", got, tc.invalid)
			}
			if t.Failed() {
				t.Logf("page:\n%s", r.body)
			}
		})
	}
}

// TestPageTitles: no two pages have the same <title>: the pages of two
// items are told apart by the item's title, so that a list of tabs, of
// bookmarks or of history entries, and a screen reader announcing the
// page, say which item it is (WCAG 2.4.2). The public pages, which show a
// visitor the item's own title, are left out.
func TestPageTitles(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice, bob := user(t, srv, "alice"), user(t, srv, "bob")
	var ids []string
	for _, title := range []string{"Plan", "Notes"} {
		id := alice.createItem(title, "text")
		alice.share(id, "bob")
		ids = append(ids, id)
	}
	seen := map[string]string{} // title → path
	for _, rt := range app.Routes() {
		if rt.Method != http.MethodGet || rt.Public || strings.Contains(rt.Pattern, "{hash}") {
			continue
		}
		b := alice
		if strings.HasSuffix(rt.Pattern, "/leave") {
			b = bob
		}
		for _, id := range ids {
			p := fill(rt.Pattern, id, "")
			r := b.get(p)
			doc, err := html.Parse(strings.NewReader(r.body))
			if err != nil {
				t.Fatalf("GET %s: parse: %v", p, err)
			}
			var title string
			if titles := find(doc, isElem(atom.Title)); len(titles) == 1 {
				title = textOf(titles[0])
			}
			if other, ok := seen[title]; ok && other != p {
				t.Errorf("GET %s and GET %s are both titled %q", other, p, title)
			}
			seen[title] = p
		}
	}
}

// titleOf returns the text of the <title> of page.
func titleOf(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	titles := find(doc, isElem(atom.Title))
	if len(titles) != 1 {
		t.Fatalf("%d <title> elements, want 1", len(titles))
	}
	return textOf(titles[0])
}

// checkMarkup returns the problems it finds in a page. An embed page is
// shown inside other sites' pages: it has no header, navigation or skip
// link of its own.
func checkMarkup(doc *html.Node, embed bool) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if root := find(doc, isElem(atom.Html)); len(root) != 1 || attrOf(root[0], "lang") == "" {
		bad("<html> has no lang")
	}
	titles := find(doc, isElem(atom.Title))
	if len(titles) != 1 || !strings.HasSuffix(textOf(titles[0]), " · clickguard") || textOf(titles[0]) == " · clickguard" {
		bad("want one <title> naming the page before \" · clickguard\"")
	}
	// The one-time message after an action begins the title, which a
	// screen reader reads as the page loads.
	for _, f := range find(doc, func(n *html.Node) bool { return hasClass(n, "flash") }) {
		if len(titles) == 1 && !strings.HasPrefix(textOf(titles[0]), textOf(f)+" – ") {
			bad("the message %q does not begin the <title> %q", textOf(f), textOf(titles[0]))
		}
	}

	// Headings: one h1, first, and no level skipped on the way down.
	level := 0
	for _, h := range find(doc, isHeading) {
		n := int(h.Data[1] - '0')
		switch {
		case level == 0 && n != 1:
			bad("the first heading is <%s> %q, want <h1>", h.Data, textOf(h))
		case n == 1 && level != 0:
			bad("a second <h1> %q", textOf(h))
		case n > level+1:
			bad("<%s> %q follows <h%d>", h.Data, textOf(h), level)
		case n == 1 && strings.HasPrefix(textOf(h), "Error"):
			// "Error: " belongs in the <title>; the error summary says it
			// on the page.
			bad("the <h1> %q names an error, not the page", textOf(h))
		}
		level = n
	}
	if level == 0 {
		bad("no <h1>")
	}

	// Landmarks and the skip link.
	if n := len(find(doc, isElem(atom.Main))); n != 1 {
		bad("%d <main> elements, want 1", n)
	}
	if !embed {
		if len(find(doc, isElem(atom.Header))) == 0 || len(find(doc, isElem(atom.Nav))) == 0 {
			bad("no <header> with a <nav>")
		}
		links := find(doc, isElem(atom.A))
		main := find(doc, isElem(atom.Main))
		if len(links) == 0 || !strings.HasPrefix(attrOf(links[0], "href"), "#") || len(main) != 1 || "#"+attrOf(main[0], "id") != attrOf(links[0], "href") {
			bad("the first link is not a skip link to <main>")
		}
	}
	for _, n := range find(doc, isElem(atom.Nav)) {
		if len(find(doc, isElem(atom.Nav))) > 1 && attrOf(n, "aria-label") == "" {
			bad("a <nav> among several has no aria-label")
		}
	}

	// Ids are unique, and every reference to one resolves.
	ids := map[string]*html.Node{}
	for _, n := range find(doc, func(n *html.Node) bool { return attrOf(n, "id") != "" }) {
		id := attrOf(n, "id")
		if ids[id] != nil {
			bad("duplicate id %q", id)
		}
		ids[id] = n
	}
	for _, n := range find(doc, isAnyElem) {
		for _, a := range []string{"aria-describedby", "aria-labelledby", "for"} {
			for ref := range strings.FieldsSeq(attrOf(n, a)) {
				if ids[ref] == nil {
					bad("<%s %s=%q>: no element has id %q", n.Data, a, attrOf(n, a), ref)
				}
			}
		}
		if href := attrOf(n, "href"); n.DataAtom == atom.A && strings.HasPrefix(href, "#") && ids[href[1:]] == nil {
			bad("link to %q: no such id", href)
		}
	}

	// Form controls: a label each, autocomplete on credentials, and an
	// invalid one described by its error message.
	labelled := map[string]bool{}
	for _, l := range find(doc, isElem(atom.Label)) {
		if textOf(l) != "" {
			labelled[attrOf(l, "for")] = true
		}
	}
	controls := find(doc, func(n *html.Node) bool {
		if n.DataAtom != atom.Input && n.DataAtom != atom.Select && n.DataAtom != atom.Textarea {
			return false
		}
		_, hidden := nodeAttr(n, "hidden")
		return !hidden && !slices.Contains([]string{"hidden", "submit", "button", "reset", "image"}, attrOf(n, "type"))
	})
	for _, c := range controls {
		name := attrOf(c, "name")
		if !labelled[attrOf(c, "id")] && attrOf(c, "aria-label") == "" && attrOf(c, "aria-labelledby") == "" && ancestor(c, atom.Label) == nil {
			bad("control %q has no label", name)
		}
	}
	for _, c := range find(doc, isElem(atom.Input)) {
		ac := attrOf(c, "autocomplete")
		switch {
		case attrOf(c, "type") == "password" && ac != "current-password" && ac != "new-password":
			bad("password field %q has autocomplete=%q, want current-password or new-password", attrOf(c, "name"), ac)
		case attrOf(c, "name") == "username" && ac != "username":
			bad("username field has autocomplete=%q, want username", ac)
		}
	}
	// An invalid field is described by an error message shown beside a
	// field of its form, the message the summary at the top also lists;
	// and each message of the summary that names a field is shown beside
	// the first field it names.
	summaries := find(doc, func(n *html.Node) bool { return attrOf(n, "role") == "alert" && hasClass(n, "form-errors") })
	listed := map[string]bool{}
	for _, s := range summaries {
		for _, li := range find(s, isElem(atom.Li)) {
			listed[textOf(li)] = true
		}
	}
	for _, c := range find(doc, hasAttr("aria-invalid", "true")) {
		described := false
		for ref := range strings.FieldsSeq(attrOf(c, "aria-describedby")) {
			if m := ids[ref]; m != nil && hasClass(m, "field-error") && listed[textOf(m)] &&
				ancestor(m, atom.Form) == ancestor(c, atom.Form) && !inside(m, summaries) {
				described = true
			}
		}
		if !described {
			bad("invalid field %q is not described by an error message beside a field", attrOf(c, "name"))
		}
	}
	for _, s := range summaries {
		for _, a := range find(s, isElem(atom.A)) {
			href := attrOf(a, "href")
			c := ids[strings.TrimPrefix(href, "#")]
			if c == nil {
				continue
			}
			beside := fieldOf(c)
			if beside == nil || len(find(beside, func(n *html.Node) bool { return hasClass(n, "field-error") && textOf(n) == textOf(a) })) != 1 {
				bad("the message %q is not shown once beside the field it links to", textOf(a))
			}
		}
	}
	if len(summaries) > 0 && len(find(doc, hasAttr("autofocus", ""))) == 0 {
		bad("the error summary is not focused")
	}
	if n := len(find(doc, func(n *html.Node) bool { _, ok := nodeAttr(n, "autofocus"); return ok })); n > 1 {
		bad("%d elements with autofocus, want at most 1", n)
	}

	// A form whose controls the browser could check leaves it to the
	// server, whose messages are in the summary and beside each field,
	// rather than a bubble of the browser's that goes away.
	for _, f := range find(doc, isElem(atom.Form)) {
		_, novalidate := nodeAttr(f, "novalidate")
		checked := find(f, func(n *html.Node) bool {
			_, req := nodeAttr(n, "required")
			return req || attrOf(n, "pattern") != "" || attrOf(n, "minlength") != ""
		})
		if len(checked) > 0 && !novalidate {
			bad("the form to %q has a control with required, pattern or minlength and no novalidate", attrOf(f, "action"))
		}
	}

	// Interactive elements: none inside another, buttons named apart.
	for _, n := range find(doc, isInteractive) {
		for p := n.Parent; p != nil; p = p.Parent {
			if isInteractive(p) {
				bad("<%s> %q inside <%s>", n.Data, textOf(n), p.Data)
			}
		}
	}
	// An element that is not a control but takes focus (a box whose text
	// scrolls) says what it is, and what it holds.
	for _, n := range find(doc, hasAttr("tabindex", "0")) {
		if !isInteractive(n) && (attrOf(n, "role") == "" || attrOf(n, "aria-label") == "" && attrOf(n, "aria-labelledby") == "") {
			bad("<%s class=%q tabindex=0> has no role or no name", n.Data, attrOf(n, "class"))
		}
	}
	names := map[string]bool{}
	for _, b := range find(doc, isElem(atom.Button)) {
		name := textOf(b)
		if name == "" {
			bad("a button without a name")
		}
		if names[name] {
			bad("two buttons named %q", name)
		}
		names[name] = true
	}
	for _, img := range find(doc, isElem(atom.Img)) {
		if _, ok := nodeAttr(img, "alt"); !ok {
			bad("<img> without alt")
		}
	}
	// Buttons armed late (see the one-click style) look dimmed and ignore
	// the pointer for a moment: the page says why, once.
	oneClick := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Form && hasClass(n, "one-click") })
	notes := find(doc, func(n *html.Node) bool { return hasClass(n, "arming-help") && textOf(n) != "" })
	if len(oneClick) > 0 && len(notes) != 1 {
		bad("%d one-click forms and %d notes saying that their buttons take a click a moment after the page opens, want 1", len(oneClick), len(notes))
	}
	for _, tbl := range find(doc, isElem(atom.Table)) {
		if len(find(tbl, isElem(atom.Th))) == 0 {
			bad("a <table> without header cells")
		}
	}
	return problems
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func isElem(a atom.Atom) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.DataAtom == a }
}

func isAnyElem(*html.Node) bool { return true }

func isHeading(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

func isInteractive(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.A:
		_, ok := nodeAttr(n, "href")
		return ok
	case atom.Button, atom.Select, atom.Textarea:
		return true
	case atom.Input:
		return attrOf(n, "type") != "hidden"
	}
	return false
}

func hasAttr(key, val string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := nodeAttr(n, key)
		return ok && (val == "" || v == val)
	}
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attrOf(n, "class")), class)
}

func nodeAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attrOf(n *html.Node, key string) string {
	v, _ := nodeAttr(n, key)
	return v
}

// textOf returns the text of n with white space collapsed, as an accessible
// name is computed from content.
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func ancestor(n *html.Node, a atom.Atom) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == a {
			return p
		}
	}
	return nil
}

// fieldOf returns the element of class "field" that holds control c, its
// label and its messages, or nil.
func fieldOf(c *html.Node) *html.Node {
	for p := c.Parent; p != nil; p = p.Parent {
		if hasClass(p, "field") {
			return p
		}
	}
	return nil
}

func inside(n *html.Node, within []*html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if slices.Contains(within, p) {
			return true
		}
	}
	return false
}

// TestNavCurrent: the main navigation marks the link to the page shown
// with aria-current="page" (WCAG 2.4.8, and where am I for a screen
// reader), also when a form of that page comes back with errors, and marks
// nothing on a page it has no link to.
func TestNavCurrent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	visitor, alice := newTab(t, srv), user(t, srv, "alice")
	id := alice.createItem("Notes", "text")
	for _, tc := range []struct {
		name string
		load func() response
		want string // href of the current link; "" for none
	}{
		{"home", func() response { return visitor.get("/") }, ""},
		{"login", func() response { return visitor.get("/login") }, "/login"},
		{"login errors", func() response {
			return visitor.submit("/login", "/login", url.Values{"username": {"alice"}, "password": {"not the password"}})
		}, "/login"},
		{"signup", func() response { return visitor.get("/signup") }, "/signup"},
		{"items", func() response { return alice.get("/items") }, "/items"},
		{"item", func() response { return alice.get("/items/" + id) }, ""},
		{"edit conflict", func() response {
			edit := "/items/" + id + "/edit"
			alice.submit(edit, edit, url.Values{"title": {"Notes"}, "body": {"theirs"}, "version": {"1"}})
			r := alice.submit(edit, edit, url.Values{"title": {"Notes"}, "body": {"mine"}, "version": {"1"}})
			if r.status != http.StatusConflict {
				t.Fatalf("edit from an old version: status %d, want %d", r.status, http.StatusConflict)
			}
			return r
		}, ""},
		{"activity", func() response { return alice.get("/activity") }, "/activity"},
		{"account", func() response { return alice.get("/account") }, "/account"},
		{"account errors", func() response {
			return alice.submit("/account", "/account/password", url.Values{"current_password": {"wrong"}})
		}, "/account"},
		{"sessions", func() response { return alice.get("/account/sessions") }, ""},
		{"404", func() response { return alice.get("/no-such-page") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tc.load().body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			navs := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Nav && attrOf(n, "aria-label") == "Main" })
			if len(navs) != 1 {
				t.Fatalf("%d main navigations, want 1", len(navs))
			}
			var got []string
			for _, a := range find(navs[0], hasAttr("aria-current", "")) {
				if attrOf(a, "aria-current") != "page" || a.DataAtom != atom.A {
					t.Errorf("<%s aria-current=%q>, want only <a aria-current=\"page\">", a.Data, attrOf(a, "aria-current"))
				}
				got = append(got, attrOf(a, "href"))
			}
			if want := slices.DeleteFunc([]string{tc.want}, func(s string) bool { return s == "" }); !slices.Equal(got, want) {
				t.Errorf("links marked current: %q, want %q", got, want)
			}
		})
	}
}

// TestEmptyFieldMessages: a form sent back with a required field left
// empty says, beside that field, what to enter there (WCAG 3.3.1, 3.3.3),
// not only that something is wrong, nor that what was entered is wrong.
func TestEmptyFieldMessages(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	item := "/items/" + alice.createItem("Notes", "text")
	const next = "a different long passphrase"
	for _, tc := range []struct {
		name  string
		load  func() response
		field string // id of the field left empty
		want  string
	}{
		{"share", func() response { return alice.get(item + "/share?with=") }, "with",
			"Enter the username of the person to share this item with."},
		{"share, blank", func() response { return alice.get(item + "/share?with=+") }, "with",
			"Enter the username of the person to share this item with."},
		{"share, posted", func() response {
			return alice.submit(item+"/share", item+"/share", url.Values{"action": {"add"}, "grantee": {""}})
		}, "with", "Enter the username of the person to share this item with."},
		{"current password", func() response {
			return alice.submit("/account", "/account/password", url.Values{"current_password": {""}, "new_password": {next}, "confirm_password": {next}})
		}, "current_password", "Enter your current password."},
		{"new password", func() response {
			return alice.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {""}, "confirm_password": {""}})
		}, "new_password", "Enter a new password."},
		{"confirmation", func() response {
			return alice.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {""}})
		}, "confirm_password", "Enter the new password again, to confirm it."},
		{"delete account", func() response {
			return alice.submit("/account/delete", "/account/delete", url.Values{"password": {""}})
		}, "password", "Enter your password to delete your account."},
	} {
		// Not parallel: the password checks share the account's throttle.
		t.Run(tc.name, func(t *testing.T) {
			r := tc.load()
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want %d", r.status, http.StatusUnprocessableEntity)
			}
			doc, err := html.Parse(strings.NewReader(r.body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var got []string
			for _, m := range find(doc, hasAttr("id", tc.field+"-error")) {
				got = append(got, textOf(m))
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("message beside %q: %q, want %q", tc.field, got, tc.want)
			}
		})
	}
}

// TestActivityLinks: on the activity page, a link to an item whose title
// the audit record does not hold (making it public, sharing it) is named
// by its row's action and time, after the words it shows, "the item"; so
// that a list of the page's links, as screen readers offer, tells them
// apart and says where each leads (WCAG 2.4.4, 2.5.3). The page reads
// nothing more than the log for it.
func TestActivityLinks(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	user(t, srv, "bob")
	for _, title := range []string{"Plan", "Notes"} {
		id := alice.createItem(title, "text")
		item := "/items/" + id
		if r := alice.submit(item+"/visibility", item+"/visibility", url.Values{"public": {"true"}, "version": {alice.version(item + "/visibility")}}); r.status != http.StatusSeeOther {
			t.Fatalf("make %s public: status %d", title, r.status)
		}
		alice.share(id, "bob")
	}
	doc, err := html.Parse(strings.NewReader(alice.get("/activity").body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var bare int
	for _, row := range find(doc, isElem(atom.Tr)) {
		cells := find(row, isElem(atom.Td))
		links := find(row, isElem(atom.A))
		if len(cells) < 2 || len(links) == 0 {
			continue
		}
		when, label, a := textOf(cells[0]), textOf(find(cells[1], isElem(atom.Strong))[0]), links[0]
		name := textOf(a)
		var shown strings.Builder
		for d := range a.Descendants() {
			if d.Type == html.TextNode && !inside(d, find(a, func(n *html.Node) bool { return hasClass(n, "visually-hidden") })) {
				shown.WriteString(d.Data)
			}
		}
		if name == "Plan" || name == "Notes" {
			continue // the title, kept by the record of a creation or an edit
		}
		bare++
		if !strings.HasPrefix(name, "the item") || !strings.HasPrefix(name, strings.TrimSpace(shown.String())) ||
			!strings.Contains(name, label) || !strings.Contains(name, when) {
			t.Errorf("the link to %s in the row %q, %q is named %q, showing %q; want a name that begins with what it shows, \"the item\", and gives the action and the time",
				attrOf(a, "href"), when, label, name, shown.String())
		}
	}
	if bare != 4 {
		t.Errorf("%d links to an item without its title, want 4 (two made public, two shared)", bare)
	}
}
