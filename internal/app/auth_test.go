package app_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

const goodPassword = "correct horse battery"

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	b := newBrowser(t, srv)

	if r := b.get("/"); r.status != http.StatusOK || !strings.Contains(r.body, "Create an account") {
		t.Fatalf("GET / logged out: status %d, want 200 landing page", r.status)
	}
	r := b.signup("alice", goodPassword)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
		t.Fatalf("signup: status %d Location %q, want 303 /items\n%s", r.status, r.header.Get("Location"), r.body)
	}
	if !b.loggedIn() {
		t.Fatal("not logged in after signup")
	}
	if r := b.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
		t.Errorf("GET / logged in: status %d Location %q, want 303 /items", r.status, r.header.Get("Location"))
	}
	u, err := env.Store.GetUser(t.Context(), "alice")
	if err != nil {
		t.Fatalf("GetUser after signup: %v", err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") || strings.Contains(u.PasswordHash, goodPassword) {
		t.Errorf("stored password hash %q, want an argon2id PHC string", u.PasswordHash)
	}

	if r := b.logout(); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("logout: status %d Location %q, want 303 /", r.status, r.header.Get("Location"))
	}
	if b.loggedIn() {
		t.Fatal("still logged in after logout")
	}

	if r := b.login("alice", goodPassword); r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
		t.Fatalf("login: status %d Location %q, want 303 /items\n%s", r.status, r.header.Get("Location"), r.body)
	}
	if !b.loggedIn() {
		t.Fatal("not logged in after login")
	}
}

