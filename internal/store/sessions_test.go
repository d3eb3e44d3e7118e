package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// sessionRecord reads the raw session record stored for token, if any.
func sessionRecord(t *testing.T, e storetest.Env, token string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.Client.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(e.Tables.Sessions), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SESSION#" + store.HashToken(token)},
			"sk": &types.AttributeValueMemberS{Value: "SESSION"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem session: %v", err)
	}
	return out.Item
}

func mustFind(t *testing.T, ss *store.Sessions, token string) ([]byte, bool) {
	t.Helper()
	b, found, err := ss.FindCtx(t.Context(), token)
	if err != nil {
		t.Fatalf("FindCtx: %v", err)
	}
	return b, found
}

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ctx := t.Context()
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		const token = "tok-abcdefghijklmnopqrstuvwxyz012345"
		if _, found := mustFind(t, ss, token); found {
			t.Fatalf("FindCtx of a new token: found")
		}
		if err := ss.CommitCtx(ctx, token, []byte("v1"), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if got, found := mustFind(t, ss, token); !found || string(got) != "v1" {
			t.Errorf("FindCtx = %q, %v, want v1, true", got, found)
		}
		if err := ss.CommitCtx(ctx, token, []byte("v2"), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("second CommitCtx: %v", err)
		}
		if got, _ := mustFind(t, ss, token); string(got) != "v2" {
			t.Errorf("FindCtx after recommit = %q, want v2", got)
		}

		// Stored under the token's hash, and the token appears nowhere.
		rec := sessionRecord(t, e, token)
		if len(rec) == 0 {
			t.Fatalf("no record under the token hash")
		}
		for name, v := range rec {
			if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, token) {
				t.Errorf("attribute %s holds the raw token", name)
			}
		}
		if _, ok := rec["expires_at"].(*types.AttributeValueMemberN); !ok {
			t.Errorf("session record has no numeric expires_at (TTL): %v", rec)
		}

		if err := ss.DeleteCtx(ctx, token); err != nil {
			t.Fatalf("DeleteCtx: %v", err)
		}
		if _, found := mustFind(t, ss, token); found {
			t.Errorf("FindCtx after DeleteCtx: found")
		}
		// A request that loaded the session before the logout commits
		// afterwards: the session must stay ended.
		if err := ss.CommitCtx(ctx, token, []byte("stale"), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("CommitCtx after DeleteCtx: %v", err)
		}
		if got, found := mustFind(t, ss, token); found {
			t.Errorf("FindCtx after a late commit = %q, found: the ended session came back", got)
		}
		if err := ss.CommitCtx(ctx, "empty", nil, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("CommitCtx(empty): %v", err)
		}
		if got, found := mustFind(t, ss, "empty"); !found || len(got) != 0 {
			t.Errorf("FindCtx of an empty session = %q, %v, want empty, true", got, found)
		}
		if err := ss.DeleteCtx(ctx, "never-existed"); err != nil {
			t.Errorf("DeleteCtx of a missing session: %v", err)
		}
	})
}

func TestSessions_ExpiryOnRead(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		now := time.Now()
		store.SetSessionsNow(ss, func() time.Time { return now })
		if err := ss.CommitCtx(t.Context(), "tok", []byte("data"), now.Add(10*time.Minute)); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if _, found := mustFind(t, ss, "tok"); !found {
			t.Fatalf("FindCtx before expiry: not found")
		}
		now = now.Add(10*time.Minute + time.Second)
		if got, found := mustFind(t, ss, "tok"); found {
			t.Errorf("FindCtx after expiry = %q, found", got)
		}
		// The record is still there: TTL has not removed it, the read did
		// the refusing.
		if len(sessionRecord(t, e, "tok")) == 0 {
			t.Errorf("record gone; the test no longer shows expiry enforced on read")
		}
		// Also an expiry already past when committed.
		if err := ss.CommitCtx(t.Context(), "old", []byte("data"), now.Add(-time.Second)); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if _, found := mustFind(t, ss, "old"); found {
			t.Errorf("FindCtx of a session committed already expired: found")
		}
	})
}

