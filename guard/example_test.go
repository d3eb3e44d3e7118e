package guard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/clickguard/clickguard/guard"
)

func ExampleGuard_Handler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		fmt.Fprintln(w, "hello")
	})
	var g guard.Guard // the zero value is the strictest policy
	h := g.Handler(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Header().Get("Content-Security-Policy"))
	fmt.Println(rec.Header().Get("X-Frame-Options"))

	// ServeMux's own 404 carries the headers too.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/missing/", nil))
	fmt.Println(rec.Code, rec.Header().Get("X-Frame-Options"))
	// Output:
	// default-src 'self'; frame-ancestors 'none'
	// DENY
	// 404 DENY
}

func ExamplePolicy_Handler() {
	partners, err := guard.NewPolicy("https://partner.example", "'self'")
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /widget", partners.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "widget")
	})))
	var g guard.Guard
	rec := httptest.NewRecorder()
	g.Handler(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/widget", nil))
	fmt.Printf("%q\n", rec.Header().Get("Content-Security-Policy"))
	fmt.Printf("%q\n", rec.Header().Get("X-Frame-Options"))
	// Output:
	// "frame-ancestors 'self' https://partner.example"
	// ""
}

func ExampleAllowFraming() {
	// The owner's allowlist, as read from a database for this request.
	allowlist := map[string][]string{"/w/1": {"https://blog.example"}}

	mux := http.NewServeMux()
	mux.Handle("GET /w/{id}", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, allowlist[r.URL.Path]...); err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "read-only widget")
	})))
	var g guard.Guard
	for _, path := range []string{"/w/1", "/w/2"} {
		rec := httptest.NewRecorder()
		g.Handler(mux).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Header().Get("Content-Security-Policy"))
	}
	// Output:
	// /w/1 frame-ancestors https://blog.example
	// /w/2 frame-ancestors 'none'
}

// An embeddable route behind middleware, such as the session's: guard finds
// the route declarations through Routes, and a partner's frame is served.
func ExampleEmbeddable() {
	mux := http.NewServeMux()
	mux.Handle("GET /widget", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, "https://partner.example"); err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "widget")
	})))
	// Stands for sessions.LoadAndSave(g.TokenHandler(mux)).
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })

	for _, g := range []*guard.Guard{{}, {Routes: mux}} {
		// The partner's page frames the widget.
		req := httptest.NewRequest("GET", "/widget", nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		g.Handler(wrapped).ServeHTTP(rec, req)
		fmt.Println("Routes set:", g.Routes != nil, rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
	// Output:
	// Routes set: false 403 frame-ancestors 'none'
	// Routes set: true 200 frame-ancestors https://partner.example
}

// A mux behind http.StripPrefix: guard sees the request before the prefix
// is stripped, so a RoutesFunc strips it to find the route's declaration,
// and a partner's frame is served. The same shape asks a router of another
// kind which handler it will call.
func ExampleRoutesFunc() {
	api := http.NewServeMux()
	api.Handle("GET /widget", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, "https://partner.example"); err != nil {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "widget")
	})))
	root := http.NewServeMux()
	root.Handle("/api/", http.StripPrefix("/api", api))
	routes := guard.RoutesFunc(func(r *http.Request) (http.Handler, string) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/api/"); ok {
			// Strip the prefix as StripPrefix does, from the escaped path
			// too, which the mux matches (/api/widget%2F1 is not
			// /widget/1).
			r = r.Clone(r.Context())
			r.URL.Path = "/" + rest
			r.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api")
			return api.Handler(r)
		}
		return root.Handler(r)
	})

	for _, g := range []*guard.Guard{{}, {Routes: routes}} {
		// The partner's page frames the widget.
		req := httptest.NewRequest("GET", "/api/widget", nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		g.Handler(root).ServeHTTP(rec, req)
		fmt.Println("RoutesFunc:", g.Routes != nil, rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
	// Output:
	// RoutesFunc: false 403 frame-ancestors 'none'
	// RoutesFunc: true 200 frame-ancestors https://partner.example
}

func ExampleGuard_AddTrustedOrigin() {
	var g guard.Guard
	fmt.Println(g.AddTrustedOrigin("https://sso.example:443"))
	fmt.Println(g.AddTrustedOrigin("https://sso.example/login"))

	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, origin := range []string{"https://sso.example", "https://evil.example"} {
		req := httptest.NewRequest("POST", "https://app.example/", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(origin, rec.Code)
	}
	// Output:
	// <nil>
	// invalid origin "https://sso.example/login": user information, path, query and fragment are not allowed
	// https://sso.example 200
	// https://evil.example 403
}

func ExampleReason() {
	g := guard.Guard{
		DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "refused: "+guard.Reason(r).Error(), http.StatusForbidden)
		}),
	}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Sec-Fetch-Dest", "iframe")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 403 refused: guard: framed navigation from another origin
}

