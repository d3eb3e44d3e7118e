package store_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// interruptDeleteAccount starts the deletion of username's account and cuts
// it off at its first Query (EndAll's), after it has marked the profile: the
// state an account is left in when DeleteAccount fails half-way.
func interruptDeleteAccount(t *testing.T, env storetest.Env, username string) {
	t.Helper()
	if err := env.CutOff("Query").Store.DeleteAccount(t.Context(), username, store.Actor{}); err == nil {
		t.Fatalf("DeleteAccount(%s) with Query cut off succeeded", username)
	}
}

// TestAccountGone: once an account's deletion has started, nothing can be
// written into it, by its owner or by anyone sharing with it, and its public
// items are no longer shown. Each change fails with ErrNotFound (the owner's
// with ErrAccountGone) and writes nothing; the deletion, run again, then
// leaves nothing for the next account of that name.
func TestAccountGone(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob", "carol")
	s := env.Store
	ctx := t.Context()
	a := store.Actor{Username: "alice"}
	mine, err := s.CreateItem(ctx, "alice", "mine", "x", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisibility(ctx, "alice", mine.ID, mine.Version, true, a); err != nil {
		t.Fatal(err)
	}
	mine.Version++
	if err := s.AddShare(ctx, "alice", mine.ID, "bob", a); err != nil {
		t.Fatal(err)
	}
	theirs, err := s.CreateItem(ctx, "bob", "theirs", "y", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := s.CreateItem(ctx, "bob", "shared", "z", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "bob", shared.ID, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	u, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}

	interruptDeleteAccount(t, env, "alice")
	before := len(scanData(t, env))

	got, err := s.GetUser(ctx, "alice")
	if !errors.Is(err, store.ErrAccountGone) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser of an account being deleted: %v, want ErrAccountGone (an ErrNotFound)", err)
	}
	if got.PasswordHash != u.PasswordHash {
		t.Errorf("GetUser of an account being deleted returned hash %q, want %q (for the login that finishes the deletion)", got.PasswordHash, u.PasswordHash)
	}
	if _, _, err := s.PublicItem(ctx, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublicItem of an account being deleted: %v, want ErrNotFound", err)
	}
	if _, err := s.ReadableItem(ctx, "bob", mine.ID); !errors.Is(err, store.ErrSharedItemGone) {
		t.Errorf("ReadableItem by a grantee of an item whose owner is being deleted: %v, want ErrSharedItemGone", err)
	}
	ownerWrites := []struct {
		name string
		do   func() error
	}{
		{"CreateItem", func() error { _, err := s.CreateItem(ctx, "alice", "late", "x", a); return err }},
		{"UpdateItem", func() error { return s.UpdateItem(ctx, "alice", mine.ID, mine.Version, "late", "x", a) }},
		{"SetVisibility", func() error { return s.SetVisibility(ctx, "alice", mine.ID, mine.Version, false, a) }},
		{"DeleteItem", func() error { return s.DeleteItem(ctx, "alice", mine.ID, mine.Version, a) }},
		{"AddShare", func() error { return s.AddShare(ctx, "alice", mine.ID, "carol", a) }},
		{"RemoveShare", func() error { return s.RemoveShare(ctx, "alice", mine.ID, "bob", a) }},
		{"RecordEvent", func() error { return s.RecordEvent(ctx, "alice", store.Event{Action: "export"}) }},
		{"SetPassword", func() error { return s.SetPassword(ctx, "alice", "late", u.Version, a) }},
		{"SetEmbedOrigins", func() error {
			return s.SetEmbedOrigins(ctx, "alice", []string{"https://late.example"}, u.Version, a)
		}},
		{"LeaveShare", func() error { return s.LeaveShare(ctx, "alice", shared.ID, a) }},
	}
	for _, w := range ownerWrites {
		if err := w.do(); !errors.Is(err, store.ErrAccountGone) {
			t.Errorf("%s in an account being deleted: %v, want ErrAccountGone", w.name, err)
		}
	}
	if err := s.AddShare(ctx, "bob", theirs.ID, "alice", store.Actor{}); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("AddShare with an account being deleted: %v, want ErrNotFound (no such user), not ErrAccountGone", err)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateUser of a name being deleted: %v, want ErrExists", err)
	}
	if after := len(scanData(t, env)); after != before {
		t.Errorf("the refused changes wrote: %d records before, %d after", before, after)
	}

	// bob can still leave alice's item: what is left on his side goes.
	if err := s.LeaveShare(ctx, "bob", mine.ID, store.Actor{Username: "bob"}); err != nil {
		t.Errorf("LeaveShare of an item whose owner is being deleted: %v", err)
	}
	if p, err := s.ListItems(ctx, "bob", "", 10); err != nil || len(p.Items) != 2 {
		t.Errorf("bob's list = %+v, %v; want his two items", p.Items, err)
	}

	if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatalf("DeleteAccount, resumed: %v", err)
	}
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser after the deletion: %v, want plain ErrNotFound", err)
	}
	if it, err := s.GetItem(ctx, "bob", shared.ID); err != nil || it.ShareCount != 0 {
		t.Errorf("bob's item shared with alice = %+v, %v; want share_count 0", it, err)
	}
	// A write that was still on its way when the deletion ended.
	if _, err := s.CreateItem(ctx, "alice", "late", "x", a); !errors.Is(err, store.ErrAccountGone) {
		t.Errorf("CreateItem after the deletion: %v, want ErrAccountGone", err)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
		t.Fatalf("CreateUser of the freed name: %v", err)
	}
	if p, err := s.ListItems(ctx, "alice", "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("the new alice lists %+v, %v; want nothing", p.Items, err)
	}
	if got := auditActions(t, s, "alice"); len(got) != 1 || got[0] != "user.create" {
		t.Errorf("the new alice's log = %v, want only her own user.create", got)
	}
}