func TestSessions_Malformed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		far := "9999999999"
		tests := []struct {
			name  string
			attrs map[string]types.AttributeValue
		}{
			{"no data", map[string]types.AttributeValue{"expires_at": &types.AttributeValueMemberN{Value: far}}},
			{"string data", map[string]types.AttributeValue{
				"expires_at": &types.AttributeValueMemberN{Value: far},
				"data":       &types.AttributeValueMemberS{Value: "x"},
			}},
			{"no expiry", map[string]types.AttributeValue{"data": &types.AttributeValueMemberB{Value: []byte("x")}}},
			{"string expiry", map[string]types.AttributeValue{
				"expires_at": &types.AttributeValueMemberS{Value: far},
				"data":       &types.AttributeValueMemberB{Value: []byte("x")},
			}},
		}
		for _, tc := range tests {
			token := "malformed-" + tc.name
			item := map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "SESSION#" + store.HashToken(token)},
				"sk": &types.AttributeValueMemberS{Value: "SESSION"},
			}
			for k, v := range tc.attrs {
				item[k] = v
			}
			if _, err := e.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(e.Tables.Sessions), Item: item}); err != nil {
				t.Fatalf("%s: PutItem: %v", tc.name, err)
			}
			got, found, err := ss.FindCtx(t.Context(), token)
			if found || err != nil {
				t.Errorf("%s: FindCtx = %q, %v, %v; want not found, nil error", tc.name, got, found, err)
			}
		}
	})
}

// twoInstances returns two session stores with their own clients on the
// sessions table of a fresh environment on b, as two app instances.
func twoInstances(t *testing.T, b storetest.Backend) (*store.Sessions, *store.Sessions) {
	t.Helper()
	e := b.Env(t)
	return store.NewSessions(storetest.Client(t, b.Endpoint), e.Tables.Sessions),
		store.NewSessions(storetest.Client(t, b.Endpoint), e.Tables.Sessions)
}

// TestSessions_TwoInstances runs two session stores with their own clients on
// one table, as two app instances behind a load balancer.
func TestSessions_TwoInstances(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := t.Context()
		a, bb := twoInstances(t, b)
		exp := time.Now().Add(time.Hour)
		for _, tok := range []string{"alice-1", "alice-2", "bob-1"} {
			if err := a.CommitCtx(ctx, tok, []byte(tok), exp); err != nil {
				t.Fatalf("CommitCtx(%s): %v", tok, err)
			}
			user := strings.Split(tok, "-")[0]
			if err := a.Track(ctx, user, tok, exp, store.SessionInfo{SignedIn: time.Now()}); err != nil {
				t.Fatalf("Track(%s): %v", tok, err)
			}
		}
		if got, found := mustFind(t, bb, "alice-1"); !found || string(got) != "alice-1" {
			t.Errorf("instance B finds %q, %v, want the session made on A", got, found)
		}
		if err := bb.DeleteCtx(ctx, "alice-2"); err != nil {
			t.Fatalf("DeleteCtx on B: %v", err)
		}
		if _, found := mustFind(t, a, "alice-2"); found {
			t.Errorf("session ended on B still found on A")
		}
		if err := bb.EndAll(ctx, "alice"); err != nil {
			t.Fatalf("EndAll(alice) on B: %v", err)
		}
		if _, found := mustFind(t, a, "alice-1"); found {
			t.Errorf("alice-1 found on A after EndAll(alice) on B")
		}
		if _, found := mustFind(t, a, "bob-1"); !found {
			t.Errorf("bob-1 lost after EndAll(alice)")
		}
		if err := a.CommitCtx(ctx, "alice-1", []byte("late"), exp); err != nil {
			t.Fatalf("late CommitCtx: %v", err)
		}
		if _, found := mustFind(t, a, "alice-1"); found {
			t.Errorf("alice-1 revived by a late commit after EndAll")
		}
		if err := a.EndAll(ctx, "nobody"); err != nil {
			t.Errorf("EndAll of a user without sessions: %v", err)
		}
	})
}

// TestSessions_EndOthers: EndOthers ends every session of the user but the
// one kept, on every instance, and counts only those that were live.
func TestSessions_EndOthers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := t.Context()
		a, bb := twoInstances(t, b)
		exp := time.Now().Add(time.Hour)
		for _, tok := range []string{"alice-1", "alice-2", "alice-3", "alice-ended", "bob-1"} {
			if err := a.CommitCtx(ctx, tok, []byte(tok), exp); err != nil {
				t.Fatalf("CommitCtx(%s): %v", tok, err)
			}
			if err := a.Track(ctx, strings.Split(tok, "-")[0], tok, exp, store.SessionInfo{SignedIn: time.Now()}); err != nil {
				t.Fatalf("Track(%s): %v", tok, err)
			}
		}
		if err := a.DeleteCtx(ctx, "alice-ended"); err != nil { // ended, still tracked
			t.Fatal(err)
		}
		n, err := bb.EndOthers(ctx, "alice", store.SessionID("alice-2"))
		if err != nil || n != 2 {
			t.Fatalf("EndOthers(alice, keep alice-2) = %d, %v; want 2 (alice-1, alice-3), nil", n, err)
		}
		for tok, want := range map[string]bool{"alice-1": false, "alice-2": true, "alice-3": false, "bob-1": true} {
			if _, found := mustFind(t, a, tok); found != want {
				t.Errorf("after EndOthers on B, %s found on A: %v, want %v", tok, found, want)
			}
		}
		if l, err := a.List(ctx, "alice"); err != nil || len(l) != 1 || l[0].ID != store.SessionID("alice-2") {
			t.Errorf("List(alice) after EndOthers = %+v, %v; want alice-2 alone", l, err)
		}
	})
}