// TestSignup_ReservedNames: names that would make an account pass for the
// service in the lists of the people it shares with ("Shared by support")
// cannot be signed up; an account that already has one still logs in.
func TestSignup_ReservedNames(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	for _, name := range []string{"admin", "support", "security", "clickguard", "clickguard-team", "the_clickguard_staff"} {
		r := newBrowser(t, srv).signup(name, goodPassword)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "reserved") {
			t.Errorf("sign up %q: status %d, want 422 saying the name is reserved", name, r.status)
		}
	}
	if r := newBrowser(t, srv).signup("supporter", goodPassword); r.status != http.StatusSeeOther {
		t.Errorf("sign up %q: status %d, want 303", "supporter", r.status)
	}
	hash, err := app.HashPasswordForTest(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.CreateUser(t.Context(), store.User{Username: "admin", PasswordHash: hash}, store.Actor{Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	if r := newBrowser(t, srv).login("admin", goodPassword); r.status != http.StatusSeeOther {
		t.Errorf("login of an existing account named admin: status %d, want 303", r.status)
	}
}

// TestLogin_returns: a visitor sent from a page to log in returns to it
// afterwards, query and all; a return address that is not one of the
// application's own pages of a logged-in user (another site, however
// written, a confirmation page, a public page, no page) lands on the list of
// items, and is not carried by the login form.
func TestLogin_returns(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	id := user(t, srv, "alice").createItem("Groceries", "eggs")
	actionRE := regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	action := func(r response) string {
		t.Helper()
		m := actionRE.FindStringSubmatch(r.body)
		if r.status != http.StatusOK || m == nil {
			t.Fatalf("login page: status %d, no form\n%s", r.status, r.body)
		}
		return html.UnescapeString(m[1])
	}
	// login logs in through the login page at path, as a person would.
	login := func(b *browser, path string) response {
		t.Helper()
		return b.submit(path, action(b.get(path)), url.Values{"username": {"alice"}, "password": {testPassword}})
	}

	page := "/items/" + id + "?q=a%20b&x=1"
	b := newTab(t, srv)
	r := b.get(page)
	wantLogin := "/login?next=" + url.QueryEscape(page)
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != wantLogin {
		t.Fatalf("GET %s logged out: status %d Location %q; want 303 %s", page, r.status, loc, wantLogin)
	}
	const says = "The page you opened needs you to be logged in; you will go on to it."
	loginPage := b.get(wantLogin)
	if got, err := url.Parse(action(loginPage)); err != nil || got.Path != "/login" || got.Query().Get("next") != page {
		t.Errorf("the login form posts to %v (%v); want /login with next=%s", got, err, page)
	}
	if !strings.Contains(loginPage.body, says) {
		t.Errorf("the login page with a page to return to does not say %q", says)
	}
	if r := login(b, wantLogin); r.status != http.StatusSeeOther || r.header.Get("Location") != page {
		t.Fatalf("log in from %s: status %d Location %q; want 303 %s", wantLogin, r.status, r.header.Get("Location"), page)
	}
	if r := b.get(wantLogin); r.status != http.StatusSeeOther || r.header.Get("Location") != page {
		t.Errorf("GET %s logged in: status %d Location %q; want 303 %s", wantLogin, r.status, r.header.Get("Location"), page)
	}

	// A confirmation page is not returned to.
	confirm := "/items/" + id + "/delete"
	if r := newTab(t, srv).navigate(http.MethodGet, confirm, "same-origin"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Errorf("GET %s logged out: status %d Location %q; want 303 /login", confirm, r.status, r.header.Get("Location"))
	}

	for _, next := range []string{
		"//evil.example/",
		"/\\evil.example/",
		"/\t/evil.example/",
		"/%09/evil.example/",
		"https://evil.example/items",
		"http:/items",
		"items",
		"/items/../items",
		"/items/" + id + "/delete",
		"/items/" + id + "/share?with=mallory",
		"/login",
		"/p/" + id,
		"/embed/" + id,
		"/no-such-page",
		"/items?" + strings.Repeat("x", 2048),
	} {
		path := "/login?next=" + url.QueryEscape(next)
		b := newTab(t, srv)
		if r := b.get(path); action(r) != "/login" || strings.Contains(r.body, says) {
			t.Errorf("next=%q: the login form posts to %q, or the page speaks of going on; want /login, and no word of it", next, action(r))
		}
		if r := login(b, path); r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
			t.Errorf("log in with next=%q: status %d Location %q; want 303 /items", next, r.status, r.header.Get("Location"))
		}
	}
}

// TestSignup_returns: a visitor sent to log in from a page who has no
// account yet goes on to that page once the account is made, through the
// login page's link to the sign-up page; what the login page refuses to
// return to, the sign-up page refuses too.
func TestSignup_returns(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	find := func(r response, re *regexp.Regexp, what string) string {
		t.Helper()
		m := re.FindStringSubmatch(r.body)
		if r.status != http.StatusOK || m == nil {
			t.Fatalf("%s: status %d, not found\n%s", what, r.status, r.body)
		}
		return html.UnescapeString(m[1])
	}
	signupLink := regexp.MustCompile(`<p class="muted">New here\? <a href="([^"]*)"`)
	loginLink := regexp.MustCompile(`Already have an account\? <a href="([^"]*)"`)
	headerSignup := regexp.MustCompile(`<a class="button button-small" href="([^"]*)"[^>]*>Sign up</a>`)
	headerLogin := regexp.MustCompile(`<li><a href="([^"]*)"[^>]*>Log in</a>`)
	formAction := regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	const says = "once your account is made, you will go on to it."

	page := "/items/new?from=a%20link"
	b := newTab(t, srv)
	toLogin := b.get(page).header.Get("Location")
	signup := find(b.get(toLogin), signupLink, "the login page's link to sign up")
	// goesOn reports whether link is path with page as its next parameter.
	goesOn := func(link, path, page string) bool {
		u, err := url.Parse(link)
		return err == nil && u.Path == path && u.Query().Get("next") == page && len(u.Query()) == 1
	}
	if !goesOn(signup, "/signup", page) {
		t.Fatalf("the login page from %s links to %q to sign up; want /signup with next=%s", page, signup, page)
	}
	if got := find(b.get(toLogin), headerSignup, "the header's link to sign up"); !goesOn(got, "/signup", page) {
		t.Errorf("the header of the login page from %s links to %q to sign up; want /signup with next=%s", page, got, page)
	}
	signupPage := b.get(signup)
	if !strings.Contains(signupPage.body, says) {
		t.Errorf("the sign-up page with a page to go on to does not say %q", says)
	}
	for what, re := range map[string]*regexp.Regexp{"the sign-up page's link to log in": loginLink, "the header's link to log in": headerLogin} {
		if got := find(signupPage, re, what); !goesOn(got, "/login", page) {
			t.Errorf("%s is %q; want /login with next=%s", what, got, page)
		}
	}
	action := find(signupPage, formAction, "the sign-up form")
	if !goesOn(action, "/signup", page) {
		t.Errorf("the sign-up form posts to %q; want /signup with next=%s", action, page)
	}
	r := b.submit(signup, action, url.Values{"username": {"newcomer"}, "password": {testPassword}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != page {
		t.Fatalf("sign up from %s: status %d Location %q; want 303 %s", signup, r.status, r.header.Get("Location"), page)
	}
	if r := b.get(signup); r.status != http.StatusSeeOther || r.header.Get("Location") != page {
		t.Errorf("GET %s signed up: status %d Location %q; want 303 %s", signup, r.status, r.header.Get("Location"), page)
	}

	for i, next := range []string{"//evil.example/", "/p/x", "/account/delete", "/no-such-page"} {
		path := "/signup?next=" + url.QueryEscape(next)
		b := newTab(t, srv)
		p := b.get(path)
		action := find(p, formAction, "the sign-up form")
		if action != "/signup" || strings.Contains(p.body, says) || find(p, loginLink, "the link to log in") != "/login" || find(p, headerLogin, "the header's link to log in") != "/login" {
			t.Errorf("next=%q: the sign-up form posts to %q, its link to log in or its words carry the page; want neither", next, action)
		}
		r := b.submit(path, action, url.Values{"username": {fmt.Sprintf("refused%d", i)}, "password": {testPassword}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
			t.Errorf("sign up with next=%q: status %d Location %q; want 303 /items", next, r.status, r.header.Get("Location"))
		}
	}
}

// TestLogin_normalizedPassword: a password set with "é" written as "e" and
// a combining accent (as some keyboards send it) logs in typed with "é" as
// one character, and with its digits full-width; another password does not.
func TestLogin_normalizedPassword(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	if r := newBrowser(t, srv).signup("zoe", "Passwort fu\u0308r Cafe\u0301 2026"); r.status != http.StatusSeeOther {
		t.Fatalf("sign up: status %d, want 303", r.status)
	}
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"Passwort f\u00fcr Caf\u00e9 2026", true},
		{"Passwort f\u00fcr Caf\u00e9 \uff12\uff10\uff12\uff16", true},
		{"Passwort fur Cafe 2026", false},
	} {
		b := newTab(t, srv)
		if r := b.login("zoe", tc.password); b.loggedIn() != tc.ok {
			t.Errorf("login with %+q: status %d, logged in %v; want %v", tc.password, r.status, b.loggedIn(), tc.ok)
		}
	}
}

// TestLogin_capitals: usernames are lower case, and one typed with
// capitals logs in to the same account; no other character folds into a
// username (the Kelvin sign, which Unicode lowers to "k", does not).
func TestLogin_capitals(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	user(t, srv, "kate")
	for _, typed := range []string{"Kate", " KATE ", "kAtE"} {
		b := newTab(t, srv)
		if r := b.login(typed, testPassword); r.status != http.StatusSeeOther || !b.loggedIn() {
			t.Errorf("login as %q: status %d; want 303 and logged in as kate", typed, r.status)
		}
	}
	if r := newTab(t, srv).login("\u212Aate", testPassword); r.status != http.StatusUnauthorized {
		t.Errorf("login with a Kelvin sign for the k: status %d, want 401", r.status)
	}
}

func TestLoginFailureRevealsNothing(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	newBrowser(t, srv).signup("bob", goodPassword)

	wrongPassword := newBrowser(t, srv).login("bob", "wrong password!")
	noSuchUser := newBrowser(t, srv).login("nobody", "wrong password!")
	for name, r := range map[string]response{"wrong password": wrongPassword, "unknown user": noSuchUser} {
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want %d", name, r.status, http.StatusUnauthorized)
		}
		if !strings.Contains(r.body, "The username or password is not correct.") {
			t.Errorf("%s: page lacks the one failure message", name)
		}
	}
	// The pages differ only in the token and request ID.
	strip := func(s string) string {
		s = tokenRE.ReplaceAllString(s, "")
		if i := strings.Index(s, "Request ID"); i >= 0 {
			s = s[:i]
		}
		return strings.ReplaceAll(s, "nobody", "bob")
	}
	if strip(wrongPassword.body) != strip(noSuchUser.body) {
		t.Error("the failure page for an unknown user differs from the one for a wrong password")
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		strict   bool
		sameSite http.SameSite
	}{
		{"lax by default", false, http.SameSiteLaxMode},
		{"strict by flag", true, http.SameSiteStrictMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, newEnv(t), app.Config{SameSiteStrict: tc.strict})
			b := newBrowser(t, srv)
			r := b.get("/signup") // the form's token starts a session
			resp := http.Response{Header: r.header}
			var c *http.Cookie
			for _, rc := range resp.Cookies() {
				if rc.Name == "__Host-session" {
					c = rc
				}
			}
			if c == nil {
				t.Fatalf("GET /signup set no __Host-session cookie; Set-Cookie: %q", r.header.Values("Set-Cookie"))
			}
			if !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != tc.sameSite {
				t.Errorf("cookie Secure=%v HttpOnly=%v Path=%q Domain=%q SameSite=%v, want true true \"/\" \"\" %v",
					c.Secure, c.HttpOnly, c.Path, c.Domain, c.SameSite, tc.sameSite)
			}
			if got := r.header.Get("Vary"); !strings.Contains(got, "Cookie") {
				t.Errorf("Vary = %q, want Cookie", got)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

// TestSessionFixation: the session token changes at login, and the token a
// visitor had before logging in is not logged in.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	newBrowser(t, srv).signup("carol", goodPassword)

	b := newBrowser(t, srv)
	b.get("/login")
	before := b.cookie()
	if before == "" {
		t.Fatal("no session before login")
	}
	if r := b.login("carol", goodPassword); r.status != http.StatusSeeOther {
		t.Fatalf("login: status %d, want 303", r.status)
	}
	after := b.cookie()
	if after == "" || after == before {
		t.Fatalf("session token at login: before %q, after %q; want a new token", before, after)
	}
	attacker := newBrowser(t, srv)
	attacker.setCookie(before)
	if attacker.loggedIn() {
		t.Error("the pre-login token is logged in")
	}
	if !b.loggedIn() {
		t.Error("the new token is not logged in")
	}
}

// TestLogoutEndsSessionServerSide: a copy of the cookie kept from before the
// logout is worthless afterwards.
func TestLogoutEndsSessionServerSide(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	b := newBrowser(t, srv)
	b.signup("dave", goodPassword)
	stolen := b.cookie()
	b.logout()
	thief := newBrowser(t, srv)
	thief.setCookie(stolen)
	if thief.loggedIn() {
		t.Error("session still valid after logout")
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  app.Config
	}{
		{"idle timeout", app.Config{SessionIdle: time.Second}},
		{"absolute lifetime", app.Config{SessionLifetime: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, newEnv(t), tc.cfg)
			b := newBrowser(t, srv)
			b.signup("erin", goodPassword)
			token := b.cookie()
			// Expiry is stored in whole seconds and enforced on read.
			time.Sleep(2100 * time.Millisecond)
			// The browser would drop the expired cookie; send it anyway, as
			// an attacker with a copy would.
			b.setCookie(token)
			if b.loggedIn() {
				t.Error("expired session accepted")
			}
		})
	}
}

// TestTwoInstances: two app instances on one DynamoDB are one application:
// a session made on one works on the other, and logout on either ends it on
// both.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	one, two := newServer(t, env, app.Config{}), newServer(t, env, app.Config{})
	b1 := newBrowser(t, one)
	b1.signup("frank", goodPassword)
	b1.logout()
	b1.login("frank", goodPassword)

	b2 := newBrowser(t, two)
	b2.setCookie(b1.cookie())
	if !b2.loggedIn() {
		t.Fatal("session from instance one is not logged in on instance two")
	}
	if r := b2.logout(); r.status != http.StatusSeeOther {
		t.Fatalf("logout on instance two: status %d, want 303", r.status)
	}
	if b1.loggedIn() {
		t.Error("logout on instance two left the session alive on instance one")
	}
}

// TestLoginThrottle: after the policy's number of failures, logins for the
// account are refused (even with the right password), also on another
// instance and from another address; and so are logins from the address.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: 3}); err != nil {
		t.Fatal(err)
	}
	win := pinWindow(env, time.Hour)
	one := newServer(t, env, app.Config{})
	newBrowser(t, one).signup("grace", goodPassword)
	newBrowser(t, one).signup("heidi", goodPassword)
	for i := range 3 {
		if r := newBrowser(t, one).login("grace", "not the password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, r.status)
		}
	}
	two := newServer(t, env, app.Config{})
	for _, tc := range []struct {
		name string
		srv  *testServer
		user string
	}{
		{"same account, right password", one, "grace"},
		{"same account, other instance", two, "grace"},
		{"other account, same address", one, "heidi"},
	} {
		before := time.Now()
		r := newBrowser(t, tc.srv).login(tc.user, goodPassword)
		if r.status != http.StatusTooManyRequests {
			t.Errorf("%s: status %d, want 429", tc.name, r.status)
		}
		if !strings.Contains(r.body, "too many failed log-in attempts") {
			t.Errorf("%s: page does not say why", tc.name)
		}
		checkRetryAfter(t, tc.name, r, win, before, time.Now())
	}
}

