package store_test

import (
	"errors"
	"strings"
	"testing"

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
	if err := s.DeleteAccount(ctx, "alice", a); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
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
