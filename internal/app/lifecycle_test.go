package app_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// tracks reports whether a DynamoDB call is the write of an entry in a
// user's session index: store.Sessions.Track.
func tracks(op string, in any) bool {
	u, ok := in.(*dynamodb.UpdateItemInput)
	if !ok || op != "UpdateItem" {
		return false
	}
	pk, _ := u.Key["pk"].(*types.AttributeValueMemberS)
	return pk != nil && strings.HasPrefix(pk.Value, "USERSESSIONS#")
}

// TestStartSession_TrackFails: when the session cannot be recorded in the
// user's session index, login and signup answer 503 and leave no logged-in
// session behind: one that EndAll could not find would outlive a password
// change and the account, and show the next account of that name. The
// login did not happen, so its page says to try again; the sign-up made
// the account, so its page says to log in, not to sign up again, which
// would only find the name taken.
func TestStartSession_TrackFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start func(b *browser) response
		want  string // what the page must say
	}{
		{"login", func(b *browser) response { return b.login("alice", testPassword) }, "You could not be logged in just now: the database did not answer in time."},
		{"signup", func(b *browser) response { return b.signup("alice", testPassword) }, "Your account alice was created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var failing atomic.Bool
			env := newEnv(t).InterceptedInput(func(op string, in any) error {
				if failing.Load() && tracks(op, in) {
					return fmt.Errorf("track cut off: %w", store.ErrUnavailable)
				}
				return nil
			})
			srv := newServer(t, env, app.Config{})
			if tc.name == "login" {
				user(t, srv, "alice")
			}
			thief := newTab(t, srv)
			failing.Store(true)
			r := tc.start(thief)
			failing.Store(false)
			if r.status != http.StatusServiceUnavailable {
				t.Errorf("%s with Track failing: status %d, want 503", tc.name, r.status)
			}
			if !strings.Contains(r.body, tc.want) {
				t.Errorf("%s with Track failing: the page does not say %q", tc.name, tc.want)
			}
			if thief.loggedIn() {
				t.Fatalf("%s with Track failing left a logged-in session", tc.name)
			}
			// What such a session would reach: the next account of the name.
			if err := env.Store.DeleteAccount(t.Context(), "alice", store.Actor{}); err != nil {
				t.Fatal(err)
			}
			user(t, srv, "alice").createItem("new alice's note", "secret")
			if body := thief.get("/items").body; strings.Contains(body, "new alice's note") {
				t.Errorf("the session of the failed %s shows the new account's items", tc.name)
			}
		})
	}
}

// TestLogin_RacesPasswordChange: a login checks the old password, and
// before it records its session the owner changes the password, which ends
// every session it finds. The login must not end up logged in: it fails
// like a wrong password. (A barrier holds the login's Track until the
// change is done.)
func TestLogin_RacesPasswordChange(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	arrived, release := make(chan struct{}), make(chan struct{})
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		if tracks(op, in) && armed.CompareAndSwap(true, false) {
			close(arrived)
			select {
			case <-release:
			case <-time.After(10 * time.Second):
				return errors.New("barrier: the password change did not finish")
			}
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	owner := user(t, srv, "alice")
	thief := newTab(t, srv)
	tok := tokenIn(thief.get("/login").body)
	armed.Store(true)
	done := make(chan response)
	go func() {
		done <- thief.postRaw("/login", url.Values{"csrf_token": {tok}, "username": {"alice"}, "password": {testPassword}})
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the login never reached Track")
	}
	const next = "a brand new passphrase"
	r := owner.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {next}})
	close(release)
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change: status %d", r.status)
	}
	if r := <-done; r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The username or password is not correct.") {
		t.Errorf("login with the old password racing the change: status %d, want 401 with the failed-login message", r.status)
	}
	if thief.loggedIn() {
		t.Errorf("the login with the old password outlived the password change")
	}
	if !owner.loggedIn() {
		t.Errorf("the owner's renewed session was lost")
	}
}

// setsPassword reports whether a DynamoDB call is the transaction that
// changes a password: store.Store.SetPassword.
func setsPassword(in any) bool { return updatesAttribute(in, "password_hash") }

// updatesAttribute reports whether a DynamoDB call is a transaction with an
// update that names attribute attr.
func updatesAttribute(in any, attr string) bool {
	tx, ok := in.(*dynamodb.TransactWriteItemsInput)
	if !ok {
		return false
	}
	for _, it := range tx.TransactItems {
		if it.Update != nil && slices.Contains(slices.Collect(maps.Values(it.Update.ExpressionAttributeNames)), attr) {
			return true
		}
	}
	return false
}

