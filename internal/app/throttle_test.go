package app_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// tryPost is postRaw for another goroutine than the test's: it returns the
// error instead of ending the test.
func (b *browser) tryPost(path string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestLoginThrottle_Parallel: wrong guesses sent all at once cannot outrun
// the throttle. Each takes its slot before its password is checked, so of
// n parallel guesses against one account exactly the limit are checked
// (401) and the rest refused (429), however long the check takes.
func TestLoginThrottle_Parallel(t *testing.T) {
	t.Parallel()
	const limit, n = 5, 30
	// The address limit is out of the way: every request comes from
	// 127.0.0.1.
	env, _ := throttledEnv(t, limit, 1000)
	// Each check spends some argon2id time (1 MiB), as a real one does, so
	// that the guesses are all in flight together.
	srv := newServer(t, env, app.Config{Password: app.PasswordParams{Memory: 1 << 10, Time: 1, Threads: 1}})
	newBrowser(t, srv).signup("victim", goodPassword)

	forms := make([]url.Values, n)
	browsers := make([]*browser, n)
	for i := range n {
		browsers[i] = newBrowser(t, srv)
		tok := tokenIn(browsers[i].get("/login").body)
		forms[i] = url.Values{"csrf_token": {tok}, "username": {"victim"}, "password": {"wrong guess " + tok[:8]}}
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			status, err := browsers[i].tryPost("/login", forms[i])
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusUnauthorized] != limit || statuses[http.StatusTooManyRequests] != n-limit || len(statuses) != 2 {
		t.Errorf("%d parallel wrong guesses, limit %d: statuses %v, want %d × 401 and %d × 429", n, limit, statuses, limit, n-limit)
	}
}

// TestLoginThrottle_RightPassword: a right password after failures logs in
// and does not use up any of the limit; only failures do.
func TestLoginThrottle_RightPassword(t *testing.T) {
	t.Parallel()
	env, _ := throttledEnv(t, 3, 1000)
	srv := newServer(t, env, app.Config{})
	newBrowser(t, srv).signup("grace", goodPassword)
	for i := range 2 {
		if r := newBrowser(t, srv).login("grace", "not the password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, r.status)
		}
	}
	b := newBrowser(t, srv)
	if r := b.login("grace", goodPassword); r.status != http.StatusSeeOther || !b.loggedIn() {
		t.Fatalf("right password after 2 of 3 failures: status %d, logged in %v; want 303 and logged in", r.status, b.loggedIn())
	}
	n, err := env.Store.LoginFailures(t.Context(), store.UserThrottleKey("grace"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("after 2 failures and a success the account counts %d attempts, want 2", n)
	}
	if r := newBrowser(t, srv).login("grace", "not the password"); r.status != http.StatusUnauthorized {
		t.Errorf("third failure: status %d, want 401 (the success used none of the limit)", r.status)
	}
	if r := newBrowser(t, srv).login("grace", goodPassword); r.status != http.StatusTooManyRequests {
		t.Errorf("right password after 3 of 3 failures: status %d, want 429", r.status)
	}
}

// TestLogin_FailedAttemptsNotice: a login tells the account's owner, on the
// next page and in the activity log, how many failed attempts the account
// had in the throttle window, and since when; a clean login tells nothing,
// and a failed one never does.
func TestLogin_FailedAttemptsNotice(t *testing.T) {
	t.Parallel()
	env, win := throttledEnv(t, 5, 1000)
	srv := newServer(t, env, app.Config{})
	tests := []struct {
		name     string
		failures int
		notice   string // with %s for the window's start; "" for none
		detail   string
	}{
		{"none", 0, "", ""},
		{"one", 1, "There was 1 failed log-in attempt for your account since %s. If that was not you, look at Activity and change your password under Account.", "after 1 failed attempt since %s"},
		{"two", 2, "There were 2 failed log-in attempts for your account since %s. If that was not you, look at Activity and change your password under Account.", "after 2 failed attempts since %s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := "user-" + tc.name
			user(t, srv, name)
			for i := range tc.failures {
				r := newTab(t, srv).login(name, "not the password")
				if r.status != http.StatusUnauthorized || strings.Contains(r.body, "failed log-in attempt") {
					t.Fatalf("failure %d: status %d, want 401 telling no count", i+1, r.status)
				}
			}
			b := newTab(t, srv)
			if r := b.login(name, testPassword); r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
				t.Fatalf("login: status %d Location %q, want 303 /items", r.status, r.header.Get("Location"))
			}
			since := win.start.Format("15:04") + " UTC"
			items, activity := b.get("/items").body, b.get("/activity").body
			if tc.notice == "" {
				if strings.Contains(items, "failed log-in attempt") || strings.Contains(activity, "failed attempt") {
					t.Errorf("a login after no failures tells of some")
				}
				return
			}
			if want := fmt.Sprintf(tc.notice, since); !strings.Contains(items, want) {
				t.Errorf("the page after the login does not say %q", want)
			}
			if strings.Contains(b.get("/items").body, "failed log-in attempt") {
				t.Errorf("the notice is shown again on the next page")
			}
			want := fmt.Sprintf(tc.detail, since)
			if i, j := strings.Index(activity, "Logged in"), strings.Index(activity, want); i < 0 || j < i || j > strings.Index(activity, "Account created") {
				t.Errorf("the activity log's login entry does not say %q", want)
			}
		})
	}
}

