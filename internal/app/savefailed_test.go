package app_test

import (
	"errors"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestSaveFailed: when DynamoDB does not answer a save (a 503) or the
// server fails (a 500), the form comes back filled in with what was sent,
// saying why, with a token that works and, for an edit, the version the
// edit started from; sent again once DynamoDB is back, it is saved.
// Nothing typed is lost.
func TestSaveFailed(t *testing.T) {
	t.Parallel()
	var failWith atomic.Pointer[error] // what each write to the data table gets; nil: nothing
	env := newEnv(t)
	data := env.Tables.Data
	env = env.InterceptedInput(func(_ string, in any) error {
		if err := failWith.Load(); err != nil && writesTable(in, data) {
			return *err
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Plan", "original")
	edit := "/items/" + id + "/edit"

	for _, tc := range []struct {
		status int
		err    error
		says   string
	}{
		{http.StatusServiceUnavailable, fmt.Errorf("write cut off: %w", store.ErrUnavailable), "the database did not answer in time"},
		{http.StatusInternalServerError, errors.New("a bug"), "something went wrong on the server"},
	} {
		// failing sends form from page to action while every write fails,
		// checks the answer, and returns it.
		failing := func(t *testing.T, page, action string, form url.Values) response {
			t.Helper()
			before := dataItems(t, env)
			failWith.Store(&tc.err)
			r := alice.submit(page, action, form)
			failWith.Store(nil)
			if r.status != tc.status || !strings.Contains(r.body, tc.says) || tokenIn(r.body) == "" {
				t.Fatalf("status %d; want %d, the form with a token, saying %q:\n%s", r.status, tc.status, tc.says, r.body)
			}
			nothingToFix(t, r.body)
			if want := map[int]string{http.StatusServiceUnavailable: "5"}[tc.status]; r.header.Get("Retry-After") != want {
				t.Errorf("Retry-After %q, want %q", r.header.Get("Retry-After"), want)
			}
			if n := dataItems(t, env); n != before {
				t.Errorf("the data table went from %d to %d records", before, n)
			}
			return r
		}
		t.Run(fmt.Sprintf("new item, %d", tc.status), func(t *testing.T) {
			title := fmt.Sprintf("Minutes %d <b>", tc.status)
			r := failing(t, "/items/new", "/items", url.Values{"title": {title}, "body": {keptBody}})
			if got, _, _ := field(t, r.body, "title"); got != title || textareaValue(t, r.body, "body") != keptBody {
				t.Fatalf("the form holds %q and %q, want %q and %q", got, textareaValue(t, r.body, "body"), title, keptBody)
			}
			// A create whose answer was lost may have been made.
			if !strings.Contains(r.body, "it was saved after all: do not send it twice") {
				t.Error("the page does not say to look in the list before sending the item again")
			}
			again := alice.postRaw("/items", url.Values{"csrf_token": {tokenIn(r.body)}, "title": {title}, "body": {textareaValue(t, r.body, "body")}})
			if again.status != http.StatusSeeOther {
				t.Fatalf("sent again: status %d, want 303", again.status)
			}
			if got := textareaValue(t, alice.get(again.header.Get("Location")+"/edit").body, "body"); got != keptBody {
				t.Errorf("saved text %q, want %q", got, keptBody)
			}
		})
		t.Run(fmt.Sprintf("edit, %d", tc.status), func(t *testing.T) {
			v := versionRE.FindStringSubmatch(alice.get(edit).body)[1]
			text := fmt.Sprintf("changed while the database failed with %d", tc.status)
			r := failing(t, edit, edit, url.Values{"title": {"Plan"}, "body": {text}, "version": {v}})
			if got := textareaValue(t, r.body, "body"); got != text {
				t.Fatalf("the form holds %q, want %q", got, text)
			}
			if m := versionRE.FindStringSubmatch(r.body); m == nil || m[1] != v {
				t.Fatalf("the form carries version %v, want the one the edit started from, %s", m, v)
			}
			again := alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(r.body)}, "title": {"Plan"}, "body": {text}, "version": {v}})
			if again.status != http.StatusSeeOther {
				t.Fatalf("sent again: status %d, want 303", again.status)
			}
			if got := textareaValue(t, alice.get(edit).body, "body"); got != text {
				t.Errorf("saved text %q, want %q", got, text)
			}
		})
		t.Run(fmt.Sprintf("embed allowlist, %d", tc.status), func(t *testing.T) {
			page := alice.get("/account")
			origins := fmt.Sprintf("https://blog%d.example", tc.status)
			r := failing(t, "/account", "/account/embed-origins", url.Values{"origins": {origins}, "version": {versionRE.FindStringSubmatch(page.body)[1]}})
			if got := textareaValue(t, r.body, "origins"); got != origins {
				t.Fatalf("the allowlist holds %q, want %q", got, origins)
			}
			again := alice.postRaw("/account/embed-origins", url.Values{"csrf_token": {tokenIn(r.body)}, "origins": {origins}, "version": {versionRE.FindStringSubmatch(r.body)[1]}})
			if again.status != http.StatusSeeOther {
				t.Fatalf("sent again: status %d, want 303", again.status)
			}
			if got := textareaValue(t, alice.get("/account").body, "origins"); got != origins {
				t.Errorf("saved allowlist %q, want %q", got, origins)
			}
		})
	}
}

// TestAuthFormFailed: when DynamoDB does not answer (a 503) or the server
// fails (a 500) on the sign-up or login form, the form comes back with the
// username typed, saying why and to send it again, with a token that
// works; sent again once the failure is over, it goes through.
func TestAuthFormFailed(t *testing.T) {
	t.Parallel()
	f := newFailingApp(t)
	srv, data, sessions := f.srv, f.env.Tables.Data, f.env.Tables.Sessions // the throttle's in sessions
	user(t, srv, "alice")
	unavailable, bug := fmt.Errorf("write cut off: %w", store.ErrUnavailable), errors.New("a bug")
	// The calls to fail: the throttle's writes, the account's write, the
	// account's read.
	throttle := func(_ string, in any) bool { return writesTable(in, sessions) }
	account := func(op string, _ any) bool { return op == "TransactWriteItems" }
	read := func(_ string, in any) bool { return readsTable(in, data) }
	for _, tc := range []struct {
		name     string
		page     string
		form     url.Values
		calls    func(op string, in any) bool
		err      error
		status   int
		says     []string
		username string // in the form that comes back
	}{
		{"sign-up, the throttle unavailable", "/signup", url.Values{"username": {"bob"}, "password": {goodPassword}}, throttle, unavailable,
			http.StatusServiceUnavailable, []string{"Your account could not be created just now: the database did not answer in time."}, "bob"},
		{"sign-up, the account's write failing", "/signup", url.Values{"username": {"carol"}, "password": {goodPassword}}, account, bug,
			http.StatusInternalServerError, []string{"Your account could not be created just now: something went wrong on the server.",
				"If the username is then taken, your account was made after all: log in with it."}, "carol"},
		{"login, the throttle failing", "/login", url.Values{"username": {"Alice"}, "password": {testPassword}}, throttle, bug,
			http.StatusInternalServerError, []string{"You could not be logged in just now: something went wrong on the server."}, "alice"},
		{"login, the account unreadable", "/login", url.Values{"username": {"alice"}, "password": {testPassword}}, read, unavailable,
			http.StatusServiceUnavailable, []string{"You could not be logged in just now: the database did not answer in time."}, "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTab(t, srv)
			form := maps.Clone(tc.form)
			form.Set("csrf_token", tokenIn(b.get(tc.page).body))
			var r response
			f.during(tc.calls, tc.err, func() { r = b.postRaw(tc.page, form) })
			if r.status != tc.status || tokenIn(r.body) == "" {
				t.Fatalf("status %d; want %d and the form, with a token:\n%s", r.status, tc.status, r.body)
			}
			for _, s := range tc.says {
				if !strings.Contains(r.body, s) {
					t.Errorf("the page does not say %q", s)
				}
			}
			nothingToFix(t, r.body)
			// Only a lost answer to the account's own write may have made it.
			if made := strings.Contains(r.body, "made after all"); made != (tc.name == "sign-up, the account's write failing") {
				t.Errorf("the page says the account may have been made: %v", made)
			}
			if want := map[int]string{http.StatusServiceUnavailable: "5"}[tc.status]; r.header.Get("Retry-After") != want {
				t.Errorf("Retry-After %q, want %q", r.header.Get("Retry-After"), want)
			}
			if got, _, _ := field(t, r.body, "username"); got != tc.username {
				t.Errorf("the form holds username %q, want %q", got, tc.username)
			}
			if got, _, _ := field(t, r.body, "password"); got != "" {
				t.Errorf("the form holds the password %q", got)
			}
			if b.loggedIn() {
				t.Fatal("logged in after the failure")
			}
			form.Set("csrf_token", tokenIn(r.body))
			if again := b.postRaw(tc.page, form); again.status != http.StatusSeeOther || !b.loggedIn() {
				t.Errorf("sent again: status %d, logged in %v; want 303 and a session", again.status, b.loggedIn())
			}
		})
	}
}

