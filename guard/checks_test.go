package guard_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/http/httputil"
	"net/netip"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/guard"
)

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestHandler_CSPMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		guard   *guard.Guard
		app     http.Header // headers the application writes
		wantCSP string
		wantXFO []string
		wantRO  []string // Content-Security-Policy-Report-Only
	}{
		{"no app policy", &guard.Guard{}, nil, "frame-ancestors 'none'", []string{"DENY"}, nil},
		{"app policy", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"default-src 'self'; script-src 'nonce-abc'"}},
			"default-src 'self'; script-src 'nonce-abc'; frame-ancestors 'none'", []string{"DENY"}, nil},
		{"app frame-ancestors stripped", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"Frame-Ancestors *; default-src 'self';"}},
			"default-src 'self'; frame-ancestors 'none'", []string{"DENY"}, nil},
		{"only app frame-ancestors", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"frame-ancestors https://evil.example"}},
			"frame-ancestors 'none'", []string{"DENY"}, nil},
		{"two app headers become one", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"default-src 'self'", "img-src https:; frame-ancestors *"}},
			"default-src 'self'; frame-ancestors 'none', img-src https:", []string{"DENY"}, nil},
		// A line break inside a directive would make the whole line
		// invalid, guard's directive in it (see TestHandler_CSPMergeHTTP2).
		{"multi-line app policy", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"default-src 'self';\n  script-src 'self'\r\n\thttps://cdn.example;\fimg-src\fdata:"}},
			"default-src 'self'; script-src 'self'  \thttps://cdn.example; img-src data:; frame-ancestors 'none'", []string{"DENY"}, nil},
		// WebKit reads the VT as a space: a frame-ancestors before guard's.
		{"app frame-ancestors joined by a vertical tab dropped", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"frame-ancestors\v*; default-src 'self'"}},
			"default-src 'self'; frame-ancestors 'none'", []string{"DENY"}, nil},
		{"app directive with a control character dropped", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"img-src a\x00b; style-src 'self'"}},
			"style-src 'self'; frame-ancestors 'none'", []string{"DENY"}, nil},
		{"report-only directive with a control character dropped", &guard.Guard{},
			http.Header{"Content-Security-Policy-Report-Only": {"script-src\x1f'self'; img-src 'self'"}},
			"frame-ancestors 'none'", []string{"DENY"}, []string{"img-src 'self'"}},
		{"frame-ancestors-like directive kept", &guard.Guard{},
			http.Header{"Content-Security-Policy": {"frame-ancestors-x a"}},
			"frame-ancestors-x a; frame-ancestors 'none'", []string{"DENY"}, nil},
		{"app XFO replaced", &guard.Guard{},
			http.Header{"X-Frame-Options": {"ALLOWALL", "SAMEORIGIN"}},
			"frame-ancestors 'none'", []string{"DENY"}, nil},
		{"app XFO removed for an allowlist", &guard.Guard{Framing: mustPolicy(t, originA)},
			http.Header{"X-Frame-Options": {"DENY"}},
			"frame-ancestors https://a.example", nil, nil},
		{"report-only frame-ancestors stripped", &guard.Guard{},
			http.Header{"Content-Security-Policy-Report-Only": {"frame-ancestors *; script-src 'self'"}},
			"frame-ancestors 'none'", []string{"DENY"}, []string{"script-src 'self'"}},
		{"report-only only frame-ancestors removed", &guard.Guard{},
			http.Header{"Content-Security-Policy-Report-Only": {"frame-ancestors *"}},
			"frame-ancestors 'none'", []string{"DENY"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.app {
					w.Header()[k] = v
				}
				w.Write([]byte("x"))
			}))
			rec := serve(h, httptest.NewRequest("GET", "/", nil))
			if got := rec.Result().Header.Values("Content-Security-Policy"); len(got) != 1 || got[0] != tc.wantCSP {
				t.Errorf("Content-Security-Policy = %q, want [%q]", got, tc.wantCSP)
			}
			if got := rec.Result().Header.Values("X-Frame-Options"); !equal(got, tc.wantXFO) {
				t.Errorf("X-Frame-Options = %q, want %q", got, tc.wantXFO)
			}
			if got := rec.Result().Header.Values("Content-Security-Policy-Report-Only"); !equal(got, tc.wantRO) {
				t.Errorf("Content-Security-Policy-Report-Only = %q, want %q", got, tc.wantRO)
			}
		})
	}
}

