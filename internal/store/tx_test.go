package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

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

// TestTransact_Limit: a mutation of MaxTransactOps operations, in a request
// bound to its session, goes out as one transaction of exactly DynamoDB's
// 100 operations, its audit record, the check of the owner's account and
// the check of the session included (the embedded server does not enforce
// the limit, so the test counts); one more is refused before anything is
// sent.
func TestTransact_Limit(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "erin")
	ctx := sessionRequest(t, env)
	var sizes []int
	counting := env.TransactionSizes(&sizes).Store
	ops := make([]types.TransactWriteItem, store.MaxTransactOps+1)
	for i := range ops {
		ops[i] = putOp(env.Tables.Data, "X#"+strconv.Itoa(i), "X")
	}
	ev := store.Event{Action: "test.many"}
	if err := counting.Transact(ctx, "erin", ev, ops[:store.MaxTransactOps]...); err != nil {
		t.Fatalf("Transact of MaxTransactOps operations: %v", err)
	}
	if err := counting.Transact(ctx, "erin", ev, ops...); err == nil {
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
		tokens := map[string]bool{}
		// After the SDK's own Initialize steps, which give the request its
		// client token when it has none.
		mw := middleware.InitializeMiddlewareFunc("cancel", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			calls++
			// A cancelled transaction wrote nothing: the next try is a new
			// request, with a new client token, not a replay of the
			// cancelled one, which DynamoDB could answer as it did.
			if tok := aws.ToString(tx.ClientRequestToken); tok == "" || tokens[tok] {
				t.Errorf("%s: call %d has client token %q, want a new one", tc.name, calls, tok)
			} else {
				tokens[tok] = true
			}
			if calls <= tc.cancelled {
				return middleware.InitializeOutput{}, middleware.Metadata{}, tc.cancel
			}
			return next.HandleInitialize(ctx, in)
		})
		s := store.New(dynamodb.New(env.Client.Options(), func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.After) })
		}), env.Tables)
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

// sessionRequest returns the context of a request of a new live session
// on env, as the app's middleware makes it: the session read into the
// context's memo (store.WithSessionMemo), so that the request's
// transactions check that the session has not ended.
func sessionRequest(t *testing.T, env storetest.Env) context.Context {
	t.Helper()
	ss := store.NewSessions(env.Client, env.Tables.Sessions)
	token := "request-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := ss.CommitCtx(t.Context(), token, []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("CommitCtx: %v", err)
	}
	ctx := store.WithSessionMemo(t.Context())
	if _, found, err := ss.FindCtx(ctx, token); err != nil || !found {
		t.Fatalf("FindCtx = %v, %v; want the session", found, err)
	}
	return ctx
}

