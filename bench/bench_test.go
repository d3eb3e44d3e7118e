// Package bench compares guard with the Go peers it replaces. It is its own
// module so that the peers never become dependencies of clickguard.
//
// Every benchmark serves the same handler, which writes a 2 KB HTML body,
// through one middleware stack into a fresh httptest.ResponseRecorder, with
// one prepared request reused across iterations. ns/op is the time per
// request of the fastest chunk of 64 (see chunk). Run:
//
//	go test -run '^$' -bench . -benchmem -benchtime=200ms -count 6 | tee new.txt
//	benchstat new.txt
package bench

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/justinas/nosurf"
	"github.com/unrolled/secure"

	"github.com/clickguard/clickguard/guard"
)

var body = bytes.Repeat([]byte("<p>clickguard</p>\n"), 2048/18+1)[:2048]

// app is the application handler every stack serves.
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(body)
})

// formApp is the handler of a form submission: it parses its form, as a
// real one must, and then writes the same page. A request without the
// expected field gets a 400, which the setup check in cases would catch.
var formApp = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("title") != "clickguard" {
		http.Error(w, "no title", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(body)
})

// floor is the least a hand-written middleware can do for framing: two
// header writes.
func floor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// floorFull hand-writes the same five headers guard sends by default on
// plain HTTP, for a like-for-like comparison.
func floorFull(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// Header values shared by every response of floorShared. Sharing is only
// safe while nothing ever writes to an element of these slices, which a
// general-purpose middleware cannot promise for its users' handlers; here
// it gives the lower bound of adding five headers at all.
var (
	sharedNosniff  = []string{"nosniff"}
	sharedReferrer = []string{"same-origin"}
	sharedCOOP     = []string{"same-origin"}
	sharedCSP      = []string{"frame-ancestors 'none'"}
	sharedXFO      = []string{"DENY"}
)

// floorShared sends the same five headers with no allocation and no
// wrapper: precomputed slices assigned straight into the header map.
func floorShared(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = sharedNosniff
		h["Referrer-Policy"] = sharedReferrer
		h["Cross-Origin-Opener-Policy"] = sharedCOOP
		h["Content-Security-Policy"] = sharedCSP
		h["X-Frame-Options"] = sharedXFO
		next.ServeHTTP(w, r)
	})
}