// TestHandler_CSPMergeHTTP2: an application policy written over several
// lines, behind an allowlist (no X-Frame-Options), reaches an HTTP/2 client
// with guard's frame-ancestors in it: Go's HTTP/2 server drops a header
// line with a line break whole. The left-out directive is logged, once, and
// the page's policy means what the allowlist says, read as Chromium 156 and
// as WebKit (a VT as whitespace) read it.
func TestHandler_CSPMergeHTTP2(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	g := guard.Guard{Framing: mustPolicy(t, originA), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	srv := httptest.NewUnstartedServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self';\n  script-src 'self'\n    https://cdn.example;\n  frame-ancestors\v*")
		w.Write([]byte("page"))
	})))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	for range 2 {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
		}
		const want = "default-src 'self'; script-src 'self'     https://cdn.example; frame-ancestors " + originA
		got := resp.Header.Values("Content-Security-Policy")
		if !slices.Equal(got, []string{want}) {
			t.Fatalf("Content-Security-Policy = %q, want [%q]", got, want)
		}
		page := framing.Response{URL: srv.URL, Status: resp.StatusCode, Headers: []framing.Header{{Name: "Content-Security-Policy", Value: got[0]}}}
		webkit, _ := framing.VTAsWhitespace(page)
		for _, ancestor := range []string{originA, "https://evil.example"} {
			for reader, resp := range map[string]framing.Response{"Chromium": page, "WebKit": webkit} {
				v, err := framing.Evaluate(resp, []string{ancestor})
				if err != nil || v.Framable != (ancestor == originA) {
					t.Errorf("%s: %s framable = %v (%v), want %v", reader, ancestor, v.Framable, err, ancestor == originA)
				}
			}
		}
	}
	if n := strings.Count(log.String(), "control character"); n != 1 {
		t.Errorf("log %q: %d warnings of the left-out directive, want 1", log.String(), n)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHandler_FramedNavigation(t *testing.T) {
	t.Parallel()
	policyA := mustPolicy(t, originA)
	tests := []struct {
		name      string
		guard     *guard.Guard
		path      string
		dest      string
		site      string
		wrapMux   bool // next is not the mux itself
		setRoutes bool // Guard.Routes names the mux
		want      int
	}{
		{"iframe cross-site", &guard.Guard{}, "/plain", "iframe", "cross-site", false, false, 403},
		{"frame cross-site", &guard.Guard{}, "/plain", "frame", "cross-site", false, false, 403},
		{"object same-site", &guard.Guard{}, "/plain", "object", "same-site", false, false, 403},
		{"embed cross-site", &guard.Guard{}, "/plain", "embed", "cross-site", false, false, 403},
		// Chromium 126 and later send fencedframe for a fenced frame and
		// the frames inside one.
		{"fencedframe cross-site", &guard.Guard{}, "/plain", "fencedframe", "cross-site", false, false, 403},
		{"fencedframe cross-site, embeddable route", &guard.Guard{}, "/embed", "fencedframe", "cross-site", false, false, 200},
		{"iframe same-origin", &guard.Guard{}, "/plain", "iframe", "same-origin", false, false, 200},
		{"iframe without Sec-Fetch-Site", &guard.Guard{}, "/plain", "iframe", "", false, false, 200},
		{"document cross-site", &guard.Guard{}, "/plain", "document", "cross-site", false, false, 200},
		{"image cross-site", &guard.Guard{}, "/plain", "image", "cross-site", false, false, 200},
		{"switched off", &guard.Guard{AllowFramedNavigation: true}, "/plain", "iframe", "cross-site", false, false, 200},
		{"self policy, cross-site", &guard.Guard{Framing: guard.SameOrigin()}, "/plain", "iframe", "cross-site", false, false, 403},
		{"allowlist policy", &guard.Guard{Framing: policyA}, "/plain", "iframe", "cross-site", false, false, 200},
		{"allowlist policy, self route", &guard.Guard{Framing: policyA}, "/self", "iframe", "cross-site", false, false, 403},
		{"allowlist policy, none route", &guard.Guard{Framing: policyA}, "/none", "iframe", "cross-site", false, false, 403},
		{"embeddable route", &guard.Guard{}, "/embed", "iframe", "cross-site", false, false, 200},
		{"allowlist route", &guard.Guard{}, "/allow", "iframe", "cross-site", false, false, 200},
		{"self route", &guard.Guard{}, "/self", "iframe", "cross-site", false, false, 403},
		{"unknown route", &guard.Guard{}, "/nowhere", "iframe", "cross-site", false, false, 403},
		{"embeddable behind middleware, no Routes", &guard.Guard{}, "/embed", "iframe", "cross-site", true, false, 403},
		{"embeddable behind middleware, Routes", &guard.Guard{}, "/embed", "iframe", "cross-site", true, true, 200},
		{"plain behind middleware, Routes", &guard.Guard{}, "/plain", "iframe", "cross-site", true, true, 403},
		{"report-only", &guard.Guard{ReportOnly: true}, "/plain", "iframe", "cross-site", false, false, 200},
		// A redirect shows nothing in a frame, and its target is checked
		// in turn: ServeMux's own, to a route's canonical path, and one
		// the application registers.
		{"mux redirect to an embeddable route", &guard.Guard{}, "/widget", "iframe", "cross-site", false, false, 307},
		{"mux redirect to a cleaned path", &guard.Guard{}, "/x/../widget/", "iframe", "cross-site", false, false, 307},
		{"mux redirect to a plain route", &guard.Guard{}, "/dir", "iframe", "cross-site", false, false, 307},
		{"the plain route it redirects to", &guard.Guard{}, "/dir/", "iframe", "cross-site", false, false, 403},
		{"application's redirect", &guard.Guard{}, "/old", "iframe", "cross-site", false, false, 302},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ran := false
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })
			mux := http.NewServeMux()
			mux.Handle("GET /plain", ok)
			mux.Handle("GET /embed", guard.Embeddable(ok))
			mux.Handle("GET /allow", policyA.Handler(ok))
			mux.Handle("GET /self", guard.SameOrigin().Handler(ok))
			mux.Handle("GET /none", guard.Policy{}.Handler(ok))
			mux.Handle("GET /widget/", guard.Embeddable(ok))
			mux.Handle("GET /dir/", ok)
			mux.Handle("GET /old", http.RedirectHandler("/plain", http.StatusFound))
			var reason error
			g := tc.guard
			g.DenyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reason = guard.Reason(r)
				w.WriteHeader(http.StatusForbidden)
			})
			var next http.Handler = mux
			if tc.wrapMux {
				next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })
			}
			if tc.setRoutes {
				g.Routes = mux
			}
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Sec-Fetch-Dest", tc.dest)
			req.Header.Set("Sec-Fetch-Mode", "navigate")
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			rec := serve(g.Handler(next), req)
			if rec.Code != tc.want && !(tc.want == 200 && rec.Code == 404 && tc.path == "/nowhere") {
				t.Errorf("got status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 403 {
				if ran {
					t.Errorf("handler ran for a refused framed navigation")
				}
				if !errors.Is(reason, guard.ErrFramed) {
					t.Errorf("Reason = %v, want %v", reason, guard.ErrFramed)
				}
				if got, want := rec.Header().Get("Content-Security-Policy"), tc.guard.Framing.String(); got != want {
					t.Errorf("403 carries Content-Security-Policy %q, want %q", got, want)
				}
			}
		})
	}
}

func TestHandler_CrossOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		site    string
		origin  string
		host    string
		trusted string
		want    error
	}{
		{"GET cross-site", "GET", "cross-site", originBad, "app.example", "", nil},
		{"HEAD cross-site", "HEAD", "cross-site", originBad, "app.example", "", nil},
		{"OPTIONS cross-site", "OPTIONS", "cross-site", originBad, "app.example", "", nil},
		{"POST same-origin", "POST", "same-origin", "https://app.example", "app.example", "", nil},
		{"POST none (user typed)", "POST", "none", "", "app.example", "", nil},
		{"POST cross-site", "POST", "cross-site", originBad, "app.example", "", guard.ErrCrossOrigin},
		{"POST same-site", "POST", "same-site", "https://sub.app.example", "app.example", "", guard.ErrCrossOrigin},
		{"PUT cross-site", "PUT", "cross-site", originBad, "app.example", "", guard.ErrCrossOrigin},
		{"DELETE cross-site", "DELETE", "cross-site", originBad, "app.example", "", guard.ErrCrossOrigin},
		{"POST old browser, Origin matches Host", "POST", "", "https://app.example", "app.example", "", nil},
		{"POST old browser, Origin differs", "POST", "", originBad, "app.example", "", guard.ErrCrossOrigin},
		{"POST no headers (not a browser)", "POST", "", "", "app.example", "", nil},
		{"POST cross-site from trusted origin", "POST", "cross-site", originA, "app.example", originA, nil},
		{"POST old browser, trusted origin", "POST", "", originA, "app.example", originA, nil},
		{"POST trusted given with default port", "POST", "cross-site", originA, "app.example", originA + ":443", nil},
		{"POST cross-site, other origin trusted", "POST", "cross-site", originBad, "app.example", originA, guard.ErrCrossOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g guard.Guard
			if tc.trusted != "" {
				if err := g.AddTrustedOrigin(tc.trusted); err != nil {
					t.Fatalf("AddTrustedOrigin(%q): %v", tc.trusted, err)
				}
			}
			req := httptest.NewRequest(tc.method, "http://"+tc.host+"/", nil)
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			err := g.Check(req)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
			if err != nil {
				// The reason says once what it is, and which header
				// refused the request.
				why := "its Sec-Fetch-Site header says another origin sent it"
				if tc.site == "" {
					why = "its Origin header does not match its Host, and it has no Sec-Fetch-Site header"
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "guard: cross-origin request: "+why) || strings.Count(msg, "cross-origin") != 1 {
					t.Errorf("Check = %q, want it to say %q once", msg, why)
				}
			}
			ran := false
			rec := serve(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })), req)
			if want := tc.want == nil; ran != want {
				t.Errorf("handler ran = %v, want %v (status %d)", ran, want, rec.Code)
			}
			if tc.want != nil {
				if rec.Code != http.StatusForbidden {
					t.Errorf("got status %d, want 403", rec.Code)
				}
				if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
					t.Errorf("default deny page X-Frame-Options = %q, want DENY", got)
				}
				if got := rec.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("default deny page Cache-Control = %q, want no-store", got)
				}
			}
		})
	}
}

