package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// tryPost is postRaw for another goroutine than the test's: it returns the
// error instead of ending the test.
func (b *browser) tryPost(path string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestLoginThrottle_Parallel: wrong guesses sent all at once cannot outrun
// the throttle. Each takes its slot before its password is checked, so of
// n parallel guesses against one account exactly the limit are checked
// (401) and the rest refused (429), however long the check takes.
func TestLoginThrottle_Parallel(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	const limit, n = 5, 30
	// The address limit is out of the way: every request comes from
	// 127.0.0.1.
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: limit, MaxPerAddr: 1000}); err != nil {
		t.Fatal(err)
	}
	// Each check spends some argon2id time (1 MiB), as a real one does, so
	// that the guesses are all in flight together.
	srv := newServer(t, env, app.Config{Password: app.PasswordParams{Memory: 1 << 10, Time: 1, Threads: 1}})
	newBrowser(t, srv).signup("victim", goodPassword)

	forms := make([]url.Values, n)
	browsers := make([]*browser, n)
	for i := range n {
		browsers[i] = newBrowser(t, srv)
		tok := tokenIn(browsers[i].get("/login").body)
		forms[i] = url.Values{"csrf_token": {tok}, "username": {"victim"}, "password": {"wrong guess " + tok[:8]}}
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			status, err := browsers[i].tryPost("/login", forms[i])
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusUnauthorized] != limit || statuses[http.StatusTooManyRequests] != n-limit || len(statuses) != 2 {
		t.Errorf("%d parallel wrong guesses, limit %d: statuses %v, want %d × 401 and %d × 429", n, limit, statuses, limit, n-limit)
	}
}

// TestLoginThrottle_RightPassword: a right password after failures logs in
// and does not use up any of the limit; only failures do.
func TestLoginThrottle_RightPassword(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: 3, MaxPerAddr: 1000}); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, env, app.Config{})
	newBrowser(t, srv).signup("grace", goodPassword)
	for i := range 2 {
		if r := newBrowser(t, srv).login("grace", "not the password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, r.status)
		}
	}
	b := newBrowser(t, srv)
	if r := b.login("grace", goodPassword); r.status != http.StatusSeeOther || !b.loggedIn() {
		t.Fatalf("right password after 2 of 3 failures: status %d, logged in %v; want 303 and logged in", r.status, b.loggedIn())
	}
	n, err := env.Store.LoginFailures(t.Context(), store.UserThrottleKey("grace"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("after 2 failures and a success the account counts %d attempts, want 2", n)
	}
	if r := newBrowser(t, srv).login("grace", "not the password"); r.status != http.StatusUnauthorized {
		t.Errorf("third failure: status %d, want 401 (the success used none of the limit)", r.status)
	}
	if r := newBrowser(t, srv).login("grace", goodPassword); r.status != http.StatusTooManyRequests {
		t.Errorf("right password after 3 of 3 failures: status %d, want 429", r.status)
	}
}