// floorSharedToken is the least any stack that sends guard's five default
// headers and checks its token can cost: floorShared's headers, then
// guard's own token check (the header read, the session value, the decoding
// and the constant-time comparison) with no wrapper, no framed-navigation
// refusal and no cross-origin check. It gives the lower bound of the whole
// stack's POST.
func floorSharedToken(g *guard.Guard) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return floorShared(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if g.CheckToken(r) != nil {
				http.Error(w, "Forbidden", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// secureOptions is unrolled/secure set up for the same headers guard sends.
var secureOptions = secure.Options{
	FrameDeny:               true,
	ContentTypeNosniff:      true,
	ContentSecurityPolicy:   "frame-ancestors 'none'",
	ReferrerPolicy:          "same-origin",
	CrossOriginOpenerPolicy: "same-origin",
	STSSeconds:              63072000,
	IsDevelopment:           false,
}

// fixedStore is a SessionStore that holds one session in a map, so that
// guard's token layer can be measured with sessions aside.
type fixedStore struct{ m map[string][]byte }

func (s *fixedStore) GetBytes(_ context.Context, key string) []byte { return s.m[key] }
func (s *fixedStore) Put(_ context.Context, key string, val any)    { s.m[key] = val.([]byte) }

func newSessions() *scs.SessionManager {
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	return sm
}

// prepared is a stack and the request to send it. reset, if not nil,
// readies the request for another round (a form body can be read once); it
// runs inside the timed loop on both sides of every comparison alike.
type prepared struct {
	h     http.Handler
	req   *http.Request
	reset func()
}

func (p prepared) serve(w http.ResponseWriter) {
	if p.reset != nil {
		p.reset()
	}
	p.h.ServeHTTP(w, p.req)
}

// formRequest returns a POST of an urlencoded form with a title and the
// token field, and the reset that rewinds its body and forgets the parsed
// form. Every form stack sends the same number of bytes.
func formRequest(field, token string) (*http.Request, func()) {
	form := url.Values{"title": {"clickguard"}, field: {token}}.Encode()
	rd := strings.NewReader(form)
	r := request("POST")
	r.Body = io.NopCloser(rd)
	r.ContentLength = int64(len(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r, func() {
		rd.Reset(form)
		r.Form, r.PostForm, r.MultipartForm = nil, nil, nil
	}
}

func request(method string) *http.Request {
	r := httptest.NewRequest(method, "http://app.example/page", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Dest", "document")
	r.Header.Set("User-Agent", "Mozilla/5.0")
	r.Header.Set("Accept", "text/html")
	return r
}

// prime sends one GET through stack(setup) and returns the cookies it set.
func prime(stack func(http.Handler) http.Handler, setup http.HandlerFunc) []*http.Cookie {
	rec := httptest.NewRecorder()
	stack(setup).ServeHTTP(rec, request("GET"))
	return rec.Result().Cookies()
}

func withCookies(r *http.Request, cs []*http.Cookie) *http.Request {
	for _, c := range cs {
		r.AddCookie(c)
	}
	return r
}

// Stacks.

func nosurfStack(next http.Handler) http.Handler { return nosurf.New(next) }

func scsStack(sm *scs.SessionManager) func(http.Handler) http.Handler {
	return sm.LoadAndSave
}

func peerStack(sm *scs.SessionManager) func(http.Handler) http.Handler {
	s := secure.New(secureOptions)
	return func(next http.Handler) http.Handler {
		return s.Handler(sm.LoadAndSave(nosurf.New(next)))
	}
}

func peerNoSessions(next http.Handler) http.Handler {
	return secure.New(secureOptions).Handler(nosurf.New(next))
}

func guardStack(g *guard.Guard, sm *scs.SessionManager) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return g.Handler(sm.LoadAndSave(g.TokenHandler(next)))
	}
}

func guardNoSessions(g *guard.Guard) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return g.Handler(g.TokenHandler(next)) }
}

// cases builds every stack with the request for method (GET or POST).
// POSTs carry a valid token and Sec-Fetch-Site: same-origin.
func cases(tb testing.TB, method string) []struct {
	name string
	p    prepared
} {
	type c = struct {
		name string
		p    prepared
	}
	var out []c
	add := func(name string, h http.Handler, r *http.Request) { out = append(out, c{name, prepared{h: h, req: r}}) }
	addForm := func(name string, h http.Handler, r *http.Request, reset func()) {
		out = append(out, c{name, prepared{h, r, reset}})
	}

	// Stacks without a token layer.
	add("bare", app, request(method))
	if method == "GET" {
		add("floor", floor(app), request(method))
		add("floor-full", floorFull(app), request(method))
		add("floor-shared", floorShared(app), request(method))
		add("secure", secure.New(secureOptions).Handler(app), request(method))
		add("guard-framing-headers", (&guard.Guard{OmitNosniff: true, OmitReferrerPolicy: true, OmitCOOP: true}).Handler(app), request(method))
		add("guard-headers", new(guard.Guard).Handler(app), request(method))
	}
	add("crossoriginprotection", http.NewCrossOriginProtection().Handler(app), request(method))

	// nosurf alone.
	var nosurfToken string
	cookies := prime(nosurfStack, func(w http.ResponseWriter, r *http.Request) { nosurfToken = nosurf.Token(r) })
	r := withCookies(request(method), cookies)
	r.Header.Set("X-CSRF-Token", nosurfToken)
	add("nosurf", nosurfStack(app), r)

	// scs alone, with an existing session.
	sm := newSessions()
	cookies = prime(scsStack(sm), func(w http.ResponseWriter, r *http.Request) { sm.Put(r.Context(), "user", "u1") })
	add("scs", scsStack(sm)(app), withCookies(request(method), cookies))

	// unrolled/secure + nosurf, sessions aside.
	cookies = prime(peerNoSessions, func(w http.ResponseWriter, r *http.Request) { nosurfToken = nosurf.Token(r) })
	r = withCookies(request(method), cookies)
	r.Header.Set("X-CSRF-Token", nosurfToken)
	add("secure+nosurf", peerNoSessions(app), r)
	if method == "POST" {
		r, reset := formRequest(nosurf.FormFieldName, nosurfToken)
		addForm("secure+nosurf-form", peerNoSessions(formApp), withCookies(r, cookies), reset)
	}

	// guard's whole stack, sessions aside.
	g := &guard.Guard{Sessions: &fixedStore{m: map[string][]byte{}}}
	var guardToken string
	prime(guardNoSessions(g), func(w http.ResponseWriter, r *http.Request) { guardToken = g.Token(r) })
	r = request(method)
	r.Header.Set(guard.TokenHeader, guardToken)
	add("guard-stack", guardNoSessions(g)(app), r)
	add("floor-shared-token", floorSharedToken(g)(app), r)

	// A form submission, token in the body: the application parses its form
	// (guard's token check parses it first, and the application reuses it).
	// The bare baseline sends a token field of the same length, unchecked.
	if method == "POST" {
		r, reset := formRequest(guard.TokenField, strings.Repeat("A", len(guardToken)))
		addForm("bare-form", formApp, r, reset)
		r, reset = formRequest(guard.TokenField, guardToken)
		addForm("guard-stack-form", guardNoSessions(g)(formApp), r, reset)
	}

	// The same with only the framing headers (no nosniff, Referrer-Policy,
	// Cross-Origin-Opener-Policy): the protection against framing and CSRF
	// alone.
	g = &guard.Guard{Sessions: &fixedStore{m: map[string][]byte{}}, OmitNosniff: true, OmitReferrerPolicy: true, OmitCOOP: true}
	prime(guardNoSessions(g), func(w http.ResponseWriter, r *http.Request) { guardToken = g.Token(r) })
	r = request(method)
	r.Header.Set(guard.TokenHeader, guardToken)
	add("guard-stack-framing", guardNoSessions(g)(app), r)

	// The typical peer stack with scs, and the same with guard instead.
	sm = newSessions()
	cookies = prime(peerStack(sm), func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "user", "u1")
		nosurfToken = nosurf.Token(r)
	})
	r = withCookies(request(method), cookies)
	r.Header.Set("X-CSRF-Token", nosurfToken)
	add("secure+nosurf+scs", peerStack(sm)(app), r)

	sm = newSessions()
	g = &guard.Guard{Sessions: sm}
	cookies = prime(guardStack(g, sm), func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "user", "u1")
		guardToken = g.Token(r)
	})
	r = withCookies(request(method), cookies)
	r.Header.Set(guard.TokenHeader, guardToken)
	add("guard+scs", guardStack(g, sm)(app), r)

	// Every stack must actually serve the page: a benchmark of a refusal
	// would be meaningless.
	for _, tc := range out {
		rec := httptest.NewRecorder()
		tc.p.serve(rec)
		if rec.Code != 200 || rec.Body.Len() != len(body) {
			tb.Fatalf("%s %s: status %d, %d bytes: %s", method, tc.name, rec.Code, rec.Body.Len(), strings.TrimSpace(rec.Body.String()))
		}
	}
	return out
}

