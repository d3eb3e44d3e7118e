package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// callCounter records the DynamoDB operations a client makes, through an
// SDK middleware.
type callCounter struct {
	mu  sync.Mutex
	ops []string
}

func (c *callCounter) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

// countingEnv is env with its store and client replaced by ones whose every
// DynamoDB call is recorded.
func countingEnv(t *testing.T, env storetest.Env) (storetest.Env, *callCounter) {
	t.Helper()
	cc := &callCounter{}
	env = env.Intercepted(func(op string) error {
		cc.mu.Lock()
		cc.ops = append(cc.ops, op)
		cc.mu.Unlock()
		return nil
	})
	return env, cc
}

// TestCallsPerPageView counts the DynamoDB calls of the main page views of a
// logged-in user and of a visitor: the session read and the page's data. The
// session's idle-timeout commit writes nothing when the session is unchanged
// and its expiry moves by less than the store's commit grace.
func TestCallsPerPageView(t *testing.T) {
	t.Parallel()
	env, cc := countingEnv(t, newEnv(t))
	srv := newServer(t, env, app.Config{})
	alice := user(t, srv, "alice")
	var id string
	for i := range 20 {
		id = alice.createItem(fmt.Sprintf("item %d", i), "text")
	}
	vis := alice.get("/items/" + id + "/visibility")
	alice.submit("/items/"+id+"/visibility", "/items/"+id+"/visibility", url.Values{"public": {"true"}, "version": {versionRE.FindStringSubmatch(vis.body)[1]}})
	anon := newTab(t, srv)

	tests := []struct {
		name string
		b    *browser
		path string
		max  int
	}{
		{"items list, 20 items", alice, "/items", 2},
		{"own item", alice, "/items/" + id, 2},
		{"activity", alice, "/activity", 2},
		{"public page, visitor", anon, "/p/" + id, 2},
		{"embed, visitor", anon, "/embed/" + id, 2},
		{"embed, logged in", alice, "/embed/" + id, 2},
	}
	for _, tc := range tests {
		tc.b.get(tc.path) // warm: a first view may create the token
		cc.reset()
		r := tc.b.get(tc.path)
		ops := cc.reset()
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d", tc.name, r.status)
		}
		t.Logf("%s: %d DynamoDB calls %q", tc.name, len(ops), ops)
		if len(ops) > tc.max {
			t.Errorf("%s: %d DynamoDB calls %q, want at most %d", tc.name, len(ops), ops, tc.max)
		}
		if slices.Contains(ops, "Scan") {
			t.Errorf("%s: a Scan on a request path", tc.name)
		}
	}
}

// TestCallsPerLogin: a failed login makes the same DynamoDB calls whether
// its username exists or not, and reads no throttle count; a right password
// makes one read more, of the account's count, before it gives its slots
// back.
func TestCallsPerLogin(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		calls []string
	)
	env := newEnv(t).InterceptedInput(func(op string, in any) error {
		mu.Lock()
		calls = append(calls, callName(op, in))
		mu.Unlock()
		return nil
	})
	srv := newServer(t, env, app.Config{})
	user(t, srv, "alice")
	login := func(name, password string, want int) []string {
		t.Helper()
		b := newTab(t, srv)
		tok := tokenIn(b.get("/login").body)
		mu.Lock()
		calls = nil
		mu.Unlock()
		if r := b.postRaw("/login", url.Values{"csrf_token": {tok}, "username": {name}, "password": {password}}); r.status != want {
			t.Fatalf("login %s: status %d, want %d", name, r.status, want)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("login %s: %d DynamoDB calls %q", name, len(calls), calls)
		return calls
	}
	// At most: the session, the two throttle slots and the account for a
	// failure; a success adds starting and recording the session, the
	// count and giving the slots back.
	const maxFailed, maxOK = 4, 12
	known := login("alice", "not the password", http.StatusUnauthorized)
	unknown := login("nobody", "not the password", http.StatusUnauthorized)
	if !slices.Equal(known, unknown) {
		t.Errorf("a failed login makes calls %q for a known user and %q for an unknown one, want the same", known, unknown)
	}
	if slices.Contains(known, "GetItem THROTTLE#user") {
		t.Errorf("a failed login reads the account's throttle count: %q", known)
	}
	if len(known) > maxFailed {
		t.Errorf("a failed login makes %d DynamoDB calls, want at most %d", len(known), maxFailed)
	}
	ok := login("alice", testPassword, http.StatusSeeOther)
	if len(ok) > maxOK {
		t.Errorf("a successful login makes %d DynamoDB calls, want at most %d", len(ok), maxOK)
	}
	var reads, releases []int
	for i, c := range ok {
		switch c {
		case "GetItem THROTTLE#user":
			reads = append(reads, i)
		case "UpdateItem THROTTLE#user":
			releases = append(releases, i)
		}
	}
	if len(reads) != 1 || len(releases) != 2 || reads[0] > releases[1] || slices.Contains(ok, "GetItem THROTTLE#addr") {
		t.Errorf("a successful login makes calls %q, want one read of the account's throttle count, before its slot is given back", ok)
	}
}

