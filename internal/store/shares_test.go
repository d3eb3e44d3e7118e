package store_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestAddShare_Limit: an item shared with MaxShares users takes no more,
// and the refusal writes nothing. (The transaction's own condition,
// share_count < MaxShares, guards the race between that check and the
// write; TestAddShare_Race reaches that.)
func TestAddShare_Limit(t *testing.T) {
	t.Parallel()
	env := storetest.EmbeddedBackend(t).Env(t)
	s := env.Store
	ctx := t.Context()
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, store.User{Username: n, PasswordHash: "x"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := s.CreateItem(ctx, "alice", "popular", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	setShareCount(t, env, "alice", it.ID, store.MaxShares)
	if err := s.AddShare(ctx, "alice", it.ID, "bob", store.Actor{}); !errors.Is(err, store.ErrLimit) {
		t.Errorf("AddShare at %d shares: error %v, want ErrLimit", store.MaxShares, err)
	}
	if p, _ := s.ListItems(ctx, "bob", "", 10); len(p.Items) != 0 {
		t.Errorf("refused share left an inbox entry: %+v", p.Items)
	}
}

// setShareCount stands in for n earlier shares of owner's item id by
// setting its counter directly.
func setShareCount(t *testing.T, env storetest.Env, owner, id string, n int) {
	t.Helper()
	_, err := env.Client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(env.Tables.Data),
		Key:                       storetest.ItemKey(owner, id),
		UpdateExpression:          aws.String("SET share_count = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAddShare_Race: eight shares of an item one short of MaxShares, all
// past AddShare's first check before any is written (a barrier on the
// TransactWriteItems calls holds them until all eight are there): the
// transaction's own condition lets exactly one through, the others get
// ErrLimit, and only the winner's grantee finds the item.
func TestAddShare_Race(t *testing.T) {
	t.Parallel()
	const n = 8
	env := storetest.EmbeddedBackend(t).Env(t)
	ctx := t.Context()
	grantees := make([]string, n)
	for i := range grantees {
		grantees[i] = fmt.Sprintf("grantee%d", i)
	}
	for _, u := range append([]string{"alice"}, grantees...) {
		if _, err := env.Store.CreateUser(ctx, store.User{Username: u, PasswordHash: "x"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := env.Store.CreateItem(ctx, "alice", "popular", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	setShareCount(t, env, "alice", it.ID, store.MaxShares-1)

	var arrived atomic.Int32
	release := make(chan struct{})
	racing := env.Intercepted(func(op string) error {
		if op == "TransactWriteItems" {
			if arrived.Add(1) == n {
				close(release)
			}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
				return errors.New("barrier: not all shares reached their transaction")
			}
		}
		return nil
	}).Store

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, g := range grantees {
		wg.Go(func() { errs[i] = racing.AddShare(ctx, "alice", it.ID, g, store.Actor{}) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("shares with %s and %s both succeeded past MaxShares", grantees[winner], grantees[i])
		case !errors.Is(err, store.ErrLimit):
			t.Errorf("share with %s: %v, want nil or ErrLimit", grantees[i], err)
		}
	}
	if winner < 0 {
		t.Fatal("no share succeeded")
	}
	got, err := env.Store.GetItem(ctx, "alice", it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ShareCount != store.MaxShares {
		t.Errorf("share_count = %d, want %d", got.ShareCount, store.MaxShares)
	}
	for i, g := range grantees {
		p, err := env.Store.ListItems(ctx, g, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[i == winner]; len(p.Items) != want {
			t.Errorf("%s sees %d items, want %d", g, len(p.Items), want)
		}
	}
}

// shareWidely creates alice's item "widely shared" and shares it with n new
// users, user00, user01 and so on.
func shareWidely(t *testing.T, s *store.Store, n int) store.Item {
	t.Helper()
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "widely shared", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		g := fmt.Sprintf("user%02d", i)
		if _, err := s.CreateUser(ctx, store.User{Username: g, PasswordHash: "x"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddShare(ctx, "alice", it.ID, g, store.Actor{}); err != nil {
			t.Fatalf("AddShare(%s): %v", g, err)
		}
	}
	return it
}

// TestDeleteItem_ManyShares deletes an item shared with more users than fit
// in its transaction (47 shares do): the transaction holds as many
// operations as fit in DynamoDB's limit of 100 (the embedded server does not
// enforce it, so the test counts): the item, its ref, the item count, 47
// shares of two records each, the account check, the check of the
// request's session and the audit record, 100; the rest are deleted in
// batches, and no grantee keeps an entry.
func TestDeleteItem_ManyShares(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice")
	s := env.Store
	ctx := t.Context()
	const n = 60
	it := shareWidely(t, s, n)
	cur, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil || cur.ShareCount != n {
		t.Fatalf("GetItem = %+v, %v; want %d shares", cur, err, n)
	}
	var sizes []int
	counting := env.TransactionSizes(&sizes).Store
	if err := counting.DeleteItem(sessionRequest(t, env), "alice", it.ID, cur.Version, store.Actor{}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if len(sizes) != 1 || sizes[0] != 100 {
		t.Errorf("DeleteItem's transactions hold %v operations, want one of 100", sizes)
	}
	if sh, err := s.ListShares(ctx, "alice", it.ID); err != nil || len(sh) != 0 {
		t.Errorf("shares left: %d, %v", len(sh), err)
	}
	for i := range n {
		g := fmt.Sprintf("user%02d", i)
		if p, err := s.ListItems(ctx, g, "", 5); err != nil || len(p.Items) != 0 {
			t.Errorf("%s still lists %+v (%v)", g, p.Items, err)
		}
	}
}

// lastEvent returns username's newest audit event.
func lastEvent(t *testing.T, s *store.Store, username string) store.Event {
	t.Helper()
	evs, _, err := store.AuditEvents(t.Context(), s, username)
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit events of %s: %d, %v", username, len(evs), err)
	}
	return evs[len(evs)-1]
}

// TestLeaveShare: a grantee gives up an item shared with them; the owner's
// share list, share_count and both logs say so, and the other grantee keeps
// access. Nobody else can remove an entry they do not have.
func TestLeaveShare(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob", "carol")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "Plan", "text", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"bob", "carol"} {
		if err := s.AddShare(ctx, "alice", it.ID, g, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	if sh, err := s.SharedEntry(ctx, "bob", it.ID); err != nil || sh.Owner != "alice" || sh.Title != "Plan" || sh.ItemID != it.ID {
		t.Errorf("SharedEntry(bob) = %+v, %v", sh, err)
	}
	for _, tc := range []struct{ who, id string }{{"alice", it.ID}, {"bob", "00000000000000000000000000"}, {"bob", "../x"}} {
		if _, err := s.SharedEntry(ctx, tc.who, tc.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SharedEntry(%s, %q) error = %v, want ErrNotFound", tc.who, tc.id, err)
		}
		if err := s.LeaveShare(ctx, tc.who, tc.id, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LeaveShare(%s, %q) error = %v, want ErrNotFound", tc.who, tc.id, err)
		}
	}

	if err := s.LeaveShare(ctx, "bob", it.ID, store.Actor{Username: "bob"}); err != nil {
		t.Fatalf("LeaveShare: %v", err)
	}
	if _, err := s.ReadableItem(ctx, "bob", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob still reads the item: %v", err)
	}
	if p, err := s.ListItems(ctx, "bob", "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("bob still lists %+v (%v)", p.Items, err)
	}
	if _, err := s.ReadableItem(ctx, "carol", it.ID); err != nil {
		t.Errorf("carol lost the item: %v", err)
	}
	if sh, err := s.ListShares(ctx, "alice", it.ID); err != nil || len(sh) != 1 || sh[0].Grantee != "carol" {
		t.Errorf("alice's shares = %+v, %v; want carol only", sh, err)
	}
	if cur, err := s.GetItem(ctx, "alice", it.ID); err != nil || cur.ShareCount != 1 || cur.Body != "text" {
		t.Errorf("item after bob left = %+v, %v; want share_count 1, text unchanged", cur, err)
	}
	if ev := lastEvent(t, s, "alice"); ev.Action != "share.leave" || ev.Target != it.ID || ev.Detail != "bob" || ev.Actor.Username != "bob" {
		t.Errorf("alice's last event = %+v, want share.leave by bob", ev)
	}
	if ev := lastEvent(t, s, "bob"); ev.Action != "inbox.remove" || ev.Target != it.ID || ev.Detail != "“Plan” from alice" {
		t.Errorf("bob's last event = %+v, want inbox.remove of “Plan” from alice", ev)
	}
	if err := s.LeaveShare(ctx, "bob", it.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second LeaveShare error = %v, want ErrNotFound", err)
	}
}

// TestLeaveShare_RevokeWins: the owner revokes the share between the
// grantee's read of their entry and the transaction. The grantee gets
// ErrNotFound and share_count drops once, not twice.
func TestLeaveShare_RevokeWins(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	ctx := t.Context()
	it, err := env.Store.CreateItem(ctx, "alice", "Plan", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddShare(ctx, "alice", it.ID, "bob", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	leaving := env.Intercepted(func(op string) error {
		var err error
		if op == "TransactWriteItems" {
			once.Do(func() { err = env.Store.RemoveShare(ctx, "alice", it.ID, "bob", store.Actor{}) })
		}
		return err
	}).Store
	if err := leaving.LeaveShare(ctx, "bob", it.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LeaveShare after a revoke: %v, want ErrNotFound", err)
	}
	if cur, err := env.Store.GetItem(ctx, "alice", it.ID); err != nil || cur.ShareCount != 0 {
		t.Errorf("item = %+v, %v; want share_count 0", cur, err)
	}
	if ev := lastEvent(t, env.Store, "alice"); ev.Action != "share.remove" {
		t.Errorf("alice's last event = %+v, want the revoke", ev)
	}
}

// TestLeaveShare_ItemGone: the delete of an item shared with 60 users is
// cut off after its transaction, before the batches that remove the last
// grantees' entries. Those grantees still list the item, read
// ErrSharedItemGone, and can remove the entry; the owner's leftover share
// record goes with it.
func TestLeaveShare_ItemGone(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice")
	s := env.Store
	ctx := t.Context()
	it := shareWidely(t, s, 60)
	cut := env.CutOff("BatchWriteItem").Store
	if err := cut.DeleteItem(ctx, "alice", it.ID, 1, store.Actor{}); !errors.Is(err, store.ErrIncomplete) {
		t.Fatalf("DeleteItem with its batches cut off: %v, want ErrIncomplete", err)
	}
	if _, err := s.GetItem(ctx, "alice", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("item after the cut-off delete: %v, want ErrNotFound", err)
	}
	const last = "user59" // grantees are deleted in order; the last ones are left
	if p, err := s.ListItems(ctx, last, "", 5); err != nil || len(p.Items) != 1 {
		t.Fatalf("%s lists %+v (%v); the test needs the leftover entry", last, p.Items, err)
	}
	if _, err := s.ReadableItem(ctx, last, it.ID); !errors.Is(err, store.ErrSharedItemGone) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadableItem of the leftover = %v, want ErrSharedItemGone wrapping ErrNotFound", err)
	}
	if err := s.LeaveShare(ctx, last, it.ID, store.Actor{Username: last}); err != nil {
		t.Fatalf("LeaveShare of the leftover: %v", err)
	}
	if p, err := s.ListItems(ctx, last, "", 5); err != nil || len(p.Items) != 0 {
		t.Errorf("%s still lists %+v (%v)", last, p.Items, err)
	}
	sh, err := s.ListShares(ctx, "alice", it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range sh {
		if x.Grantee == last {
			t.Errorf("alice's share record for %s is left", last)
		}
	}
	if len(sh) == 0 {
		t.Errorf("no other leftover share records: the cut-off did not leave the state this test is about")
	}
	if ev := lastEvent(t, s, last); ev.Action != "inbox.remove" || ev.Detail != "“widely shared” from alice, who had deleted it" {
		t.Errorf("%s's last event = %+v", last, ev)
	}
	if err := s.LeaveShare(ctx, last, it.ID, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second LeaveShare of the leftover: %v, want ErrNotFound", err)
	}
}

// TestDeleteItem_RacesAddShare: the owner deletes an item in one tab while
// sharing it in another, the share landing between DeleteItem's listing of
// the shares and its transaction. The delete must fail with ErrConflict and
// change nothing, never succeed and leave the new share behind; run again,
// it removes every share. In the second case a revoke in the same window
// puts share_count back where it was, which must not hide the new share.
func TestDeleteItem_RacesAddShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before []string // grantees the item is shared with first
		revoke string   // revoked in the window, with the share to bob
	}{
		{name: "share"},
		{name: "revoke and share", before: []string{"carol"}, revoke: "carol"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newUsersEnv(t, "alice", "bob", "carol")
			s := env.Store
			ctx := t.Context()
			it, err := s.CreateItem(ctx, "alice", "Plan", "", store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range tc.before {
				if err := s.AddShare(ctx, "alice", it.ID, g, store.Actor{}); err != nil {
					t.Fatal(err)
				}
			}
			var once sync.Once
			racing := env.Intercepted(func(op string) error {
				var err error
				if op == "TransactWriteItems" {
					once.Do(func() {
						if tc.revoke != "" {
							if err = s.RemoveShare(ctx, "alice", it.ID, tc.revoke, store.Actor{}); err != nil {
								return
							}
						}
						err = s.AddShare(ctx, "alice", it.ID, "bob", store.Actor{})
					})
				}
				return err
			}).Store
			if err := racing.DeleteItem(ctx, "alice", it.ID, it.Version, store.Actor{}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("DeleteItem racing a share: %v, want ErrConflict", err)
			}
			if _, err := s.ReadableItem(ctx, "bob", it.ID); err != nil {
				t.Errorf("bob cannot read the item the failed delete left: %v", err)
			}
			if err := s.DeleteItem(ctx, "alice", it.ID, it.Version, store.Actor{}); err != nil {
				t.Fatalf("DeleteItem, second attempt: %v", err)
			}
			if sh, err := s.ListShares(ctx, "alice", it.ID); err != nil || len(sh) != 0 {
				t.Errorf("share records left: %+v, %v", sh, err)
			}
			for _, g := range []string{"bob", "carol"} {
				if p, err := s.ListItems(ctx, g, "", 5); err != nil || len(p.Items) != 0 {
					t.Errorf("%s still lists %+v (%v)", g, p.Items, err)
				}
			}
		})
	}
}

// keyLimits returns env with a store whose transactions fail, as DynamoDB's
// do with a ValidationException, when a key is longer than DynamoDB allows
// (2048 bytes of partition key, 1024 of sort key); the local servers accept
// such keys.
func keyLimits(env storetest.Env) storetest.Env {
	return env.InterceptedInput(func(_ string, in any) error {
		tx, ok := in.(*dynamodb.TransactWriteItemsInput)
		if !ok {
			return nil
		}
		for _, op := range tx.TransactItems {
			var k map[string]types.AttributeValue
			switch {
			case op.Put != nil:
				k = op.Put.Item
			case op.Update != nil:
				k = op.Update.Key
			case op.Delete != nil:
				k = op.Delete.Key
			case op.ConditionCheck != nil:
				k = op.ConditionCheck.Key
			}
			pk, _ := k["pk"].(*types.AttributeValueMemberS)
			sk, _ := k["sk"].(*types.AttributeValueMemberS)
			if pk != nil && len(pk.Value) > 2048 || sk != nil && len(sk.Value) > 1024 {
				return errors.New("ValidationException: key too long")
			}
		}
		return nil
	})
}

// TestRemoveShare_BadGrantee: the grantee of a revoke comes from a form, so
// it can be anything. A name no account can have was never shared with:
// ErrNotFound, as for any other user the item is not shared with, and no
// key DynamoDB would refuse is sent (its ValidationException would be a 500).
func TestRemoveShare_BadGrantee(t *testing.T) {
	t.Parallel()
	env := keyLimits(newUsersEnv(t, "alice"))
	s, ctx := env.Store, t.Context()
	it, err := s.CreateItem(ctx, "alice", "doc", "", store.Actor{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"", strings.Repeat("g", 3000), "bob#x", "bob smith"} {
		if err := s.RemoveShare(ctx, "alice", it.ID, g, store.Actor{Username: "alice"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveShare(grantee %q): error %v, want ErrNotFound", limitString(g, 20), err)
		}
	}
}

func limitString(s string, n int) string { return s[:min(len(s), n)] }

// TestUpdateItem_SharedTitleOrder: two edits of a shared item in a row
// (two tabs) each copy their title to the grantee's entry and the share
// record after they commit. When the first edit's copying runs late, after
// the second one's, the copies keep the second, current title rather than
// going back to the first for good.
func TestUpdateItem_SharedTitleOrder(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	ctx, a := t.Context(), store.Actor{Username: "alice"}
	it, err := env.Store.CreateItem(ctx, "alice", "Draft", "", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddShare(ctx, "alice", it.ID, "bob", a); err != nil {
		t.Fatal(err)
	}
	// The first edit stops at its first copy (a plain UpdateItem: the
	// edit itself is a transaction) until the second edit is done.
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := env.Intercepted(func(op string) error {
		if op == "UpdateItem" {
			once.Do(func() { close(reached); <-release })
		}
		return nil
	}).Store
	done := make(chan error, 1)
	go func() {
		done <- slow.UpdateItem(ctx, "alice", it.ID, it.Version, "First", "", a)
	}()
	<-reached
	if err := env.Store.UpdateItem(ctx, "alice", it.ID, it.Version+1, "Second", "", a); err != nil {
		t.Errorf("second UpdateItem: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("first UpdateItem: %v", err)
	}
	if sh, err := env.Store.SharedEntry(ctx, "bob", it.ID); err != nil || sh.Title != "Second" {
		t.Errorf("bob's entry = %+v, %v; want title %q", sh, err, "Second")
	}
	if shares, err := env.Store.ListShares(ctx, "alice", it.ID); err != nil || len(shares) != 1 || shares[0].Title != "Second" {
		t.Errorf("ListShares = %+v, %v; want one share titled %q", shares, err, "Second")
	}
}
