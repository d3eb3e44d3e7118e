package guard_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/guard"
)

// framingHeaders returns the CSP and X-Frame-Options a response carries.
func framingHeaders(rec *httptest.ResponseRecorder) (csp, xfo string) {
	return strings.Join(rec.Header().Values("Content-Security-Policy"), ", "),
		strings.Join(rec.Header().Values("X-Frame-Options"), ", ")
}

// A route declaration inside another only narrows it: nesting can never
// widen what the outer route declared.
func TestPolicy_NestedDeclarations(t *testing.T) {
	t.Parallel()
	ab := mustPolicy(t, originA, originB)
	a := mustPolicy(t, originA)
	b := mustPolicy(t, originB)
	selfA := mustPolicy(t, "'self'", originA)
	embed := func(h http.Handler) http.Handler { return guard.Embeddable(h) }
	for _, tc := range []struct {
		name         string
		outer, inner func(http.Handler) http.Handler
		choose       []string // AllowFraming in the handler, if not nil
		wantErr      error    // what AllowFraming returns
		wantCSP      string
		wantXFO      string
	}{
		{name: "none around embeddable", outer: guard.Policy{}.Handler, inner: embed,
			choose: []string{originBad}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "self around embeddable", outer: guard.SameOrigin().Handler, inner: embed,
			choose: []string{originBad}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "self around embeddable, self chosen", outer: guard.SameOrigin().Handler, inner: embed,
			choose:  []string{"'self'"},
			wantCSP: "frame-ancestors 'self'", wantXFO: "SAMEORIGIN"},
		{name: "allowlist around embeddable, one chosen", outer: ab.Handler, inner: embed,
			choose:  []string{originB},
			wantCSP: "frame-ancestors " + originB},
		{name: "allowlist around embeddable, other chosen", outer: a.Handler, inner: embed,
			choose: []string{originB}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "none around allowlist", outer: guard.Policy{}.Handler, inner: a.Handler,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "none around allowlist, chosen", outer: guard.Policy{}.Handler, inner: a.Handler,
			choose: []string{originA}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "allowlist around other allowlist", outer: a.Handler, inner: b.Handler,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "allowlist around wider allowlist", outer: a.Handler, inner: ab.Handler,
			wantCSP: "frame-ancestors " + originA},
		{name: "self and origin around allowlist", outer: selfA.Handler, inner: ab.Handler,
			wantCSP: "frame-ancestors " + originA},
		{name: "allowlist around self", outer: a.Handler, inner: guard.SameOrigin().Handler,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "allowlist around narrower allowlist, outer source chosen", outer: ab.Handler, inner: a.Handler,
			choose: []string{originB}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors " + originA},
		{name: "embeddable around allowlist", outer: embed, inner: a.Handler,
			wantCSP: "frame-ancestors " + originA},
		{name: "embeddable around allowlist, other chosen", outer: embed, inner: a.Handler,
			choose: []string{originB}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors " + originA},
		{name: "embeddable around none", outer: embed, inner: guard.Policy{}.Handler,
			choose: []string{originA}, wantErr: guard.ErrNotEmbeddable,
			wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "embeddable around embeddable", outer: embed, inner: embed,
			choose:  []string{originBad},
			wantCSP: "frame-ancestors " + originBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			h := tc.outer(tc.inner(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.choose != nil {
					err = guard.AllowFraming(r, tc.choose...)
				}
				io.WriteString(w, "page")
			})))
			// Both through the mux, as an application registers routes,
			// and called directly.
			mux := http.NewServeMux()
			mux.Handle("GET /page", h)
			for _, app := range []http.Handler{mux, h} {
				err = nil
				rec := serve(new(guard.Guard).Handler(app), httptest.NewRequest("GET", "/page", nil))
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Errorf("AllowFraming(%q) = %v, want %v", tc.choose, err, tc.wantErr)
				}
				if csp, xfo := framingHeaders(rec); csp != tc.wantCSP || xfo != tc.wantXFO {
					t.Errorf("CSP %q, X-Frame-Options %q; want %q, %q", csp, xfo, tc.wantCSP, tc.wantXFO)
				}
			}
		})
	}
}

