package app_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

var sessionIDRE = regexp.MustCompile(`name="id" value="([0-9a-f]{64})"`)

// sessionIDs returns the ids of the sign-out buttons on b's list of
// sessions: every session but b's own.
func sessionIDs(b *browser) []string {
	b.t.Helper()
	r := b.get("/account/sessions")
	if r.status != http.StatusOK {
		b.t.Fatalf("GET /account/sessions: status %d", r.status)
	}
	var ids []string
	for _, m := range sessionIDRE.FindAllStringSubmatch(r.body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestSessions: the list shows every session of the account, this one
// marked; signing one out logs that browser out on the spot and nothing
// else; nobody can sign out another user's session or their own from the
// list; a logout leaves the list; "sign out the others" keeps only this one.
func TestSessions(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	phone := loginAgain(t, srv, "alice")
	bob := user(t, srv, "bob")

	r := alice.get("/account/sessions")
	if n := strings.Count(r.body, "This session"); n != 1 || !strings.Contains(r.body, "Go-http-client") || !strings.Contains(r.body, "from <bdi>127.0.0.1</bdi>") {
		t.Errorf("the list marks %d sessions as this one, or lacks the browser and address:\n%s", n, r.body)
	}
	ids := sessionIDs(alice)
	if len(ids) != 1 {
		t.Fatalf("alice's list has %d sign-out buttons, want 1 (the phone's)", len(ids))
	}
	phoneID := ids[0]

	// bob cannot reach alice's session; nobody signs out their own session
	// here; a malformed id is refused.
	if r := bob.submit("/account/sessions", "/account/sessions/end", url.Values{"id": {phoneID}}); r.status != http.StatusSeeOther {
		t.Errorf("bob signs out alice's session: status %d, want 303", r.status)
	}
	if !phone.loggedIn() {
		t.Fatal("bob signed out alice's phone")
	}
	if r := bob.get("/account/sessions"); !strings.Contains(r.body, "That session had already ended.") {
		t.Error("bob is not told that there was no such session")
	}
	own := sessionIDs(phone)[0] // the phone's list shows alice's first session
	if r := alice.submit("/account/sessions", "/account/sessions/end", url.Values{"id": {own}}); r.status != http.StatusBadRequest {
		t.Errorf("alice signs out her own session from the list: status %d, want 400", r.status)
	}
	if r := alice.submit("/account/sessions", "/account/sessions/end", url.Values{"id": {"not-an-id"}}); r.status != http.StatusBadRequest {
		t.Errorf("malformed id: status %d, want 400", r.status)
	}

	// alice signs the phone out: it is logged out at once, she is not.
	if r := alice.submit("/account/sessions", "/account/sessions/end", url.Values{"id": {phoneID}}); r.status != http.StatusSeeOther {
		t.Fatalf("alice signs out her phone: status %d", r.status)
	}
	if phone.loggedIn() {
		t.Error("the phone is still logged in after alice signed it out")
	}
	if !alice.loggedIn() {
		t.Error("signing out the phone logged alice out")
	}
	if r := alice.get("/account/sessions"); !strings.Contains(r.body, "Signed out that session.") || len(sessionIDRE.FindAllString(r.body, -1)) != 0 {
		t.Errorf("after signing the phone out the list still offers %d buttons", len(sessionIDRE.FindAllString(r.body, -1)))
	}
	// The activity log says which session was signed out; bob's attempt
	// left nothing in his.
	if r := alice.get("/activity"); !strings.Contains(r.body, "Session signed out") || !regexp.MustCompile(`Go-http-client/[0-9.]+, logged in \d`).MatchString(r.body) {
		t.Error("alice's activity log does not show the sign-out and the session's browser")
	}
	if r := bob.get("/activity"); strings.Contains(r.body, "signed out") {
		t.Error("bob's activity log shows a sign-out that did not happen")
	}

	// A logout leaves the list.
	laptop := loginAgain(t, srv, "alice")
	if n := len(sessionIDs(alice)); n != 1 {
		t.Fatalf("with the laptop logged in, %d other sessions listed, want 1", n)
	}
	laptop.logout()
	if n := len(sessionIDs(alice)); n != 0 {
		t.Errorf("after the laptop logged out, %d other sessions listed, want 0", n)
	}

	// Signing out the others keeps this session alone.
	others := []*browser{loginAgain(t, srv, "alice"), loginAgain(t, srv, "alice")}
	if r := alice.submit("/account/sessions", "/account/sessions/end-others", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out the others: status %d", r.status)
	}
	for i, o := range others {
		if o.loggedIn() {
			t.Errorf("session %d is still logged in after alice signed out the others", i)
		}
	}
	if r := alice.get("/account/sessions"); !alice.loggedIn() || !strings.Contains(r.body, "Signed out 2 other sessions.") {
		t.Errorf("after signing out the others: alice logged in %v, page:\n%s", alice.loggedIn(), r.body)
	}
	if r := alice.get("/activity"); !strings.Contains(r.body, "Other sessions signed out") || !strings.Contains(r.body, "2 sessions") {
		t.Error("alice's activity log does not show the sign-out of the 2 others")
	}
	if !bob.loggedIn() {
		t.Error("alice signing out her other sessions logged bob out")
	}
}

// TestSessions_EndOthersBeyondList: "sign out the others" signs out every
// other session, also those beyond the newest logins the page lists.
func TestSessions_EndOthersBeyondList(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice := user(t, srv, "alice")
	var others []*browser
	for range store.MaxListedSessions + 1 {
		others = append(others, loginAgain(t, srv, "alice"))
	}
	if r := alice.submit("/account/sessions", "/account/sessions/end-others", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out the others: status %d", r.status)
	}
	n := 0
	for _, o := range others {
		if o.loggedIn() {
			n++
		}
	}
	if n != 0 {
		t.Errorf("%d of %d other sessions are still logged in after alice signed out the others", n, len(others))
	}
	if !alice.loggedIn() {
		t.Error("signing out the others logged alice out")
	}
}

// TestSessions_LoginAgain: a login in a browser already logged in ends the
// session it had and forgets it, so that logging in again and again leaves
// nothing in the list's index to push another, live session out of sight.
func TestSessions_LoginAgain(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	owner := user(t, srv, "alice")
	other := loginAgain(t, srv, "alice") // the session to find in the list
	again := loginAgain(t, srv, "alice")
	for i := range store.MaxListedSessions + 1 {
		// The login form of a logged-in browser (its page redirects), sent
		// with the token of any of its pages.
		form := url.Values{"csrf_token": {tokenIn(again.get("/items/new").body)}, "username": {"alice"}, "password": {testPassword}}
		if r := again.postRaw("/login", form); r.status != http.StatusSeeOther {
			t.Fatalf("login again %d: status %d", i+1, r.status)
		}
	}
	again.logout()
	if !other.loggedIn() {
		t.Fatal("the other session is not logged in")
	}
	listed := false
	for _, m := range sessionIDRE.FindAllStringSubmatch(owner.get("/account/sessions").body, -1) {
		listed = listed || m[1] == store.SessionID(other.cookie())
	}
	if !listed {
		t.Error("the owner's list of sessions does not show the other live session")
	}
	out, err := env.Client.Query(t.Context(), &dynamodb.QueryInput{
		TableName:                 aws.String(env.Tables.Sessions),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "USERSESSIONS#alice"}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 {
		t.Errorf("%d sessions tracked for alice, want 2 (the owner's and the other): the logins again left theirs", len(out.Items))
	}
}

// TestLoginRecorded: a login is in the account's activity log, a sign-up
// and a failed login are not; a login the log cannot take does not happen.
func TestLoginRecorded(t *testing.T) {
	t.Parallel()
	var cut atomic.Bool
	env := newEnv(t).Intercepted(func(op string) error {
		if op == "TransactWriteItems" && cut.Load() {
			return errors.New("transactions cut off")
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	logins := func() int { return strings.Count(alice.get("/activity").body, "Logged in") }
	if n := logins(); n != 0 {
		t.Errorf("after sign-up the activity log shows %d logins, want 0", n)
	}
	if r := newBrowser(t, srv).login("alice", "wrong password"); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d", r.status)
	}
	loginAgain(t, srv, "alice")
	if n := logins(); n != 1 {
		t.Errorf("after a failed and a good login the activity log shows %d logins, want 1", n)
	}

	cut.Store(true)
	b := newBrowser(t, srv)
	if r := b.login("alice", testPassword); r.status != http.StatusServiceUnavailable && r.status != http.StatusInternalServerError {
		t.Errorf("login that cannot be recorded: status %d, want a 5xx", r.status)
	}
	cut.Store(false)
	if b.loggedIn() {
		t.Error("a login that could not be recorded is logged in")
	}
	if n := logins(); n != 1 {
		t.Errorf("the activity log shows %d logins, want still 1", n)
	}
}