// callName is op, with the kind of throttle record for a GetItem or
// UpdateItem of one ("GetItem THROTTLE#user").
func callName(op string, in any) string {
	var key map[string]types.AttributeValue
	switch in := in.(type) {
	case *dynamodb.GetItemInput:
		key = in.Key
	case *dynamodb.UpdateItemInput:
		key = in.Key
	}
	pk, _ := key["pk"].(*types.AttributeValueMemberS)
	if pk == nil || !strings.HasPrefix(pk.Value, "THROTTLE#") {
		return op
	}
	kind, _, _ := strings.Cut(strings.TrimPrefix(pk.Value, "THROTTLE#"), "#")
	return op + " THROTTLE#" + kind
}

// TestSessionIdleWithSkippedCommits: with the session write skipped on most
// page views, a session in use still outlives its idle timeout, and one left
// idle still ends.
func TestSessionIdleWithSkippedCommits(t *testing.T) {
	t.Parallel()
	env, cc := countingEnv(t, newEnv(t))
	// Expiry is stored in whole seconds, and a loaded machine may take a
	// second or two over a request: the idle timeout leaves room for that
	// between two views.
	srv := newServer(t, env, app.Config{SessionIdle: 5 * time.Second})
	b := newBrowser(t, srv)
	b.signup("ivan", goodPassword)
	views, writes := 0, 0
	start := time.Now()
	cc.reset()
	for time.Since(start) < 10*time.Second { // twice the idle timeout
		if !b.loggedIn() {
			t.Fatalf("session in use ended after %v", time.Since(start).Round(time.Millisecond))
		}
		views++
		time.Sleep(200 * time.Millisecond)
	}
	for _, op := range cc.reset() {
		if op == "UpdateItem" {
			writes++
		}
	}
	t.Logf("%d views, %d session writes", views, writes)
	if writes == 0 {
		t.Errorf("no session write in 10s of use with a 5s idle timeout")
	}
	token := b.cookie()
	time.Sleep(6100 * time.Millisecond) // the idle timeout and a second
	b.setCookie(token)
	if b.loggedIn() {
		t.Error("session left idle beyond its timeout accepted")
	}
}

// TestServeForWrk serves GET /items (20 items of one user) for an outside
// load generator: two instances on fresh tables of the embedded DynamoDB,
// the full stack and the same app with Config.Unprotected. It prints their
// URLs and session cookies, serves for the duration in CLICKGUARD_WRK_SERVE
// (at most 10 minutes) and then prints, for each, the DynamoDB calls per
// GET /items it served. Without the variable it skips.
//
//	CLICKGUARD_WRK_SERVE=3m go test -run TestServeForWrk -v -timeout 11m ./internal/app/
func TestServeForWrk(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("CLICKGUARD_WRK_SERVE"))
	if err != nil {
		t.Skip("set CLICKGUARD_WRK_SERVE to a duration to serve GET /items for wrk")
	}
	d = min(d, 10*time.Minute)
	type instance struct {
		name  string
		cc    *callCounter
		views atomic.Int64
	}
	// Both instances share the tables (as two instances behind a load
	// balancer would), so the user, items and session made through the
	// full stack serve the unprotected one too; each counts its own calls.
	shared := newEnv(t)
	var instances []*instance
	var cookie string
	for _, tc := range []struct {
		name string
		cfg  app.Config
	}{
		{"protected", app.Config{}},
		{"unprotected", app.Config{Unprotected: true}},
	} {
		in := &instance{name: tc.name}
		var env storetest.Env
		env, in.cc = countingEnv(t, shared)
		tc.cfg.Password = cheapPassword
		a, err := app.New(tc.cfg, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), nil)
		if err != nil {
			t.Fatalf("app.New: %v", err)
		}
		h := a.Handler()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/items" {
				in.views.Add(1)
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		ts := &testServer{Server: srv, env: env, logs: &syncBuffer{}}
		var b *browser
		if cookie == "" {
			b = user(t, ts, "alice")
			for i := range 20 {
				b.createItem(fmt.Sprintf("item %d", i), strings.Repeat("x", 200))
			}
			cookie = b.cookie()
		} else {
			b = newBrowser(t, ts)
			b.setCookie(cookie)
		}
		if r := b.get("/items"); r.status != http.StatusOK || strings.Count(r.body, `class="item-row"`) != 20 {
			t.Fatalf("%s: GET /items: status %d, %d items, want 200 and 20", tc.name, r.status, strings.Count(r.body, `class="item-row"`))
		}
		in.cc.reset()
		in.views.Store(0)
		fmt.Printf("%s %s/items Cookie: __Host-session=%s\n", tc.name, srv.URL, cookie)
		instances = append(instances, in)
	}
	fmt.Printf("serving for %v\n", d)
	select {
	case <-time.After(d):
	case <-t.Context().Done():
	}
	for _, in := range instances {
		ops := in.cc.reset()
		byOp := map[string]int{}
		for _, op := range ops {
			byOp[op]++
		}
		views := in.views.Load()
		if views == 0 {
			t.Errorf("%s: no GET /items served", in.name)
			continue
		}
		fmt.Printf("%s: %d GET /items, %d DynamoDB calls (%.3f per view) %v\n", in.name, views, len(ops), float64(len(ops))/float64(views), byOp)
	}
}