// nothingToFix checks that the error summary of a form that came back for a
// failure of the server or of DynamoDB does not ask the user to fix
// anything: nothing they sent was wrong.
func nothingToFix(t *testing.T, body string) {
	t.Helper()
	if !strings.Contains(body, "<strong>There is a problem</strong>") || strings.Contains(body, "fix the following") {
		t.Error("the error summary does not say \"There is a problem\", or asks the user to fix what they sent")
	}
}

// TestPasswordFormFailed: when DynamoDB does not answer (a 503) or the
// server fails (a 500) on the form that changes the password or the one
// that deletes the account, the form comes back saying why and to send it
// again, with a token that works, and nothing changed; sent again once the
// failure is over, it goes through.
func TestPasswordFormFailed(t *testing.T) {
	t.Parallel()
	f := newFailingApp(t)
	srv, data, sessions := f.srv, f.env.Tables.Data, f.env.Tables.Sessions // the throttle's in sessions
	unavailable, bug := fmt.Errorf("write cut off: %w", store.ErrUnavailable), errors.New("a bug")
	throttle := func(_ string, in any) bool { return writesTable(in, sessions) }
	setPassword := func(_ string, in any) bool { return setsPassword(in) }
	mark := func(op string, in any) bool { return op == "TransactWriteItems" && writesTable(in, data) }
	const next = "a new password, long enough"
	change := url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {next}}
	for i, tc := range []struct {
		name    string
		page    string
		action  string
		form    url.Values
		calls   func(op string, in any) bool
		err     error
		status  int
		says    string
		changed bool // whether the page says the change may have been made
	}{
		{"change, the throttle unavailable", "/account", "/account/password", change, throttle, unavailable, http.StatusServiceUnavailable,
			"Your password could not be changed just now: the database did not answer in time. Enter the three passwords and send the form again in a moment.", false},
		{"change, the password's write failing", "/account", "/account/password", change, setPassword, bug, http.StatusInternalServerError,
			"Your password could not be changed just now: something went wrong on the server. Enter the three passwords and send the form again.", true},
		{"delete, the throttle failing", "/account/delete", "/account/delete", url.Values{"password": {testPassword}}, throttle, bug, http.StatusInternalServerError,
			"Your account could not be deleted just now: something went wrong on the server. Enter your password and send the form again.", false},
		{"delete, its mark unavailable", "/account/delete", "/account/delete", url.Values{"password": {testPassword}}, mark, unavailable, http.StatusServiceUnavailable,
			"Your account could not be deleted just now: the database did not answer in time. Enter your password and send the form again in a moment.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("pwform%d", i)
			b := user(t, srv, name)
			form := maps.Clone(tc.form)
			form.Set("csrf_token", tokenIn(b.get(tc.page).body))
			var r response
			f.during(tc.calls, tc.err, func() { r = b.postRaw(tc.action, form) })
			if r.status != tc.status || tokenIn(r.body) == "" || !strings.Contains(r.body, `action="`+tc.action+`"`) {
				t.Fatalf("status %d; want %d and the form, with a token:\n%s", r.status, tc.status, r.body)
			}
			if !strings.Contains(r.body, tc.says) {
				t.Errorf("the page does not say %q:\n%s", tc.says, r.body)
			}
			if got := strings.Contains(r.body, "the password was changed after all"); got != tc.changed {
				t.Errorf("the page says the password may have been changed: %v, want %v", got, tc.changed)
			}
			nothingToFix(t, r.body)
			if want := map[int]string{http.StatusServiceUnavailable: "5"}[tc.status]; r.header.Get("Retry-After") != want {
				t.Errorf("Retry-After %q, want %q", r.header.Get("Retry-After"), want)
			}
			if !b.loggedIn() {
				t.Fatal("logged out by the failure")
			}
			if l := newTab(t, srv).login(name, testPassword); l.status != http.StatusSeeOther {
				t.Fatalf("the old password no longer logs in (status %d): the failed form changed something", l.status)
			}
			form.Set("csrf_token", tokenIn(r.body))
			again := b.postRaw(tc.action, form)
			switch tc.action {
			case "/account/password":
				if again.status != http.StatusSeeOther || newTab(t, srv).login(name, next).status != http.StatusSeeOther {
					t.Errorf("sent again: status %d, want 303 and the new password to log in", again.status)
				}
			default:
				if again.status != http.StatusOK || !strings.Contains(again.body, "has been deleted") {
					t.Errorf("sent again: status %d, want 200 and the account deleted:\n%s", again.status, again.body)
				}
			}
		})
	}
}