func TestHandler_ReportOnly(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	g := guard.Guard{ReportOnly: true, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	ran := false
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
	req := httptest.NewRequest("POST", "http://app.example/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := serve(h, req)
	if !ran || rec.Code != 200 {
		t.Errorf("report-only refused: ran = %v, status %d", ran, rec.Code)
	}
	if log := buf.String(); !strings.Contains(log, "request would be refused") || !strings.Contains(log, "level=WARN") {
		t.Errorf("log = %q, want a warning about the cross-origin request", log)
	}
	if got := rec.Header().Values("Content-Security-Policy-Report-Only"); len(got) != 1 || got[0] != "frame-ancestors 'none'" {
		t.Errorf("report-only Content-Security-Policy-Report-Only = %q, want [frame-ancestors 'none']", got)
	}
	for _, name := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if got := rec.Header().Values(name); len(got) != 0 {
			t.Errorf("report-only %s = %q, want none: the policy is reported, not enforced", name, got)
		}
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("report-only X-Content-Type-Options = %q, want nosniff as usual", got)
	}
}

// TestHandler_ReportOnlyEveryCheck: in report-only mode a request that
// several checks would refuse gives a record for each, as Logger says: a
// cross-site post in a frame (a 3-D Secure challenge's, say) is reported as
// framed and as cross-origin, so that declaring the route embeddable is not
// mistaken for all it needs.
func TestHandler_ReportOnlyEveryCheck(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	g := guard.Guard{ReportOnly: true, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tc := range []struct {
		method string
		want   []error
	}{
		{"POST", []error{guard.ErrFramed, guard.ErrCrossOrigin}},
		{"GET", []error{guard.ErrFramed}},
	} {
		buf.Reset()
		req := httptest.NewRequest(tc.method, "http://app.example/pay/return", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Origin", "https://bank.example")
		if rec := serve(h, req); rec.Code != 200 {
			t.Errorf("%s: report-only answered %d", tc.method, rec.Code)
		}
		log := buf.String()
		if n := strings.Count(log, "request would be refused"); n != len(tc.want) {
			t.Errorf("%s: %d records, want %d:\n%s", tc.method, n, len(tc.want), log)
		}
		for _, err := range tc.want {
			if !strings.Contains(log, err.Error()) {
				t.Errorf("%s: no record says %q:\n%s", tc.method, err, log)
			}
		}
	}
}

// TestHandler_RefusalLog checks that the record of a refusal says enough to
// act on it: which route, and from which origin and context the browser
// says the request came, so that adopting guard in report-only mode shows
// which origin to trust or which route to declare.
func TestHandler_RefusalLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	g := guard.Guard{ReportOnly: true, Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := g.Handler(mux)

	post := httptest.NewRequest("POST", "https://app.example/items/7?secret=1", nil)
	post.Header.Set("Sec-Fetch-Site", "cross-site")
	post.Header.Set("Origin", "https://sso.example")
	framed := httptest.NewRequest("GET", "https://app.example/items/7", nil)
	framed.Header.Set("Sec-Fetch-Site", "same-site")
	framed.Header.Set("Sec-Fetch-Dest", "iframe")
	for _, tc := range []struct {
		req  *http.Request
		want map[string]string
	}{
		{post, map[string]string{"method": "POST", "host": "app.example", "path": "/items/7", "pattern": "/items/{id}",
			"origin": "https://sso.example", "sec_fetch_site": "cross-site"}},
		{framed, map[string]string{"method": "GET", "host": "app.example", "path": "/items/7", "pattern": "/items/{id}",
			"sec_fetch_site": "same-site", "sec_fetch_dest": "iframe"}},
	} {
		buf.Reset()
		serve(h, tc.req)
		var rec struct {
			Request map[string]string `json:"request"`
		}
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("log %q: %v", buf.String(), err)
		}
		for k, v := range tc.want {
			if rec.Request[k] != v {
				t.Errorf("%s %s: request.%s = %q, want %q (log %s)", tc.req.Method, tc.req.URL, k, rec.Request[k], v, buf.String())
			}
		}
		if strings.Contains(buf.String(), "secret") {
			t.Errorf("the log holds the query string: %s", buf.String())
		}
	}
}

// A route other origins may frame, whose framed navigations guard refuses
// because it cannot find the route's declaration (the mux wrapped in
// session middleware with Routes not set, Routes set to another mux, the
// declaration registered inside other middleware), makes guard say so,
// once, and only then.
func TestHandler_UnreachableRouteWarning(t *testing.T) {
	t.Parallel()
	partner, err := guard.NewPolicy("https://partner.example")
	if err != nil {
		t.Fatal(err)
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	wrap := func(h http.Handler) http.Handler { return http.HandlerFunc(h.ServeHTTP) } // middleware, say
	const (
		noRoutes   = "Guard.Routes is nil"
		notTheDecl = "is not the route's declaration"
	)
	tests := []struct {
		name    string
		route   http.Handler
		wrapped bool   // the mux is wrapped before Guard.Handler
		routes  string // Guard.Routes: "", "mux" or "other" (an empty mux)
		setup   func(g *guard.Guard)
		refused bool   // a framed navigation from another site is refused
		want    string // in the warning; "" for none
	}{
		{"Embeddable, mux wrapped, no Routes", guard.Embeddable(page), true, "", nil, true, noRoutes},
		{"allowlist, mux wrapped, no Routes", partner.Handler(page), true, "", nil, true, noRoutes},
		{"Embeddable, mux wrapped, Routes set", guard.Embeddable(page), true, "mux", nil, false, ""},
		{"Embeddable, mux given to Handler", guard.Embeddable(page), false, "", nil, false, ""},
		{"Embeddable in middleware, mux given to Handler", wrap(guard.Embeddable(page)), false, "", nil, true, notTheDecl},
		{"Embeddable in middleware, Routes set", wrap(guard.Embeddable(page)), true, "mux", nil, true, notTheDecl},
		{"Embeddable, Routes another mux", guard.Embeddable(page), true, "other", nil, true, notTheDecl},
		{"same origin only, mux wrapped, no Routes", guard.SameOrigin().Handler(page), true, "", nil, true, ""},
		{"no declaration, mux wrapped, no Routes", page, true, "", nil, true, ""},
		{"framed navigations allowed", guard.Embeddable(page), true, "", func(g *guard.Guard) { g.AllowFramedNavigation = true }, false, ""},
		{"default policy an allowlist", guard.Embeddable(page), true, "", func(g *guard.Guard) { g.Framing = partner }, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			g := &guard.Guard{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
			if tc.setup != nil {
				tc.setup(g)
			}
			mux := http.NewServeMux()
			mux.Handle("/widget", tc.route)
			var next http.Handler = mux
			if tc.wrapped {
				next = wrap(mux)
			}
			switch tc.routes {
			case "mux":
				g.Routes = mux
			case "other":
				g.Routes = http.NewServeMux()
			}
			h := g.Handler(next)
			// A POST is no framed navigation: guard does not look it up.
			post := httptest.NewRequest("POST", "https://app.example/widget", nil)
			post.Header.Set("Sec-Fetch-Site", "same-origin")
			serve(h, post)
			if buf.Len() > 0 {
				t.Errorf("a POST made guard log:\n%s", buf.String())
			}
			for range 3 {
				if rec := serve(h, httptest.NewRequest("GET", "https://app.example/widget", nil)); rec.Code != http.StatusOK {
					t.Fatalf("GET /widget: status %d, want 200", rec.Code)
				}
			}
			framed := httptest.NewRequest("GET", "https://app.example/widget", nil)
			framed.Header.Set("Sec-Fetch-Site", "cross-site")
			framed.Header.Set("Sec-Fetch-Dest", "iframe")
			if refused := serve(h, framed).Code == http.StatusForbidden; refused != tc.refused {
				t.Errorf("framed navigation refused = %v, want %v", refused, tc.refused)
			}
			warnings := strings.Count(buf.String(), "framed navigations to a route other origins may frame are refused")
			if want := map[bool]int{true: 1}[tc.want != ""]; warnings != want {
				t.Errorf("%d warnings, want %d; log:\n%s", warnings, want, buf.String())
			}
			if tc.want != "" && (!strings.Contains(buf.String(), tc.want) || !strings.Contains(buf.String(), "path=/widget")) {
				t.Errorf("the warning does not say %q and name the path; log:\n%s", tc.want, buf.String())
			}
		})
	}
}

// TestHandler_ReportOnlyHeaders: in report-only mode guard's frame-ancestors
// joins the application's own report-only policy, the application's
// enforced framing headers go out untouched, and a browser's verdict is the
// one those enforced headers alone give.
func TestHandler_ReportOnlyHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		app                 map[string][]string
		wantCSP, wantReport []string
		wantXFO             []string
		foreignFramable     bool
	}{
		{"nothing of the app's", nil, nil, []string{"frame-ancestors 'none'"}, nil, true},
		{"app's enforced CSP kept", map[string][]string{"Content-Security-Policy": {"default-src 'self'; frame-ancestors https://partner.example"}},
			[]string{"default-src 'self'; frame-ancestors https://partner.example"}, []string{"frame-ancestors 'none'"}, nil, false},
		{"app's report-only policy merged", map[string][]string{"Content-Security-Policy-Report-Only": {"script-src 'self'; frame-ancestors *; report-to csp"}},
			nil, []string{"script-src 'self'; report-to csp; frame-ancestors 'none'"}, nil, true},
		{"app's X-Frame-Options kept", map[string][]string{"X-Frame-Options": {"SAMEORIGIN"}},
			nil, []string{"frame-ancestors 'none'"}, []string{"SAMEORIGIN"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := guard.Guard{ReportOnly: true}
			h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.app {
					w.Header()[k] = v
				}
				w.Write([]byte("page"))
			}))
			rec := serve(h, httptest.NewRequest("GET", "https://app.example/", nil))
			hdr := rec.Header()
			if got := hdr.Values("Content-Security-Policy"); !slices.Equal(got, tc.wantCSP) {
				t.Errorf("Content-Security-Policy = %q, want %q", got, tc.wantCSP)
			}
			if got := hdr.Values("Content-Security-Policy-Report-Only"); !slices.Equal(got, tc.wantReport) {
				t.Errorf("Content-Security-Policy-Report-Only = %q, want %q", got, tc.wantReport)
			}
			if got := hdr.Values("X-Frame-Options"); !slices.Equal(got, tc.wantXFO) {
				t.Errorf("X-Frame-Options = %q, want %q", got, tc.wantXFO)
			}
			var lines []framing.Header
			for name, vs := range hdr {
				for _, v := range vs {
					lines = append(lines, framing.Header{Name: name, Value: v})
				}
			}
			v, err := framing.Evaluate(framing.Response{URL: "https://app.example/", Status: 200, Headers: lines}, []string{"https://evil.example"})
			if err != nil {
				t.Fatal(err)
			}
			if v.Framable != tc.foreignFramable {
				t.Errorf("framable by a foreign origin = %v (%s), want %v: report-only must not change the verdict", v.Framable, v.Reason, tc.foreignFramable)
			}
		})
	}
}