// A choice the outer route's handler made with AllowFraming bounds the
// routes it hands the request to: an inner declaration cannot widen it.
func TestPolicy_ChoiceBeforeInnerDeclaration(t *testing.T) {
	t.Parallel()
	ab := mustPolicy(t, originA, originB)
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	chooseThen := func(inner http.Handler, sources ...string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := guard.AllowFraming(r, sources...); err != nil {
				t.Errorf("outer AllowFraming(%q): %v", sources, err)
			}
			inner.ServeHTTP(w, r)
		})
	}
	innerChooses := func(sources ...string) http.Handler {
		return guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := guard.AllowFraming(r, sources...); !errors.Is(err, guard.ErrNotEmbeddable) {
				t.Errorf("inner AllowFraming(%q) = %v, want %v", sources, err, guard.ErrNotEmbeddable)
			}
		}))
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"allowlist, A chosen, inner allowlist", ab.Handler(chooseThen(ab.Handler(page), originA)), "frame-ancestors " + originA},
		{"embeddable, A chosen, inner allowlist", guard.Embeddable(chooseThen(ab.Handler(page), originA)), "frame-ancestors " + originA},
		{"embeddable, A chosen, inner embeddable choosing B", guard.Embeddable(chooseThen(innerChooses(originB), originA)), "frame-ancestors 'none'"},
		{"allowlist, none chosen, inner allowlist", ab.Handler(chooseThen(ab.Handler(page))), "frame-ancestors 'none'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(new(guard.Guard).Handler(tc.h), httptest.NewRequest("GET", "/", nil))
			if csp, _ := framingHeaders(rec); csp != tc.want {
				t.Errorf("CSP %q, want %q", csp, tc.want)
			}
		})
	}
}

// The refusal of framed navigations sees nested declarations: a route that
// an inner declaration closes to other origins is refused before it runs.
func TestHandler_FramedNavigationNested(t *testing.T) {
	t.Parallel()
	a, b, ab := mustPolicy(t, originA), mustPolicy(t, originB), mustPolicy(t, originA, originB)
	ran := map[string]bool{}
	page := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran[name] = true })
	}
	cases := []struct {
		path   string
		h      func(http.Handler) http.Handler
		served bool
	}{
		{"/embeddable-none", func(h http.Handler) http.Handler { return guard.Embeddable(guard.Policy{}.Handler(h)) }, false},
		{"/allowlist-self", func(h http.Handler) http.Handler { return a.Handler(guard.SameOrigin().Handler(h)) }, false},
		{"/allowlist-other", func(h http.Handler) http.Handler { return a.Handler(b.Handler(h)) }, false},
		{"/allowlist-wider", func(h http.Handler) http.Handler { return a.Handler(ab.Handler(h)) }, true},
		{"/embeddable-allowlist", func(h http.Handler) http.Handler { return guard.Embeddable(a.Handler(h)) }, true},
		{"/embeddable-embeddable", func(h http.Handler) http.Handler { return guard.Embeddable(guard.Embeddable(h)) }, true},
	}
	mux := http.NewServeMux()
	for _, tc := range cases {
		mux.Handle("GET "+tc.path, tc.h(page(tc.path)))
	}
	for _, tc := range cases {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := serve(new(guard.Guard).Handler(mux), req)
		if served := rec.Code == http.StatusOK; served != tc.served || ran[tc.path] != tc.served {
			t.Errorf("framed navigation to %s: status %d, handler ran %v; want served %v", tc.path, rec.Code, ran[tc.path], tc.served)
		}
	}
}

