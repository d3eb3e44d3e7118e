package store_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// TestSessions_TwoInstances runs two session stores with their own clients on
// one table, as two app instances behind a load balancer.
func TestSessions_TwoInstances(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ctx := t.Context()
		a := store.NewSessions(storetest.Client(t, b.Endpoint), e.Tables.Sessions)
		bb := store.NewSessions(storetest.Client(t, b.Endpoint), e.Tables.Sessions)
		exp := time.Now().Add(time.Hour)
		for _, tok := range []string{"alice-1", "alice-2", "bob-1"} {
			if err := a.CommitCtx(ctx, tok, []byte(tok), exp); err != nil {
				t.Fatalf("CommitCtx(%s): %v", tok, err)
			}
			user := strings.Split(tok, "-")[0]
			if err := a.Track(ctx, user, tok, exp); err != nil {
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
}