// TestTransact_SessionEnded: the changes of a request bound to its session
// (WithSessionMemo) are written only while that session lives. Once it has
// ended, whichever way (logged out, signed out from another session, every
// session of its user ended at a password change or an account deletion),
// a change and the mark of an account deletion fail with ErrSessionEnded,
// which is no ErrNotFound, and write nothing, also after the account was
// deleted and its name signed up again. Each way of ending leaves the
// tombstone that the check reads, on every backend; the check itself is a
// transaction's, so it is tested where there are transactions.
func TestTransact_SessionEnded(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		ctx := t.Context()
		exp := time.Now().Add(time.Hour)
		// request returns the context of a request of token's session, as
		// the app's middleware makes it: the session read into its memo.
		request := func(token string) context.Context {
			t.Helper()
			rctx := store.WithSessionMemo(ctx)
			if _, found, err := ss.FindCtx(rctx, token); err != nil || !found {
				t.Fatalf("FindCtx(%q) = %v, %v; want the session", token, found, err)
			}
			return rctx
		}
		open := func(token string) {
			t.Helper()
			if err := ss.CommitCtx(ctx, token, []byte("data"), exp); err != nil {
				t.Fatalf("CommitCtx(%q): %v", token, err)
			}
			if err := ss.Track(ctx, "erin", token, exp, store.SessionInfo{}); err != nil {
				t.Fatalf("Track(%q): %v", token, err)
			}
		}
		ends := []struct {
			name string
			end  func(token string) error
		}{
			{"logged out", func(token string) error { return ss.DeleteCtx(ctx, token) }},
			{"signed out from another session", func(token string) error { return ss.End(ctx, "erin", store.SessionID(token)) }},
			// Last: it ends every tracked session of erin.
			{"every session of its user ended", func(token string) error { return ss.EndAll(ctx, "erin") }},
		}
		ended := make([]context.Context, len(ends))
		for i, tc := range ends {
			token := "ended-" + strconv.Itoa(i)
			open(token)
			ended[i] = request(token)
			if err := tc.end(token); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if _, ok := sessionRecord(t, e, token)["ended"]; !ok {
				t.Errorf("%s: the session's record has no ended attribute, which the check reads", tc.name)
			}
		}
		if err := ss.CommitCtx(ctx, "live", []byte("data"), exp); err != nil {
			t.Fatalf("CommitCtx(live): %v", err)
		}
		live := request("live")
		if _, ok := sessionRecord(t, e, "live")["ended"]; ok {
			t.Fatal("a live session's record has the ended attribute")
		}

		b.Require(t, storetest.Transactions)
		s := e.Store
		if _, err := s.CreateUser(ctx, store.User{Username: "erin", PasswordHash: "h"}, store.Actor{}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := s.CreateItem(live, "erin", "mine", "", store.Actor{}); err != nil {
			t.Fatalf("CreateItem in a live session: %v", err)
		}
		// refused checks that do, in each ended session, fails with
		// ErrSessionEnded and writes nothing.
		refused := func(what string, do func(rctx context.Context) error) {
			t.Helper()
			for i, rctx := range ended {
				before := len(scanData(t, e))
				err := do(rctx)
				if !errors.Is(err, store.ErrSessionEnded) || errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s, %s: %v, want ErrSessionEnded, not ErrNotFound", what, ends[i].name, err)
				}
				if n := len(scanData(t, e)); n != before {
					t.Errorf("%s, %s: the data table went from %d to %d records", what, ends[i].name, before, n)
				}
			}
		}
		refused("CreateItem", func(rctx context.Context) error {
			_, err := s.CreateItem(rctx, "erin", "late", "", store.Actor{})
			return err
		})
		refused("RecordEvent", func(rctx context.Context) error {
			return s.RecordEvent(rctx, "erin", store.Event{Action: "export"})
		})
		refused("DeleteAccount", func(rctx context.Context) error {
			return s.DeleteAccount(rctx, "erin", store.Actor{})
		})
		if _, err := s.GetUser(ctx, "erin"); err != nil {
			t.Fatalf("GetUser after the refused deletions: %v, want the account untouched", err)
		}

		// The account is deleted (every session of it ended) and its name
		// taken again: the ended sessions' requests reach nothing of the
		// new account, and its first session writes.
		if err := s.DeleteAccount(ctx, "erin", store.Actor{}); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		if _, err := s.CreateUser(ctx, store.User{Username: "erin", PasswordHash: "new"}, store.Actor{}); err != nil {
			t.Fatalf("CreateUser of the freed name: %v", err)
		}
		refused("CreateItem in the new account", func(rctx context.Context) error {
			_, err := s.CreateItem(rctx, "erin", "planted", "", store.Actor{})
			return err
		})
		refused("DeleteAccount of the new account", func(rctx context.Context) error {
			return s.DeleteAccount(rctx, "erin", store.Actor{})
		})
		if u, err := s.GetUser(ctx, "erin"); err != nil || u.PasswordHash != "new" {
			t.Errorf("the new erin = %+v, %v; want her account, not being deleted", u, err)
		}
		if _, err := s.CreateItem(live, "erin", "fresh", "", store.Actor{}); err != nil {
			t.Errorf("CreateItem in a live session: %v", err)
		}
	})
}

// TestTransact_SessionEndedBeside: when the session check of a request's
// transaction fails beside another condition, the caller hears
// ErrSessionEnded, never what the other condition would have meant (here
// CreateItem's item limit); only an account being deleted says more. The
// embedded server reports the first failed condition of a transaction
// alone, so the cancellation DynamoDB sends, which names each failed
// condition, is made here from what the transaction holds.
func TestTransact_SessionEndedBeside(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "erin")
	ctx := sessionRequest(t, env)
	for _, tc := range []struct {
		name    string
		account bool // the account check fails too
		want    error
		notWant error
	}{
		{"the session and the item limit", false, store.ErrSessionEnded, store.ErrLimit},
		{"the session, the account and the item limit", true, store.ErrAccountGone, store.ErrLimit},
	} {
		s := env.InterceptedInput(func(_ string, in any) error {
			tx, ok := in.(*dynamodb.TransactWriteItemsInput)
			if !ok {
				return nil
			}
			tce := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
			for i, it := range tx.TransactItems {
				code := "None"
				cc := it.ConditionCheck
				switch {
				case i == 2: // CreateItem's count of the owner's items
					code = "ConditionalCheckFailed"
				case cc != nil && aws.ToString(cc.TableName) == env.Tables.Sessions:
					code = "ConditionalCheckFailed"
				case cc != nil && tc.account:
					code = "ConditionalCheckFailed"
				}
				tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(code)})
			}
			return tce
		}).Store
		_, err := s.CreateItem(ctx, "erin", "late", "", store.Actor{})
		if !errors.Is(err, tc.want) || errors.Is(err, tc.notWant) {
			t.Errorf("%s failing: CreateItem = %v, want %v and not %v", tc.name, err, tc.want, tc.notWant)
		}
	}
}