// TestBadInput: every mistake is a 4xx page that says what to fix, never a
// 500, and nothing is written to the data table.
func TestBadInput(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{MaxBodyBytes: 64 << 10})
	newBrowser(t, srv).signup("taken", goodPassword)
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		says       string
	}{
		{"signup empty", "/signup", url.Values{}, 422, "Enter a username."},
		{"signup short username", "/signup", url.Values{"username": {"ab"}, "password": {goodPassword}}, 422, "3 to 32 characters"},
		{"signup long username", "/signup", url.Values{"username": {long}, "password": {goodPassword}}, 422, "3 to 32 characters"},
		{"signup upper case", "/signup", url.Values{"username": {"Alice"}, "password": {goodPassword}}, 422, "lower-case letters"},
		{"signup bad character", "/signup", url.Values{"username": {"al ice"}, "password": {goodPassword}}, 422, "lower-case letters"},
		{"signup leading dash", "/signup", url.Values{"username": {"-alice"}, "password": {goodPassword}}, 422, "start with a letter or a digit"},
		{"signup short password", "/signup", url.Values{"username": {"ivan"}, "password": {"short"}}, 422, "at least 12 characters"},
		{"signup long password", "/signup", url.Values{"username": {"ivan"}, "password": {long}}, 422, "at most 256 characters"},
		{"signup long password in characters", "/signup", url.Values{"username": {"ivan"}, "password": {strings.Repeat("漢", 257)}}, 422, "at most 256 characters"},
		{"signup invalid utf-8", "/signup", url.Values{"username": {"ivan"}, "password": {"\xff\xfe" + goodPassword}}, 422, "not valid text"},
		{"signup taken", "/signup", url.Values{"username": {"taken"}, "password": {goodPassword}}, 409, "That username is taken"},
		{"signup huge body", "/signup", url.Values{"username": {"ivan"}, "password": {strings.Repeat("x", 100<<10)}}, 413, "larger than clickguard accepts"},
		{"login empty", "/login", url.Values{}, 422, "Enter your username and your password."},
		{"login long username", "/login", url.Values{"username": {long}, "password": {goodPassword}}, 401, "not correct"},
		{"login huge body", "/login", url.Values{"username": {"ivan"}, "password": {strings.Repeat("x", 100<<10)}}, 413, "larger than clickguard accepts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dataItems(t, env)
			r := newBrowser(t, srv).submit(tc.path, tc.path, tc.form)
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			if !strings.Contains(r.body, tc.says) {
				t.Errorf("page does not say %q:\n%s", tc.says, r.body)
			}
			if after := dataItems(t, env); after != before {
				t.Errorf("data table has %d records after the request, %d before", after, before)
			}
		})
	}
	if strings.Contains(srv.logs.String(), "level=ERROR") {
		t.Errorf("bad input logged an error:\n%s", srv.logs.String())
	}
}

