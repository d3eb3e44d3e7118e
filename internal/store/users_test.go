package store_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// auditActions returns the actions of username's audit log, oldest first.
func auditActions(t *testing.T, s *store.Store, username string) []string {
	t.Helper()
	evs, _, err := store.AuditEvents(t.Context(), s, username)
	if err != nil {
		t.Fatalf("AuditEvents(%s): %v", username, err)
	}
	var acts []string
	for _, e := range evs {
		acts = append(acts, e.Action)
	}
	return acts
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.Transactions) // a user and its audit record are one transaction
		s := b.Store(t)
		ctx := t.Context()
		a := store.Actor{Username: "alice", ClientAddr: "192.0.2.1", UserAgent: "test", SecFetchSite: "same-origin", Origin: "https://example.test"}
		u, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "h1", EmbedOrigins: []string{"https://a.test"}}, a)
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if u.Version != 1 || u.CreatedAt.IsZero() {
			t.Errorf("CreateUser = %+v, want version 1 and a creation time", u)
		}
		got, err := s.GetUser(ctx, "alice")
		if err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		if got.PasswordHash != "h1" || got.Version != 1 || len(got.EmbedOrigins) != 1 || !got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("GetUser = %+v, want what CreateUser returned %+v", got, u)
		}

		// Conditional create: the taken name is refused and nothing changes,
		// the audit log included.
		_, err = s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "evil"}, store.Actor{Username: "mallory"})
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("second CreateUser = %v, want ErrExists", err)
		}
		if got, _ := s.GetUser(ctx, "alice"); got.PasswordHash != "h1" {
			t.Errorf("after refused create, password hash = %q, want h1", got.PasswordHash)
		}
		evs, _, err := store.AuditEvents(ctx, s, "alice")
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if len(evs) != 1 || evs[0].Action != "user.create" || evs[0].Actor != a {
			t.Errorf("audit log = %+v, want one user.create by %+v", evs, a)
		}

		if _, err := s.GetUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(nobody) = %v, want ErrNotFound", err)
		}
		for _, bad := range []string{"", "a#b", "a b", "a\x00"} {
			if _, err := s.CreateUser(ctx, store.User{Username: bad, PasswordHash: "x"}, a); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CreateUser(%q) = %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestCreateUser_Concurrent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.Transactions)
		s := b.Store(t)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.CreateUser(t.Context(), store.User{Username: "carol", PasswordHash: "h"}, store.Actor{})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict):
			default:
				t.Errorf("concurrent CreateUser: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent creates of one name succeeded, want 1", won, n)
		}
		if got := auditActions(t, s, "carol"); len(got) != 1 {
			t.Errorf("audit log = %v, want exactly one user.create", got)
		}
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.Transactions)
		s := b.Store(t)
		ctx := t.Context()
		a := store.Actor{Username: "dave"}
		if _, err := s.CreateUser(ctx, store.User{Username: "dave", PasswordHash: "h1"}, a); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if err := s.SetPassword(ctx, "dave", "h2", 1, a); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		u, err := s.GetUser(ctx, "dave")
		if err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		if u.PasswordHash != "h2" || u.Version != 2 {
			t.Errorf("SetPassword = %+v, want hash h2 at version 2", u)
		}

		// Optimistic locking: a writer holding version 1 loses, and its
		// change and its audit record are both absent.
		if err := s.SetPassword(ctx, "dave", "stale", 1, a); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("SetPassword with stale version = %v, want ErrConflict", err)
		}
		if got, _ := s.GetUser(ctx, "dave"); got.PasswordHash != "h2" || got.Version != 2 {
			t.Errorf("after conflict, user = %+v, want h2 at version 2", got)
		}
		want := []string{"user.create", "user.password"}
		if got := auditActions(t, s, "dave"); !slices.Equal(got, want) {
			t.Errorf("audit actions = %v, want %v (no record of the refused change)", got, want)
		}
		if err := s.SetPassword(ctx, "nobody", "x", 1, a); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetPassword(nobody) = %v, want ErrNotFound", err)
		}
		if got := auditActions(t, s, "nobody"); len(got) != 0 {
			t.Errorf("audit log of a missing user = %v, want empty", got)
		}

		// Two concurrent edits of the same version: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = s.SetPassword(ctx, "dave", "h3", 2, a) })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("concurrent SetPassword at one version: errors %v, %v; want exactly one ErrConflict", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Errorf("losing SetPassword = %v, want ErrConflict", err)
			}
		}
	})
}

// TestRehashPassword: the same password's new hash replaces the old one
// only while the profile holds the old one and the account is not being
// deleted, and changes neither the version nor the audit log.
func TestRehashPassword(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.Transactions)
		testRehashPassword(t, b.Env(t))
	})
}

func testRehashPassword(t *testing.T, env storetest.Env) {
	s, ctx := env.Store, t.Context()
	for _, n := range []string{"dave", "erin"} {
		if _, err := s.CreateUser(ctx, store.User{Username: n, PasswordHash: "h-" + n}, store.Actor{Username: n}); err != nil {
			t.Fatalf("CreateUser(%q): %v", n, err)
		}
	}
	u, err := s.GetUser(ctx, "dave")
	if err != nil {
		t.Fatal(err)
	}
	before := auditActions(t, s, "dave")
	if err := s.RehashPassword(ctx, "dave", u.PasswordHash, "rehashed"); err != nil {
		t.Fatalf("RehashPassword: %v", err)
	}
	got, err := s.GetUser(ctx, "dave")
	if err != nil || got.PasswordHash != "rehashed" || got.Version != u.Version {
		t.Fatalf("after RehashPassword: %+v, %v; want hash rehashed at version %d", got, err, u.Version)
	}
	if after := auditActions(t, s, "dave"); !slices.Equal(after, before) {
		t.Errorf("audit actions %v, want %v: a rehash changes no password", after, before)
	}
	// The hash it read is gone: a second rehash from it, or one racing a
	// password change, loses.
	if err := s.RehashPassword(ctx, "dave", u.PasswordHash, "again"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RehashPassword from a hash the profile no longer holds = %v, want ErrConflict", err)
	}
	if got, _ := s.GetUser(ctx, "dave"); got.PasswordHash != "rehashed" {
		t.Errorf("hash %q after the losing rehash, want rehashed", got.PasswordHash)
	}
	// Nothing is written for an account that is gone, or going.
	if err := s.RehashPassword(ctx, "nobody", "", "x"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RehashPassword(nobody) = %v, want ErrConflict", err)
	}
	if _, err := s.GetUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(nobody) after RehashPassword = %v, want ErrNotFound: the rehash made a record", err)
	}
	erin, err := s.GetUser(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	cut := env.InterceptedInput(func(op string, _ any) error {
		if op == "Query" {
			return errors.New("cut off after the mark")
		}
		return nil
	}).Store
	if err := cut.DeleteAccount(ctx, "erin", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount with Query cut off succeeded")
	}
	if err := s.RehashPassword(ctx, "erin", erin.PasswordHash, "x"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RehashPassword of an account being deleted = %v, want ErrConflict", err)
	}
}
