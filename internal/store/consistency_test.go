package store_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// eventualReads returns env with a store that records, for each read of
// the data table that does not ask for a strongly consistent read, the
// operation's name. The local servers always answer consistently; real
// DynamoDB does only when asked, and an eventually consistent read may miss
// a write of the last second.
func eventualReads(env storetest.Env) (storetest.Env, func() []string) {
	var mu sync.Mutex
	var got []string
	rec := func(op string, consistent *bool) {
		if consistent == nil || !*consistent {
			mu.Lock()
			got = append(got, op)
			mu.Unlock()
		}
	}
	e := env.InterceptedInput(func(op string, in any) error {
		switch in := in.(type) {
		case *dynamodb.QueryInput:
			if *in.TableName == env.Tables.Data {
				rec(op, in.ConsistentRead)
			}
		case *dynamodb.BatchGetItemInput:
			if ka, ok := in.RequestItems[env.Tables.Data]; ok {
				rec(op, ka.ConsistentRead)
			}
		}
		return nil
	})
	return e, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// TestPublicItem_ConsistentRead: the public and embed pages must stop
// showing an item the moment it is made private, the owner's account
// deletion has started or an origin left the embed allowlist, so the item
// and the profile are read strongly consistently.
func TestPublicItem_ConsistentRead(t *testing.T) {
	t.Parallel()
	env, eventual := eventualReads(newUsersEnv(t, "alice"))
	s, ctx := env.Store, t.Context()
	it, err := s.CreateItem(ctx, "alice", "Post", "hello", store.Actor{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisibility(ctx, "alice", it.ID, it.Version, true, store.Actor{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	eventual()
	if _, _, err := s.PublicItem(ctx, it.ID); err != nil {
		t.Fatalf("PublicItem: %v", err)
	}
	if ops := eventual(); len(ops) > 0 {
		t.Errorf("PublicItem read the data table eventually consistently with %q", ops)
	}
}

// TestPublicItem_Unprocessed: a BatchGetItem whose keys DynamoDB keeps
// leaving unprocessed (it does when throttled) is tried a bounded number of
// times, with a pause, and then the public page is "unavailable", rather
// than a loop that hammers DynamoDB for as long as the visitor waits.
func TestPublicItem_Unprocessed(t *testing.T) {
	t.Parallel()
	b := storetest.EmbeddedBackend(t)
	env := b.Env(t)
	s, ctx := env.Store, t.Context()
	if _, err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "x"}, store.Actor{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	it, err := s.CreateItem(ctx, "alice", "Post", "hello", store.Actor{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisibility(ctx, "alice", it.ID, it.Version, true, store.Actor{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	b.Minidyn.EmulateUnprocessedItems(env.Tables.Data, func(int, map[string]*server.AttributeValue) bool { return true })
	t.Cleanup(func() { b.Minidyn.EmulateUnprocessedItems(env.Tables.Data, nil) })
	const most = 50
	var calls atomic.Int32
	counted := env.Intercepted(func(op string) error {
		if op == "BatchGetItem" && calls.Add(1) > most {
			return fmt.Errorf("more than %d BatchGetItem calls", most)
		}
		return nil
	})
	_, _, err = counted.Store.PublicItem(ctx, it.ID)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("PublicItem with keys always unprocessed: error %v after %d BatchGetItem calls, want ErrUnavailable", err, calls.Load())
	}
}

// TestLists_ConsistentRead: an export must hold every item saved before it
// started, and the list shown right after a delete, a leave or a change
// must not show the state before it, so these queries of the user's
// partition are strongly consistent.
func TestLists_ConsistentRead(t *testing.T) {
	t.Parallel()
	env, eventual := eventualReads(newUsersEnv(t, "alice"))
	s, ctx := env.Store, t.Context()
	if _, err := s.CreateItem(ctx, "alice", "Post", "hello", store.Actor{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	eventual()
	n := 0
	if err := s.ExportItems(ctx, "alice", func(store.Item) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("ExportItems: %d items, %v; want 1", n, err)
	}
	if ops := eventual(); len(ops) > 0 {
		t.Errorf("ExportItems read eventually consistently with %q", ops)
	}
	if p, err := s.ListItems(ctx, "alice", "", 10); err != nil || len(p.Items) != 1 {
		t.Fatalf("ListItems = %+v, %v; want 1 item", p, err)
	}
	if ops := eventual(); len(ops) > 0 {
		t.Errorf("ListItems read eventually consistently with %q", ops)
	}
	if p, err := s.ListEvents(ctx, "alice", "", 10); err != nil || len(p.Items) == 0 {
		t.Fatalf("ListEvents = %+v, %v; want events", p, err)
	}
	if ops := eventual(); len(ops) > 0 {
		t.Errorf("ListEvents read eventually consistently with %q", ops)
	}
}
