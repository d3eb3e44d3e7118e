package app_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// BenchmarkPages measures page views in process, on the embedded DynamoDB,
// with and without the guard layers (the difference is their cost):
//
//   - landing: "/" for a visitor without a session; no DynamoDB call.
//   - login: "/login" for a visitor whose session exists. Protected, that is
//     a session read, its idle-timeout commit and a masked token; unprotected
//     the page has no token, so the visitor never got a session and the view
//     costs no DynamoDB call — the gap is mostly DynamoDB, not guard.
func BenchmarkPages(b *testing.B) {
	for _, tc := range []struct {
		name, path string
		cfg        app.Config
	}{
		{"landing/protected", "/", app.Config{}},
		{"landing/unprotected", "/", app.Config{Unprotected: true}},
		{"login/protected", "/login", app.Config{}},
		{"login/unprotected", "/login", app.Config{Unprotected: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			env := storetest.EmbeddedBackend(b).Env(b)
			a, err := app.New(tc.cfg, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), nil)
			if err != nil {
				b.Fatal(err)
			}
			h := a.Handler()
			first := httptest.NewRecorder()
			h.ServeHTTP(first, httptest.NewRequest("GET", "https://example.com"+tc.path, nil))
			cookies := first.Result().Cookies()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "https://example.com"+tc.path, nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// BenchmarkLoginFailure measures a failed login, through the whole handler
// with the default argon2id parameters, for an existing user with a wrong
// password, an unknown user and an invalid username: the three must cost
// the same, or response time would tell which accounts exist.
func BenchmarkLoginFailure(b *testing.B) {
	env := storetest.EmbeddedBackend(b).Env(b)
	if err := env.Store.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Hour, Max: 1 << 20}); err != nil {
		b.Fatal(err)
	}
	a, err := app.New(app.Config{}, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler()
	// post sends a login form with a fresh session and its token.
	post := func(b *testing.B, username, password string) int {
		get := httptest.NewRecorder()
		h.ServeHTTP(get, httptest.NewRequest("GET", "https://example.com/login", nil))
		m := tokenRE.FindStringSubmatch(get.Body.String())
		if m == nil {
			b.Fatal("no token on the login page")
		}
		form := url.Values{"username": {username}, "password": {password}, "csrf_token": {html.UnescapeString(m[1])}}
		req := httptest.NewRequest("POST", "https://example.com/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range get.Result().Cookies() {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		b.StopTimer()
		return rec.Code
	}
	b.StopTimer()
	hash, err := app.HashPasswordForTest("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.Store.CreateUser(b.Context(), store.User{Username: "existing", PasswordHash: hash}, store.Actor{Username: "existing"}); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, username string }{
		{"existing", "existing"},
		{"unknown", "nosuchuser"},
		{"invalid", "Not A Name"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.StopTimer()
			for range b.N {
				if code := post(b, tc.username, "a wrong password"); code != http.StatusUnauthorized {
					b.Fatalf("status %d, want 401", code)
				}
			}
		})
	}
}
