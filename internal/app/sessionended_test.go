package app_test

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// hold holds one DynamoDB call of a request in flight while the test acts
// elsewhere: its session has been read, its write not yet sent.
type hold struct {
	mu      sync.Mutex
	match   func(in any) bool // the call to hold; nil once it is held
	reached chan struct{}     // closed when the call arrives
	release chan struct{}     // closed to let it go on
}

// arm makes the next call that match picks wait until h.open.
func (h *hold) arm(match func(in any) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.match, h.reached, h.release = match, make(chan struct{}), make(chan struct{})
}

// before is the interception hook (storetest.Env.InterceptedInput).
func (h *hold) before(_ string, in any) error {
	h.mu.Lock()
	held := h.match != nil && h.match(in)
	if held {
		h.match = nil
	}
	reached, release := h.reached, h.release
	h.mu.Unlock()
	if !held {
		return nil
	}
	close(reached)
	select {
	case <-release:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("hold: never released")
	}
}

// wait returns once the armed call has arrived.
func (h *hold) wait(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	reached := h.reached
	h.mu.Unlock()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight never reached its write")
	}
}

// open lets the held call go on.
func (h *hold) open() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.release)
}

// audits reports whether in is a transaction that writes an audit record of
// action (a change: store.Store's transact).
func audits(action string) func(in any) bool {
	return func(in any) bool {
		tx, ok := in.(*dynamodb.TransactWriteItemsInput)
		if !ok {
			return false
		}
		for _, it := range tx.TransactItems {
			if it.Put == nil {
				continue
			}
			if a, ok := it.Put.Item["action"].(*types.AttributeValueMemberS); ok && a.Value == action {
				return true
			}
		}
		return false
	}
}

// marksDeletion reports whether in is the transaction that marks an account
// as being deleted.
func marksDeletion(in any) bool { return updatesAttribute(in, "deleting") }

// wantTextBack checks the answer to an item form whose session ended while
// it was in flight: a 403 that says so and to log in, with the title and
// text sent in read-only fields to copy, and no form.
func wantTextBack(t *testing.T, r response, title, body string) {
	t.Helper()
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "Your session ended before this form went through") || !strings.Contains(r.body, "log in") {
		t.Fatalf("status %d; want 403 saying the session ended and to log in:\n%s", r.status, r.body)
	}
	for id, want := range map[string]string{"unsaved-0": title, "unsaved-1": body} {
		if got, ok, ro := field(t, r.body, id); !ok || got != want || !ro {
			t.Errorf("field %s: %q (present %v, read-only %v), want %q, read-only", id, got, ok, ro, want)
		}
	}
	if tokenIn(r.body) != "" {
		t.Error("the page of a session that ended has a form")
	}
}

