package app_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// cheap argon2id parameters: the tests check the flow, not the cost.
var cheapPassword = app.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// testServer is one app instance behind an httptest TLS server (Go's cookie
// jar keeps Secure cookies away from plain http, like a browser would).
type testServer struct {
	*httptest.Server
	env  storetest.Env
	logs *syncBuffer
}

// newEnv returns fresh tables on the embedded DynamoDB.
func newEnv(t *testing.T) storetest.Env {
	t.Helper()
	return storetest.EmbeddedBackend(t).Env(t)
}

// newServer starts an app on env with cfg (cheap password hashing unless
// cfg sets its own).
func newServer(t *testing.T, env storetest.Env, cfg app.Config) *testServer {
	t.Helper()
	a, logs := newApp(t, env, cfg)
	srv := httptest.NewTLSServer(a.Handler())
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, env: env, logs: logs}
}

// newApp returns an app on env's tables, with cheap password hashing unless
// cfg sets its own, whose logs go to the returned buffer.
func newApp(t *testing.T, env storetest.Env, cfg app.Config) (*app.App, *syncBuffer) {
	t.Helper()
	if cfg.Password == (app.PasswordParams{}) {
		cfg.Password = cheapPassword
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), logger)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	return a, logs
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// browser is a client with a cookie jar that does not follow redirects and
// sends what a browser sends with a same-origin form.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, srv *testServer) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *srv.Client() // a copy: its transport trusts the test certificate; the jar is this browser's own
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, c: &c, base: srv.URL}
}

// response is what the tests look at.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// get loads path as a browser does when the user types its address.
func (b *browser) get(path string) response {
	b.t.Helper()
	return b.navigate(http.MethodGet, path, "none")
}

// navigate sends a top-level navigation request with Sec-Fetch-Site site, or
// without Fetch Metadata if site is "".
func (b *browser) navigate(method, path, site string) response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		req.Header.Set("Sec-Fetch-Dest", "document")
	}
	return b.do(req)
}

// postRaw posts form as a same-origin browser form would, without adding a
// token.
func (b *browser) postRaw(path string, form url.Values) response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	return b.do(req)
}

// submit loads the page at formPage, takes the token from its form, and
// posts form to action with it, as a person filling in the form would.
func (b *browser) submit(formPage, action string, form url.Values) response {
	b.t.Helper()
	page := b.get(formPage)
	tok := tokenIn(page.body)
	if tok == "" {
		b.t.Fatalf("GET %s: no csrf_token in the page (status %d)", formPage, page.status)
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", tok)
	return b.postRaw(action, f)
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

func tokenIn(body string) string {
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// cookie returns the value of the session cookie in the jar ("" if none).
func (b *browser) cookie() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__Host-session" {
			return c.Value
		}
	}
	return ""
}

// setCookie replaces the session cookie in the jar.
func (b *browser) setCookie(value string) {
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-session", Value: value, Path: "/", Secure: true, HttpOnly: true}})
}

// loggedInAs reports who the app thinks the browser is: GET / redirects a
// logged-in user to /items, and every page names the user in its header.
func (b *browser) loggedIn() bool {
	b.t.Helper()
	r := b.get("/login")
	return r.status == http.StatusSeeOther
}

func (b *browser) signup(username, password string) response {
	b.t.Helper()
	return b.submit("/signup", "/signup", url.Values{"username": {username}, "password": {password}})
}

func (b *browser) login(username, password string) response {
	b.t.Helper()
	return b.submit("/login", "/login", url.Values{"username": {username}, "password": {password}})
}

func (b *browser) logout() response {
	b.t.Helper()
	// The header of every logged-in page carries the log-out form.
	return b.submit("/no-such-page", "/logout", nil) // a 404 page has the header too
}

// dataItems returns the number of records in the data table: user data that
// a refused or invalid request must not change.
func dataItems(t *testing.T, env storetest.Env) int {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	n := 0
	p := dynamodb.NewScanPaginator(env.Client, &dynamodb.ScanInput{TableName: aws.String(env.Tables.Data), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("scan %s: %v", env.Tables.Data, err)
		}
		n += len(out.Items)
	}
	return n
}

func mustPrefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var ps []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}