// failingApp is an app on a fresh environment whose DynamoDB calls fail as
// told, while told (see during).
type failingApp struct {
	srv *testServer
	env storetest.Env
	fn  atomic.Pointer[func(op string, in any) error]
}

func newFailingApp(t *testing.T) *failingApp {
	t.Helper()
	f := &failingApp{}
	f.env = newEnv(t).InterceptedInput(func(op string, in any) error {
		if fn := f.fn.Load(); fn != nil {
			return (*fn)(op, in)
		}
		return nil
	})
	f.srv = newServer(t, f.env, app.Config{})
	return f
}

// during runs do while the DynamoDB calls that calls picks fail with err.
func (f *failingApp) during(calls func(op string, in any) bool, err error, do func()) {
	fn := func(op string, in any) error {
		if calls(op, in) {
			return err
		}
		return nil
	}
	f.fn.Store(&fn)
	defer f.fn.Store(nil)
	do()
}

// TestSaveFailed_Reads: a save loses nothing typed when a read of the same
// request fails, as TestSaveFailed shows for its writes. When the edit's
// read of the item (the owner's check before the save) fails, or, after a
// lost race, the read of the current text for the conflict page, the form
// comes back filled in, with a token and the version the edit started
// from. When the session cannot be read, what was sent comes back to copy,
// with a link that opens the form again (without a session, the page has
// no form and no token). An edit of an item deleted meanwhile, in another
// tab, gives its text back to copy. Nothing is written meanwhile.
func TestSaveFailed_Reads(t *testing.T) {
	t.Parallel()
	f := newFailingApp(t)
	srv, data, sessions := f.srv, f.env.Tables.Data, f.env.Tables.Sessions
	alice := user(t, srv, "alice")
	queriesData := func(_ string, in any) bool {
		q, ok := in.(*dynamodb.QueryInput)
		return ok && aws.ToString(q.TableName) == data
	}
	getsData := func(_ string, in any) bool {
		g, ok := in.(*dynamodb.GetItemInput)
		return ok && aws.ToString(g.TableName) == data
	}
	readsSession := func(_ string, in any) bool {
		g, ok := in.(*dynamodb.GetItemInput)
		return ok && aws.ToString(g.TableName) == sessions
	}
	// failing posts form to action with the token of page while the calls
	// picked fail with err, and checks that nothing was written.
	failing := func(t *testing.T, calls func(string, any) bool, err error, page response, action string, form url.Values) response {
		t.Helper()
		before := dataItems(t, f.env)
		form = maps.Clone(form)
		form.Set("csrf_token", tokenIn(page.body))
		var r response
		f.during(calls, err, func() { r = alice.postRaw(action, form) })
		if n := dataItems(t, f.env); n != before {
			t.Errorf("the data table went from %d to %d records", before, n)
		}
		return r
	}
	for _, tc := range []struct {
		status int
		err    error
		says   string
	}{
		{http.StatusServiceUnavailable, fmt.Errorf("read cut off: %w", store.ErrUnavailable), "the database did not answer in time"},
		{http.StatusInternalServerError, errors.New("a bug"), "something went wrong on the server"},
	} {
		// wantForm checks that r is the edit form again, saying why, with
		// text and version v, and a token.
		wantForm := func(t *testing.T, r response, text, v string) {
			t.Helper()
			if r.status != tc.status || !strings.Contains(r.body, "Your changes could not be saved just now: "+tc.says) || tokenIn(r.body) == "" {
				t.Fatalf("status %d; want %d and the form, with a token, saying %q:\n%s", r.status, tc.status, tc.says, r.body)
			}
			nothingToFix(t, r.body)
			if got := textareaValue(t, r.body, "body"); got != text {
				t.Errorf("the form holds %q, want %q", got, text)
			}
			if m := versionRE.FindStringSubmatch(r.body); m == nil || m[1] != v {
				t.Errorf("the form carries version %v, want the one the edit started from, %s", m, v)
			}
		}
		t.Run(fmt.Sprintf("edit, the item unreadable, %d", tc.status), func(t *testing.T) {
			id := alice.createItem("Plan", "original")
			edit := "/items/" + id + "/edit"
			page := alice.get(edit)
			v := versionRE.FindStringSubmatch(page.body)[1]
			text := fmt.Sprintf("kept through a failed read, %d", tc.status)
			r := failing(t, queriesData, tc.err, page, edit, url.Values{"title": {"Plan"}, "body": {text}, "version": {v}})
			wantForm(t, r, text, v)
			again := alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(r.body)}, "title": {"Plan"}, "body": {textareaValue(t, r.body, "body")}, "version": {v}})
			if again.status != http.StatusSeeOther {
				t.Fatalf("sent again: status %d, want 303", again.status)
			}
			if got := textareaValue(t, alice.get(edit).body, "body"); got != text {
				t.Errorf("saved text %q, want %q", got, text)
			}
		})
		t.Run(fmt.Sprintf("edit after a lost race, the current text unreadable, %d", tc.status), func(t *testing.T) {
			id := alice.createItem("Plan", "original")
			edit := "/items/" + id + "/edit"
			page := alice.get(edit)
			v := versionRE.FindStringSubmatch(page.body)[1]
			if r := alice.submit(edit, edit, url.Values{"title": {"Plan"}, "body": {"from another tab"}, "version": {v}}); r.status != http.StatusSeeOther {
				t.Fatalf("the other tab's edit: status %d", r.status)
			}
			text := fmt.Sprintf("lost the race, then the read, %d", tc.status)
			r := failing(t, getsData, tc.err, page, edit, url.Values{"title": {"Plan"}, "body": {text}, "version": {v}})
			wantForm(t, r, text, v)
			// Sent again, it meets the other tab's change: the conflict
			// page, with both texts.
			again := alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(r.body)}, "title": {"Plan"}, "body": {text}, "version": {v}})
			if again.status != http.StatusConflict || !strings.Contains(again.body, text) || !strings.Contains(again.body, "from another tab") {
				t.Errorf("sent again: status %d, want 409 with both texts", again.status)
			}
		})
		for _, form := range []struct {
			name, page, action string
			fields             url.Values
			kept               []string // the fields shown to copy, in order
		}{
			{"new item", "/items/new", "/items", url.Values{"title": {keptTitle}, "body": {keptBody}}, []string{keptTitle, keptBody}},
			{"edit", "", "", url.Values{"title": {keptTitle}, "body": {keptBody}, "version": {"1"}}, []string{keptTitle, keptBody}},
			{"embed allowlist", "/account", "/account/embed-origins", url.Values{"origins": {"https://blog.example"}, "version": {"1"}}, []string{"https://blog.example"}},
		} {
			t.Run(fmt.Sprintf("%s, the session unreadable, %d", form.name, tc.status), func(t *testing.T) {
				if form.page == "" {
					form.page = "/items/" + alice.createItem("Plan", "original") + "/edit"
					form.action = form.page
				}
				r := failing(t, readsSession, tc.err, alice.get(form.page), form.action, form.fields)
				if r.status != tc.status || !strings.Contains(r.body, "Your session could not be read just now: "+tc.says) {
					t.Fatalf("status %d; want %d saying that the session could not be read:\n%s", r.status, tc.status, r.body)
				}
				for i, want := range form.kept {
					id := fmt.Sprintf("unsaved-%d", i)
					if got, ok, ro := field(t, r.body, id); !ok || got != want || !ro {
						t.Errorf("field %s: %q (present %v, read-only %v), want %q, read-only", id, got, ok, ro, want)
					}
				}
				back := `<a class="button" href="` + html.EscapeString(loginTo(form.page)) + `" target="_blank">Open the form in a new tab</a>`
				if !strings.Contains(r.body, back) {
					t.Errorf("no link that opens %s in a new tab (%s):\n%s", form.page, back, r.body)
				}
				if tokenIn(r.body) != "" {
					t.Error("the page has a form, without a session to take it")
				}
				if !alice.loggedIn() {
					t.Error("logged out by the failure")
				}
			})
		}
	}
	t.Run("edit of an item deleted meanwhile", func(t *testing.T) {
		id := alice.createItem("Plan", "original")
		edit := "/items/" + id + "/edit"
		page := alice.get(edit)
		v := versionRE.FindStringSubmatch(page.body)[1]
		if r := alice.submit("/items/"+id+"/delete", "/items/"+id+"/delete", url.Values{"version": {v}}); r.status != http.StatusSeeOther {
			t.Fatalf("delete in another tab: status %d", r.status)
		}
		r := alice.postRaw(edit, url.Values{"csrf_token": {tokenIn(page.body)}, "title": {keptTitle}, "body": {keptBody}, "version": {v}})
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "your changes were not saved") {
			t.Fatalf("status %d; want 404 saying the changes were not saved:\n%s", r.status, r.body)
		}
		for id, want := range map[string]string{"unsaved-0": keptTitle, "unsaved-1": keptBody} {
			if got, ok, ro := field(t, r.body, id); !ok || got != want || !ro {
				t.Errorf("field %s: %q (present %v, read-only %v), want %q, read-only", id, got, ok, ro, want)
			}
		}
	})
}