func TestAddTrustedOrigin(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "app.example", "https://", "https://a.example/", "https://a.example/path",
		"https://a.example?q", "https://user@a.example", "ftp://a.example", "https://*.example", "null"} {
		var g guard.Guard
		if err := g.AddTrustedOrigin(bad); err == nil || !strings.Contains(err.Error(), "invalid origin") {
			t.Errorf("AddTrustedOrigin(%q) = %v, want an invalid origin error", bad, err)
		}
	}
}

// A bypass lets another site's post through to its route, and to nothing
// else: not another path or method, not a path the mux would redirect, not
// a framed navigation; the response still carries guard's headers.
func TestAddInsecureBypassPattern(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	g.AddInsecureBypassPattern("POST /payments/return")
	g.AddInsecureBypassPattern("/callback/{provider}")
	var control guard.Guard // no bypass
	tests := []struct {
		method, path, dest string
		want               error // with the bypasses; control refuses every one
	}{
		{"POST", "/payments/return", "", nil},
		{"POST", "/callback/bank", "", nil},
		{"PUT", "/callback/bank", "", nil},
		{"PUT", "/payments/return", "", guard.ErrCrossOrigin},
		{"POST", "/payments/return/", "", guard.ErrCrossOrigin},
		{"POST", "/payments/../payments/return", "", guard.ErrCrossOrigin},
		{"POST", "/save", "", guard.ErrCrossOrigin},
		{"GET", "/callback/bank", "iframe", guard.ErrFramed},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(tc.method, "http://app.example"+tc.path, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://acs.bank.example")
		if tc.dest != "" {
			req.Header.Set("Sec-Fetch-Dest", tc.dest)
		}
		name := tc.method + " " + tc.path
		if err := control.Check(req); err == nil {
			t.Errorf("%s: without a bypass Check = nil, want a refusal", name)
		}
		ran := false
		h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		rec := serve(h, req)
		if err := g.Check(req); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want %v", name, err, tc.want)
		}
		if want := tc.want == nil; ran != want {
			t.Errorf("%s: handler ran = %v, want %v (status %d)", name, ran, want, rec.Code)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
			t.Errorf("%s: Content-Security-Policy = %q, want frame-ancestors 'none'", name, got)
		}
	}

	for _, bad := range []string{"POST /payments/return", "POST /a/{x"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddInsecureBypassPattern(%q) did not panic: want a panic for a conflicting or invalid pattern", bad)
				}
			}()
			g.AddInsecureBypassPattern(bad)
		}()
	}
}

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://a.example", "https://a.example", true},
		{"HTTPS://A.Example", "https://a.example", true},
		{"https://a.example:443", "https://a.example", true},
		{"http://a.example:80", "http://a.example", true},
		{"http://a.example:443", "http://a.example:443", true},
		{"https://a.example:8443", "https://a.example:8443", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://[::1]:8080", "", false},
		{"http://[0:0::1]", "", false},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example", true},
		{"https://bücher.example", "", false},
		{"https://a.example.", "", false},
		{"https://a..example", "", false},
		{"https://-a.example", "", false},
		{"https://a.example:0", "", false},
		{"https://a.example:65536", "", false},
		{"https://a.example:080", "", false},
		{"https://a.example:", "", false},
		{"https://a.example:+1", "", false},
		{"https://256.1.1.1", "", false},
		{"https://[::1", "", false},
		{"https://[fe80::1%25eth0]", "", false},
		{"https://a.example/", "", false},
		{"https://a.example#f", "", false},
		{"https://a b", "", false},
		{"*", "", false},
		{"'self'", "", false},
		{"https://a.example;frame-ancestors *", "", false},
		{"https://a.example,https://b.example", "", false},
		// A host ending in a number is an IPv4 address to browsers, which
		// send it in dotted decimal or refuse the URL.
		{"http://0x7f000001", "", false},
		{"http://0x7f.0.0.1", "", false},
		{"http://127.1", "", false},
		{"https://a.example.123", "", false},
		{"https://a.example.0x", "", false},
		{"https://a.0xg", "https://a.0xg", true},
		{"https://123.example", "https://123.example", true},
	}
	for _, tc := range tests {
		got, err := guard.ParseOrigin(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseOrigin_Messages checks that a refusal says how to write the
// origin where the mistake is a common one.
func TestParseOrigin_Messages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://bücher.example", `invalid origin "https://bücher.example": non-ASCII host name: give it in its xn-- (punycode) form`},
		{"http://0x7f000001", `invalid origin "http://0x7f000001": a host ending in a number must be an IPv4 address in dotted decimal`},
	} {
		if _, err := guard.ParseOrigin(tc.in); err == nil || err.Error() != tc.want {
			t.Errorf("ParseOrigin(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestHandler_HSTS(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name   string
		guard  *guard.Guard
		tls    bool
		remote string
		xfp    string
		want   string
	}{
		{"plain HTTP", &guard.Guard{}, false, "192.0.2.1:1234", "", ""},
		{"TLS", &guard.Guard{}, true, "192.0.2.1:1234", "", "max-age=63072000"},
		{"TLS, includeSubDomains", &guard.Guard{HSTSIncludeSubdomains: true, HSTSMaxAge: 3600e9}, true, "192.0.2.1:1234", "", "max-age=3600; includeSubDomains"},
		{"TLS, one second", &guard.Guard{HSTSMaxAge: time.Second}, true, "192.0.2.1:1234", "", "max-age=1"},
		{"TLS, omitted", &guard.Guard{OmitHSTS: true}, true, "192.0.2.1:1234", "", ""},
		{"forwarded https, no proxies", &guard.Guard{}, false, "10.1.2.3:1234", "https", ""},
		{"forwarded https, trusted proxy", &guard.Guard{TrustedProxies: proxies}, false, "10.1.2.3:1234", "https", "max-age=63072000"},
		{"forwarded https, trusted proxy over IPv4-mapped IPv6", &guard.Guard{TrustedProxies: proxies}, false, "[::ffff:10.1.2.3]:1234", "https", "max-age=63072000"},
		{"forwarded https, untrusted peer", &guard.Guard{TrustedProxies: proxies}, false, "192.0.2.1:1234", "https", ""},
		{"forwarded http, trusted proxy", &guard.Guard{TrustedProxies: proxies}, false, "10.1.2.3:1234", "http", ""},
		// An IPv6 link-local peer's address carries its zone.
		{"forwarded https, trusted link-local proxy", &guard.Guard{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}}, false, "[fe80::1%eth0]:1234", "https", "max-age=63072000"},
		{"forwarded https, untrusted link-local peer", &guard.Guard{TrustedProxies: proxies}, false, "[fe80::1%eth0]:1234", "https", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tc.xfp != "" {
				req.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			rec := serve(tc.guard.Handler(http.NotFoundHandler()), req)
			if got := rec.Header().Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHSTSMaxAge_refused: a max-age under a second, a number of seconds
// given as a Duration, would go out as max-age=0 and switch the host's HSTS
// off in every browser, and a negative one has no meaning: guard refuses
// both at setup, with every constructor.
func TestHSTSMaxAge_refused(t *testing.T) {
	t.Parallel()
	for _, age := range []time.Duration{1, 31536000, time.Second - 1, -1, -365 * 24 * time.Hour} {
		wantSetupPanic(t, &guard.Guard{HSTSMaxAge: age}, fmt.Sprintf("HSTSMaxAge %v", age), "HSTSMaxAge", "time.Duration")
	}
}

// TestNilHandler: a nil handler is refused when it is wrapped, as
// http.ServeMux.Handle refuses one, not with a 500 on every request.
func TestNilHandler(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: &mapStore{m: map[string][]byte{}}}
	for name, wrap := range map[string]func(){
		"Guard.Handler":             func() { g.Handler(nil) },
		"Guard.TokenHandler":        func() { g.TokenHandler(nil) },
		"Guard.ConfirmationHandler": func() { g.ConfirmationHandler(nil) },
		"Policy.Handler":            func() { guard.SameOrigin().Handler(nil) },
		"Embeddable":                func() { guard.Embeddable(nil) },
	} {
		func() {
			defer func() {
				want := "guard: " + name + " given a nil handler"
				if msg, _ := recover().(string); msg != want {
					t.Errorf("%s(nil) panicked with %q; want %q", name, msg, want)
				}
			}()
			wrap()
		}()
	}
}

// wantSetupPanic checks that each method of g that reads its configuration
// panics with a message holding every one of want; what names the setting.
func wantSetupPanic(t *testing.T, g *guard.Guard, what string, want ...string) {
	t.Helper()
	for name, build := range map[string]func(){
		"Handler":             func() { g.Handler(http.NotFoundHandler()) },
		"ConfirmationHandler": func() { g.ConfirmationHandler(http.NotFoundHandler()) },
		"Check":               func() { _ = g.Check(httptest.NewRequest("GET", "/", nil)) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				for _, w := range want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: %s panicked with %q, want a panic naming %q", what, name, msg, want)
						return
					}
				}
			}()
			build()
		}()
	}
}

func TestHandler_Switches(t *testing.T) {
	t.Parallel()
	g := guard.Guard{OmitNosniff: true, OmitReferrerPolicy: true, OmitCOOP: true}
	rec := serve(g.Handler(http.NotFoundHandler()), httptest.NewRequest("GET", "/", nil))
	for _, name := range []string{"Referrer-Policy", "Cross-Origin-Opener-Policy"} {
		if got := rec.Header().Get(name); got != "" {
			t.Errorf("%s = %q, want none", name, got)
		}
	}
	// http.Error (inside NotFoundHandler) sets nosniff itself; a page does not.
	rec = serve(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })),
		httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("X-Content-Type-Options"); got != "" {
		t.Errorf("X-Content-Type-Options = %q, want none", got)
	}
	g2 := &guard.Guard{ReferrerPolicy: "no-referrer"}
	rec = serve(g2.Handler(http.NotFoundHandler()), httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	// An application's own value for one page is kept.
	var d guard.Guard
	rec = serve(d.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
	})), httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Values("Referrer-Policy"); !equal(got, []string{"no-referrer"}) {
		t.Errorf("Referrer-Policy = %q, want the application's", got)
	}
	if got := rec.Header().Values("Cross-Origin-Opener-Policy"); !equal(got, []string{"same-origin-allow-popups"}) {
		t.Errorf("Cross-Origin-Opener-Policy = %q, want the application's", got)
	}
	// So is its max-age=0, which makes browsers forget the host's HSTS.
	rec = serve(d.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=0")
	})), httptest.NewRequest("GET", "https://app.example/", nil))
	if got := rec.Header().Values("Strict-Transport-Security"); !equal(got, []string{"max-age=0"}) {
		t.Errorf("Strict-Transport-Security = %q, want the application's max-age=0", got)
	}
}

