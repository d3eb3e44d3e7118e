package store_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
)

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob")
	ctx := t.Context()
	a := store.Actor{Username: "alice"}
	mine, err := s.CreateItem(ctx, "alice", "mine", "x", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "alice", mine.ID, "bob", a); err != nil {
		t.Fatal(err)
	}
	theirs, err := s.CreateItem(ctx, "bob", "theirs", "y", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "bob", theirs.ID, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		if _, err := s.CreateItem(ctx, "alice", "filler", strings.Repeat("z", 100), a); err != nil {
			t.Fatal(err)
		}
	}
	// Her throttle counters: failed logins and names looked up. Those of
	// her address are the address's, not hers.
	counted := []string{store.UserThrottleKey("alice"), store.LookupThrottleKey("alice")}
	addr := store.AddrThrottleKey("192.0.2.9")
	for _, k := range append(counted, addr) {
		if _, err := s.ReserveAttempt(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteAccount(ctx, "alice", a); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	for _, k := range counted {
		if n, err := s.LoginFailures(ctx, k); err != nil || n != 0 {
			t.Errorf("%s after the deletion: %d attempts (%v), want none: a new account of the name starts from nothing", k, n, err)
		}
	}
	if n, err := s.LoginFailures(ctx, addr); err != nil || n != 1 {
		t.Errorf("%s after the deletion: %d attempts (%v), want 1", addr, n, err)
	}
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after delete error = %v, want ErrNotFound", err)
	}
	// bob keeps his item, no longer shared; alice's shared item left his list.
	it, err := s.GetItem(ctx, "bob", theirs.ID)
	if err != nil || it.ShareCount != 0 {
		t.Errorf("bob's item = %+v, %v; want share count 0", it, err)
	}
	if p, err := s.ListItems(ctx, "bob", "", 10); err != nil || len(p.Items) != 1 || p.Items[0].ID != theirs.ID {
		t.Errorf("bob's list = %+v, %v; want only his item", p.Items, err)
	}
	if _, _, err := s.PublicItem(ctx, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublicItem of deleted item error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteAccount(ctx, "alice", a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteAccount error = %v, want ErrNotFound", err)
	}
}

// TestDeleteAccount_Retry: alice's account deletion loses DynamoDB at its
// first batch and is run again. bob's item, shared with alice and carol,
// ends with share_count 1 (carol), counted once for alice however many
// times the sweep passes.
func TestDeleteAccount_Retry(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob", "carol")
	s := env.Store
	ctx := t.Context()
	theirs, err := s.CreateItem(ctx, "bob", "theirs", "y", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"alice", "carol"} {
		if err := s.AddShare(ctx, "bob", theirs.ID, g, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	// A leftover: an item of bob's shared with alice, whose record alone
	// was deleted (an interrupted delete).
	gone, err := s.CreateItem(ctx, "bob", "gone", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "bob", gone.ID, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	env.InterruptDelete(t, "bob", gone.ID)
	if err := env.CutOff("TransactWriteItems").Store.DeleteAccount(ctx, "alice", store.Actor{}); err == nil || errors.Is(err, store.ErrIncomplete) {
		t.Fatalf("DeleteAccount with its mark cut off = %v, want an error that is not ErrIncomplete: nothing was done", err)
	}
	cut := env.CutOff("BatchWriteItem").Store
	if err := cut.DeleteAccount(ctx, "alice", store.Actor{}); !errors.Is(err, store.ErrIncomplete) {
		t.Fatalf("DeleteAccount with its batches cut off = %v, want ErrIncomplete: the account is marked", err)
	}
	if err := s.DeleteAccount(ctx, "alice", store.Actor{}); err != nil {
		t.Fatalf("DeleteAccount, second attempt: %v", err)
	}
	it, err := s.GetItem(ctx, "bob", theirs.ID)
	if err != nil || it.ShareCount != 1 {
		t.Errorf("bob's item = %+v, %v; want share_count 1 (carol)", it, err)
	}
	if sh, err := s.ListShares(ctx, "bob", theirs.ID); err != nil || len(sh) != 1 || sh[0].Grantee != "carol" {
		t.Errorf("bob's shares = %+v, %v; want carol only", sh, err)
	}
	if sh, err := s.ListShares(ctx, "bob", gone.ID); err != nil || len(sh) != 0 {
		t.Errorf("bob's leftover share record of a deleted item: %+v, %v; want none", sh, err)
	}
}

// TestDeleteAccount_InFlightConflict: while alice's account is deleted, bob
// edits his item shared with her, and DynamoDB cancels the transaction that
// gives back her share of it (TransactionConflict: nothing was compared).
// Like every other transaction, it is tried again, and the deletion ends
// instead of failing with her sessions already gone.
func TestDeleteAccount_InFlightConflict(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	ctx := t.Context()
	theirs, err := env.Store.CreateItem(ctx, "bob", "theirs", "y", store.Actor{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddShare(ctx, "bob", theirs.ID, "alice", store.Actor{Username: "bob"}); err != nil {
		t.Fatal(err)
	}
	conflict := &types.TransactionCanceledException{
		Message: aws.String("Transaction cancelled"),
		CancellationReasons: []types.CancellationReason{
			{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")},
		},
	}
	var calls atomic.Int32
	s := env.Intercepted(func(op string) error {
		// The first transaction marks the account; the second releases
		// alice's share of bob's item.
		if op == "TransactWriteItems" && calls.Add(1) == 2 {
			return conflict
		}
		return nil
	}).Store
	if err := s.DeleteAccount(ctx, "alice", store.Actor{Username: "alice"}); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if it, err := s.GetItem(ctx, "bob", theirs.ID); err != nil || it.ShareCount != 0 {
		t.Errorf("bob's item = %+v, %v; want share count 0", it, err)
	}
}