// loginTo is the address of the login page that goes on to page.
func loginTo(page string) string {
	return "/login?next=" + url.QueryEscape(page)
}

// TestSaveFailed_SessionNotSaved: an outage of writes fails the session's
// commit too, once its idle expiry is due to move (here after a short
// idle timeout; by default after a minute on the form). A form its handler
// answers with a page, the form again holding what was typed (a failed
// save, a refusal), keeps that page.
func TestSaveFailed_SessionNotSaved(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	env := newEnv(t)
	data, sessions := env.Tables.Data, env.Tables.Sessions
	env = env.InterceptedInput(func(_ string, in any) error {
		if failing.Load() && (writesTable(in, data) || writesTable(in, sessions)) {
			return fmt.Errorf("writes throttled: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{SessionIdle: 3 * time.Second})
	alice := user(t, srv, "alice")
	id := alice.createItem("Plan", "original")
	edit := "/items/" + id + "/edit"
	const typed = "an hour of careful writing that must not be lost"
	for _, tc := range []struct {
		name, page, action string
		form               url.Values
		status             int
		field              string
	}{
		{"new item", "/items/new", "/items", url.Values{"title": {"Minutes"}, "body": {typed}}, http.StatusServiceUnavailable, "body"},
		{"edit", edit, edit, url.Values{"title": {"Plan"}, "body": {typed}}, http.StatusServiceUnavailable, "body"},
		{"embed allowlist", "/account", "/account/embed-origins", url.Values{"origins": {"https://blog.example"}}, http.StatusServiceUnavailable, "origins"},
		{"refused: no title", "/items/new", "/items", url.Values{"title": {""}, "body": {typed}}, http.StatusUnprocessableEntity, "body"},
	} {
		page := alice.get(tc.page)
		form := maps.Clone(tc.form)
		form.Set("csrf_token", tokenIn(page.body))
		if m := versionRE.FindStringSubmatch(page.body); m != nil {
			form.Set("version", m[1])
		}
		time.Sleep(400 * time.Millisecond) // past the commit grace of a 3 s idle timeout
		failing.Store(true)
		r := alice.postRaw(tc.action, form)
		failing.Store(false)
		if r.status != tc.status || textareaValue(t, r.body, tc.field) != form.Get(tc.field) {
			t.Errorf("%s with the session's commit failing: status %d, want %d with the form holding %q:\n%s",
				tc.name, r.status, tc.status, form.Get(tc.field), r.body)
		}
		if c := r.header.Get("Set-Cookie"); c != "" {
			t.Errorf("%s: Set-Cookie %q for a session that was not saved", tc.name, c)
		}
	}
	// The session, as it was stored, still works.
	if r := alice.get("/items"); r.status != http.StatusOK {
		t.Errorf("GET /items after: status %d", r.status)
	}
}