// recordingWriter records the headers at each WriteHeader call.
type recordingWriter struct {
	h       http.Header
	codes   []int
	headers []http.Header
	flushed bool
}

func (w *recordingWriter) Header() http.Header { return w.h }
func (w *recordingWriter) Write(b []byte) (int, error) {
	if len(w.codes) == 0 || w.codes[len(w.codes)-1] < 200 {
		w.WriteHeader(200)
	}
	return len(b), nil
}
func (w *recordingWriter) WriteHeader(code int) {
	w.codes = append(w.codes, code)
	w.headers = append(w.headers, w.h.Clone())
}
func (w *recordingWriter) Flush() { w.flushed = true }

func TestHandler_Informational(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	h := g.Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		// The policy is not final yet: a 1xx is not the response header.
		if err := guard.AllowFraming(r, originA); err != nil {
			t.Errorf("AllowFraming after 103: %v", err)
		}
		w.WriteHeader(http.StatusOK)
		if err := guard.AllowFraming(r, originB); !errors.Is(err, guard.ErrHeaderWritten) {
			t.Errorf("AllowFraming after 200 = %v, want %v", err, guard.ErrHeaderWritten)
		}
	})))
	rw := &recordingWriter{h: http.Header{}}
	h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
	if !equal(intsToStrings(rw.codes), []string{"103", "200"}) {
		t.Fatalf("status codes = %v, want [103 200]", rw.codes)
	}
	if got := rw.headers[1].Get("Content-Security-Policy"); got != "frame-ancestors https://a.example" {
		t.Errorf("final Content-Security-Policy = %q, want the allowlist chosen after the 103", got)
	}
	if got := rw.headers[1].Get("X-Frame-Options"); got != "" {
		t.Errorf("final X-Frame-Options = %q, want none", got)
	}
}

