package store_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// storedExpiry returns the expires_at of token's record, in Unix seconds.
func storedExpiry(t *testing.T, e storetest.Env, token string) int64 {
	t.Helper()
	n, ok := sessionRecord(t, e, token)["expires_at"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("session %q has no expires_at", token)
	}
	sec, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		t.Fatalf("expires_at %q: %v", n.Value, err)
	}
	return sec
}

// TestSessions_CommitGrace: in a request with a memo, the re-commit of the
// session just read, unchanged and with an expiry less than the grace later,
// writes nothing; any other commit writes.
func TestSessions_CommitGrace(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		now := time.Unix(time.Now().Unix(), 0)
		stored := now.Add(time.Hour) // the expiry of every session at the start
		tests := []struct {
			name  string
			grace time.Duration // CommitGrace
			memo  bool          // the request has a memo
			other bool          // the request read another session
			data  string        // committed; every session holds "data"
			exp   time.Time     // committed expiry
			skip  bool
		}{
			{"unchanged, 30s later", 0, true, false, "data", stored.Add(30 * time.Second), true},
			{"unchanged, same expiry", 0, true, false, "data", stored, true},
			{"changed data", 0, true, false, "DATA", stored.Add(30 * time.Second), false},
			{"unchanged, beyond the grace", 0, true, false, "data", stored.Add(61 * time.Second), false},
			{"unchanged, earlier", 0, true, false, "data", stored.Add(-10 * time.Second), false},
			{"unchanged, no memo", 0, false, false, "data", stored.Add(30 * time.Second), false},
			{"unchanged, memo of another session", 0, true, true, "data", stored.Add(30 * time.Second), false},
			{"unchanged, longer grace", 5 * time.Minute, true, false, "data", stored.Add(4 * time.Minute), true},
			{"unchanged, grace off", -1, true, false, "data", stored.Add(time.Second), false},
			// A tenth of the time left (an hour) is 6 minutes.
			{"unchanged, beyond a tenth of the idle time", time.Hour, true, false, "data", stored.Add(7 * time.Minute), false},
		}
		for i, tc := range tests {
			token := "grace-" + strconv.Itoa(i)
			ss := store.NewSessions(e.Client, e.Tables.Sessions)
			ss.CommitGrace = tc.grace
			store.SetSessionsNow(ss, func() time.Time { return now })
			if err := ss.CommitCtx(t.Context(), token, []byte("data"), stored); err != nil {
				t.Fatalf("%s: CommitCtx: %v", tc.name, err)
			}
			if err := ss.CommitCtx(t.Context(), token+"-other", []byte("data"), stored); err != nil {
				t.Fatalf("%s: CommitCtx: %v", tc.name, err)
			}
			ctx := t.Context()
			if tc.memo {
				ctx = store.WithSessionMemo(ctx)
			}
			read := token
			if tc.other {
				read = token + "-other"
			}
			if _, found, err := ss.FindCtx(ctx, read); err != nil || !found {
				t.Fatalf("%s: FindCtx = %v, %v", tc.name, found, err)
			}
			if err := ss.CommitCtx(ctx, token, []byte(tc.data), tc.exp); err != nil {
				t.Fatalf("%s: CommitCtx: %v", tc.name, err)
			}
			wantExp, wantData := tc.exp.Unix(), tc.data
			if tc.skip {
				wantExp, wantData = stored.Unix(), "data"
			}
			if got := storedExpiry(t, e, token); got != wantExp {
				t.Errorf("%s: stored expiry %+ds from the original, want %+ds (skip %v)", tc.name, got-stored.Unix(), wantExp-stored.Unix(), tc.skip)
			}
			if got, _ := mustFind(t, ss, token); string(got) != wantData {
				t.Errorf("%s: stored data %q, want %q", tc.name, got, wantData)
			}
		}
	})
}