// queriesSessions reports whether a DynamoDB call is the Query of a user's
// session index, with which store.Sessions finds the sessions to end.
func queriesSessions(op string, in any) bool {
	q, ok := in.(*dynamodb.QueryInput)
	if !ok || op != "Query" {
		return false
	}
	pk, _ := q.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS)
	return pk != nil && strings.HasPrefix(pk.Value, "USERSESSIONS#")
}

// writesTable reports whether in, a DynamoDB call's input, writes to table,
// alone or in a transaction.
func writesTable(in any, table string) bool {
	switch v := in.(type) {
	case *dynamodb.PutItemInput:
		return aws.ToString(v.TableName) == table
	case *dynamodb.UpdateItemInput:
		return aws.ToString(v.TableName) == table
	case *dynamodb.DeleteItemInput:
		return aws.ToString(v.TableName) == table
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range v.TransactItems {
			switch {
			case it.Put != nil && aws.ToString(it.Put.TableName) == table,
				it.Update != nil && aws.ToString(it.Update.TableName) == table,
				it.Delete != nil && aws.ToString(it.Delete.TableName) == table:
				return true
			}
		}
	}
	return false
}

// readsTable reports whether in, a DynamoDB call's input, is a GetItem or a
// Query of table.
func readsTable(in any, table string) bool {
	switch v := in.(type) {
	case *dynamodb.GetItemInput:
		return aws.ToString(v.TableName) == table
	case *dynamodb.QueryInput:
		return aws.ToString(v.TableName) == table
	}
	return false
}

// TestChangePassword_SignOutFails: when the sessions cannot be ended once
// the new password is set, the page is an error, but a stolen session does
// not go on working: the other sessions were signed out before the change.
func TestChangePassword_SignOutFails(t *testing.T) {
	t.Parallel()
	var armed, changed atomic.Bool
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		if armed.Load() && setsPassword(in) {
			changed.Store(true)
		}
		if changed.Load() && queriesSessions(op, in) {
			return fmt.Errorf("query cut off: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	owner := user(t, srv, "alice")
	thief := loginAgain(t, srv, "alice")
	const next = "a brand new passphrase"
	armed.Store(true)
	r := owner.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {next}})
	armed.Store(false)
	changed.Store(false)
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("password change with its sign-out failing: status %d, want 503", r.status)
	}
	// Trying again would fail: the current password is the new one now.
	if !strings.Contains(r.body, "Your password was changed") || strings.Contains(r.body, "try again") {
		t.Errorf("password change with its sign-out failing: the page does not say that the password was changed, or says to try again:\n%s", r.body)
	}
	if thief.loggedIn() {
		t.Error("another session survived the password change")
	}
}

