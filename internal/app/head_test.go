package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
)

// TestHead_changesNoSession: a HEAD request, whose page nobody sees, writes
// no session for a visitor (as a GET of the login page does, for its form's
// token) and does not take the message a signed-in user's next page shows.
func TestHead_changesNoSession(t *testing.T) {
	t.Parallel()
	var writes atomic.Int64 // to the sessions table
	env := newEnv(t)
	sessions := env.Tables.Sessions
	env = env.InterceptedInput(func(_ string, in any) error {
		if writesTable(in, sessions) {
			writes.Add(1)
		}
		return nil
	})
	srv := newServer(t, env, app.Config{})

	for _, path := range []string{"/login", "/signup", "/login?next=/items"} {
		visitor := newTab(t, srv)
		before := writes.Load()
		r := visitor.head(path)
		if r.status != http.StatusOK || r.header.Get("Set-Cookie") != "" || writes.Load() != before {
			t.Errorf("HEAD %s: status %d, Set-Cookie %q, %d session writes; want 200, no cookie, none",
				path, r.status, r.header.Get("Set-Cookie"), writes.Load()-before)
		}
		// The GET that a browser sends does write one, for its form.
		if r := visitor.get(path); r.status != http.StatusOK || r.header.Get("Set-Cookie") == "" || writes.Load() == before || tokenIn(r.body) == "" {
			t.Errorf("GET %s: status %d, Set-Cookie %q, %d session writes; want 200, a session and a token",
				path, r.status, r.header.Get("Set-Cookie"), writes.Load()-before)
		}
	}

	alice := user(t, srv, "alice")
	r := alice.submit("/items/new", "/items", url.Values{"title": {"Plan"}, "body": {"text"}})
	next := r.header.Get("Location")
	if r.status != http.StatusSeeOther || next == "" {
		t.Fatalf("create: status %d, Location %q", r.status, next)
	}
	if h := alice.head(next); h.status != http.StatusOK {
		t.Fatalf("HEAD %s: status %d", next, h.status)
	}
	if g := alice.get(next); !strings.Contains(g.body, "Item created.") {
		t.Errorf("GET %s after a HEAD: the message %q is gone", next, "Item created.")
	}
}
