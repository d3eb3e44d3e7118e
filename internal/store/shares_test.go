package store_test

import (
	"errors"
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