// TestLogin_FailedAttemptsUnread: when the count of failed attempts cannot
// be read, the login goes on without the notice, and the failure is
// logged.
func TestLogin_FailedAttemptsUnread(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	env, _ := throttledEnv(t, 5, 1000)
	env = env.InterceptedInput(func(op string, in any) error {
		if g, ok := in.(*dynamodb.GetItemInput); ok && failing.Load() {
			if pk, _ := g.Key["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "THROTTLE#") {
				return fmt.Errorf("read cut off: %w", store.ErrUnavailable)
			}
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	user(t, srv, "grace")
	newTab(t, srv).login("grace", "not the password")
	b := newTab(t, srv)
	failing.Store(true)
	r := b.login("grace", testPassword)
	failing.Store(false)
	if r.status != http.StatusSeeOther || !b.loggedIn() {
		t.Fatalf("login with the count unreadable: status %d, logged in %v; want 303 and logged in", r.status, b.loggedIn())
	}
	if strings.Contains(b.get("/items").body, "failed log-in attempt") || strings.Contains(b.get("/activity").body, "failed attempt") {
		t.Errorf("a count that could not be read is told")
	}
	if logs := srv.logs.String(); !strings.Contains(logs, `level=WARN msg="failed logins not read"`) || !strings.Contains(logs, "read cut off") {
		t.Errorf("the failed read is not logged as a warning:\n%s", logs)
	}
}

// changePassword submits the password form of b's account page.
func (b *browser) changePassword(current, next string) response {
	b.t.Helper()
	return b.submit("/account", "/account/password", url.Values{
		"current_password": {current}, "new_password": {next}, "confirm_password": {next},
	})
}

// TestAccountForms_NotLockedByFailedLogins: failed logins for an account,
// up to its limit, do not lock its logged-in owner out of changing the
// password, which is how the owner would shut out a stolen session; and
// the right current password uses none of the form's limit.
func TestAccountForms_NotLockedByFailedLogins(t *testing.T) {
	t.Parallel()
	env, _ := throttledEnv(t, 3, 1000)
	srv := newServer(t, env, app.Config{})
	owner := newBrowser(t, srv)
	owner.signup("alice", goodPassword)
	for i := range 3 {
		if r := newBrowser(t, srv).login("alice", "not the password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failed login %d: status %d, want 401", i+1, r.status)
		}
	}
	if r := newBrowser(t, srv).login("alice", goodPassword); r.status != http.StatusTooManyRequests {
		t.Fatalf("login after 3 of 3 failures: status %d, want 429", r.status)
	}
	// The right current password with a new one mistyped, as often as
	// the limit: each is refused for the mistake, and uses none of the
	// session's limit.
	const next = "a brand new password"
	for i := range 3 {
		r := owner.submit("/account", "/account/password", url.Values{
			"current_password": {goodPassword}, "new_password": {next}, "confirm_password": {next + "!"},
		})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "differ") {
			t.Fatalf("mistyped confirmation %d: status %d, want 422 saying they differ", i+1, r.status)
		}
	}
	if r := owner.changePassword(goodPassword, next); r.status != http.StatusSeeOther {
		t.Fatalf("owner's password change after failed logins for the account: status %d, want 303:\n%s", r.status, r.body)
	}
	if !owner.loggedIn() {
		t.Error("owner not logged in after changing the password")
	}
}

// TestAccountForms_ThrottledPerSession: wrong current passwords on the
// account forms are counted per session: a stolen session gets the limit of
// guesses across both forms and then none, not even the right password;
// the owner's own session is not affected, and neither are logins.
func TestAccountForms_ThrottledPerSession(t *testing.T) {
	t.Parallel()
	env, win := throttledEnv(t, 3, 1000)
	srv := newServer(t, env, app.Config{})
	owner := newBrowser(t, srv)
	owner.signup("alice", goodPassword)
	thief := newBrowser(t, srv)
	thief.login("alice", goodPassword) // a session the owner did not open
	if !thief.loggedIn() {
		t.Fatal("second session not logged in")
	}

	const next = "a brand new password"
	for i := range 2 {
		if r := thief.changePassword(fmt.Sprintf("guess number %d", i+1), next); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong guess %d on the password form: status %d, want 422", i+1, r.status)
		}
	}
	r := thief.submit("/account/delete", "/account/delete", url.Values{"password": {"guess number 3"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong guess 3 on the delete form: status %d, want 422", r.status)
	}
	for _, tc := range []struct {
		name string
		do   func() response
	}{
		{"password form", func() response { return thief.changePassword(goodPassword, next) }},
		{"delete form", func() response {
			return thief.submit("/account/delete", "/account/delete", url.Values{"password": {goodPassword}})
		}},
	} {
		before := time.Now()
		r := tc.do()
		if r.status != http.StatusTooManyRequests {
			t.Errorf("%s, right password after 3 wrong ones in the session: status %d, want 429", tc.name, r.status)
		}
		if !strings.Contains(r.body, "too many wrong passwords") {
			t.Errorf("%s: 429 page does not say why", tc.name)
		}
		checkRetryAfter(t, tc.name, r, win, before, time.Now())
	}

	// The guesses in that session count neither against the account's
	// logins nor against the owner's session.
	if r := newBrowser(t, srv).login("alice", goodPassword); r.status != http.StatusSeeOther {
		t.Errorf("login after 3 wrong passwords in another session: status %d, want 303", r.status)
	}
	if r := owner.changePassword(goodPassword, next); r.status != http.StatusSeeOther {
		t.Fatalf("owner's password change: status %d, want 303:\n%s", r.status, r.body)
	}
	if thief.loggedIn() {
		t.Error("the other session survived the password change")
	}
}

// TestAccountForms_ThrottledPerAddress: wrong passwords on the account
// forms also count against the client address, so opening more sessions
// (which takes the password anyway) does not buy more guesses from one
// network than the address limit.
func TestAccountForms_ThrottledPerAddress(t *testing.T) {
	t.Parallel()
	env, _ := throttledEnv(t, 3, 4)
	srv := newServer(t, env, app.Config{})
	one := newBrowser(t, srv)
	one.signup("alice", goodPassword)
	two := newBrowser(t, srv)
	two.login("alice", goodPassword)
	const next = "a brand new password"
	for i, b := range []*browser{one, one, one, two} {
		if r := b.changePassword("not the password", next); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong guess %d from the address: status %d, want 422", i+1, r.status)
		}
	}
	if r := two.changePassword(goodPassword, next); r.status != http.StatusTooManyRequests {
		t.Errorf("second session, after 4 wrong passwords from the address (limit 4): status %d, want 429", r.status)
	}
}

// checkRetryAfter checks that a 429 refused by the throttle, sent between
// before and after, says how long its window w has left: in Retry-After,
// in seconds rounded up, and on the page, in minutes.
func checkRetryAfter(t *testing.T, name string, r response, w window, before, after time.Time) {
	t.Helper()
	left := func(at time.Time) int { return int(math.Ceil(w.end.Sub(at).Seconds())) }
	got, err := strconv.Atoi(r.header.Get("Retry-After"))
	lo, hi := left(after), left(before)
	if err != nil || got < lo || got > hi {
		t.Errorf("%s: Retry-After %q, want the %d to %d seconds left in the window", name, r.header.Get("Retry-After"), lo, hi)
		return
	}
	when := "in a minute"
	if got > 60 {
		when = fmt.Sprintf("in %d minutes", (got+59)/60)
	}
	if !strings.Contains(r.body, "Try again "+when+".") {
		t.Errorf("%s: the page does not say to try again %s", name, when)
	}
}

// throttledEnv is a fresh environment whose throttle allows max failures
// per account or session and perAddr per address in an hour, with its
// window pinned to begin now (see pinWindow).
func throttledEnv(t *testing.T, max, perAddr int) (storetest.Env, window) {
	t.Helper()
	env := newEnv(t)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: max, MaxPerAddr: perAddr}); err != nil {
		t.Fatal(err)
	}
	return env, pinWindow(env, time.Hour)
}

