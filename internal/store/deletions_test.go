package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// pendingNames lists the usernames of the deletions pending for at least
// olderThan, oldest first.
func pendingNames(t *testing.T, s *store.Store, olderThan time.Duration) []string {
	t.Helper()
	ps, err := s.PendingDeletions(t.Context(), olderThan)
	if err != nil {
		t.Fatalf("PendingDeletions(%s): %v", olderThan, err)
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Username
	}
	return names
}

// deletionRecords returns the records of the DELETIONS partition, read past
// the store.
func deletionRecords(t *testing.T, env storetest.Env) []map[string]types.AttributeValue {
	t.Helper()
	var got []map[string]types.AttributeValue
	for _, av := range scanData(t, env) {
		if pk, ok := av["pk"].(*types.AttributeValueMemberS); ok && pk.Value == "DELETIONS" {
			got = append(got, av)
		}
	}
	return got
}

// TestDeleteAccount_PendingRecord: the mark and the pending-deletion record
// are written by one transaction, the record is there for as long as the
// mark is, and a finished deletion leaves neither.
func TestDeleteAccount_PendingRecord(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	s := env.Store
	ctx := t.Context()
	if _, err := s.CreateItem(ctx, "alice", "mine", "x", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	var first *dynamodb.TransactWriteItemsInput
	var mu sync.Mutex
	cut := env.InterceptedInput(func(op string, in any) error {
		mu.Lock()
		defer mu.Unlock()
		if tx, ok := in.(*dynamodb.TransactWriteItemsInput); ok && first == nil {
			first = tx
		}
		if op == "Query" {
			return errors.New("cut off after the mark")
		}
		return nil
	}).Store
	if err := cut.DeleteAccount(ctx, "alice", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount with Query cut off succeeded")
	}
	if first == nil || len(first.TransactItems) != 2 ||
		first.TransactItems[0].Update == nil || first.TransactItems[1].Put == nil ||
		first.TransactItems[1].Put.Item["pk"].(*types.AttributeValueMemberS).Value != "DELETIONS" {
		t.Fatalf("the mark's transaction = %+v, want the profile's Update and the DELETIONS Put", first)
	}
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Fatalf("GetUser after the interrupted deletion: %v, want ErrAccountGone", err)
	}
	if got := pendingNames(t, s, 0); len(got) != 1 || got[0] != "alice" {
		t.Errorf("pending deletions = %v, want [alice]", got)
	}
	if got := deletionRecords(t, env); len(got) != 1 {
		t.Errorf("DELETIONS records = %v, want alice's", got)
	}

	// Run again, the deletion keeps its mark and its one record, and ends
	// with neither.
	if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatalf("DeleteAccount, resumed: %v", err)
	}
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser after the deletion: %v, want plain ErrNotFound", err)
	}
	if got := deletionRecords(t, env); len(got) != 0 {
		t.Errorf("DELETIONS records after the deletion: %v, want none", got)
	}
	// An uninterrupted deletion too.
	if err := s.DeleteAccount(ctx, "bob", store.Actor{}); err != nil {
		t.Fatalf("DeleteAccount(bob): %v", err)
	}
	if got := deletionRecords(t, env); len(got) != 0 {
		t.Errorf("DELETIONS records after bob's deletion: %v, want none", got)
	}
	for _, av := range scanData(t, env) {
		t.Errorf("left behind: %v", av)
	}
}

