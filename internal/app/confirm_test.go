package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
)

var (
	formRE  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE = regexp.MustCompile(`(?is)<(input|textarea|select)\b([^>]*)>`)
	attrRE  = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b` + name + `="([^"]*)"`)
	}
	methodRE, actionRE, typeRE, autoRE, classRE = attrRE("method"), attrRE("action"), attrRE("type"), attrRE("autocomplete"), attrRE("class")
	hiddenAttrRE                                = regexp.MustCompile(`(?i)\shidden(\s|>|$)`)
)

func attr(re *regexp.Regexp, tag string) string {
	if m := re.FindStringSubmatch(tag); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// oneClickForm is a form on a page that posts with one click: every field is
// hidden, preset (a radio or checkbox) or filled in by the browser's
// password manager (the username and current password).
type oneClickForm struct {
	action string
	// armed reports whether the form has the one-click class, whose style
	// makes its buttons ignore the pointer for the page's first second.
	armed bool
}

// oneClickForms returns the one-click forms of a page. The header's logout
// form is left out: it only ends the session.
func oneClickForms(body string) []oneClickForm {
	var forms []oneClickForm
	for _, f := range formRE.FindAllStringSubmatch(body, -1) {
		if attr(methodRE, f[1]) != "post" || attr(actionRE, f[1]) == "/logout" {
			continue
		}
		oneClick := true
		for _, in := range inputRE.FindAllStringSubmatch(f[2], -1) {
			tag, attrs := strings.ToLower(in[1]), in[2]
			switch {
			case tag != "input":
				oneClick = false
			case hiddenAttrRE.MatchString(attrs + ">"):
			default:
				switch attr(typeRE, attrs) {
				case "hidden", "radio", "checkbox", "submit":
				default:
					if a := attr(autoRE, attrs); a != "current-password" && a != "username" {
						oneClick = false
					}
				}
			}
		}
		if oneClick {
			armed := slices.Contains(strings.Fields(attr(classRE, f[1])), "one-click")
			forms = append(forms, oneClickForm{action: attr(actionRE, f[1]), armed: armed})
		}
	}
	return forms
}

// confirmationFixture is a user with an item shared with bob and an item
// bob shared with them, and the path of every GET route for that user.
type confirmationFixture struct {
	alice *browser
	paths map[string][]string // GET pattern → paths to load
}

func newConfirmationFixture(t *testing.T, srv *testServer) confirmationFixture {
	t.Helper()
	alice, bob := user(t, srv, "alice"), user(t, srv, "bob")
	id := alice.createItem("Plan", "private text")
	alice.share(id, "bob")
	theirs := bob.createItem("Bob's plan", "shared text")
	bob.share(theirs, "alice")
	m := staticRE.FindStringSubmatch(alice.get("/items").body)
	if m == nil {
		t.Fatal("no stylesheet link on /items")
	}
	f := confirmationFixture{alice: alice, paths: map[string][]string{}}
	for _, rt := range app.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		switch rt.Pattern {
		case "/items/{id}/leave":
			// Only a grantee has this page.
			f.paths[rt.Pattern] = []string{fill(rt.Pattern, theirs, m[1])}
		case "/account/sessions":
			// The list has a button for each session but this one.
			loginAgain(t, srv, "alice")
			f.paths[rt.Pattern] = []string{rt.Pattern}
		case "/items/{id}/share":
			// The list of grantees, and the page that shares with one.
			p := fill(rt.Pattern, id, m[1])
			f.paths[rt.Pattern] = []string{p, p + "?with=carol"}
		default:
			f.paths[rt.Pattern] = []string{fill(rt.Pattern, id, m[1])}
		}
	}
	user(t, srv, "carol")
	return f
}

// TestConfirmationPages: every GET page on which one click changes state is
// a confirmation page, and every confirmation page has such a click, whose
// form is armed (see the one-click style).
func TestConfirmationPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	f := newConfirmationFixture(t, srv)
	for _, rt := range app.Routes() {
		if rt.Method != http.MethodGet {
			if rt.Confirms {
				t.Errorf("%s %s: only GET pages are confirmation pages", rt.Method, rt.Pattern)
			}
			continue
		}
		var found []oneClickForm
		for _, p := range f.paths[rt.Pattern] {
			r := f.alice.get(p)
			if r.status != http.StatusOK {
				continue
			}
			found = append(found, oneClickForms(r.body)...)
			// The header's Log out, on every signed-in page, is armed
			// without the dimming.
			for _, fm := range formRE.FindAllStringSubmatch(r.body, -1) {
				if attr(actionRE, fm[1]) == "/logout" && !slices.Contains(strings.Fields(attr(classRE, fm[1])), "one-click-quiet") {
					t.Errorf("GET %s: the Log out form lacks the one-click-quiet class", p)
				}
			}
		}
		for _, form := range found {
			if rt.Confirms && !form.armed {
				t.Errorf("GET %s: the form posting to %s lacks the one-click class", rt.Pattern, form.action)
			}
		}
		switch {
		case len(found) > 0 && !rt.Confirms:
			t.Errorf("GET %s has one-click forms %v; mark it Confirms", rt.Pattern, found)
		case len(found) == 0 && rt.Confirms:
			t.Errorf("GET %s is marked Confirms but has no one-click form", rt.Pattern)
		}
	}
}