func intsToStrings(a []int) []string {
	s := make([]string, len(a))
	for i, v := range a {
		s[i] = strconv.Itoa(v)
	}
	return s
}

// TestHandler_InformationalDeleted: a default header the handler deletes
// before sending an informational response stays deleted on the final one;
// only those there at the 1xx come back (see TestHandler_InformationalProxy).
func TestHandler_InformationalDeleted(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Del("Cross-Origin-Opener-Policy") // a page that opens a sign-in popup
		w.Header().Add("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		clear(w.Header()) // as httputil.ReverseProxy does after relaying a 1xx
		w.WriteHeader(http.StatusOK)
	})))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Values("Cross-Origin-Opener-Policy"); len(v) != 0 {
		t.Errorf("Cross-Origin-Opener-Policy deleted before a 103: the final response has %q", v)
	}
	if v := resp.Header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("X-Content-Type-Options, cleared after the 103: %q, want nosniff back", v)
	}

	// A header guard did not send (HSTS the handler set on plain HTTP)
	// is not guard's to give back, nor one guard's options turned off.
	g = guard.Guard{OmitCOOP: true}
	srv2 := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=60")
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
		w.WriteHeader(http.StatusEarlyHints)
		clear(w.Header())
		w.WriteHeader(http.StatusOK)
	})))
	t.Cleanup(srv2.Close)
	resp, err = srv2.Client().Get(srv2.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, k := range []string{"Strict-Transport-Security", "Cross-Origin-Opener-Policy"} {
		if v, ok := resp.Header[k]; ok {
			t.Errorf("%s, the handler's, cleared after the 103: %q, want none (not guard's to give back)", k, v)
		}
	}
}

