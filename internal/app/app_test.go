package app_test

import (
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truora/minidyn/server"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestRoutesTable: the route table keeps its promises. GET never mutates,
// only POST does; only public GET routes may be embeddable or sessionless;
// patterns are unique.
func TestRoutesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range app.Routes() {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("%s: listed twice", key)
		}
		seen[key] = true
		switch rt.Method {
		case http.MethodGet:
			if rt.Mutates {
				t.Errorf("%s: a GET route must not mutate", key)
			}
		case http.MethodPost:
			if !rt.Mutates {
				t.Errorf("%s: a POST route is for changes; mark it Mutates", key)
			}
			if rt.Sessionless {
				t.Errorf("%s: a POST route needs the session and its token", key)
			}
		default:
			t.Errorf("%s: only GET and POST are used", key)
		}
		if (rt.Embeddable || rt.Sessionless) && (!rt.Public || rt.Method != http.MethodGet) {
			t.Errorf("%s: only public GET routes may be embeddable or sessionless", key)
		}
	}
}

// TestHeaders: every kind of response carries the framing headers and the
// app's CSP exactly once; pages are not cached; static files are cached for
// good under their hash. A form post to no route is told so (404, 405), as
// a GET is, not refused for its missing token.
func TestHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	b := newBrowser(t, srv)
	css := regexp.MustCompile(`href="(/static/[0-9a-f]{16}/css/app\.css)"`).FindStringSubmatch(b.get("/login").body)
	if css == nil {
		t.Fatal("login page links no hashed stylesheet")
	}
	for _, tc := range []struct {
		name, method, path string
		status             int
		cache              string
		allow              string // of a 405
	}{
		{"page", "GET", "/login", 200, "no-store", ""},
		{"HEAD", "HEAD", "/login", 200, "no-store", ""},
		{"redirect", "GET", "/static/../login", 307, "", ""},
		{"404", "GET", "/no/such/page", 404, "no-store", ""},
		{"405", "GET", "/logout", 405, "no-store", "POST"},
		{"404 to a post", "POST", "/no/such/page", 404, "no-store", ""},
		{"405 to a post", "POST", "/healthz", 405, "no-store", "GET, HEAD"},
		{"static", "GET", css[1], 200, "public, max-age=31536000, immutable", ""},
		{"static, old hash", "GET", "/static/0000000000000000/css/app.css", 404, "no-store", ""},
		{"healthz", "GET", "/healthz", 200, "no-store", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := b.do(req)
			if tc.status != 0 && r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			if csp := r.header.Values("Content-Security-Policy"); len(csp) != 1 ||
				!strings.Contains(csp[0], "frame-ancestors 'none'") || !strings.Contains(csp[0], "default-src 'none'") {
				t.Errorf("Content-Security-Policy = %q, want one policy with default-src and frame-ancestors 'none'", csp)
			}
			if xfo := r.header.Values("X-Frame-Options"); len(xfo) != 1 || xfo[0] != "DENY" {
				t.Errorf("X-Frame-Options = %q, want [DENY]", xfo)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-ID")
			}
			if tc.cache != "" && r.header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", r.header.Get("Cache-Control"), tc.cache)
			}
			if tc.status == 405 && r.header.Get("Allow") != tc.allow {
				t.Errorf("Allow = %q, want %s", r.header.Get("Allow"), tc.allow)
			}
		})
	}
}

// TestRefusedWritesNothing: a form post without the session's token, or
// from another origin, is a 403 page saying why and writes no user data.
// Without the token, the sign-up form comes back (TestExpiredForm).
func TestRefusedWritesNothing(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	form := url.Values{"username": {"mallory"}, "password": {goodPassword}}

	other := newBrowser(t, srv)
	other.get("/signup")
	lifted := tokenIn(other.get("/signup").body) // valid, but for another session

	for _, tc := range []struct {
		name   string
		token  string
		header map[string]string
		says   string
	}{
		{"no token", "", nil, "its form expired"},
		{"another session's token", lifted, nil, "its form expired"},
		{"cross-site", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "Changes can only be made from clickguard's own pages."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, srv)
			b.get("/signup")
			before := dataItems(t, env)
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if tc.token != "" {
				f.Set("csrf_token", tc.token)
			}
			req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/signup", strings.NewReader(f.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", srv.URL)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			r := b.do(req)
			if r.status != http.StatusForbidden {
				t.Errorf("status %d, want 403", r.status)
			}
			if !strings.Contains(html.UnescapeString(r.body), tc.says) {
				t.Errorf("the refusal does not say %q", tc.says)
			}
			if after := dataItems(t, env); after != before {
				t.Errorf("data table: %d records before, %d after", before, after)
			}
		})
	}
}

