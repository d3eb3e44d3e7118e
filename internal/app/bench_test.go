package app_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

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