// TestSessionEnded_InFlight: an edit in flight (its session read, its write
// not yet sent) while its session is ended from elsewhere — signed out from
// another session, with every other session, by a password change there,
// or logged out in another tab — changes nothing: the item keeps its text,
// and the answer gives the text sent back to copy, saying that the session
// ended and to log in again.
func TestSessionEnded_InFlight(t *testing.T) {
	t.Parallel()
	h := &hold{}
	env := newEnv(t).InterceptedInput(h.before)
	srv := newServer(t, env, app.Config{})
	for i, tc := range []struct {
		name string
		end  func(t *testing.T, tab, other *browser)
	}{
		{"signed out from another session", func(t *testing.T, tab, other *browser) {
			id := store.SessionID(tab.cookie())
			if r := other.submit("/account/sessions", "/account/sessions/end", url.Values{"id": {id}}); r.status != http.StatusSeeOther {
				t.Fatalf("sign out: status %d", r.status)
			}
		}},
		{"every other session signed out", func(t *testing.T, _, other *browser) {
			if r := other.submit("/account/sessions", "/account/sessions/end-others", nil); r.status != http.StatusSeeOther {
				t.Fatalf("sign out the others: status %d", r.status)
			}
		}},
		{"password changed in another session", func(t *testing.T, _, other *browser) {
			if r := other.changePassword(testPassword, "a brand new passphrase"); r.status != http.StatusSeeOther {
				t.Fatalf("password change: status %d", r.status)
			}
		}},
		{"logged out in another tab", func(t *testing.T, tab, _ *browser) {
			if r := tab.logout(); r.status != http.StatusSeeOther {
				t.Fatalf("logout: status %d", r.status)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "inflight" + string(rune('a'+i))
			tab := user(t, srv, name)
			other := loginAgain(t, srv, name)
			id := tab.createItem("Plan", "original")
			edit := "/items/" + id + "/edit"
			page := tab.get(edit)
			v := versionRE.FindStringSubmatch(page.body)[1]
			h.arm(audits("item.update"))
			done := make(chan response, 1)
			go func() {
				done <- tab.postRaw(edit, url.Values{"csrf_token": {tokenIn(page.body)}, "title": {keptTitle}, "body": {keptBody}, "version": {v}})
			}()
			h.wait(t)
			tc.end(t, tab, other)
			h.open()
			wantTextBack(t, <-done, keptTitle, keptBody)
			if got := other.version(edit); got != v {
				t.Errorf("the item is at version %s, want %s: the edit was saved", got, v)
			}
			if got := textareaValue(t, other.get(edit).body, "body"); got != "original" {
				t.Errorf("the item's text is %q, want it unchanged", got)
			}
			if tab.loggedIn() {
				t.Error("the tab is still logged in")
			}
		})
	}
}

// TestSessionEnded_NameTakenAgain: a request of alice's is in flight while
// alice deletes her account from another session and someone else signs up
// as "alice". Its write, when it comes, reaches nothing of the new account:
// an item form gives its text back to copy (the session ended), and a
// second deletion request marks nothing, so the new alice keeps her account
// and her session.
func TestSessionEnded_NameTakenAgain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		page   string
		action string
		hold   func(in any) bool
		form   url.Values
		check  func(t *testing.T, r response)
	}{
		{"new item", "/items/new", "/items", audits("item.create"), url.Values{"title": {keptTitle}, "body": {keptBody}},
			func(t *testing.T, r response) { wantTextBack(t, r, keptTitle, keptBody) }},
		{"account deletion", "/account/delete", "/account/delete", marksDeletion, url.Values{"password": {testPassword}},
			func(t *testing.T, r response) {
				if r.status != http.StatusForbidden || !strings.Contains(r.body, "Your session ended before this form went through") || !strings.Contains(r.body, "nothing was done") {
					t.Errorf("status %d; want 403 saying the session ended and nothing was done:\n%s", r.status, r.body)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &hold{}
			env := newEnv(t).InterceptedInput(h.before)
			srv := newServer(t, env, app.Config{})
			old := user(t, srv, "alice")
			form := maps.Clone(tc.form)
			form.Set("csrf_token", tokenIn(old.get(tc.page).body))
			h.arm(tc.hold)
			done := make(chan response, 1)
			go func() { done <- old.postRaw(tc.action, form) }()
			h.wait(t)
			if r := loginAgain(t, srv, "alice").submit("/account/delete", "/account/delete", url.Values{"password": {testPassword}}); r.status != http.StatusOK {
				t.Fatalf("delete the account from another session: status %d", r.status)
			}
			newcomer := newTab(t, srv)
			const password = "a different password entirely"
			if r := newcomer.signup("alice", password); r.status != http.StatusSeeOther {
				t.Fatalf("sign up as alice again: status %d", r.status)
			}
			h.open()
			tc.check(t, <-done)
			if _, err := env.Store.GetUser(t.Context(), "alice"); err != nil {
				t.Fatalf("the new alice's account: %v; want it live", err)
			}
			if r := newTab(t, srv).login("alice", password); r.status != http.StatusSeeOther {
				t.Errorf("the new alice logs in: status %d, want 303", r.status)
			}
			if !newcomer.loggedIn() {
				t.Error("the new alice was logged out")
			}
			if p, err := env.Store.ListItems(t.Context(), "alice", "", 10); err != nil || len(p.Items) != 0 {
				t.Errorf("the new alice lists %+v (%v), want nothing", p.Items, err)
			}
		})
	}
}
