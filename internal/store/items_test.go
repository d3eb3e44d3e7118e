package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// newUsers returns an embedded store holding the named accounts.
func newUsers(t *testing.T, names ...string) *store.Store {
	t.Helper()
	return newUsersEnv(t, names...).Store
}

// newUsersEnv is newUsers with the tables and client of the store too.
func newUsersEnv(t *testing.T, names ...string) storetest.Env {
	t.Helper()
	env := storetest.EmbeddedBackend(t).Env(t)
	for _, n := range names {
		if _, err := env.Store.CreateUser(t.Context(), store.User{Username: n, PasswordHash: "x"}, store.Actor{Username: n}); err != nil {
			t.Fatalf("CreateUser(%q): %v", n, err)
		}
	}
	return env
}

func TestCreateGetItem(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "Groceries", "milk\neggs", store.Actor{Username: "alice"})
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	if len(it.ID) != 26 || it.Version != 1 || it.Public {
		t.Errorf("CreateItem = %+v, want 26-char id, version 1, private", it)
	}
	got, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if diff := cmp.Diff(it, got); diff != "" {
		t.Errorf("GetItem differs from CreateItem (-created +got):\n%s", diff)
	}
	// Owner-scoped: bob cannot get, read, or find it public.
	if _, err := s.GetItem(ctx, "bob", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetItem(bob) error = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadableItem(ctx, "bob", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadableItem(bob) error = %v, want ErrNotFound", err)
	}
	if _, _, err := s.PublicItem(ctx, it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublicItem(private) error = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"", "x", strings.Repeat("Z", 27), "../../etc/passwd"} {
		if _, err := s.ReadableItem(ctx, "alice", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReadableItem(%q) error = %v, want ErrNotFound", id, err)
		}
	}
}

func TestItemLimits(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice")
	tests := []struct {
		name, title, body string
		ok                bool
	}{
		{"200 runes", strings.Repeat("é", 200), "", true},
		{"201 runes", strings.Repeat("é", 201), "", false},
		{"empty title", "  ", "body", false},
		{"64 KiB body", "t", strings.Repeat("b", 64<<10), true},
		{"64 KiB + 1 body", "t", strings.Repeat("b", 64<<10+1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateItem(t.Context(), "alice", tc.title, tc.body, store.Actor{})
			if tc.ok && err != nil {
				t.Errorf("CreateItem: %v", err)
			}
			if !tc.ok && !errors.Is(err, store.ErrLimit) {
				t.Errorf("CreateItem error = %v, want ErrLimit", err)
			}
		})
	}
}