// Nested guards in the same mode send what both allow: a sub-application
// with its own strict guard stays unframable inside a looser one.
func TestHandler_NestedGuards(t *testing.T) {
	t.Parallel()
	a := mustPolicy(t, originA)
	ab := mustPolicy(t, originA, originB)
	// choose calls AllowFraming, which must fail with ErrNotEmbeddable when
	// the outer guard does not allow what it asks for, since the response
	// would not carry it.
	choose := func(wantErr error, sources ...string) http.Handler {
		return guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := guard.AllowFraming(r, sources...); !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
				t.Errorf("AllowFraming(%q): %v; want %v", sources, err, wantErr)
			}
		}))
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	// undeclared calls AllowFraming on a route the inner guard does not
	// declare: the outer guard's declaration is not the inner route's.
	undeclared := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guard.AllowFraming(r, originA); !errors.Is(err, guard.ErrNotEmbeddable) {
			t.Errorf("AllowFraming on a route the inner guard does not declare: %v; want %v", err, guard.ErrNotEmbeddable)
		}
	})
	for _, tc := range []struct {
		name          string
		outer, inner  *guard.Guard
		outerRoute    func(http.Handler) http.Handler // nil: the outer guard's default
		app           http.Handler
		wantCSP       string
		wantXFO       string
		wantReportCSP string
	}{
		{name: "strict inside same-origin", outer: &guard.Guard{Framing: guard.SameOrigin()}, inner: &guard.Guard{},
			app: page, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "strict inside allowlist", outer: &guard.Guard{Framing: a}, inner: &guard.Guard{},
			app: page, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "same-origin inside strict", outer: &guard.Guard{}, inner: &guard.Guard{Framing: guard.SameOrigin()},
			app: page, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "allowlist inside wider allowlist", outer: &guard.Guard{Framing: ab}, inner: &guard.Guard{Framing: a},
			app: page, wantCSP: "frame-ancestors " + originA},
		{name: "inner choice inside strict default", outer: &guard.Guard{}, inner: &guard.Guard{},
			app: choose(guard.ErrNotEmbeddable, originA), wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "inner choice inside embeddable mount", outer: &guard.Guard{}, inner: &guard.Guard{},
			outerRoute: guard.Embeddable, app: choose(nil, originA), wantCSP: "frame-ancestors " + originA},
		{name: "undeclared inner route inside embeddable mount", outer: &guard.Guard{}, inner: &guard.Guard{},
			outerRoute: guard.Embeddable, app: undeclared, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "undeclared inner route inside allowlist mount", outer: &guard.Guard{}, inner: &guard.Guard{},
			outerRoute: ab.Handler, app: undeclared, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "inner choice inside allowlist mount", outer: &guard.Guard{}, inner: &guard.Guard{},
			outerRoute: ab.Handler, app: choose(nil, originA, originB), wantCSP: "frame-ancestors " + originA + " " + originB},
		{name: "inner choice beyond allowlist mount", outer: &guard.Guard{}, inner: &guard.Guard{},
			outerRoute: a.Handler, app: choose(guard.ErrNotEmbeddable, originB), wantCSP: "frame-ancestors 'none'", wantXFO: "DENY"},
		{name: "inner choice inside report-only outer", outer: &guard.Guard{ReportOnly: true}, inner: &guard.Guard{},
			app: choose(nil, originA), wantCSP: "frame-ancestors " + originA, wantReportCSP: "frame-ancestors 'none'"},
		{name: "both report-only", outer: &guard.Guard{Framing: guard.SameOrigin(), ReportOnly: true}, inner: &guard.Guard{ReportOnly: true},
			app: page, wantReportCSP: "frame-ancestors 'none'"},
		{name: "enforcing inside report-only", outer: &guard.Guard{Framing: guard.SameOrigin(), ReportOnly: true}, inner: &guard.Guard{},
			app: page, wantCSP: "frame-ancestors 'none'", wantXFO: "DENY", wantReportCSP: "frame-ancestors 'self'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.inner.Handler(tc.app)
			if tc.outerRoute != nil {
				h = tc.outerRoute(h)
			}
			rec := serve(tc.outer.Handler(h), httptest.NewRequest("GET", "/", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			csp, xfo := framingHeaders(rec)
			ro := strings.Join(rec.Header().Values("Content-Security-Policy-Report-Only"), ", ")
			if csp != tc.wantCSP || xfo != tc.wantXFO || ro != tc.wantReportCSP {
				t.Errorf("CSP %q, X-Frame-Options %q, report-only %q; want %q, %q, %q",
					csp, xfo, ro, tc.wantCSP, tc.wantXFO, tc.wantReportCSP)
			}
		})
	}
}

// hidingWriter wraps a ResponseWriter without an Unwrap method, as
// http.TimeoutHandler's does.
type hidingWriter struct{ http.ResponseWriter }