// TestSessions_SCS drives the store through scs.SessionManager over HTTP.
func TestSessions_SCS(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		sm := scs.New()
		sm.Store = store.NewSessions(e.Client, e.Tables.Sessions)
		sm.Lifetime = time.Hour
		mux := http.NewServeMux()
		mux.HandleFunc("POST /put", func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "v", r.FormValue("v"))
		})
		mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(sm.GetString(r.Context(), "v")))
		})
		mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
			if err := sm.Destroy(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
		srv := httptest.NewServer(sm.LoadAndSave(mux))
		t.Cleanup(srv.Close)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		do := func(method, path, body string) string {
			t.Helper()
			req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: status %d: %s", method, path, resp.StatusCode, buf.String())
			}
			return buf.String()
		}
		do("POST", "/put", "v=hello")
		if got := do("GET", "/get", ""); got != "hello" {
			t.Errorf("GET /get = %q, want hello", got)
		}
		do("POST", "/logout", "")
		if got := do("GET", "/get", ""); got != "" {
			t.Errorf("GET /get after logout = %q, want empty", got)
		}
	})
}

func TestSessions_Unavailable(t *testing.T) {
	t.Parallel()
	ss := store.NewSessions(storetest.Client(t, closedEndpoint(t)), "x-sessions")
	if _, found, err := ss.FindCtx(t.Context(), "tok"); found || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("FindCtx on a closed port = %v, %v, want not found and ErrUnavailable", found, err)
	}
	if l, err := ss.List(t.Context(), "alice"); l != nil || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("List on a closed port = %v, %v, want nothing and ErrUnavailable", l, err)
	}
}

// TestSessions_ListEnd: List shows a user's live sessions with what Track
// recorded, newest login first, and not those ended by logout (DeleteCtx,
// then Untrack) or by End, which ends a session on every instance; End
// never reaches another user's session and refuses a malformed id.
func TestSessions_ListEnd(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := t.Context()
		a, bb := twoInstances(t, b)
		exp := time.Now().Add(time.Hour).Truncate(time.Second)
		signedIn := time.Now().Add(-time.Hour).Truncate(time.Second)
		for i, tok := range []string{"alice-1", "alice-2", "alice-3", "bob-1"} {
			if err := a.CommitCtx(ctx, tok, []byte(tok), exp); err != nil {
				t.Fatalf("CommitCtx(%s): %v", tok, err)
			}
			info := store.SessionInfo{SignedIn: signedIn.Add(time.Duration(i) * time.Minute), UserAgent: "Agent " + tok, Addr: "192.0.2.1"}
			if tok == "alice-3" {
				info.UserAgent = strings.Repeat("é", 200) // 400 bytes: kept to 256, whole characters
			}
			if err := a.Track(ctx, strings.Split(tok, "-")[0], tok, exp, info); err != nil {
				t.Fatalf("Track(%s): %v", tok, err)
			}
		}
		list := func(s *store.Sessions, user string) []store.TrackedSession {
			t.Helper()
			l, err := s.List(ctx, user)
			if err != nil {
				t.Fatalf("List(%s): %v", user, err)
			}
			return l
		}
		got := list(bb, "alice")
		if len(got) != 3 || got[0].ID != store.SessionID("alice-3") || got[2].ID != store.SessionID("alice-1") {
			t.Fatalf("List(alice) = %+v, want alice-3, alice-2, alice-1", got)
		}
		if s := got[1]; s.UserAgent != "Agent alice-2" || s.Addr != "192.0.2.1" || !s.SignedIn.Equal(signedIn.Add(time.Minute)) || !s.Expires.Equal(exp) {
			t.Errorf("alice-2 listed as %+v", s)
		}
		if ua := got[0].UserAgent; len(ua) != 256 || !utf8.ValidString(ua) {
			t.Errorf("a 400-byte user agent is kept as %d bytes (valid UTF-8: %v)", len(ua), utf8.ValidString(ua))
		}

		// A login tracked without a description (before logins were
		// described) lists with none.
		if err := a.CommitCtx(ctx, "carol-1", []byte("carol-1"), exp); err != nil {
			t.Fatal(err)
		}
		if err := a.Track(ctx, "carol", "carol-1", exp, store.SessionInfo{}); err != nil {
			t.Fatalf("Track without info: %v", err)
		}
		if got := list(bb, "carol"); len(got) != 1 || !got[0].SignedIn.IsZero() || got[0].UserAgent != "" || got[0].Addr != "" {
			t.Errorf("List(carol) = %+v, want one session with no description", got)
		}

		// Logout: the session ends and is forgotten.
		if err := a.DeleteCtx(ctx, "alice-2"); err != nil {
			t.Fatal(err)
		}
		if err := a.Untrack(ctx, "alice", "alice-2"); err != nil {
			t.Fatal(err)
		}
		// End on one instance holds on the other at once.
		if err := a.End(ctx, "alice", store.SessionID("alice-1")); err != nil {
			t.Fatalf("End(alice-1): %v", err)
		}
		if _, found := mustFind(t, bb, "alice-1"); found {
			t.Error("a session End ended is still found on the other instance")
		}
		if got := list(bb, "alice"); len(got) != 1 || got[0].ID != store.SessionID("alice-3") {
			t.Errorf("after a logout and an End, List(alice) = %+v, want alice-3 alone", got)
		}

		// Another user's session, an ended one, a malformed id.
		if err := a.End(ctx, "alice", store.SessionID("bob-1")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice ends bob's session: %v, want ErrNotFound", err)
		}
		if _, found := mustFind(t, bb, "bob-1"); !found {
			t.Error("bob's session ended by alice's End")
		}
		if err := a.End(ctx, "alice", store.SessionID("alice-1")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("End of an ended session: %v, want ErrNotFound", err)
		}
		for _, id := range []string{"", "xyz", strings.ToUpper(store.SessionID("alice-3")), store.SessionID("alice-3") + "0"} {
			if err := a.End(ctx, "alice", id); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("End(%q): %v, want ErrInvalid", id, err)
			}
		}
	})
}