// TestSessions_CommitGraceEnded: a skipped commit cannot revive a session
// ended meanwhile by another instance, nor can a written one.
func TestSessions_CommitGraceEnded(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		one := store.NewSessions(e.Client, e.Tables.Sessions)
		two := store.NewSessions(storetest.Client(t, b.Endpoint), e.Tables.Sessions)
		exp := time.Now().Add(time.Hour)
		for _, data := range []string{"data", "changed"} {
			token := "ended-" + data
			if err := one.CommitCtx(t.Context(), token, []byte("data"), exp); err != nil {
				t.Fatalf("CommitCtx: %v", err)
			}
			ctx := store.WithSessionMemo(t.Context())
			if _, found, err := one.FindCtx(ctx, token); err != nil || !found {
				t.Fatalf("FindCtx = %v, %v", found, err)
			}
			if err := two.DeleteCtx(t.Context(), token); err != nil {
				t.Fatalf("DeleteCtx on the other instance: %v", err)
			}
			if err := one.CommitCtx(ctx, token, []byte(data), exp.Add(time.Second)); err != nil {
				t.Fatalf("CommitCtx after the end: %v", err)
			}
			if got, found := mustFind(t, one, token); found {
				t.Errorf("commit of %q revived an ended session: %q", data, got)
			}
		}
	})
}

// TestSessions_CommitGraceRepeated: a request that commits twice writes the
// second, unchanged commit not at all; the memo follows the first write.
func TestSessions_CommitGraceRepeated(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		exp := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
		ctx := store.WithSessionMemo(t.Context())
		if _, found, _ := ss.FindCtx(ctx, "new"); found {
			t.Fatalf("FindCtx of a new session: found")
		}
		if err := ss.CommitCtx(ctx, "new", []byte("v1"), exp); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if err := ss.CommitCtx(ctx, "new", []byte("v1"), exp.Add(10*time.Second)); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if got := storedExpiry(t, e, "new"); got != exp.Unix() {
			t.Errorf("second unchanged commit wrote: expiry %+ds", got-exp.Unix())
		}
		if err := ss.CommitCtx(ctx, "new", []byte("v2"), exp.Add(10*time.Second)); err != nil {
			t.Fatalf("CommitCtx: %v", err)
		}
		if got, _ := mustFind(t, ss, "new"); string(got) != "v2" {
			t.Errorf("changed commit after a skip: stored %q, want v2", got)
		}
	})
}

func TestSessionCodec(t *testing.T) {
	t.Parallel()
	deadline := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	values := map[string]any{
		"username": "alice", "flash": "Saved.", "token": []byte{1, 2, 3},
		"n": 7, "a": "x", "b": "y", "c": "z",
	}
	var c store.SessionCodec
	first, err := c.Encode(deadline, values)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	// scs.GobCodec gives different bytes for some of these runs: map order.
	for range 50 {
		b, err := c.Encode(deadline, values)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("equal values encoded to different bytes")
		}
	}
	check := func(name string, gotDeadline time.Time, got map[string]any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: Decode: %v", name, err)
		}
		if !gotDeadline.Equal(deadline) || len(got) != len(values) {
			t.Fatalf("%s: Decode = %v, %v; want %v, %v", name, gotDeadline, got, deadline, values)
		}
		for k, v := range values {
			if !equalValue(got[k], v) {
				t.Errorf("%s: %s = %#v, want %#v", name, k, got[k], v)
			}
		}
	}
	d, got, err := c.Decode(first)
	check("SessionCodec", d, got, err)
	old, err := scs.GobCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatalf("GobCodec.Encode: %v", err)
	}
	d, got, err = c.Decode(old)
	check("from GobCodec", d, got, err)
	// An instance still on GobCodec reads the deadline and no values: a
	// logged-out session, not an error.
	if d, got, err := (scs.GobCodec{}).Decode(first); err != nil || !d.Equal(deadline) || len(got) != 0 {
		t.Errorf("GobCodec.Decode of SessionCodec = %v, %v, %v; want the deadline, no values", d, got, err)
	}
	if _, _, err := c.Decode([]byte("not gob")); err == nil {
		t.Errorf("Decode of garbage: no error")
	}
	empty, err := c.Encode(deadline, map[string]any{})
	if err != nil {
		t.Fatalf("Encode(empty): %v", err)
	}
	if d, got, err := c.Decode(empty); err != nil || !d.Equal(deadline) || got == nil || len(got) != 0 {
		t.Errorf("Decode(empty) = %v, %v, %v; want the deadline, an empty map", d, got, err)
	}
}

func equalValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	return a == b
}