// TestConfirmationRefusal: a confirmation page opened from another site
// (cross-site or same-site, GET or HEAD) is refused before its handler runs,
// with a 403 that changes nothing, offers no form and links to the page it
// confirms from; opened from the application, the address bar, or by a
// client without Fetch Metadata, it is served. The unprotected build serves
// it from anywhere.
func TestConfirmationRefusal(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	f := newConfirmationFixture(t, srv)
	n := 0
	for _, rt := range app.Routes() {
		if !rt.Confirms {
			continue
		}
		n++
		for _, p := range f.paths[rt.Pattern] {
			for _, site := range []string{"cross-site", "same-site"} {
				r := f.alice.navigate(http.MethodGet, p, site)
				if r.status != http.StatusForbidden {
					t.Errorf("GET %s from %s: status %d, want 403", p, site, r.status)
					continue
				}
				if !strings.Contains(r.body, "opens only from clickguard&#39;s own pages") {
					t.Errorf("GET %s from %s: the refusal does not say why:\n%s", p, site, r.body)
				}
				// The way on is the page the confirmation is opened from
				// (not just any link: the header links /account too).
				parent := p[:strings.LastIndex(strings.SplitN(p, "?", 2)[0], "/")]
				if parent == "" {
					parent = "/account" // /export
				}
				if !strings.Contains(r.body, `<a class="button" href="`+parent+`">`) {
					t.Errorf("GET %s from %s: the refusal does not lead to %s", p, site, parent)
				}
				if forms := oneClickForms(r.body); len(forms) > 0 {
					t.Errorf("GET %s from %s: the refusal has one-click forms %v", p, site, forms)
				}
				if xfo := r.header.Get("X-Frame-Options"); xfo != "DENY" {
					t.Errorf("GET %s from %s: X-Frame-Options %q, want DENY", p, site, xfo)
				}
				if h := f.alice.navigate(http.MethodHead, p, site); h.status != http.StatusForbidden {
					t.Errorf("HEAD %s from %s: status %d, want 403", p, site, h.status)
				}
			}
			for _, site := range []string{"same-origin", "none", ""} {
				if r := f.alice.navigate(http.MethodGet, p, site); r.status != http.StatusOK {
					t.Errorf("GET %s with Sec-Fetch-Site %q: status %d, want 200", p, site, r.status)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no route is marked Confirms")
	}

	// An {id} that is not an item id, made to climb out of its segment: the
	// refusal's link must not lead to another confirmation page.
	id := strings.TrimPrefix(f.paths["/items/{id}/delete"][0], "/items/")
	id = strings.TrimSuffix(id, "/delete")
	for _, crafted := range []string{
		"/items/..%2Fitems%2F" + id + "%2Fdelete/delete",
		"/items/..%2F..%2Faccount%2Fdelete/share",
		"/items/" + strings.ToLower(id) + "/visibility",
	} {
		r := f.alice.navigate(http.MethodGet, crafted, "cross-site")
		if r.status != http.StatusForbidden {
			t.Errorf("GET %s from cross-site: status %d, want 403", crafted, r.status)
			continue
		}
		if !strings.Contains(r.body, `href="/items"`) || strings.Contains(r.body, "/delete") {
			t.Errorf("GET %s from cross-site: the refusal links elsewhere than /items:\n%s", crafted, r.body)
		}
	}

	// The unprotected build has no tokens: its forms post without one.
	open := newTab(t, newServer(t, newEnv(t), app.Config{Unprotected: true}))
	if r := open.postRaw("/signup", url.Values{"username": {"dave"}, "password": {testPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("unprotected build, signup: status %d", r.status)
	}
	r := open.postRaw("/items", url.Values{"title": {"Plan"}, "body": {"text"}})
	p := r.header.Get("Location") + "/delete"
	if r := open.navigate(http.MethodGet, p, "cross-site"); r.status != http.StatusOK {
		t.Errorf("unprotected build, GET %s from cross-site: status %d, want 200", p, r.status)
	}
}