// TestHandler_InformationalProxy: behind httputil.ReverseProxy, which
// clears the header map after it relays a backend's 103 Early Hints, the
// final response still carries every header of guard's, and the backend's
// own value of one is kept.
func TestHandler_InformationalProxy(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Write([]byte("page"))
	}))
	defer backend.Close()
	target, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	var g guard.Guard
	front := httptest.NewTLSServer(g.Handler(httputil.NewSingleHostReverseProxy(target)))
	defer front.Close()
	var hints []int
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		hints = append(hints, code)
		return nil
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", front.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !slices.Equal(hints, []int{http.StatusEarlyHints}) || resp.StatusCode != 200 {
		t.Fatalf("got %v then %d, want [103] then 200", hints, resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Content-Security-Policy":    "frame-ancestors 'none'",
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Strict-Transport-Security":  "max-age=63072000",
	} {
		if got := resp.Header.Values(name); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %q, want [%q]", name, got, want)
		}
	}
}

func TestHandler_ResponseController(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	rw := &recordingWriter{h: http.Header{}}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Errorf("wrapped writer is not an http.Flusher")
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	}))
	h.ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
	if !rw.flushed {
		t.Errorf("Flush did not reach the underlying writer")
	}

	// A writer that cannot flush says so through the controller.
	h = g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("ResponseController.Flush on a writer that cannot flush = %v, want %v", err, http.ErrNotSupported)
		}
	}))
	h.ServeHTTP(plainWriter{http.Header{}}, httptest.NewRequest("GET", "/", nil))

	// Through a real server: headers are in place before a flushed response,
	// and the controller reaches the connection through guard's writer
	// (Unwrap) for what guard does not implement itself.
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(time.Minute)
		for name, err := range map[string]error{
			"SetReadDeadline":  rc.SetReadDeadline(deadline),
			"SetWriteDeadline": rc.SetWriteDeadline(deadline),
			"EnableFullDuplex": rc.EnableFullDuplex(),
		} {
			if err != nil {
				t.Errorf("ResponseController.%s through guard: %v", name, err)
			}
		}
		rc.Flush()
		w.Write([]byte("late"))
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("flushed response Content-Security-Policy = %q", got)
	}
}

// TestHandler_HeaderOpenUntilSent: the policy is final only once the
// header has gone to the writer below. Until then a handler may still
// choose (AllowFraming), and guard writes its headers again over whatever
// the handler put in their place: after a copy from an empty source, which
// writes nothing, after a Flush the writer below cannot do, and after a
// WriteHeader that panicked, whose panic guard answers with its 500.
func TestHandler_HeaderOpenUntilSent(t *testing.T) {
	t.Parallel()
	const partner = "https://partner.example"
	// replace puts the handler's own framing headers in guard's place.
	replace := func(w http.ResponseWriter) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors *")
		w.Header().Del("X-Frame-Options")
	}
	g := guard.Guard{Logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name    string
		h       http.Handler
		outside func(http.ResponseWriter) http.ResponseWriter // around guard
		status  int
		csp     string
		xfo     []string
		body    string
	}{
		{"empty copy, then a choice", guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n, err := io.Copy(w, onlyReader{strings.NewReader("")}); n != 0 || err != nil {
				t.Errorf("empty copy = %d, %v", n, err)
			}
			if err := guard.AllowFraming(r, partner); err != nil {
				t.Errorf("AllowFraming after an empty copy: %v", err)
			}
			replace(w)
			w.Write([]byte("widget"))
		})), nil, 200, "frame-ancestors " + partner, nil, "widget"},
		{"copy", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n, err := io.Copy(w, onlyReader{strings.NewReader("page")}); n != 4 || err != nil {
				t.Errorf("copy = %d, %v", n, err)
			}
			if err := guard.AllowFraming(r, partner); err == nil {
				t.Errorf("AllowFraming after a copy = nil")
			}
			replace(w)
		}), nil, 200, "frame-ancestors 'none'", []string{"DENY"}, "page"},
		{"flush the writer below cannot do", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); !errors.Is(err, http.ErrNotSupported) {
				t.Errorf("Flush = %v, want %v", err, http.ErrNotSupported)
			}
			replace(w)
			w.Write([]byte("page"))
		}), func(w http.ResponseWriter) http.ResponseWriter { return noFlush{w} }, 200, "frame-ancestors 'none'", []string{"DENY"}, "page"},
		{"WriteHeader panics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			replace(w)
			w.WriteHeader(0) // net/http panics: an invalid code
		}), nil, 500, "frame-ancestors 'none'", []string{"DENY"}, "Internal Server Error\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := g.Handler(tc.h)
			if tc.outside != nil {
				inner := h
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.ServeHTTP(tc.outside(w), r) })
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || string(body) != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
			if got := resp.Header.Values("Content-Security-Policy"); !slices.Equal(got, []string{tc.csp}) {
				t.Errorf("Content-Security-Policy = %q, want %q", got, tc.csp)
			}
			if got := resp.Header.Values("X-Frame-Options"); !slices.Equal(got, tc.xfo) {
				t.Errorf("X-Frame-Options = %q, want %q", got, tc.xfo)
			}
		})
	}
}

// TestHandler_ReadFrom: a copy into guard's writer reaches the writer
// below's ReadFrom (sendfile for a file), whole, with guard's headers.
func TestHandler_ReadFrom(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	body := strings.Repeat("0123456789", 1000)
	rw := &readFromWriter{recordingWriter: recordingWriter{h: http.Header{}}}
	g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := io.Copy(w, onlyReader{strings.NewReader(body)}); n != int64(len(body)) || err != nil {
			t.Errorf("copy = %d, %v; want %d, nil", n, err, len(body))
		}
	})).ServeHTTP(rw, httptest.NewRequest("GET", "/", nil))
	if got := rw.buf.String(); got != body {
		t.Errorf("the writer below got %d bytes, want the %d copied", len(got), len(body))
	}
	if rw.readFrom != len(body)-1 {
		t.Errorf("the writer below's ReadFrom copied %d bytes, want all but the first (%d)", rw.readFrom, len(body)-1)
	}
	if len(rw.headers) != 1 || rw.headers[0].Get("X-Frame-Options") != "DENY" {
		t.Errorf("header written %d times, first %v; want once, with X-Frame-Options: DENY", len(rw.headers), rw.headers)
	}
}

// readFromWriter is a recordingWriter that keeps the body and has a
// ReadFrom of its own, which counts what it copies.
type readFromWriter struct {
	recordingWriter
	buf      bytes.Buffer
	readFrom int
}