// chunk is the number of requests timed together. The machine the figures
// come from is shared: instead of the mean over the whole run, which a burst
// of load elsewhere can multiply, each benchmark reports as ns/op the time
// per request of its fastest chunk (B/op and allocs/op are the usual means).
const chunk = 64

func run(b *testing.B, method string) {
	for _, tc := range cases(b, method) {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			best, n, start := math.Inf(1), 0, time.Now()
			for b.Loop() {
				tc.p.serve(httptest.NewRecorder())
				if n++; n == chunk {
					best = min(best, float64(time.Since(start).Nanoseconds())/chunk)
					n, start = 0, time.Now()
				}
			}
			if !math.IsInf(best, 1) {
				b.ReportMetric(best, "ns/op")
			}
		})
	}
}

func BenchmarkGET(b *testing.B)  { run(b, "GET") }
func BenchmarkPOST(b *testing.B) { run(b, "POST") }

// TestStacks checks that every benchmarked stack serves the page, and that
// guard's headers-only path adds no allocation beyond the hand-written floor.
func TestStacks(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		cases(t, method)
	}
	// Stacks compared with each other send the same response headers (nosurf
	// adds Vary: Cookie, its own doing).
	get := index(cases(t, "GET"))
	headers := func(name string) http.Header {
		rec := httptest.NewRecorder()
		get[name].serve(rec)
		h := rec.Result().Header
		h.Del("Vary")
		return h
	}
	for _, group := range [][]string{
		{"floor", "guard-framing-headers", "guard-stack-framing"},
		{"floor-full", "floor-shared", "secure", "guard-headers", "guard-stack", "floor-shared-token", "secure+nosurf", "guard+scs", "secure+nosurf+scs"},
	} {
		want := headers(group[0])
		for _, name := range group[1:] {
			if got := headers(name); !reflect.DeepEqual(got, want) {
				t.Errorf("GET %s sends %v, %s sends %v", name, got, group[0], want)
			}
		}
	}

	// The form stacks read the token from the body: a wrong one is refused.
	// guard parses the form once, and the application finds it parsed.
	g := &guard.Guard{Sessions: &fixedStore{m: map[string][]byte{}}}
	var token string
	prime(guardNoSessions(g), func(w http.ResponseWriter, r *http.Request) { token = g.Token(r) })
	for _, tc := range []struct {
		token string
		code  int
	}{{token, 200}, {strings.Repeat("A", len(token)), 403}} {
		r, reset := formRequest(guard.TokenField, tc.token)
		reset()
		parsed := false
		h := guardNoSessions(g)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			parsed = r.PostForm != nil
			formApp(w, r)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.code {
			t.Errorf("guard form POST, token %.8q...: status %d, want %d", tc.token, rec.Code, tc.code)
		}
		if tc.code == 200 && !parsed {
			t.Error("guard form POST: the application had to parse the form again")
		}
	}

	// The lower bound of the whole stack checks the token too.
	for _, tc := range []struct {
		token string
		code  int
	}{{token, 200}, {strings.Repeat("A", len(token)), 403}, {"", 403}} {
		r := request("POST")
		r.Header.Set(guard.TokenHeader, tc.token)
		rec := httptest.NewRecorder()
		floorSharedToken(g)(app).ServeHTTP(rec, r)
		if rec.Code != tc.code {
			t.Errorf("floor-shared-token POST, token %.8q...: status %d, want %d", tc.token, rec.Code, tc.code)
		}
	}

	allocs := func(h http.Handler) float64 {
		r := request("GET")
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(httptest.NewRecorder(), r) })
	}
	fl := allocs(floor(app))
	gh := allocs(new(guard.Guard).Handler(app))
	if gh > fl {
		t.Errorf("guard headers-only GET: %.0f allocs/op, floor %.0f", gh, fl)
	}
}