// TestUnprotected: the benchmark/control build has no guard layers at all.
func TestUnprotected(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{Unprotected: true})
	b := newBrowser(t, srv)
	r := b.get("/login")
	if r.status != 200 || r.header.Get("Content-Security-Policy") != "" || r.header.Get("X-Frame-Options") != "" {
		t.Errorf("GET /login: status %d, CSP %q, XFO %q; want 200 and no framing headers",
			r.status, r.header.Get("Content-Security-Policy"), r.header.Get("X-Frame-Options"))
	}
	// A cross-site post without a token goes through.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/signup",
		strings.NewReader(url.Values{"username": {"victim"}, "password": {goodPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if r := b.do(req); r.status != http.StatusSeeOther {
		t.Errorf("cross-site signup on the unprotected build: status %d, want 303", r.status)
	}
}

// TestDynamoDBUnavailable: when DynamoDB fails, pages are a 503 that says to
// try again (the sign-up form itself, with the username typed), /readyz
// says not ready, and /healthz still answers.
func TestDynamoDBUnavailable(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	srv := newServer(t, env, app.Config{})
	b := newBrowser(t, srv)
	b.get("/signup")
	tok := tokenIn(b.get("/signup").body)

	md := env.Backend.Minidyn
	md.EmulateFailureForTable(env.Tables.Data, server.FailureConditionInternalServerError)
	defer md.EmulateFailureForTable(env.Tables.Data, server.FailureConditionNone)

	r := b.postRaw("/signup", url.Values{"username": {"judy"}, "password": {goodPassword}, "csrf_token": {tok}})
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "send the form again in a moment") {
		t.Errorf("signup with DynamoDB failing: status %d, want 503 with advice", r.status)
	}
	if got, _, _ := field(t, r.body, "username"); got != "judy" {
		t.Errorf("signup with DynamoDB failing: the form holds username %q, want judy", got)
	}
	if strings.Contains(srv.logs.String(), "level=ERROR msg=\"request failed\"") {
		t.Error("an unavailable DynamoDB was logged as this process's error; want a warning")
	}
}

// TestReadyz: /readyz follows DynamoDB; /healthz does not.
func TestReadyz(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	up := newServer(t, env, app.Config{})
	if r := newBrowser(t, up).get("/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz with DynamoDB up: status %d, want 200", r.status)
	}

	// The same tables behind an endpoint that hangs up on every connection
	// (a fixed port where nothing should listen could be taken).
	down := env
	down.Client = storetest.Client(t, hangUp(t))
	down.Store = store.New(down.Client, env.Tables)
	srv := newServer(t, down, app.Config{})
	b := newBrowser(t, srv)
	if r := b.get("/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with DynamoDB down: status %d, want 503", r.status)
	}
	if r := b.get("/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz with DynamoDB down: status %d, want 200", r.status)
	}
	if r := b.get("/login"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/login with DynamoDB down: status %d, want 503", r.status)
	}
}

// TestReadyz_OnePingPerSecond: /readyz is public, and DescribeTable is a
// control-plane call with a far lower quota than reads: however many
// requests arrive, an instance asks DynamoDB at most once a second and
// answers the others from that check, so that anyone sending /readyz
// requests cannot use up the quota and fail every instance's health check.
func TestReadyz_OnePingPerSecond(t *testing.T) {
	t.Parallel()
	env, cc := countingEnv(t, newEnv(t))
	a, _ := newApp(t, env, app.Config{})
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	a.SetClock(func() time.Time { return now })
	srv := httptest.NewTLSServer(a.Handler())
	t.Cleanup(srv.Close)
	b := newBrowser(t, &testServer{Server: srv, env: env})
	pings := func() int {
		n := 0
		for _, op := range cc.reset() {
			if op == "DescribeTable" {
				n++
			}
		}
		return n
	}
	pings()
	for i := range 20 {
		if r := b.get("/readyz"); r.status != http.StatusOK {
			t.Fatalf("/readyz %d: status %d, want 200", i+1, r.status)
		}
	}
	if n := pings(); n != 1 {
		t.Errorf("20 requests within a second: %d DescribeTable calls, want 1", n)
	}
	now = now.Add(time.Second)
	b.get("/readyz")
	if n := pings(); n != 1 {
		t.Errorf("a request a second later: %d DescribeTable calls, want 1", n)
	}
}