// TestChangePassword_RenewFails: when the fresh session cannot be started
// once the password is set and every session ended (its check of the
// account fails), the page says that the password was changed and to log in
// with it, not to try again.
func TestChangePassword_RenewFails(t *testing.T) {
	t.Parallel()
	var armed, changed atomic.Bool
	env := newEnv(t)
	data := env.Tables.Data
	env = env.InterceptedInput(func(op string, in any) error {
		if armed.Load() && setsPassword(in) {
			changed.Store(true)
			return nil
		}
		// The new session's check that the account is still the one
		// whose password was set: the first read of the data table after
		// the change (the sign-outs are in the sessions table).
		if changed.Load() && readsTable(in, data) {
			return fmt.Errorf("read cut off: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	owner := user(t, srv, "alice")
	const next = "a brand new passphrase"
	armed.Store(true)
	r := owner.submit("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "confirm_password": {next}})
	armed.Store(false)
	changed.Store(false)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "Log in with the new password") || strings.Contains(r.body, "try again") {
		t.Errorf("password change with its new session failing: status %d; want 503 saying to log in with the new password:\n%s", r.status, r.body)
	}
	if r := newTab(t, srv).login("alice", next); r.status != http.StatusSeeOther {
		t.Errorf("login with the new password: status %d, want 303", r.status)
	}
}

// TestLogin_HalfDeletedAccount: an account whose deletion was interrupted
// (its sessions already ended) cannot be logged in to or signed up for; its
// owner's password finishes the deletion and says so, a wrong one fails
// like any other, and then the name is free.
func TestLogin_HalfDeletedAccount(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	alice.createItem("old", "x")
	if err := env.CutOff("Query").Store.DeleteAccount(t.Context(), "alice", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount with Query cut off succeeded")
	}
	if r := newTab(t, srv).signup("alice", "someone else entirely"); r.status != http.StatusConflict {
		t.Errorf("signup of a name being deleted: status %d, want 409", r.status)
	}
	wrong := newTab(t, srv)
	if r := wrong.login("alice", "not the password"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The username or password is not correct.") {
		t.Errorf("wrong password for a half-deleted account: status %d, want the usual 401", r.status)
	}
	if _, err := env.Store.GetUser(t.Context(), "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Fatalf("after a wrong password, GetUser = %v, want the deletion still pending (ErrAccountGone)", err)
	}
	owner := newTab(t, srv)
	r := owner.login("alice", testPassword)
	if r.status != http.StatusOK || !strings.Contains(r.body, "has been deleted") {
		t.Errorf("login to a half-deleted account: status %d, want 200 saying it has been deleted", r.status)
	}
	if owner.loggedIn() {
		t.Errorf("the login to a half-deleted account started a session")
	}
	if _, err := env.Store.GetUser(t.Context(), "alice"); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("after the login, GetUser = %v, want the account gone for good", err)
	}
	fresh := user(t, srv, "alice")
	if body := fresh.get("/items").body; strings.Contains(body, "old") {
		t.Errorf("the new alice sees the old account's item")
	}
}

// TestDeleteAccount_Interrupted: DynamoDB stops answering after the
// deletion has marked the account and ended its sessions, before its data
// is all gone. The account is deleted for every purpose (nobody can log in
// to it or change anything in it, and the rest is finished later), so the
// page says it was deleted, not "try again" from a form its owner is
// already logged out of.
func TestDeleteAccount_Interrupted(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	env := newEnv(t).Intercepted(func(op string) error {
		if failing.Load() && op == "BatchWriteItem" {
			return fmt.Errorf("batch cut off: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	alice.createItem("old", "x")
	failing.Store(true)
	r := alice.submit("/account/delete", "/account/delete", url.Values{"password": {testPassword}})
	failing.Store(false)
	if r.status != http.StatusOK || !strings.Contains(r.body, "has been deleted") {
		t.Errorf("delete account, interrupted after its mark: status %d, want 200 saying it has been deleted", r.status)
	}
	if !strings.Contains(r.body, "still being removed") {
		t.Errorf("the page of an interrupted deletion does not say that its data is still being removed")
	}
	if alice.loggedIn() {
		t.Errorf("the session of the deleted account still works")
	}
	if _, err := env.Store.GetUser(t.Context(), "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Fatalf("GetUser = %v, want the deletion pending (ErrAccountGone)", err)
	}
}

// TestDeleteAccount_EndsOthersFirst: the deletion signs the account's other
// sessions out before its mark, so that when its own round of ending them
// fails (after the mark: the account is deleted, its data still there
// until the deletion is finished), no other session, a thief's, reads on.
func TestDeleteAccount_EndsOthersFirst(t *testing.T) {
	t.Parallel()
	var deleting, marked, cut atomic.Bool
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		// Once the deletion has written its mark, the account's sessions
		// can no longer be listed.
		if deleting.Load() && marksDeletion(in) {
			marked.Store(true)
		}
		if marked.Load() && queriesSessions(op, in) {
			cut.Store(true)
			return fmt.Errorf("query cut off: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	owner := user(t, srv, "alice")
	owner.createItem("Secret plan", "the body")
	thief := loginAgain(t, srv, "alice")
	deleting.Store(true)
	r := owner.submit("/account/delete", "/account/delete", url.Values{"password": {testPassword}})
	deleting.Store(false)
	marked.Store(false)
	if !cut.Load() || r.status != http.StatusOK || !strings.Contains(r.body, "still being removed") {
		t.Fatalf("delete, its own sign-out failing after the mark (cut: %v): status %d, want 200 saying the data is still being removed", cut.Load(), r.status)
	}
	if thief.loggedIn() {
		t.Error("another session of the account is still logged in after its owner was told the account was deleted")
	}
}

// TestCreateItem_AfterAccountDeleted: a form post whose session was loaded
// before the account was deleted, and whose body arrives after, saves
// nothing: it answers 404, and the next account of that name starts empty.
func TestCreateItem_AfterAccountDeleted(t *testing.T) {
	t.Parallel()
	var loaded atomic.Pointer[chan struct{}]
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		if g, ok := in.(*dynamodb.GetItemInput); ok && op == "GetItem" {
			if pk, _ := g.Key["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "SESSION#") {
				if c := loaded.Swap(nil); c != nil {
					close(*c)
				}
			}
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	body := url.Values{"csrf_token": {tokenIn(alice.get("/items/new").body)}, "title": {"planted"}, "body": {"x"}}.Encode()

	// Send POST /items without its body: the app loads the session, then
	// waits for the body.
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := make(chan struct{})
	loaded.Store(&c)
	fmt.Fprintf(conn, "POST /items HTTP/1.1\r\nHost: %s\r\nCookie: __Host-session=%s\r\nOrigin: %s\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
		strings.TrimPrefix(srv.URL, "https://"), alice.cookie(), srv.URL, len(body))
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("the app never loaded the session")
	}
	time.Sleep(50 * time.Millisecond) // let the read finish

	if r := alice.submit("/account/delete", "/account/delete", url.Values{"password": {testPassword}}); r.status != http.StatusOK {
		t.Fatalf("delete account: status %d", r.status)
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("late POST /items: status %d, want 404", resp.StatusCode)
	}
	if n := dataItems(t, env); n != 0 {
		t.Errorf("%d records left after the account and the late post, want 0", n)
	}
	fresh := user(t, srv, "alice")
	if strings.Contains(fresh.get("/items").body, "planted") {
		t.Errorf("the new alice inherited the item posted after the deletion")
	}
}

// TestChange_ReadBackFails: once a change is committed, a failed read that
// follows it does not make the page an error: the edit, the visibility and
// the embed allowlist are saved, and the user is told so, not to try again
// (which would meet a version that moved on).
func TestChange_ReadBackFails(t *testing.T) {
	t.Parallel()
	var armed, committed atomic.Bool
	env := newEnv(t)
	data := env.Tables.Data
	env = env.InterceptedInput(func(op string, in any) error {
		if !armed.Load() {
			return nil
		}
		if _, ok := in.(*dynamodb.TransactWriteItemsInput); ok {
			committed.Store(true)
			return nil
		}
		if committed.Load() && readsTable(in, data) {
			return fmt.Errorf("read cut off: %w", store.ErrUnavailable)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Plan", "v1")
	for _, c := range []struct {
		name, page, action string
		form               url.Values
		check              func() bool
	}{
		{"edit", "/items/" + id + "/edit", "/items/" + id + "/edit", url.Values{"title": {"Plan v2"}, "body": {"v2"}, "version": {"1"}}, func() bool {
			it, err := env.Store.GetItem(t.Context(), "alice", id)
			return err == nil && it.Title == "Plan v2"
		}},
		{"visibility", "/items/" + id + "/visibility", "/items/" + id + "/visibility", url.Values{"public": {"true"}, "version": {"2"}}, func() bool {
			it, err := env.Store.GetItem(t.Context(), "alice", id)
			return err == nil && it.Public
		}},
		{"embed allowlist", "/account", "/account/embed-origins", url.Values{"origins": {"https://blog.example"}, "version": {"1"}}, func() bool {
			u, err := env.Store.GetUser(t.Context(), "alice")
			return err == nil && slices.Equal(u.EmbedOrigins, []string{"https://blog.example"})
		}},
	} {
		armed.Store(true)
		r := alice.submit(c.page, c.action, c.form)
		armed.Store(false)
		committed.Store(false)
		if r.status != http.StatusSeeOther || !c.check() {
			t.Errorf("%s with the read after it failing: status %d, saved %v; want 303 and saved", c.name, r.status, c.check())
		}
	}
}

// TestChange_SessionCommitFails: an item is created, and then the session,
// which carries the page's one-time message, cannot be saved. The item is
// there, so the page must not say to try again, which would create it a
// second time.
func TestChange_SessionCommitFails(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		if u, ok := in.(*dynamodb.UpdateItemInput); ok && armed.Load() {
			if pk, _ := u.Key["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "SESSION#") {
				return fmt.Errorf("session commit cut off: %w", store.ErrUnavailable)
			}
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	form := url.Values{"csrf_token": {tokenIn(alice.get("/items/new").body)}, "title": {"Once"}, "body": {"x"}}
	armed.Store(true)
	r := alice.postRaw("/items", form)
	armed.Store(false)
	if strings.Contains(r.body, "try again") || !strings.Contains(r.body, "was done") {
		t.Errorf("create with the session commit failing: status %d, the page says to try again or not that it was done", r.status)
	}
	if n := strings.Count(alice.get("/items").body, "Once"); n != 1 {
		t.Errorf("the item is listed %d times, want once", n)
	}
}
