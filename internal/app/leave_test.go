package app_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// mustContain fails the test for each of wants that r's body lacks.
func mustContain(t *testing.T, what string, r response, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(r.body, want) {
			t.Errorf("%s (status %d) lacks %q", what, r.status, want)
		}
	}
}

// TestLeave: a grantee removes an item shared with them from their list,
// through the item page and a confirmation; both activity logs say so and
// the owner's item stays.
func TestLeave(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	alice, bob, carol := user(t, srv, "alice"), user(t, srv, "bob"), user(t, srv, "carol")
	bob.c.Transport = userAgent{bob.c.Transport, "BobPrivateBrowser/9.9"}
	id := alice.createItem("Plan", "the plan")
	alice.share(id, "bob")
	leave := "/items/" + id + "/leave"

	mustContain(t, "bob's item page", bob.get("/items/"+id), `href="`+leave+`"`, "Remove from my list")
	if r := alice.get("/items/" + id); strings.Contains(r.body, leave) {
		t.Errorf("the owner's item page offers to leave it")
	}
	page := bob.get(leave)
	if page.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", leave, page.status)
	}
	mustContain(t, "the confirmation", page, "Remove “<bdi>Plan</bdi>” from your list?", "only alice can share it with you again", `action="`+leave+`"`)
	if r := carol.get(leave); r.status != http.StatusNotFound || strings.Contains(r.body, "Plan") {
		t.Errorf("carol, with no share, GET %s: status %d, want 404 that names nothing", leave, r.status)
	}

	r := bob.submit(leave, leave, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
		t.Fatalf("POST %s: status %d, Location %q; want 303 to /items", leave, r.status, r.header.Get("Location"))
	}
	list := bob.get("/items")
	mustContain(t, "bob's list after leaving", list, "“Plan” is no longer in your list.")
	if strings.Contains(list.body, "/items/"+id+`"`) {
		t.Errorf("bob's list still links the item")
	}
	if r := bob.get("/items/" + id); r.status != http.StatusNotFound {
		t.Errorf("bob GET the item he left: status %d, want 404", r.status)
	}
	if r := bob.get(leave); r.status != http.StatusNotFound {
		t.Errorf("bob GET %s again: status %d, want 404", leave, r.status)
	}
	mustContain(t, "alice's item", alice.get("/items/"+id), "the plan")
	mustContain(t, "alice's share page", alice.get("/items/"+id+"/share"), "Nobody else can read this item.")
	// Each log says who did what; only the actor's own says with which
	// browser (and from where).
	aliceLog := alice.get("/activity")
	mustContain(t, "alice's activity", aliceLog, "Share given up by bob")
	if strings.Contains(aliceLog.body, "BobPrivateBrowser") {
		t.Errorf("alice's activity shows bob's browser")
	}
	mustContain(t, "bob's activity", bob.get("/activity"), "Shared item removed from your list", "“Plan” from alice", "BobPrivateBrowser/9.9")
}

// userAgent is a transport that sends its User-Agent on every request.
type userAgent struct {
	rt http.RoundTripper
	ua string
}

func (t userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.rt.RoundTrip(r)
}

// TestLeave_ItemGone: an item deleted while shared, whose grantee's entry
// survived (an interrupted delete, made here by removing the item record
// alone), answers 410 with the way out, and the grantee removes the entry.
func TestLeave_ItemGone(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	alice, bob := user(t, srv, "alice"), user(t, srv, "bob")
	id := alice.createItem("Old plan", "gone soon")
	alice.share(id, "bob")
	env.InterruptDelete(t, "alice", id)
	leave := "/items/" + id + "/leave"
	mustContain(t, "bob's list with the leftover", bob.get("/items"), "Old plan")
	for _, p := range []string{"/items/" + id, "/items/" + id + "/edit"} {
		r := bob.get(p)
		if r.status != http.StatusGone {
			t.Errorf("bob GET %s: status %d, want 410", p, r.status)
		}
		mustContain(t, "bob GET "+p, r, "Deleted by its owner", `href="`+leave+`"`)
	}
	mustContain(t, "the confirmation", bob.get(leave), "alice</strong> deleted this item", "Remove from my list")
	if r := bob.submit(leave, leave, nil); r.status != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d", leave, r.status)
	}
	if r := bob.get("/items"); strings.Contains(r.body, "/items/"+id+`"`) || !strings.Contains(r.body, "No items yet") {
		t.Errorf("bob's list still shows the leftover")
	}
	if r := bob.get("/items/" + id); r.status != http.StatusNotFound {
		t.Errorf("bob GET the removed leftover: status %d, want 404", r.status)
	}
	if sh, err := env.Store.ListShares(t.Context(), "alice", id); err != nil || len(sh) != 0 {
		t.Errorf("alice's leftover share records: %+v, %v", sh, err)
	}
}

// TestDeleteItem_Leftovers: the delete of an item shared with more users
// than its transaction holds loses DynamoDB after the transaction. The item
// is gone, so the owner is told it is deleted (not "try again"), the server
// logs the leftovers, and the last grantee finds a 410 with the way out.
func TestDeleteItem_Leftovers(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env.CutOff("BatchWriteItem"), app.Config{})
	alice := user(t, srv, "alice")
	id := alice.createItem("Big list", "shared widely")
	const n = 50 // more than the 47 shares the delete's transaction holds
	for i := range n {
		g := fmt.Sprintf("user%02d", i)
		if _, err := env.Store.CreateUser(t.Context(), store.User{Username: g, PasswordHash: "x"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := env.Store.AddShare(t.Context(), "alice", id, g, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	del := "/items/" + id + "/delete"
	r := alice.submit(del, del, url.Values{"version": {alice.version(del)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/items" {
		t.Fatalf("delete: status %d, Location %q; want 303 to /items", r.status, r.header.Get("Location"))
	}
	mustContain(t, "alice's list after the delete", alice.get("/items"), "Deleted “Big list”. Some of the people it was shared with may still see it")
	if r := alice.get("/items/" + id); r.status != http.StatusNotFound {
		t.Errorf("alice GET the deleted item: status %d, want 404", r.status)
	}
	if logs := srv.logs.String(); !strings.Contains(logs, "grantees' entries left") || !strings.Contains(logs, "BatchWriteItem cut off") {
		t.Errorf("the server did not log the leftovers:\n%s", logs)
	}
	if _, err := env.Store.ReadableItem(t.Context(), fmt.Sprintf("user%02d", n-1), id); !errors.Is(err, store.ErrSharedItemGone) {
		t.Errorf("the last grantee reads %v, want ErrSharedItemGone", err)
	}
}