// TestSessions_TransactionConflict: a commit or the end of a session that
// meets a transaction of the session in flight, which holds the session's
// record for its check (DynamoDB's TransactionConflictException, which the
// local servers do not produce, so it is made here), is tried again and
// succeeds once the transaction is done; one that keeps conflicting is
// ErrUnavailable.
func TestSessions_TransactionConflict(t *testing.T) {
	t.Parallel()
	env := storetest.EmbeddedBackend(t).Env(t)
	exp := time.Now().Add(time.Hour)
	commit := func(ss *store.Sessions, token string) error {
		return ss.CommitCtx(t.Context(), token, []byte("data"), exp)
	}
	end := func(ss *store.Sessions, token string) error { return ss.DeleteCtx(t.Context(), token) }
	for _, tc := range []struct {
		name       string
		do         func(ss *store.Sessions, token string) error
		conflicted int   // how many calls conflict
		calls      int   // calls made in all
		want       error // nil: done
	}{
		{"commit, once", commit, 1, 2, nil},
		{"end, twice", end, 2, 3, nil},
		{"commit, throughout", commit, 99, 3, store.ErrUnavailable},
	} {
		token := "conflict-" + tc.name
		calls := 0
		conflicting := env.Intercepted(func(op string) error {
			if op != "UpdateItem" {
				return nil
			}
			calls++
			if calls <= tc.conflicted {
				return &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}
			}
			return nil
		})
		err := tc.do(store.NewSessions(conflicting.Client, env.Tables.Sessions), token)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if calls != tc.calls {
			t.Errorf("%s: %d UpdateItem calls, want %d", tc.name, calls, tc.calls)
		}
		if tc.want == nil && len(sessionRecord(t, env, token)) == 0 {
			t.Errorf("%s: no session record written", tc.name)
		}
	}
}

// TestSessions_ListPastEnded: sessions that ended without being forgotten
// (by their idle timeout, say), however many and however new, do not push
// a live one out of List, which reads on until it has its MaxListedSessions
// live ones.
func TestSessions_ListPastEnded(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := t.Context()
		s, _ := twoInstances(t, b)
		exp := time.Now().Add(time.Hour).Truncate(time.Second)
		start := time.Now().Add(-time.Hour).Truncate(time.Second)
		track := func(tok string, at time.Time) {
			t.Helper()
			if err := s.CommitCtx(ctx, tok, []byte(tok), exp); err != nil {
				t.Fatalf("CommitCtx(%s): %v", tok, err)
			}
			if err := s.Track(ctx, "alice", tok, exp, store.SessionInfo{SignedIn: at}); err != nil {
				t.Fatalf("Track(%s): %v", tok, err)
			}
		}
		track("alice-live", start)
		for i := range store.MaxListedSessions + 1 {
			tok := fmt.Sprintf("alice-ended-%d", i)
			track(tok, start.Add(time.Duration(i+1)*time.Second))
			if err := s.DeleteCtx(ctx, tok); err != nil { // ended, still tracked
				t.Fatal(err)
			}
		}
		got, err := s.List(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != store.SessionID("alice-live") {
			t.Errorf("List(alice) = %d sessions, want alice-live alone", len(got))
		}
	})
}
