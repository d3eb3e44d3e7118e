package store_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

func putOp(table, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk},
			"sk": &types.AttributeValueMemberS{Value: sk},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}
}

// TestTransact_AllOrNothing forces a condition to fail in a transaction that
// also writes another record, and proves that neither that record nor the
// audit record was written; then that a passing transaction writes all.
func TestTransact_AllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.Transactions)
		e := b.Env(t)
		ctx := t.Context()
		data := e.Tables.Data
		if _, err := e.Store.CreateUser(ctx, store.User{Username: "erin", PasswordHash: "h"}, store.Actor{}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if err := e.Store.Transact(ctx, "erin", store.Event{Action: "seed"}, putOp(data, "X#taken", "X")); err != nil {
			t.Fatalf("seed: %v", err)
		}
		ev := store.Event{Action: "test.both", Target: "X#new"}
		err := e.Store.Transact(ctx, "erin", ev, putOp(data, "X#new", "X"), putOp(data, "X#taken", "X"))
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Transact with a failing condition = %v, want ErrConflict", err)
		}
		out, err := e.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(data), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "X#new"},
				"sk": &types.AttributeValueMemberS{Value: "X"},
			},
		})
		if err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		if len(out.Item) != 0 {
			t.Errorf("the other write of a canceled transaction is present: %v", out.Item)
		}
		if got := auditActions(t, e.Store, "erin"); !slices.Equal(got, []string{"user.create", "seed"}) {
			t.Errorf("audit actions = %v, want only [user.create seed]: the canceled mutation must leave no record", got)
		}

		if err := e.Store.Transact(ctx, "erin", ev, putOp(data, "X#new", "X")); err != nil {
			t.Fatalf("Transact: %v", err)
		}
		evs, _, err := store.AuditEvents(ctx, e.Store, "erin")
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if len(evs) != 3 || evs[2].Action != "test.both" || evs[2].Target != "X#new" || evs[2].Time.IsZero() {
			t.Errorf("audit = %+v, want user.create, seed, then test.both on X#new with a time", evs)
		}
	})
}

// TestTransact_NoTransactions pins what a backend without transactions does
// with a mutation: it fails, and writes nothing.
func TestTransact_NoTransactions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		if b.Caps.Transactions {
			t.Skipf("%s implements transactions", b.Name)
		}
		s := b.Store(t)
		_, err := s.CreateUser(t.Context(), store.User{Username: "frank", PasswordHash: "h"}, store.Actor{})
		if !errors.Is(err, store.ErrNoTransactions) || !strings.Contains(err.Error(), "does not implement TransactWriteItems") {
			t.Fatalf("CreateUser without transactions = %v, want ErrNoTransactions saying transactions are missing", err)
		}
		if _, err := s.GetUser(t.Context(), "frank"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser after failed create = %v, want ErrNotFound", err)
		}
	})
}

// TestCheckTransactions: the start-up probe tells a server with transactions
// from one without, and writes nothing either way.
func TestCheckTransactions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		err := e.Store.CheckTransactions(t.Context())
		if b.Caps.Transactions && err != nil {
			t.Errorf("CheckTransactions on %s = %v, want nil", b.Name, err)
		}
		if !b.Caps.Transactions && !errors.Is(err, store.ErrNoTransactions) {
			t.Errorf("CheckTransactions on %s = %v, want ErrNoTransactions", b.Name, err)
		}
		out, err := e.Client.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(e.Tables.Data)})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if len(out.Items) != 0 {
			t.Errorf("data table holds %d records after the probe, want 0", len(out.Items))
		}
	})
}

// TestTransact_Limit: a mutation of MaxTransactOps operations goes out as
// one transaction of exactly DynamoDB's 100 operations, its audit record
// and the check of the owner's account included (the embedded server does
// not enforce the limit, so the test counts); one more is refused before
// anything is sent.
func TestTransact_Limit(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "erin")
	var sizes []int
	counting := env.TransactionSizes(&sizes).Store
	ops := make([]types.TransactWriteItem, store.MaxTransactOps+1)
	for i := range ops {
		ops[i] = putOp(env.Tables.Data, "X#"+strconv.Itoa(i), "X")
	}
	ev := store.Event{Action: "test.many"}
	if err := counting.Transact(t.Context(), "erin", ev, ops[:store.MaxTransactOps]...); err != nil {
		t.Fatalf("Transact of MaxTransactOps operations: %v", err)
	}
	if err := counting.Transact(t.Context(), "erin", ev, ops...); err == nil {
		t.Errorf("Transact of MaxTransactOps+1 operations succeeded")
	}
	if len(sizes) != 1 || sizes[0] != 100 {
		t.Errorf("transactions sent hold %v operations, want one of 100", sizes)
	}
}

// TestTransact_InFlightConflict: a transaction cancelled because another one
// held its records (DynamoDB's TransactionConflict, which the local servers
// do not produce, so it is made here) is tried again and succeeds once the
// other is done; one that keeps conflicting is ErrUnavailable, never the
// ErrConflict of a lost race; and a failed condition is not retried.
func TestTransact_InFlightConflict(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "erin")
	conflicting := func(codes ...string) error {
		tce := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
		for _, c := range codes {
			tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
		}
		return tce
	}
	for _, tc := range []struct {
		name      string
		cancel    error // what the first calls get
		cancelled int   // how many calls get it
		calls     int   // calls made in all
		want      error // nil: the item is created
	}{
		{"conflict once", conflicting("TransactionConflict", "None", "None"), 1, 2, nil},
		{"conflict twice", conflicting("None", "TransactionConflict", "None"), 2, 3, nil},
		{"conflict throughout", conflicting("TransactionConflict", "None", "None"), 99, 3, store.ErrUnavailable},
		{"a failed condition beside it", conflicting("TransactionConflict", "ConditionalCheckFailed", "None"), 99, 1, store.ErrConflict},
	} {
		calls := 0
		s := env.Intercepted(func(op string) error {
			if op != "TransactWriteItems" {
				return nil
			}
			calls++
			if calls <= tc.cancelled {
				return tc.cancel
			}
			return nil
		}).Store
		it, err := s.CreateItem(t.Context(), "erin", tc.name, "", store.Actor{})
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: CreateItem: %v", tc.name, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: CreateItem error %v, want %v", tc.name, err, tc.want)
		case tc.want != nil && errors.Is(err, store.ErrConflict) != errors.Is(tc.want, store.ErrConflict):
			t.Errorf("%s: CreateItem error %v is also ErrConflict", tc.name, err)
		}
		if calls != tc.calls {
			t.Errorf("%s: %d TransactWriteItems calls, want %d", tc.name, calls, tc.calls)
		}
		if tc.want == nil {
			if _, err := env.Store.GetItem(t.Context(), "erin", it.ID); err != nil {
				t.Errorf("%s: the item is not there: %v", tc.name, err)
			}
		}
	}
}