// TestDeleteAccount_SignupRightAfter: someone signs up with the name of a
// deleted account the moment its profile is gone, while the deletion may
// still be running. Their account and what they create at once must stay.
func TestDeleteAccount_SignupRightAfter(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice")
	s := env.Store
	ctx := t.Context()
	for range 3 {
		if _, err := s.CreateItem(ctx, "alice", "old", "x", store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	signup := func() {
		if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
			t.Errorf("CreateUser of the freed name: %v", err)
			return
		}
		if _, err := s.CreateItem(ctx, "alice", "fresh", "y", store.Actor{}); err != nil {
			t.Errorf("the new alice's CreateItem: %v", err)
		}
	}
	deleting := env.Intercepted(func(op string) error {
		if _, err := s.GetUser(ctx, "alice"); errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAccountGone) {
			once.Do(signup) // the profile is gone and the deletion goes on
		}
		return nil
	}).Store
	if err := deleting.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	once.Do(signup) // the deletion made no call after the profile was gone
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.PasswordHash != "new" {
		t.Errorf("the new alice = %+v, %v", u, err)
	}
	p, err := s.ListItems(ctx, "alice", "", 10)
	if err != nil || len(p.Items) != 1 || p.Items[0].Title != "fresh" {
		t.Errorf("the new alice lists %+v, %v; want only her fresh item", p.Items, err)
	}
}

// scanData returns every record of env's data table.
func scanData(t *testing.T, env storetest.Env) []map[string]types.AttributeValue {
	t.Helper()
	var all []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(env.Client, &dynamodb.ScanInput{TableName: aws.String(env.Tables.Data), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("scan %s: %v", env.Tables.Data, err)
		}
		all = append(all, out.Items...)
	}
	return all
}

// TestDeleteAccount_Concurrent: two deletions of one account run at once (a
// login finishing an interrupted deletion while the first still runs). The
// first finishes, and the name is signed up again, before the second sweeps:
// the second must leave the new account and its records alone.
func TestDeleteAccount_Concurrent(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice")
	s := env.Store
	ctx := t.Context()
	if _, err := s.CreateItem(ctx, "alice", "old", "x", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	second := env.InterceptedInput(func(op string, in any) error {
		if q, ok := in.(*dynamodb.QueryInput); ok && aws.ToString(q.TableName) == env.Tables.Data {
			once.Do(func() {
				if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
					t.Errorf("first DeleteAccount: %v", err)
				}
				if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
					t.Errorf("CreateUser of the freed name: %v", err)
				}
				if _, err := s.CreateItem(ctx, "alice", "fresh", "y", store.Actor{}); err != nil {
					t.Errorf("the new alice's CreateItem: %v", err)
				}
			})
		}
		return nil
	}).Store
	if err := second.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatalf("second DeleteAccount: %v", err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.PasswordHash != "new" {
		t.Errorf("the new alice = %+v, %v", u, err)
	}
	p, err := s.ListItems(ctx, "alice", "", 10)
	if err != nil || len(p.Items) != 1 || p.Items[0].Title != "fresh" {
		t.Errorf("the new alice lists %+v, %v; want only her fresh item", p.Items, err)
	}
}