// BenchmarkRatio measures the goals on a shared, noisy machine: it
// alternates short chunks of two stacks and keeps each one's fastest chunk,
// so a burst of load elsewhere hits both sides alike or neither. It reports
// the two per-request times and their ratio as custom metrics; its own
// ns/op (one round) means nothing.
func BenchmarkRatio(b *testing.B) {
	get, post := index(cases(b, "GET")), index(cases(b, "POST"))
	pairs := []struct {
		name   string
		x, y   prepared
		xn, yn string
	}{
		{"guard-headers/floor/GET", get["guard-headers"], get["floor"], "guard", "floor"},
		{"guard-framing-headers/floor/GET", get["guard-framing-headers"], get["floor"], "guard", "floor"},
		{"guard-headers/floor-full/GET", get["guard-headers"], get["floor-full"], "guard", "floor"},
		{"guard-headers/floor-shared/GET", get["guard-headers"], get["floor-shared"], "guard", "floor"},
		{"floor-shared/bare/GET", get["floor-shared"], get["bare"], "floor", "bare"},
		{"guard-stack/bare/GET", get["guard-stack"], get["bare"], "guard", "bare"},
		{"guard-stack/bare/POST", post["guard-stack"], post["bare"], "guard", "bare"},
		{"floor-shared-token/bare/POST", post["floor-shared-token"], post["bare"], "floor", "bare"},
		{"guard-stack/floor-shared-token/POST", post["guard-stack"], post["floor-shared-token"], "guard", "floor"},
		{"guard-stack-form/bare-form/POST", post["guard-stack-form"], post["bare-form"], "guard", "bare"},
		{"guard-stack-framing/bare/GET", get["guard-stack-framing"], get["bare"], "guard", "bare"},
		{"guard-stack-framing/bare/POST", post["guard-stack-framing"], post["bare"], "guard", "bare"},
		{"guard-stack/secure/GET", get["guard-stack"], get["secure"], "guard", "peers"},
		{"guard-stack/secure+nosurf/GET", get["guard-stack"], get["secure+nosurf"], "guard", "peers"},
		{"guard-stack/secure+nosurf/POST", post["guard-stack"], post["secure+nosurf"], "guard", "peers"},
		{"guard-stack-form/secure+nosurf-form/POST", post["guard-stack-form"], post["secure+nosurf-form"], "guard", "peers"},
		{"guard+scs/secure+nosurf+scs/GET", get["guard+scs"], get["secure+nosurf+scs"], "guard", "peers"},
		{"guard+scs/secure+nosurf+scs/POST", post["guard+scs"], post["secure+nosurf+scs"], "guard", "peers"},
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			x := func() { p.x.serve(httptest.NewRecorder()) }
			y := func() { p.y.serve(httptest.NewRecorder()) }
			reportRatio(b, chunk, x, y, p.xn, p.yn)
		})
	}
}

// reportRatio alternates chunks of n calls of x and of y until the
// benchmark ends, and reports the time per call of each one's fastest chunk
// (as xn-ns/req and yn-ns/req) and their ratio; its own ns/op is suppressed.
func reportRatio(b *testing.B, n int, x, y func(), xn, yn string) {
	timeChunk := func(f func()) float64 {
		start := time.Now()
		for range n {
			f()
		}
		return float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	bestX, bestY := math.Inf(1), math.Inf(1)
	for b.Loop() {
		bestX = min(bestX, timeChunk(x))
		bestY = min(bestY, timeChunk(y))
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(bestX, xn+"-ns/req")
	b.ReportMetric(bestY, yn+"-ns/req")
	b.ReportMetric(bestX/bestY, "ratio")
}

func index(cs []struct {
	name string
	p    prepared
}) map[string]prepared {
	m := make(map[string]prepared, len(cs))
	for _, c := range cs {
		m[c.name] = c.p
	}
	return m
}
