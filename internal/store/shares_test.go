package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

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
		TableName: aws.String(env.Tables.Data),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "USER#" + owner},
			"sk": &types.AttributeValueMemberS{Value: "ITEM#" + id},
		},
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
	barrier := middleware.InitializeMiddlewareFunc("Barrier", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		if middleware.GetOperationName(ctx) == "TransactWriteItems" {
			if arrived.Add(1) == n {
				close(release)
			}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
				return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("barrier: not all shares reached their transaction")
			}
		}
		return next.HandleInitialize(ctx, in)
	})
	client := dynamodb.New(env.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(barrier, middleware.Before) })
	})
	racing := store.New(client, env.Tables)

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

// TestDeleteItem_ManyShares deletes an item shared with more users than fit
// in its transaction (48 shares do): the rest are deleted in batches, and no
// grantee keeps an entry.
func TestDeleteItem_ManyShares(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "widely shared", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := range n {
		g := fmt.Sprintf("user%02d", i)
		if _, err := s.CreateUser(ctx, store.User{Username: g, PasswordHash: "x"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddShare(ctx, "alice", it.ID, g, store.Actor{}); err != nil {
			t.Fatalf("AddShare(%s): %v", g, err)
		}
	}
	cur, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil || cur.ShareCount != n {
		t.Fatalf("GetItem = %+v, %v; want %d shares", cur, err, n)
	}
	if err := s.DeleteItem(ctx, "alice", it.ID, cur.Version, store.Actor{}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
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