func ExampleParseOrigin() {
	fmt.Println(guard.ParseOrigin("HTTPS://Partner.Example:443"))
	_, err := guard.ParseOrigin("https://*.example")
	fmt.Println(err)
	// Output:
	// https://partner.example <nil>
	// invalid origin "https://*.example": wildcards are not allowed: give each origin
}

// oneSession is a SessionStore holding a single session in memory; a real
// application passes its *scs.SessionManager.
type oneSession map[string][]byte

func (s oneSession) GetBytes(_ context.Context, key string) []byte { return s[key] }
func (s oneSession) Put(_ context.Context, key string, val any)    { s[key] = val.([]byte) }

func ExampleGuard_TokenHandler() {
	g := &guard.Guard{Sessions: oneSession{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		// In a template: <input type="hidden" name="csrf_token" value="{{.CSRFToken}}">
		fmt.Fprint(w, g.Token(r))
	})
	mux.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "saved")
	})
	// With scs: g.Handler(sessions.LoadAndSave(g.TokenHandler(mux))).
	h := g.Handler(g.TokenHandler(mux))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/form", nil))
	token := rec.Body.String()
	fmt.Println(len(token), "characters")

	for _, sent := range []string{token, ""} {
		form := url.Values{guard.TokenField: {sent}}
		req := httptest.NewRequest("POST", "/save", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 86 characters
	// 200 saved
	// 403 Forbidden
}

func ExampleGuard_ConfirmationHandler() {
	var g guard.Guard
	mux := http.NewServeMux()
	// The page whose one button deletes: only the application itself, or
	// the user, may open it.
	mux.Handle("GET /items/{id}/delete", g.ConfirmationHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `<form method="post"><button>Delete</button></form>`)
	})))
	h := g.Handler(mux)

	for _, site := range []string{"same-origin", "none", "cross-site"} {
		req := httptest.NewRequest("GET", "/items/1/delete", nil)
		req.Header.Set("Sec-Fetch-Site", site)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(site, rec.Code)
	}
	// Output:
	// same-origin 200
	// none 200
	// cross-site 403
}

// The card issuer's 3-D Secure page posts the shopper back from an origin
// not known in advance. The return route is let past the cross-origin check
// and served outside TokenHandler; it checks the payment itself. The
// challenge runs in an iframe of the shop's own page, so the post is also a
// framed navigation from another site: the route's policy names the shop's
// origin, and Routes asks the outer mux before the application's, so that
// guard finds that declaration.
func ExampleGuard_AddInsecureBypassPattern() {
	app := http.NewServeMux()
	app.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "saved") })
	shop, err := guard.NewPolicy("https://shop.example")
	if err != nil {
		panic(err)
	}
	root := http.NewServeMux()
	root.Handle("POST /payments/return", shop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Look the payment up with the provider before trusting the post.
		fmt.Fprint(w, "returned")
	})))
	g := &guard.Guard{Sessions: oneSession{}, Routes: guard.RoutesFunc(func(r *http.Request) (http.Handler, string) {
		if h, pattern := root.Handler(r); pattern != "/" {
			return h, pattern
		}
		return app.Handler(r)
	})}
	g.AddInsecureBypassPattern("POST /payments/return")
	root.Handle("/", g.TokenHandler(app))
	h := g.Handler(root)

	for _, path := range []string{"/payments/return", "/save"} {
		req := httptest.NewRequest("POST", "https://shop.example"+path, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Origin", "https://acs.bank.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// /payments/return 200 returned
	// /save 403 Forbidden
}

// A route that takes unsafe requests without a token, such as a webhook
// that authenticates its sender its own way, goes on a mux outside
// TokenHandler; Routes then points guard at the application's mux, where
// its route declarations are. (Should the outer mux declare routes too,
// give Routes a RoutesFunc that asks it first, as in the example of
// AddInsecureBypassPattern.)
func ExampleGuard_TokenHandler_webhook() {
	app := http.NewServeMux()
	g := &guard.Guard{Sessions: oneSession{}, Routes: app}
	app.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "saved") })
	root := http.NewServeMux()
	root.HandleFunc("POST /hooks/payments", func(w http.ResponseWriter, r *http.Request) {
		// Check the sender's signature here.
		fmt.Fprint(w, "received")
	})
	// With scs: root.Handle("/", sessions.LoadAndSave(g.TokenHandler(app))).
	root.Handle("/", g.TokenHandler(app))
	h := g.Handler(root)

	for _, path := range []string{"/hooks/payments", "/save"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
		fmt.Println(path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// /hooks/payments 200 received
	// /save 403 Forbidden
}