// TestDeleteAccount_NoTransactions: on a backend without transactions the
// mark cannot be set without its record, so it is not set at all.
func TestDeleteAccount_NoTransactions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		if b.Caps.Transactions {
			t.Skipf("%s implements transactions", b.Name)
		}
		env := b.Env(t)
		// A profile written past the store: no account can be created there.
		_, err := env.Client.PutItem(t.Context(), &dynamodb.PutItemInput{
			TableName: aws.String(env.Tables.Data),
			Item: map[string]types.AttributeValue{
				"pk":       &types.AttributeValueMemberS{Value: "USER#frank"},
				"sk":       &types.AttributeValueMemberS{Value: "PROFILE"},
				"type":     &types.AttributeValueMemberS{Value: "user"},
				"username": &types.AttributeValueMemberS{Value: "frank"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = env.Store.DeleteAccount(t.Context(), "frank", store.Actor{})
		if !errors.Is(err, store.ErrNoTransactions) {
			t.Fatalf("DeleteAccount without transactions = %v, want ErrNoTransactions", err)
		}
		if _, err := env.Store.GetUser(t.Context(), "frank"); err != nil {
			t.Errorf("GetUser after the refused deletion: %v, want the account unmarked", err)
		}
		if got := pendingNames(t, env.Store, 0); len(got) != 0 {
			t.Errorf("pending deletions = %v, want none", got)
		}
	})
}

// TestPendingDeletions_Age: PendingDeletions lists the deletions marked at
// least the given age ago, oldest first, across Query pages, with the
// time each was marked; an account marked by an older version (a mark
// without a record) gets its record when its deletion is run again.
func TestPendingDeletions_Age(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob", "carol", "dave")
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	cut := env.CutOff("Query").Store
	cut.SetClock(clock)
	env.Store.SetClock(clock)
	store.SetQueryLimit(env.Store, 1)
	for i, u := range []string{"bob", "alice", "carol"} {
		set(t0.Add(time.Duration(i) * 5 * time.Minute))
		if err := cut.DeleteAccount(ctx, u, store.Actor{}); err == nil {
			t.Fatalf("DeleteAccount(%s) with Query cut off succeeded", u)
		}
	}
	// dave's deletion was started by a version that wrote no record.
	_, err := env.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(env.Tables.Data),
		Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "USER#dave"}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}},
		UpdateExpression:          aws.String("SET deleting = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "2026-02-01T00:00:00Z"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	set(t0.Add(20 * time.Minute))
	for _, c := range []struct {
		age  time.Duration
		want string
	}{
		{0, "bob alice carol"},
		{10 * time.Minute, "bob alice carol"},
		{12 * time.Minute, "bob alice"},
		{20 * time.Minute, "bob"},
		{21 * time.Minute, ""},
	} {
		if got := strings.Join(pendingNames(t, env.Store, c.age), " "); got != c.want {
			t.Errorf("PendingDeletions(%s) = %q, want %q", c.age, got, c.want)
		}
	}
	ps, err := env.Store.PendingDeletions(ctx, 0)
	if err != nil || len(ps) != 3 || !ps[0].Marked.Equal(t0) {
		t.Errorf("PendingDeletions = %+v, %v; want bob's marked at %s first", ps, err, t0)
	}

	if err := cut.DeleteAccount(ctx, "dave", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount(dave) with Query cut off succeeded")
	}
	ps, err = env.Store.PendingDeletions(ctx, 0)
	if err != nil || len(ps) != 4 || ps[0].Username != "dave" || !ps[0].Marked.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("PendingDeletions = %+v, %v; want dave's first, marked when the older version marked it", ps, err)
	}
}

// interruptedAccount makes alice, who shares an item with bob and has one
// of bob's shared with her (and with carol), and deletes her account with
// the step op cut off. It returns the ids of her item and bob's.
func interruptedAccount(t *testing.T, env storetest.Env, cut storetest.Env) (mine, theirs string) {
	t.Helper()
	s, ctx := env.Store, t.Context()
	it, err := s.CreateItem(ctx, "alice", "mine", "x", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "alice", it.ID, "bob", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	th, err := s.CreateItem(ctx, "bob", "theirs", "y", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"alice", "carol"} {
		if err := s.AddShare(ctx, "bob", th.ID, g, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cut.Store.DeleteAccount(ctx, "alice", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount with a step cut off succeeded")
	}
	return it.ID, th.ID
}

// checkAliceGone checks that alice's deletion (see interruptedAccount)
// ended completely.
func checkAliceGone(t *testing.T, env storetest.Env, mine, theirs string) {
	t.Helper()
	s, ctx := env.Store, t.Context()
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser(alice): %v, want plain ErrNotFound", err)
	}
	if p, err := s.ListItems(ctx, "bob", "", 10); err != nil || len(p.Items) != 1 || p.Items[0].ID != theirs {
		t.Errorf("bob lists %+v, %v; want only his own item, not alice's %s", p.Items, err, mine)
	}
	if it, err := s.GetItem(ctx, "bob", theirs); err != nil || it.ShareCount != 1 {
		t.Errorf("bob's item = %+v, %v; want share_count 1 (carol)", it, err)
	}
	if got := pendingNames(t, s, 0); len(got) != 0 {
		t.Errorf("pending deletions = %v, want none", got)
	}
	if got := deletionRecords(t, env); len(got) != 0 {
		t.Errorf("DELETIONS records = %v, want none", got)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
		t.Errorf("CreateUser of the freed name: %v", err)
	}
}

// TestFinishDeletion_Interrupted: a deletion cut off in its sweep, at its
// profile, or between the profile and its record, is listed by
// PendingDeletions and finished by FinishDeletion: bob no longer sees
// alice's item, his share count is right, and the name is free.
func TestFinishDeletion_Interrupted(t *testing.T) {
	t.Parallel()
	cuts := map[string]func(env storetest.Env) storetest.Env{
		"sweep": func(env storetest.Env) storetest.Env { return env.CutOff("BatchWriteItem") },
		"profile": func(env storetest.Env) storetest.Env {
			return env.InterceptedInput(func(op string, in any) error {
				if d, ok := in.(*dynamodb.DeleteItemInput); ok && d.Key["sk"].(*types.AttributeValueMemberS).Value == "PROFILE" {
					return errors.New("profile delete cut off")
				}
				return nil
			})
		},
		"record": func(env storetest.Env) storetest.Env {
			return env.InterceptedInput(func(op string, in any) error {
				if d, ok := in.(*dynamodb.DeleteItemInput); ok && d.Key["pk"].(*types.AttributeValueMemberS).Value == "DELETIONS" {
					return errors.New("record delete cut off")
				}
				return nil
			})
		},
	}
	for name, cutOff := range cuts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := newUsersEnv(t, "alice", "bob", "carol")
			mine, theirs := interruptedAccount(t, env, cutOff(env))
			ps, err := env.Store.PendingDeletions(t.Context(), 0)
			if err != nil || len(ps) != 1 || ps[0].Username != "alice" {
				t.Fatalf("PendingDeletions = %+v, %v; want alice's", ps, err)
			}
			finished, err := env.Store.FinishDeletion(t.Context(), ps[0])
			if err != nil {
				t.Fatalf("FinishDeletion: %v", err)
			}
			if want := name != "record"; finished != want {
				t.Errorf("FinishDeletion = %v, want %v", finished, want)
			}
			checkAliceGone(t, env, mine, theirs)
		})
	}
}