// TestCreateItem_MaxItems: an account holds at most the store's number of
// items; the one over it is ErrLimit and writes nothing; a delete makes
// room again, and the items shared with the account do not count.
func TestCreateItem_MaxItems(t *testing.T) {
	t.Parallel()
	env := newUsersEnv(t, "alice", "bob")
	s, ctx := env.Store, t.Context()
	if err := s.SetMaxItems(2); err != nil {
		t.Fatalf("SetMaxItems: %v", err)
	}
	bobs, err := s.CreateItem(ctx, "bob", "Bob's", "", store.Actor{Username: "bob"})
	if err != nil {
		t.Fatalf("CreateItem of bob: %v", err)
	}
	if err := s.AddShare(ctx, "bob", bobs.ID, "alice", store.Actor{Username: "bob"}); err != nil {
		t.Fatalf("AddShare: %v", err)
	}
	var first store.Item
	for i := range 2 {
		it, err := s.CreateItem(ctx, "alice", fmt.Sprintf("item %d", i), "", store.Actor{Username: "alice"})
		if err != nil {
			t.Fatalf("CreateItem %d of 2: %v", i+1, err)
		}
		if i == 0 {
			first = it
		}
	}
	before := len(scanData(t, env))
	if _, err := s.CreateItem(ctx, "alice", "one too many", "", store.Actor{Username: "alice"}); !errors.Is(err, store.ErrLimit) {
		t.Fatalf("CreateItem over the limit: %v, want ErrLimit", err)
	}
	if n := len(scanData(t, env)); n != before {
		t.Errorf("%d records after the refused create, want %d", n, before)
	}
	if err := s.DeleteItem(ctx, "alice", first.ID, first.Version, store.Actor{Username: "alice"}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if _, err := s.CreateItem(ctx, "alice", "in its place", "", store.Actor{Username: "alice"}); err != nil {
		t.Errorf("CreateItem after a delete: %v", err)
	}
	for _, n := range []int{0, -1, 1<<20 + 1} {
		if err := s.SetMaxItems(n); err == nil {
			t.Errorf("SetMaxItems(%d) = nil, want an error", n)
		}
	}
}

func TestUpdateItem_Conflict(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "v1", "one", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateItem(ctx, "alice", it.ID, it.Version, "v2", "two", store.Actor{}); err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	upd, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 || upd.Title != "v2" || upd.Body != "two" {
		t.Errorf("after UpdateItem, GetItem = %+v, want version 2, v2, two", upd)
	}
	// A second writer still holding version 1 must not overwrite.
	if err := s.UpdateItem(ctx, "alice", it.ID, it.Version, "stale", "stale", store.Actor{}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale UpdateItem error = %v, want ErrConflict", err)
	}
	if err := s.DeleteItem(ctx, "alice", it.ID, it.Version, store.Actor{}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale DeleteItem error = %v, want ErrConflict", err)
	}
	got, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil || got.Title != "v2" {
		t.Errorf("after stale writes GetItem = %+v, %v; want v2", got, err)
	}
	if err := s.DeleteItem(ctx, "alice", it.ID, upd.Version, store.Actor{}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if err := s.UpdateItem(ctx, "alice", it.ID, upd.Version, "x", "", store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateItem of deleted item error = %v, want ErrNotFound", err)
	}
	// Every successful mutation is in the audit log, newest first; the
	// refused ones are not.
	evs, err := s.ListEvents(ctx, "alice", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs.Items {
		actions = append(actions, e.Action)
	}
	want := []string{"item.delete", "item.update", "item.create"}
	if len(actions) < 3 || !cmp.Equal(actions[:3], want) {
		t.Errorf("audit actions = %q, want to start with %q", actions, want)
	}
	for _, a := range actions {
		if a == "" {
			t.Errorf("audit log has an empty action: %q", actions)
		}
	}
}

func TestShares(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob", "carol")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "Plan", "secret", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "alice", it.ID, "bob", store.Actor{}); err != nil {
		t.Fatalf("AddShare: %v", err)
	}
	for _, tc := range []struct {
		grantee string
		want    error
	}{
		{"bob", store.ErrExists},
		{"alice", store.ErrSelfShare},
		{"nobody", store.ErrNotFound},
	} {
		if err := s.AddShare(ctx, "alice", it.ID, tc.grantee, store.Actor{}); !errors.Is(err, tc.want) {
			t.Errorf("AddShare(%q) error = %v, want %v", tc.grantee, err, tc.want)
		}
	}
	// bob may read it, carol may not; bob sees it in his list as shared.
	got, err := s.ReadableItem(ctx, "bob", it.ID)
	if err != nil || got.Body != "secret" || got.Owner != "alice" || got.ShareCount != 1 {
		t.Errorf("ReadableItem(bob) = %+v, %v", got, err)
	}
	if _, err := s.ReadableItem(ctx, "carol", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadableItem(carol) error = %v, want ErrNotFound", err)
	}
	page, err := s.ListItems(ctx, "bob", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || !page.Items[0].Shared || page.Items[0].Owner != "alice" || page.Items[0].ID != it.ID {
		t.Errorf("ListItems(bob) = %+v, want alice's item as shared", page.Items)
	}
	// The grantee's list follows the owner's edits of the title.
	if err := s.UpdateItem(ctx, "alice", it.ID, it.Version, "Plan v2", "secret", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.ListItems(ctx, "bob", "", 10); len(page.Items) != 1 || page.Items[0].Title != "Plan v2" {
		t.Errorf("bob's list after the title changed = %+v, want title Plan v2", page.Items)
	}
	shares, err := s.ListShares(ctx, "alice", it.ID)
	if err != nil || len(shares) != 1 || shares[0].Grantee != "bob" || shares[0].Title != "Plan v2" {
		t.Errorf("ListShares = %+v, %v; want bob", shares, err)
	}
	if err := s.RemoveShare(ctx, "alice", it.ID, "bob", store.Actor{}); err != nil {
		t.Fatalf("RemoveShare: %v", err)
	}
	if err := s.RemoveShare(ctx, "alice", it.ID, "bob", store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second RemoveShare error = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadableItem(ctx, "bob", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadableItem(bob) after revoke error = %v, want ErrNotFound", err)
	}
	if it, _ := s.GetItem(ctx, "alice", it.ID); it.ShareCount != 0 {
		t.Errorf("ShareCount after revoke = %d, want 0", it.ShareCount)
	}
	// Deleting a shared item removes the grantee's entry too.
	if err := s.AddShare(ctx, "alice", it.ID, "carol", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.GetItem(ctx, "alice", it.ID)
	if err := s.DeleteItem(ctx, "alice", it.ID, cur.Version, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.ListItems(ctx, "carol", "", 10); len(page.Items) != 0 {
		t.Errorf("carol's list after delete = %+v, want empty", page.Items)
	}
}

func TestVisibilityAndPublicItem(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice")
	ctx := t.Context()
	it, err := s.CreateItem(ctx, "alice", "Post", "hello", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisibility(ctx, "alice", it.ID, it.Version, true, store.Actor{}); err != nil {
		t.Fatalf("SetVisibility: %v", err)
	}
	pub, err := s.GetItem(ctx, "alice", it.ID)
	if err != nil || !pub.Public || pub.Version != 2 {
		t.Fatalf("after SetVisibility, GetItem = %+v, %v", pub, err)
	}
	u, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	origins := []string{"https://blog.example", "http://localhost:8081"}
	if err := s.SetEmbedOrigins(ctx, "alice", origins, u.Version, store.Actor{}); err != nil {
		t.Fatalf("SetEmbedOrigins: %v", err)
	}
	if err := s.SetEmbedOrigins(ctx, "alice", nil, u.Version, store.Actor{}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale SetEmbedOrigins error = %v, want ErrConflict", err)
	}
	got, gotOrigins, err := s.PublicItem(ctx, it.ID)
	if err != nil || got.Body != "hello" {
		t.Fatalf("PublicItem = %+v, %v", got, err)
	}
	if !cmp.Equal(gotOrigins, origins) {
		t.Errorf("PublicItem origins = %q, want %q", gotOrigins, origins)
	}
	if err := s.SetVisibility(ctx, "alice", it.ID, pub.Version, false, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PublicItem(ctx, it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PublicItem after making private error = %v, want ErrNotFound", err)
	}
}

func TestListItems_Pagination(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob")
	ctx := t.Context()
	var want []string // newest first
	for i := range 7 {
		it, err := s.CreateItem(ctx, "alice", fmt.Sprintf("item %d", i), "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{it.ID}, want...)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p, err := s.ListItems(ctx, "alice", cursor, 3)
		if err != nil {
			t.Fatalf("ListItems(%q): %v", cursor, err)
		}
		if len(p.Items) > 3 {
			t.Errorf("page of %d items, limit 3", len(p.Items))
		}
		for _, e := range p.Items {
			got = append(got, e.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListItems ids (-want +got):\n%s", diff)
	}
	// alice's cursor must not page through bob's partition.
	first, err := s.ListItems(ctx, "alice", "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListItems(ctx, "bob", first.Next, 3); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("ListItems(bob, alice's cursor) error = %v, want ErrBadCursor", err)
	}
}

func TestExportItems(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice", "bob")
	ctx := t.Context()
	var want []string // oldest first
	for i := range 5 {
		it, err := s.CreateItem(ctx, "alice", fmt.Sprintf("item %d", i), "body", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, it.ID)
	}
	other, err := s.CreateItem(ctx, "bob", "bob's", "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddShare(ctx, "bob", other.ID, "alice", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.ExportItems(ctx, "alice", func(it store.Item) error {
		got = append(got, it.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ExportItems: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported ids, own items only (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	err = s.ExportItems(ctx, "alice", func(store.Item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("ExportItems with failing fn: err %v after %d calls, want stop after 1", err, n)
	}
}

func TestRecordAndListEvents(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "alice")
	ctx := t.Context()
	a := store.Actor{Username: "alice", ClientAddr: "192.0.2.1", UserAgent: "test", SecFetchSite: "same-origin", Origin: "https://app.example"}
	for i := range 5 {
		if err := s.RecordEvent(ctx, "alice", store.Event{Action: "export", Detail: fmt.Sprint(i), Actor: a}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.ListEvents(ctx, "alice", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Next == "" {
		t.Fatalf("ListEvents page = %d items, next %q; want 2 and a cursor", len(p.Items), p.Next)
	}
	if p.Items[0].Detail != "4" || p.Items[0].Actor != a {
		t.Errorf("newest event = %+v, want detail 4 and actor %+v", p.Items[0], a)
	}
	p2, err := s.ListEvents(ctx, "alice", p.Next, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Items) == 0 || p2.Items[0].Detail != "2" {
		t.Errorf("second page = %+v, want to start at detail 2", p2.Items)
	}
}