// A route declaration that cannot reach guard's writer does not serve its
// page under another policy: it panics, and guard answers 500 with its
// default headers and logs why.
func TestPolicy_WriterNotReachable(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") })
	mux := http.NewServeMux()
	mux.Handle("GET /none", guard.Policy{}.Handler(page))
	mux.Handle("GET /embed", guard.Embeddable(page))
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{
		{"TimeoutHandler", func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "timeout") }},
		{"wrapper without Unwrap", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(hidingWriter{w}, r) })
		}},
	} {
		for _, path := range []string{"/none", "/embed"} {
			t.Run(tc.name+path, func(t *testing.T) {
				t.Parallel()
				var logs bytes.Buffer
				g := &guard.Guard{Framing: mustPolicy(t, originA), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
				rec := serve(g.Handler(tc.wrap(mux)), httptest.NewRequest("GET", path, nil))
				if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
					t.Errorf("status %d, body %q; want 500 without the page", rec.Code, rec.Body.String())
				}
				if csp, xfo := framingHeaders(rec); csp != "frame-ancestors 'none'" || xfo != "DENY" {
					t.Errorf("CSP %q, X-Frame-Options %q on the 500", csp, xfo)
				}
				if !strings.Contains(logs.String(), "response writer is not reachable") {
					t.Errorf("log = %q, want the reason", logs.String())
				}
			})
		}
	}
	// With an Unwrap method, the same wrapper is fine.
	g := &guard.Guard{Framing: mustPolicy(t, originA)}
	rec := serve(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&statusRecorder{ResponseWriter: w}, r)
	})), httptest.NewRequest("GET", "/none", nil))
	if csp, _ := framingHeaders(rec); rec.Code != 200 || csp != "frame-ancestors 'none'" {
		t.Errorf("through a writer with Unwrap: status %d, CSP %q", rec.Code, csp)
	}
}

// A panic is never lost: without a Logger it goes to slog.Default, with its
// stack; after the connection was hijacked guard writes nothing to it.
func TestHandler_PanicLogged(t *testing.T) {
	var logs bytes.Buffer
	old, logOut, logFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer func() {
		// Putting the default slog handler back does not give the log
		// package its output back.
		slog.SetDefault(old)
		log.SetOutput(logOut)
		log.SetFlags(logFlags)
	}()

	var serverLog bytes.Buffer
	var served sync.WaitGroup // handlers that have finished, log included
	served.Add(2)
	h := new(guard.Guard).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hijack" {
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer c.Close()
		}
		panicInHandler()
	}))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer served.Done()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(&serverLog, "", 0)
	srv.Start()
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	c.Close()
	if len(got) != 0 {
		t.Errorf("hijacked connection received %q", got)
	}
	served.Wait()
	srv.Close()

	if n := strings.Count(logs.String(), "panic serving request"); n != 2 {
		t.Errorf("slog.Default got %d panic records, want 2:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "panicInHandler") {
		t.Errorf("the panic record has no stack naming the panicking function:\n%s", logs.String())
	}
	if serverLog.Len() != 0 {
		t.Errorf("net/http logged %q", serverLog.String())
	}
}

//go:noinline
func panicInHandler() { panic("boom") }

// A choice under an inner guard comes too late once the outer guard has
// written the response header.
func TestAllowFraming_OuterHeaderWritten(t *testing.T) {
	t.Parallel()
	var got error
	inner := new(guard.Guard).Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = guard.AllowFraming(r, originA)
	})))
	outer := new(guard.Guard).Handler(guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		inner.ServeHTTP(w, r)
	})))
	rec := serve(outer, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(got, guard.ErrHeaderWritten) {
		t.Errorf("AllowFraming after the outer guard wrote the header: %v; want %v", got, guard.ErrHeaderWritten)
	}
	if csp, xfo := framingHeaders(rec); csp != "frame-ancestors 'none'" || xfo != "DENY" {
		t.Errorf("CSP %q, X-Frame-Options %q; want the outer guard's 'none'", csp, xfo)
	}
}

// TestHandler_FramedNavigationSubMux: the refusal of framed navigations
// looks through a mux inside a declaration to the route it serves: an
// inner declaration that narrows an Embeddable subtree to the page's own
// origin is refused before its handler runs, one that keeps it open is not.
func TestHandler_FramedNavigationSubMux(t *testing.T) {
	t.Parallel()
	ran := map[string]bool{}
	page := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran[name] = true })
	}
	sub := http.NewServeMux()
	sub.Handle("GET /embed/settings", guard.SameOrigin().Handler(page("settings")))
	sub.Handle("GET /embed/widget", page("widget"))
	mux := http.NewServeMux()
	mux.Handle("/embed/", guard.Embeddable(sub))
	var g guard.Guard
	for _, tc := range []struct {
		path string
		code int
	}{{"/embed/settings", http.StatusForbidden}, {"/embed/widget", http.StatusOK}} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := serve(g.Handler(mux), req)
		if rec.Code != tc.code || ran[path.Base(tc.path)] != (tc.code == http.StatusOK) {
			t.Errorf("%s framed by another site: status %d, handler ran %v; want %d", tc.path, rec.Code, ran[path.Base(tc.path)], tc.code)
		}
	}
}