// window is a throttle window that pinWindow made begin at the time of the
// call.
type window struct {
	start time.Time // as the store tells it (the failed-login notice's "since")
	end   time.Time // on the real clock (for Retry-After)
}

// pinWindow runs env's store clock from the start of the throttle window of
// length w that holds the present, shifted back by less than w, so that the
// window lasts w from now: a test never sees its window end, at whatever
// time of day it runs. Call it before the store is used.
func pinWindow(env storetest.Env, w time.Duration) window {
	now := time.Now()
	start := now.UTC().Truncate(w)
	shift := now.Sub(start)
	env.Store.SetClock(func() time.Time { return time.Now().Add(-shift) })
	return window{start: start, end: now.Add(w)}
}

// TestPasswordWork_Busy: while as many password hashes run and wait as the
// app allows, sign-up, login and the password change answer 503 at once
// with a page that says why, create nothing, and count no failed guess:
// the server's load is no guess of the password.
func TestPasswordWork_Busy(t *testing.T) {
	t.Parallel()
	env, _ := throttledEnv(t, 3, 1000)
	a, logs := newApp(t, env, app.Config{})
	srv := &testServer{Server: httptest.NewTLSServer(a.Handler()), env: env, logs: logs}
	t.Cleanup(srv.Close)
	owner := newBrowser(t, srv)
	owner.signup("grace", goodPassword)
	before := dataItems(t, env)

	release := a.OccupyPasswordWork()
	busy := func(what string, r response) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "checking too many passwords") {
			t.Errorf("%s while busy: status %d, want 503 saying the server is checking too many passwords:\n%.300s", what, r.status, r.body)
		}
	}
	busy("sign-up", newBrowser(t, srv).signup("heidi", goodPassword))
	for range 5 { // more than the limit of 3 failures
		busy("login", newBrowser(t, srv).login("grace", "not the password"))
	}
	busy("password change", owner.submit("/account", "/account/password", url.Values{
		"current_password": {goodPassword}, "new_password": {"another good password"}, "confirm_password": {"another good password"},
	}))
	release()

	if n := dataItems(t, env); n != before {
		t.Errorf("%d records in the data table after the refused requests, want %d", n, before)
	}
	if n, err := env.Store.LoginFailures(t.Context(), store.UserThrottleKey("grace")); err != nil || n != 0 {
		t.Errorf("the account counts %d failed attempts (%v), want 0", n, err)
	}
	b := newBrowser(t, srv)
	if r := b.login("grace", goodPassword); r.status != http.StatusSeeOther || !b.loggedIn() {
		t.Errorf("login once the server is free: status %d, logged in %v; want 303", r.status, b.loggedIn())
	}
}