// TestPassword_characters: the password limit counts characters, as the
// form says, not bytes: 256 three-byte characters sign up and log in.
func TestPassword_characters(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	b := newBrowser(t, srv)
	password := strings.Repeat("漢", 256)
	if r := b.signup("kanji", password); r.status != http.StatusSeeOther {
		t.Fatalf("signup with 256 characters (768 bytes): status %d", r.status)
	}
	b.logout()
	if r := b.login("kanji", password); r.status != http.StatusSeeOther {
		t.Errorf("login with 256 characters (768 bytes): status %d", r.status)
	}
}

// TestBodyLimit_parts: a multipart body within the size limit but of more
// parts than net/http reads is a 413 too, not the page of a form whose
// session ended, and saves nothing.
func TestBodyLimit_parts(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	before := dataItems(t, env)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", tokenIn(alice.get("/items/new").body))
	mw.WriteField("title", "parts")
	for range 1000 {
		mw.WriteField("body", "x")
	}
	mw.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, alice.base+"/items", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", alice.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	r := alice.do(req)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than clickguard accepts") {
		t.Errorf("status %d, want 413 saying so:\n%s\n%s", r.status, r.body, srv.logs.String())
	}
	if after := dataItems(t, env); after != before {
		t.Errorf("data table has %d records after the request, %d before", after, before)
	}
}