// hangUp returns the URL of a loopback listener that closes every
// connection as soon as it accepts it.
func hangUp(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestAccessLog: one line per request with the request ID and pattern, and
// never a password, token or cookie.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	b := newBrowser(t, srv)
	r := b.signup("kim", goodPassword)
	token := b.cookie()
	newBrowser(t, srv).login("kim", "a wrong password here")
	logs := srv.logs.String()
	for _, secret := range []string{goodPassword, "a wrong password here", token, "csrf_token", "__Host-session"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
	id := r.header.Get("X-Request-Id")
	lines := 0
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, "msg=request ") && strings.Contains(line, "request_id="+id) {
			lines++
			if !strings.Contains(line, `pattern="POST /signup"`) || !strings.Contains(line, "status=303") {
				t.Errorf("access log line lacks pattern or status: %s", line)
			}
		}
	}
	if lines != 1 {
		t.Errorf("%d access-log lines for request %s, want 1", lines, id)
	}
}

// TestRefusalLogged: guard's Warn line for a refused request carries the
// request ID its 403 page shows.
func TestRefusalLogged(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	b := newBrowser(t, srv)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/signup", strings.NewReader("username=kim"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r := b.do(req)
	id := r.header.Get("X-Request-Id")
	if r.status != http.StatusForbidden || id == "" || !strings.Contains(r.body, id) {
		t.Fatalf("cross-site POST: status %d, request ID %q; want a 403 showing the ID", r.status, id)
	}
	for line := range strings.SplitSeq(srv.logs.String(), "\n") {
		if strings.Contains(line, `msg="request refused"`) && strings.Contains(line, "request_id="+id) && strings.Contains(line, "cross-origin") {
			return
		}
	}
	t.Errorf("no refusal line with request_id=%s:\n%s", id, srv.logs.String())
}

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     app.Config
		xff     string
		logAddr string
	}{
		{"no proxy: header ignored", app.Config{}, "203.0.113.9", "client_addr=127.0.0.1"},
		{"trusted proxy", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")}, "203.0.113.9", "client_addr=203.0.113.9"},
		{"proxy chain", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8", "10.0.0.0/8")}, "203.0.113.9, 10.1.2.3", "client_addr=203.0.113.9"},
		// Some proxies (Azure Application Gateway) append the client's port;
		// read as no address, it would make every client the proxy itself.
		{"proxy that adds the port", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")}, "203.0.113.9:4711", "client_addr=203.0.113.9\n"},
		{"IPv6 with port", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")}, "[2001:db8::7]:4711", "client_addr=2001:db8::7\n"},
		{"IPv6 in brackets", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")}, "[2001:db8::7]", "client_addr=2001:db8::7\n"},
		{"what the client sent, before its address", app.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")}, "forged, 203.0.113.9", "client_addr=203.0.113.9\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, newEnv(t), tc.cfg)
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/healthz", nil)
			req.Header.Set("X-Forwarded-For", tc.xff)
			newBrowser(t, srv).do(req)
			if !strings.Contains(srv.logs.String(), tc.logAddr) {
				t.Errorf("log lacks %q:\n%s", tc.logAddr, srv.logs.String())
			}
		})
	}
}

// TestLandingPageNeedsNoSession: a page without a form gives a visitor no
// session, so it costs no DynamoDB write; a page with a form does.
func TestLandingPageNeedsNoSession(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newEnv(t), app.Config{})
	for _, tc := range []struct {
		path   string
		cookie bool
	}{
		{"/", false},
		{"/login", true},
	} {
		r := newBrowser(t, srv).get(tc.path)
		if got := r.header.Get("Set-Cookie") != ""; got != tc.cookie {
			t.Errorf("GET %s sets a cookie: %v, want %v", tc.path, got, tc.cookie)
		}
	}
}