// TestSignupThrottle: one client address may create only so many accounts
// in a throttle window; beyond that, sign-up answers 429 with Retry-After
// and creates nothing. A form refused for its own fields counts nothing,
// and logins are not affected.
func TestSignupThrottle(t *testing.T) {
	t.Parallel()
	env := newEnv(t) // the default policy
	win := pinWindow(env, store.DefaultThrottlePolicy.Window)
	srv := newServer(t, env, app.Config{})
	limit := store.DefaultThrottlePolicy.MaxSignupsPerAddr
	for i := range limit {
		if r := newBrowser(t, srv).signup(fmt.Sprintf("user%02d", i), goodPassword); r.status != http.StatusSeeOther {
			t.Fatalf("sign-up %d: status %d, want 303", i+1, r.status)
		}
	}
	if r := newBrowser(t, srv).signup("x", goodPassword); r.status != http.StatusUnprocessableEntity {
		t.Errorf("invalid sign-up at the limit: status %d, want 422", r.status)
	}
	before := dataItems(t, env)
	start := time.Now()
	r := newBrowser(t, srv).signup("onetoomany", goodPassword)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("sign-up %d: status %d, want 429", limit+1, r.status)
	}
	if !strings.Contains(r.body, "too many accounts created from your network") {
		t.Errorf("the 429 page does not say why")
	}
	checkRetryAfter(t, "sign-up over the limit", r, win, start, time.Now())
	if n := dataItems(t, env); n != before {
		t.Errorf("%d records in the data table after the refused sign-up, want %d", n, before)
	}
	if r := newBrowser(t, srv).login("user00", goodPassword); r.status != http.StatusSeeOther {
		t.Errorf("login from the same address: status %d, want 303", r.status)
	}
}