// TestBodyLimit_undeclared: a body over the limit that does not say its
// length (chunked) is a 413 too, wherever the token is in it, and saves
// nothing.
func TestBodyLimit_undeclared(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{MaxBodyBytes: 64 << 10})
	visitor := newBrowser(t, srv)
	alice := user(t, srv, "alice")
	huge := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name           string
		b              *browser
		formPage, path string
		field          string
	}{
		{"signup", visitor, "/signup", "/signup", "password"},
		{"new item", alice, "/items/new", "/items", "body"},
	} {
		for _, tokenFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/token first %v", tc.name, tokenFirst), func(t *testing.T) {
				before := dataItems(t, env)
				tok := "csrf_token=" + url.QueryEscape(tokenIn(tc.b.get(tc.formPage).body))
				body := "username=ivan&title=big&" + tc.field + "=" + huge
				if tokenFirst {
					body = tok + "&" + body
				} else {
					body += "&" + tok
				}
				// An io.Reader the client cannot measure: the body goes
				// chunked, with no Content-Length.
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tc.b.base+tc.path, io.MultiReader(strings.NewReader(body)))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", tc.b.base)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				r := tc.b.do(req)
				if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than clickguard accepts") {
					t.Errorf("status %d, want 413 saying so:\n%s\n%s", r.status, r.body, srv.logs.String())
				}
				if after := dataItems(t, env); after != before {
					t.Errorf("data table has %d records after the request, %d before", after, before)
				}
			})
		}
	}
}