func (w *readFromWriter) Write(b []byte) (int, error) {
	w.recordingWriter.Write(b)
	return w.buf.Write(b)
}

func (w *readFromWriter) ReadFrom(src io.Reader) (int64, error) {
	if len(w.codes) == 0 {
		w.WriteHeader(200)
	}
	n, err := w.buf.ReadFrom(src)
	w.readFrom += int(n)
	return n, err
}

// onlyReader hides every method of its reader but Read (bytes.Reader's
// WriteTo, which io.Copy would prefer to the writer's ReadFrom), as the
// body of a proxied response does.
type onlyReader struct{ io.Reader }

// noFlush hides the Flush and Unwrap of the writer it wraps, as a plain
// logging middleware does.
type noFlush struct{ http.ResponseWriter }

// plainWriter is a ResponseWriter with nothing optional.
type plainWriter struct{ h http.Header }

func (w plainWriter) Header() http.Header         { return w.h }
func (w plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w plainWriter) WriteHeader(int)             {}

func TestHandler_PanicAfterWrite(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	g := guard.Guard{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("half"))
		panic("boom")
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		if !strings.Contains(buf.String(), "level=ERROR") {
			t.Errorf("log = %q, want an error record", buf.String())
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

// TestHandler_PanicKeepsOuterHeaders checks that the 500 after a panic
// drops what the handler put in the header map but keeps what the middleware
// around guard had set before it (a request ID, say), as it was then, be it
// a few headers or many.
func TestHandler_PanicKeepsOuterHeaders(t *testing.T) {
	t.Parallel()
	g := guard.Guard{Logger: slog.New(slog.DiscardHandler)}
	inner := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=half-done")
		w.Header().Set("X-Request-ID", "changed by the handler")
		w.Header().Add("Link", "</handler.css>; rel=preload")
		w.Header().Del("X-Outer-0")
		panic("boom")
	}))
	for _, extra := range []int{1, 8} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "r-42")
			w.Header().Set("Link", "</outer.css>; rel=preload")
			for i := range extra {
				w.Header().Set(fmt.Sprintf("X-Outer-%d", i), "kept")
			}
			inner.ServeHTTP(w, r)
		})
		rec := serve(h, httptest.NewRequest("GET", "/", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("got status %d, want 500", rec.Code)
		}
		for _, tc := range []struct {
			name string
			want []string
		}{
			{"X-Request-Id", []string{"r-42"}},
			{"Link", []string{"</outer.css>; rel=preload"}},
			{"X-Outer-0", []string{"kept"}},
			{fmt.Sprintf("X-Outer-%d", extra-1), []string{"kept"}},
			{"Set-Cookie", nil},
			{"X-Frame-Options", []string{"DENY"}},
		} {
			if got := rec.Header().Values(tc.name); !slices.Equal(got, tc.want) {
				t.Errorf("%d outer headers: %s = %q, want %q", extra+2, tc.name, got, tc.want)
			}
		}
	}
}

func TestAllowFraming_Outside(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	if err := guard.AllowFraming(req, originA); !errors.Is(err, guard.ErrNotEmbeddable) {
		t.Errorf("AllowFraming outside any route = %v, want %v", err, guard.ErrNotEmbeddable)
	}
	type otherKey struct{}
	req = req.WithContext(context.WithValue(req.Context(), otherKey{}, 1))
	if guard.Reason(req) != nil {
		t.Errorf("Reason of an unrefused request = %v, want nil", guard.Reason(req))
	}
	var g guard.Guard
	h := g.Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const want = `guard: allow framing: invalid origin "https://a.example/path": user information, path, query and fragment are not allowed`
		if err := guard.AllowFraming(r, "https://a.example/path"); err == nil || err.Error() != want {
			t.Errorf("AllowFraming with an invalid origin = %v, want %q", err, want)
		}
	})))
	rec := serve(h, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("Content-Security-Policy = %q after a refused AllowFraming", got)
	}
}

// TestAllowFraming_AfterReturn: once the guarded handler has returned, its
// response is what it left (written or not): AllowFraming says so rather
// than report a choice that changes nothing.
func TestAllowFraming_AfterReturn(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	var later *http.Request
	h := g.Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { later = r })))
	rec := serve(h, httptest.NewRequest("GET", "/", nil))
	if err := guard.AllowFraming(later, originA); !errors.Is(err, guard.ErrHeaderWritten) {
		t.Errorf("AllowFraming after the handler returned = %v, want %v (the response has %q)", err, guard.ErrHeaderWritten, rec.Header().Get("Content-Security-Policy"))
	}
}

// TestHandler_ReportOnlyDefaultLogger: report-only mode exists to show what
// would be refused, so with no Logger its records go to slog.Default; an
// enforcing guard with no Logger logs no refusal (it answers them).
func TestHandler_ReportOnlyDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	for _, report := range []bool{true, false} {
		buf.Reset()
		g := guard.Guard{ReportOnly: report}
		post := httptest.NewRequest("POST", "https://app.example/items", nil)
		post.Header.Set("Sec-Fetch-Site", "cross-site")
		serve(g.Handler(http.NotFoundHandler()), post)
		if logged := strings.Contains(buf.String(), "cross-origin"); logged != report {
			t.Errorf("ReportOnly %v, Logger nil: slog.Default got %q; want a record of the refusal: %v", report, buf.String(), report)
		}
	}
}

// TestReferrerPolicy_values: guard sends a Referrer-Policy that browsers
// apply, one policy or a list of fallbacks, and refuses at setup a value
// with a word browsers would ignore (most likely a misspelling, which would
// leave the browser's default in force) or with no policy at all.
func TestReferrerPolicy_values(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"no-referrer", "strict-origin-when-cross-origin", "no-referrer, strict-origin-when-cross-origin", "Same-Origin", " unsafe-url\t,origin "} {
		g := &guard.Guard{ReferrerPolicy: v}
		rec := serve(g.Handler(http.NotFoundHandler()), httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Get("Referrer-Policy"); got != v {
			t.Errorf("ReferrerPolicy %q: sent %q", v, got)
		}
	}
	for _, v := range []string{"no-referer", "same-origin, strict-origin-when-crossorigin", " , ", "same-origin;", "\u017Fame-origin", "never"} {
		wantSetupPanic(t, &guard.Guard{ReferrerPolicy: v}, fmt.Sprintf("ReferrerPolicy %q", v), "ReferrerPolicy")
	}
	// Turned off, the value is not read.
	g := &guard.Guard{ReferrerPolicy: "no-referer", OmitReferrerPolicy: true}
	if rec := serve(g.Handler(http.NotFoundHandler()), httptest.NewRequest("GET", "/", nil)); rec.Header().Get("Referrer-Policy") != "" {
		t.Error("OmitReferrerPolicy: the header was sent")
	}
}