// TestFinishDeletion_Concurrent: two finishers (two app instances) and the
// owner's login finish one interrupted deletion at once; it ends once, with
// bob's share counted once.
func TestFinishDeletion_Concurrent(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob", "carol")
	mine, theirs := interruptedAccount(t, env, env.CutOff("BatchWriteItem"))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 2 {
		ps, err := env.Store.PendingDeletions(t.Context(), 0)
		if err != nil || len(ps) != 1 {
			t.Fatalf("PendingDeletions = %+v, %v; want alice's", ps, err)
		}
		wg.Go(func() {
			<-start
			if _, err := env.Store.FinishDeletion(t.Context(), ps[0]); err != nil {
				t.Errorf("FinishDeletion: %v", err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := env.Store.DeleteAccount(t.Context(), "alice", store.Actor{}); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAccount: %v", err)
		}
	})
	close(start)
	wg.Wait()
	checkAliceGone(t, env, mine, theirs)
}

// TestFinishDeletion_Stale: a finisher whose list is out of date — the
// deletion it read has ended and the name was signed up again — leaves the
// new account alone, whether it is live or being deleted in turn.
func TestFinishDeletion_Stale(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice")
	s, ctx := env.Store, t.Context()
	interruptDeleteAccount(t, env, "alice")
	stale, err := s.PendingDeletions(ctx, 0)
	if err != nil || len(stale) != 1 {
		t.Fatalf("PendingDeletions = %+v, %v; want alice's", stale, err)
	}
	if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, "alice", "fresh", "y", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if finished, err := s.FinishDeletion(ctx, stale[0]); err != nil || finished {
		t.Errorf("FinishDeletion of an ended deletion = %v, %v; want false, nil", finished, err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.PasswordHash != "new" {
		t.Errorf("the new alice = %+v, %v", u, err)
	}
	if p, err := s.ListItems(ctx, "alice", "", 10); err != nil || len(p.Items) != 1 {
		t.Errorf("the new alice lists %+v, %v; want her fresh item", p.Items, err)
	}

	// The new alice's deletion is interrupted in turn: the stale entry
	// neither finishes it nor removes its record.
	interruptDeleteAccount(t, env, "alice")
	if finished, err := s.FinishDeletion(ctx, stale[0]); err != nil || finished {
		t.Errorf("FinishDeletion of an ended deletion = %v, %v; want false, nil", finished, err)
	}
	if got := pendingNames(t, s, 0); len(got) != 1 {
		t.Fatalf("pending deletions = %v, want the new alice's", got)
	}
	if p, err := s.ListItems(ctx, "alice", "", 10); err != nil || len(p.Items) != 1 {
		t.Errorf("the new alice lists %+v, %v; want her fresh item until her own deletion is finished", p.Items, err)
	}
	fresh, err := s.PendingDeletions(ctx, 0)
	if err != nil || len(fresh) != 1 {
		t.Fatalf("PendingDeletions = %+v, %v", fresh, err)
	}
	if finished, err := s.FinishDeletion(ctx, fresh[0]); err != nil || !finished {
		t.Errorf("FinishDeletion of the new alice's deletion = %v, %v; want true, nil", finished, err)
	}
	for _, av := range scanData(t, env) {
		t.Errorf("left behind: %v", av)
	}
}

// TestUser_Deletion: the account as read during an interrupted deletion
// names that deletion, and finishing it after the name was deleted and
// signed up again leaves the new account alone, as a login that read the
// old account must.
func TestUser_Deletion(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	s, ctx := env.Store, t.Context()
	if bob, err := s.GetUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	} else if p, ok := bob.Deletion(); ok {
		t.Errorf("a live account names a deletion: %+v", p)
	}
	interruptDeleteAccount(t, env, "alice")
	old, err := s.GetUser(ctx, "alice")
	if !errors.Is(err, store.ErrAccountGone) {
		t.Fatalf("GetUser of a half-deleted account: %v, want ErrAccountGone", err)
	}
	p, ok := old.Deletion()
	if !ok || p.Username != "alice" || p.Marked.IsZero() {
		t.Fatalf("Deletion() = %+v, %v; want alice's, with its time", p, ok)
	}
	if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "new"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if finished, err := s.FinishDeletion(ctx, p); err != nil || finished {
		t.Errorf("FinishDeletion of the deletion the old read named = %v, %v; want false, nil", finished, err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.PasswordHash != "new" {
		t.Errorf("the new alice = %+v, %v; want her live account", u, err)
	}
}