// TestLookupThrottle: sharing tells whether a username exists, so the
// names an account looks up by sharing (the confirmation page of ?with=,
// and the share it confirms) are counted like sign-ups: beyond the limit,
// sharing answers 429 with Retry-After and looks nothing up. A name refused
// for its spelling counts nothing, and other pages are not affected.
func TestLookupThrottle(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 10, MaxLookups: 5}); err != nil {
		t.Fatal(err)
	}
	win := pinWindow(env, 15*time.Minute)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	user(t, srv, "bob")
	id := alice.createItem("Plan", "")
	share := "/items/" + id + "/share"
	// Four lookups: two names that do not exist, bob, and the share with
	// him, which looks him up again.
	for _, name := range []string{"nobody1", "nobody2"} {
		if r := alice.get(share + "?with=" + name); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "There is no user named") {
			t.Fatalf("?with=%s: status %d, want 422 saying there is no such user", name, r.status)
		}
	}
	alice.share(id, "bob")
	// A name refused for its spelling is not looked up.
	if r := alice.get(share + "?with=" + url.QueryEscape("no spaces")); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("?with= an invalid name: status %d, want 422", r.status)
	}
	if r := alice.get(share + "?with=nobody3"); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("fifth lookup: status %d, want 422", r.status)
	}
	start := time.Now()
	for _, probe := range []func() response{
		func() response { return alice.get(share + "?with=nobody4") },
		func() response {
			return alice.postRaw(share, url.Values{"csrf_token": {tokenIn(alice.get(share).body)}, "action": {"add"}, "grantee": {"nobody4"}})
		},
	} {
		r := probe()
		if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "looked up too many usernames") {
			t.Fatalf("sixth lookup: status %d, want 429 saying why", r.status)
		}
		checkRetryAfter(t, "lookup over the limit", r, win, start, time.Now())
	}
	if r := alice.get("/items/" + id); r.status != http.StatusOK {
		t.Errorf("the item's page at the limit: status %d, want 200", r.status)
	}
}
