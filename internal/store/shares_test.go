package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestAddShare_Limit: an item shared with MaxShares users takes no more,
// and the refusal writes nothing. (The transaction's own condition,
// share_count < MaxShares, guards the race between that check and the
// write; this test reaches the check.)
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
	// Stand in for a thousand earlier shares: set the counter directly.
	_, err = env.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(env.Tables.Data),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "USER#alice"},
			"sk": &types.AttributeValueMemberS{Value: "ITEM#" + it.ID},
		},
		UpdateExpression:          aws.String("SET share_count = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1000"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "alice", it.ID, "bob", store.Actor{}); !errors.Is(err, store.ErrLimit) {
		t.Errorf("AddShare at %d shares: error %v, want ErrLimit", store.MaxShares, err)
	}
	if p, _ := s.ListItems(ctx, "bob", "", 10); len(p.Items) != 0 {
		t.Errorf("refused share left an inbox entry: %+v", p.Items)
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
