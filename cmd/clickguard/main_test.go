package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/internal/ddblocal"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// runCmd runs clickguard with args and returns exit code, stdout, stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// clearEnv removes every CLICKGUARD_ and AWS_ setting the process has, and
// points the AWS SDK away from the user's files, so that tests see only
// what they set.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLICKGUARD_") && k != "CLICKGUARD_REQUIRE_ALL" && k != "CLICKGUARD_DYNALITE" || strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestMain(m *testing.M) { storetest.Main(m) }

func TestHelpGolden(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"help.golden", []string{"help"}},
		{"help-serve.golden", []string{"help", "serve"}},
		{"help-tables.golden", []string{"help", "tables"}},
		{"help-version.golden", []string{"help", "version"}},
		{"help-poc.golden", []string{"help", "poc"}},
		{"help-help.golden", []string{"help", "help"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("clickguard %s: exit %d, stderr %q; want 0 and nothing", strings.Join(tc.args, " "), code, stderr)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), stdout); diff != "" {
				t.Errorf("clickguard %s differs from %s (-want +got):\n%s", strings.Join(tc.args, " "), path, diff)
			}
		})
	}
}

// TestHelpFlag: -h prints the same help as "help CMD", on stdout, exit 0.
func TestHelpFlag(t *testing.T) {
	clearEnv(t)
	for _, name := range []string{"serve", "tables", "version", "poc"} {
		_, want, _ := runCmd(t, "help", name)
		code, got, stderr := runCmd(t, name, "-h")
		if code != exitOK || stderr != "" || got != want {
			t.Errorf("clickguard %s -h: exit %d, stderr %q, stdout equal to help: %v", name, code, stderr, got == want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no command", nil, "usage: clickguard <command>"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "-nope"}, "flag provided but not defined: -nope"},
		{"extra argument", []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"plain HTTP off loopback", []string{"serve", "-addr", "0.0.0.0:8080"}, "not a loopback address"},
		{"all interfaces", []string{"serve", "-addr", ":8080"}, "not a loopback address"},
		{"bad addr", []string{"serve", "-addr", "8080"}, "want host:port"},
		{"port out of range", []string{"serve", "-addr", "127.0.0.1:99999"}, `port "99999": want a number from 0 to 65535`},
		{"trusted origin with a path", []string{"serve", "-trusted-origin", "https://a.example/app"}, `-trusted-origin: invalid origin "https://a.example/app"`},
		{"cert without key", []string{"serve", "-tls-cert", "c.pem"}, "-tls-cert and -tls-key go together"},
		{"same-site", []string{"serve", "-same-site", "none"}, `-same-site "none": want lax or strict`},
		{"poc without URL", []string{"poc"}, "no URL given"},
		{"poc with two URLs", []string{"poc", "http://a.example/", "http://b.example/"}, "poc takes one URL, got 2"},
		{"poc of a script URL", []string{"poc", "javascript:alert(1)"}, "scheme must be http or https"},
		{"poc opacity", []string{"poc", "-opacity", "1.5", "http://a.example/"}, "opacity 1.5: want a value from 0 to 1"},
		{"poc decoy outside", []string{"poc", "-x", "1200", "http://a.example/"}, "decoy at 1200,40: want a point inside the 1000×700 frame"},
		{"poc -o and -serve", []string{"poc", "-o", "p.html", "-serve", "127.0.0.1:0", "http://a.example/"}, "-o and -serve exclude each other"},
		{"duration without unit", []string{"serve", "-session-idle", "30"}, "-session-idle: missing unit: write 30s for seconds"},
		{"idle longer than the lifetime", []string{"serve", "-session-idle", "24h"}, "-session-idle 24h0m0s is longer than -session-lifetime 12h0m0s"},
		{"not a duration", []string{"serve", "-deletion-grace", "soon"}, "-deletion-grace: not a duration such as 10s, 1m30s or 500ms"},
		{"log format", []string{"serve", "-log-format", "xml"}, "want text or json"},
		{"log level", []string{"serve", "-log-level", "loud"}, "-log-level"},
		{"proxy address", []string{"serve", "-behind-proxy", "not-an-ip"}, "not an address or CIDR prefix"},
		{"table prefix with a slash", []string{"serve", "-table-prefix", "app/"}, `-table-prefix "app/": DynamoDB table names take only letters, digits, '_', '-' and '.', not '/'`},
		{"table prefix with a letter DynamoDB refuses", []string{"tables", "check", "-table-prefix", "café-"}, `not 'é'`},
		{"empty table prefix", []string{"tables", "create", "-table-prefix", ""}, "-table-prefix must be 1 to 200 characters"},
		{"long table prefix", []string{"serve", "-table-prefix", strings.Repeat("p", 201)}, "-table-prefix must be 1 to 200 characters"},
		{"tables without action", []string{"tables"}, "say create or check"},
		{"tables bad action", []string{"tables", "drop"}, `unknown action "drop"`},
		{"help unknown", []string{"help", "nope"}, `unknown command "nope"`},
		{"version argument", []string{"version", "x"}, `unexpected argument "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.says) {
				t.Errorf("stderr does not say %q:\n%s", tc.says, stderr)
			}
			if len(tc.args) > 0 && tc.args[0] != "frobnicate" && !strings.Contains(stderr, "usage: clickguard") {
				t.Errorf("stderr lacks the usage:\n%s", stderr)
			}
		})
	}
}

// TestServeFlagsFromEnv: a flag takes CLICKGUARD_<NAME> when not given; the
// command line wins over the environment.
func TestServeFlagsFromEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("CLICKGUARD_ADDR", "127.0.0.1:9999")
	t.Setenv("CLICKGUARD_TABLE_PREFIX", "env-")
	t.Setenv("CLICKGUARD_SAME_SITE", "strict")
	t.Setenv("CLICKGUARD_TRUSTED_ORIGIN", "https://a.example, HTTPS://B.example:443/")
	t.Setenv("CLICKGUARD_SESSION_IDLE", "5m")
	t.Setenv("CLICKGUARD_EMBEDDED", "true")
	o, err := parseServe([]string{"-table-prefix", "flag-"}, io.Discard)
	if err != nil {
		t.Fatalf("parseServe: %v", err)
	}
	got := fmt.Sprint(o.addr, o.tablePrefix, o.sameSite, []string(o.trustedOrigins), o.sessionIdle, o.embedded)
	want := fmt.Sprint("127.0.0.1:9999", "flag-", "strict", []string{"https://a.example", "https://b.example"}, 5*time.Minute, true)
	if got != want {
		t.Errorf("options %s, want %s", got, want)
	}

	t.Setenv("CLICKGUARD_SESSION_IDLE", "soon")
	if _, err := parseServe(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "CLICKGUARD_SESSION_IDLE") {
		t.Errorf("bad CLICKGUARD_SESSION_IDLE: err = %v, want one naming the variable", err)
	}
}

func TestServeBehindProxyAllowsAnyAddress(t *testing.T) {
	clearEnv(t)
	o, err := parseServe([]string{"-addr", ":8080", "-behind-proxy", "10.0.0.0/8,192.0.2.7"}, io.Discard)
	if err != nil {
		t.Fatalf("parseServe: %v", err)
	}
	if got := (prefixList{&o.behindProxy}).String(); got != "10.0.0.0/8,192.0.2.7/32" {
		t.Errorf("behind-proxy = %q", got)
	}
	// IPv4-mapped forms stand for the IPv4 addresses they map, as peers
	// are compared.
	o, err = parseServe([]string{"-addr", ":8080", "-behind-proxy", "::ffff:10.0.0.0/104,::ffff:192.0.2.7,::ffff:198.51.100.9/128"}, io.Discard)
	if err != nil {
		t.Fatalf("parseServe: %v", err)
	}
	if got := (prefixList{&o.behindProxy}).String(); got != "10.0.0.0/8,192.0.2.7/32,198.51.100.9/32" {
		t.Errorf("behind-proxy with IPv4-mapped forms = %q", got)
	}
	if _, err := parseServe([]string{"-addr", ":8080", "-behind-proxy", "::ffff:0:0/80"}, io.Discard); err == nil || !strings.Contains(err.Error(), "must be /96 or longer") {
		t.Errorf("-behind-proxy ::ffff:0:0/80: %v, want an error", err)
	}
}

// lockedBuffer collects a running server's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRE = regexp.MustCompile(`listening on (https?://\S+)`)

// startServe runs "clickguard serve args..." until the test ends and returns
// the base URL it prints, its stdout and stderr, and a function that stops
// it and returns its exit code.
func startServe(t *testing.T, args ...string) (base string, stdout, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), stdout, stderr) }()
	stopped := false
	stop = func() int {
		if stopped {
			return -1
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop within 15s of cancel")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr, stop
		}
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("serve exited with %d before listening\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen within 20s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}
}

// TestServeEmbedded: with no DynamoDB configured, serve starts the embedded
// one, says so, logs the tables it creates there, serves, answers /readyz,
// and stops cleanly on cancel.
func TestServeEmbedded(t *testing.T) {
	clearEnv(t)
	base, stdout, stderr, stop := startServe(t, "-addr", "127.0.0.1:0")
	for _, want := range []string{"embedded in-memory server at http://127.0.0.1:", "lost when clickguard exits"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout does not say %q:\n%s", want, stdout.String())
		}
	}
	for _, table := range []string{"clickguard-data", "clickguard-sessions"} {
		if want := "msg=\"created table\" table=" + table + " dynamodb=\"embedded"; !strings.Contains(stderr.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, stderr.String())
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, resp.StatusCode)
		}
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exit code %d after shutdown, want 0", code)
	}
}

// TestServeAddrPort: the port of -addr is a number from 0 to 65535, not a
// service name (which net.LookupPort would take: "http" is 80). It is
// checked without starting serve, which a port taken would do.
func TestServeAddrPort(t *testing.T) {
	clearEnv(t)
	for _, port := range []string{"http", "ssh", "-1", "+80", "", "65536", "0x50"} {
		_, err := parseServe([]string{"-addr", "localhost:" + port}, io.Discard)
		if want := fmt.Sprintf("port %q: want a number from 0 to 65535", port); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-addr localhost:%s: %v, want an error saying %s", port, err, want)
		}
	}
	for _, port := range []string{"0", "8080", "65535"} {
		if _, err := parseServe([]string{"-addr", "localhost:" + port}, io.Discard); err != nil {
			t.Errorf("-addr localhost:%s: %v", port, err)
		}
	}
}

// TestServeEmbeddedFlag: -embedded uses the embedded server even when AWS
// is configured, and ignores that configuration, broken or not.
func TestServeEmbeddedFlag(t *testing.T) {
	for _, env := range [][2]string{
		{"AWS_REGION", "eu-west-1"},
		{"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1"},
		{"AWS_PROFILE", "no-such-profile"},
		{"AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			clearEnv(t)
			t.Setenv(env[0], env[1])
			base, stdout, _, stop := startServe(t, "-embedded", "-addr", "127.0.0.1:0", "-log-level", "error")
			if !strings.Contains(stdout.String(), "embedded in-memory server at http://127.0.0.1:") {
				t.Errorf("stdout does not name the embedded server:\n%s", stdout.String())
			}
			resp, err := http.Get(base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /readyz: status %d, want 200", resp.StatusCode)
			}
			if code := stop(); code != exitOK {
				t.Errorf("serve exit code %d after shutdown, want 0", code)
			}
		})
	}
}

// halfSignup starts a sign-up on the serve at base and leaves it in flight:
// the server has answered 100 Continue, so its handler is reading the body,
// of which half was sent. It returns the connection, its reader and the rest
// of the body.
func halfSignup(t *testing.T, base string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	// The sign-up page gives the session cookie and the form's token.
	resp, err := http.Get(base + "/signup")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := tokenRE.FindSubmatch(page)
	cookies := resp.Cookies()
	if m == nil || len(cookies) != 1 {
		t.Fatalf("GET /signup: %d cookies, token found %v", len(cookies), m != nil)
	}
	form := url.Values{"username": {"late"}, "password": {"a long enough password"}, "csrf_token": {string(m[1])}}.Encode()
	first, rest := form[:len(form)/2], form[len(form)/2:]

	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /signup HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\nSec-Fetch-Site: same-origin\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		host, cookies[0].Name, cookies[0].Value, len(form))
	br := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v, %v; want 100 Continue", resp, err)
	}
	io.WriteString(conn, first)
	return conn, br, rest
}

// TestServeShutdownGrace: a request still in flight when -shutdown-grace
// runs out is cut off, and serve exits with an error rather than 0.
func TestServeShutdownGrace(t *testing.T) {
	clearEnv(t)
	base, _, _, stop := startServe(t, "-addr", "127.0.0.1:0", "-log-level", "warn", "-shutdown-grace", "300ms")
	conn, br, _ := halfSignup(t, base)
	if code := stop(); code != exitFailure {
		t.Errorf("serve exit code %d with a request cut off, want %d", code, exitFailure)
	}
	// The rest of the body never came: the server closes the connection,
	// with no response, rather than leave it hanging.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	var ne net.Error
	switch {
	case err == nil:
		t.Errorf("the cut-off request got a response: %s", resp.Status)
	case errors.As(err, &ne) && ne.Timeout():
		t.Errorf("the connection of the cut-off request is still open 5s after serve returned")
	}
	conn.Close()

	// A connection that never sent a request is no request cut off: serve
	// closes it when the grace ends and exits 0.
	base, _, stderr, stop := startServe(t, "-addr", "127.0.0.1:0", "-log-level", "info", "-shutdown-grace", "300ms")
	idle, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	resp, err = http.Get(base + "/healthz") // the server has accepted it by now
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := stop(); code != exitOK {
		t.Errorf("serve exit code %d with only a connection that sent nothing open, want 0\n%s", code, stderr.String())
	}
	if want := "closed connections that had not sent a whole request"; !strings.Contains(stderr.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, stderr.String())
	}
	if _, err := parseServe([]string{"-shutdown-grace", "0s"}, io.Discard); err == nil {
		t.Error("-shutdown-grace 0s accepted")
	}
}

// TestServeFinishesDeletions: serve finishes an account deletion that was
// interrupted after its mark, once it is -deletion-grace old, in a round of
// -deletion-interval. With the defaults (10 minutes, 5 minutes) the
// deletion below would still be there when the test gives up.
func TestServeFinishesDeletions(t *testing.T) {
	clearEnv(t)
	client := localDynamoDB(t)
	tables := store.TablesWithPrefix("fin-")
	env := storetest.Env{Client: client, Tables: tables, Store: store.New(client, tables)}
	ctx := t.Context()
	if _, err := env.Store.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "x"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.CreateItem(ctx, "alice", "note", "text", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := env.CutOff("Query").Store.DeleteAccount(ctx, "alice", store.Actor{}); err == nil {
		t.Fatal("DeleteAccount with Query cut off succeeded")
	}
	if _, err := env.Store.GetUser(ctx, "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Fatalf("GetUser after the interrupted deletion: %v, want ErrAccountGone", err)
	}

	startServe(t, "-addr", "127.0.0.1:0", "-table-prefix", "fin-", "-log-level", "warn",
		"-deletion-interval", "100ms", "-deletion-grace", "1s")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := env.Store.GetUser(ctx, "alice")
		if errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAccountGone) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted deletion is not finished 30s after serve started: GetUser: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, args := range [][]string{{"-deletion-interval", "0s"}, {"-deletion-grace", "-1s"}} {
		if _, err := parseServe(args, io.Discard); err == nil {
			t.Errorf("%s %s accepted", args[0], args[1])
		}
	}
}

// TestServeGracefulShutdown: a request whose handler is running when serve
// is told to stop is answered in full, with DynamoDB still up behind it, and
// serve exits 0 afterwards. The request is a sign-up whose body arrives in
// two parts: the server's 100 Continue shows that the handler has started
// reading it, and the second part is sent only once the listener is closed
// (new connections are refused), so the sign-up spans the start of the
// shutdown. (net/http drops a request whose header is still incomplete
// then; that is its documented behaviour, not tested here.)
func TestServeGracefulShutdown(t *testing.T) {
	clearEnv(t)
	base, _, _, stop := startServe(t, "-addr", "127.0.0.1:0", "-log-level", "warn")
	host := strings.TrimPrefix(base, "http://")
	conn, br, rest := halfSignup(t, base)

	stopped := make(chan int, 1)
	go func() { stopped <- stop() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break // the listener is closed: the shutdown has begun
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 10s after the stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case code := <-stopped:
		t.Fatalf("serve exited (%d) with a request in flight", code)
	default:
	}

	if _, err := io.WriteString(conn, rest); err != nil {
		t.Fatalf("finishing the request: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/items" {
		t.Errorf("POST /signup during shutdown: status %d, Location %q; want 303 to /items\n%s",
			resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if !resp.Close {
		t.Error("the response during shutdown does not close the connection")
	}
	select {
	case code := <-stopped:
		if code != exitOK {
			t.Errorf("serve exit code %d after a graceful shutdown, want 0", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit after the last request was answered")
	}
}

// TestServeTLS: with -tls-cert and -tls-key, serve speaks HTTPS (here on
// loopback; with TLS any address is allowed) and sends HSTS.
func TestServeTLS(t *testing.T) {
	clearEnv(t)
	certFile, keyFile, pool := selfSigned(t)
	base, _, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-tls-cert", certFile, "-tls-key", keyFile, "-log-level", "warn")
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("serve listens on %s, want https://127.0.0.1:PORT", base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatalf("GET /login over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET /login: status %d, HSTS %q; want 200 and HSTS", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if _, err := parseServe([]string{"-addr", "0.0.0.0:8443", "-tls-cert", certFile, "-tls-key", keyFile}, io.Discard); err != nil {
		t.Errorf("TLS on all interfaces refused: %v", err)
	}
}

// TestServeTLSBadFiles: a key pair that cannot be loaded stops serve with
// one line naming the files, before it starts DynamoDB or says it listens.
func TestServeTLSBadFiles(t *testing.T) {
	clearEnv(t)
	certFile, keyFile, _ := selfSigned(t)
	otherCert, _, _ := selfSigned(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		name, cert, key, says string
	}{
		{"missing certificate", missing, keyFile, "no such file or directory"},
		{"missing key", certFile, missing, "no such file or directory"},
		{"key of another certificate", otherCert, keyFile, "private key does not match public key"},
		{"key as certificate", keyFile, keyFile, "PEM inputs may have been switched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "serve", "-addr", "127.0.0.1:0", "-tls-cert", tc.cert, "-tls-key", tc.key)
			if code != exitFailure {
				t.Errorf("exit code %d, want %d", code, exitFailure)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing (no DynamoDB started, nothing listening)", stdout)
			}
			if want := "clickguard: -tls-cert " + tc.cert + ", -tls-key " + tc.key + ": "; !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, tc.says) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q and saying %q", stderr, want, tc.says)
			}
		})
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// files and a pool trusting the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeUnreachable: a configured DynamoDB that does not answer stops
// serve with one line naming the endpoint and the cause.
func TestServeUnreachable(t *testing.T) {
	clearEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")

	for _, args := range [][]string{
		{"serve", "-addr", "127.0.0.1:0"},
		{"tables", "check"},
	} {
		code, _, stderr := runCmd(t, args...)
		if code != exitFailure {
			t.Errorf("%s: exit code %d, want %d", args[0], code, exitFailure)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 {
			t.Errorf("%s: stderr has %d lines, want 1:\n%s", args[0], len(lines), stderr)
		}
		for _, want := range []string{"clickguard: ", endpoint, "connection refused"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr does not say %q:\n%s", args[0], want, stderr)
			}
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%s: stderr has a stack trace:\n%s", args[0], stderr)
		}
	}
}

// localDynamoDB starts a private embedded server and points the SDK at it
// through the environment, as a user pointing at DynamoDB Local would.
func localDynamoDB(t *testing.T) *dynamodb.Client {
	t.Helper()
	srv, err := ddblocal.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	useEndpoint(t, srv.Endpoint())
	return storetest.Client(t, srv.Endpoint())
}

// useEndpoint points the SDK at a local DynamoDB through the environment,
// with a region, dummy credentials and no retries.
func useEndpoint(t *testing.T, endpoint string) {
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
}

// TestServeSchemaMismatch: a table with the right name and the wrong key
// schema stops serve (and tables check) with a message that says so.
func TestServeSchemaMismatch(t *testing.T) {
	clearEnv(t)
	db := localDynamoDB(t)
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("mismatch-data"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "-addr", "127.0.0.1:0", "-table-prefix", "mismatch-"},
		{"tables", "check", "-table-prefix", "mismatch-"},
		{"tables", "create", "-table-prefix", "mismatch-"},
	} {
		code, _, stderr := runCmd(t, args...)
		if code != exitFailure {
			t.Errorf("%s: exit code %d, want %d", args[0], code, exitFailure)
		}
		for _, want := range []string{`table "mismatch-data"`, "key schema", "pk S HASH, sk S RANGE"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr does not say %q:\n%s", args[0], want, stderr)
			}
		}
	}
	// Nothing was created beside a table that is not clickguard's.
	_, err = db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("mismatch-sessions")})
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok {
		t.Errorf("DescribeTable(mismatch-sessions) = %v, want not found: serve or tables create made it beside a foreign table", err)
	}
}

// withoutTransactions runs f on each backend without TransactWriteItems
// (dynalite), with the SDK pointed at it and a fresh table prefix; on the
// others it skips, saying which test covers them.
func withoutTransactions(t *testing.T, coveredBy string, f func(t *testing.T, b storetest.Backend, prefix string)) {
	clearEnv(t)
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		if b.Caps.Transactions {
			t.Skipf("%s implements transactions; %s", b.Name, coveredBy)
		}
		useEndpoint(t, b.Endpoint)
		f(t, b, fmt.Sprintf("notx%d-", time.Now().UnixNano()))
	})
}

// TestServeWithoutTransactions: on a DynamoDB without TransactWriteItems
// (dynalite), serve refuses to start with one line that says why, instead of
// failing on the first sign-up.
func TestServeWithoutTransactions(t *testing.T) {
	withoutTransactions(t, "TestServeEmbedded serves on it", func(t *testing.T, b storetest.Backend, prefix string) {
		code, _, stderr := runCmd(t, "serve", "-addr", "127.0.0.1:0", "-table-prefix", prefix, "-log-level", "warn")
		if code != exitFailure {
			t.Errorf("exit code %d, want %d", code, exitFailure)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(stderr, "does not implement TransactWriteItems") || !strings.Contains(stderr, b.Endpoint) {
			t.Errorf("stderr = %q, want one line naming %s and the missing TransactWriteItems", stderr, b.Endpoint)
		}
	})
}

// TestTablesWithoutTransactions: tables create and check need no
// transactions, only serve does, so they work on dynalite as on any
// DynamoDB; a missing table is answered with the command that creates it,
// not with serve's flag.
func TestTablesWithoutTransactions(t *testing.T) {
	withoutTransactions(t, "TestTables covers it", func(t *testing.T, b storetest.Backend, prefix string) {
		code, _, stderr := runCmd(t, "tables", "check", "-table-prefix", prefix)
		if code != exitFailure || !strings.Contains(stderr, `run "clickguard tables create"`) || strings.Contains(stderr, "-no-create-tables") {
			t.Errorf("tables check of missing tables: exit %d, stderr %q; want exit %d and only the tables create hint", code, stderr, exitFailure)
		}
		for _, action := range []string{"create", "check"} {
			code, stdout, stderr := runCmd(t, "tables", action, "-table-prefix", prefix)
			if code != exitOK || !strings.Contains(stdout, prefix+"data and "+prefix+"sessions") || stderr != "" {
				t.Errorf("tables %s on %s: exit %d, stdout %q, stderr %q; want exit 0 and the tables ok", action, b.Name, code, stdout, stderr)
			}
		}
	})
}

// TestTables: check fails on missing tables, create makes them and says
// so (twice is fine, and the second creates nothing), then check passes.
func TestTables(t *testing.T) {
	clearEnv(t)
	localDynamoDB(t)
	const created = "created table t-data\ncreated table t-sessions\n"
	steps := []struct {
		args []string
		code int
		out  string
		not  string // output that must not appear
	}{
		{[]string{"tables", "check", "-table-prefix", "t-"}, exitFailure, `run "clickguard tables create"`, "created"},
		{[]string{"tables", "create", "-table-prefix", "t-"}, exitOK, created + "tables t-data and t-sessions", ""},
		{[]string{"tables", "-table-prefix", "t-", "create"}, exitOK, ": ok", "created"},
		{[]string{"tables", "check", "-table-prefix", "t-"}, exitOK, ": ok", "created"},
	}
	for _, s := range steps {
		code, stdout, stderr := runCmd(t, s.args...)
		if code != s.code || !strings.Contains(stdout+stderr, s.out) || s.not != "" && strings.Contains(stdout+stderr, s.not) {
			t.Errorf("clickguard %s: exit %d, output %q; want exit %d and %q, without %q", strings.Join(s.args, " "), code, stdout+stderr, s.code, s.out, s.not)
		}
	}

	clearEnv(t)
	if code, _, stderr := runCmd(t, "tables", "check"); code != exitFailure || !strings.Contains(stderr, "no DynamoDB configured") {
		t.Errorf("tables check without DynamoDB: exit %d, stderr %q", code, stderr)
	}
}

// TestTables_localWithoutCredentials: a DynamoDB on the local machine
// needs no AWS credentials. With none configured, tables and serve send it
// dummy ones, and never ask the EC2 instance metadata service for a role
// (here a loopback server that counts what it is asked).
func TestTables_localWithoutCredentials(t *testing.T) {
	clearEnv(t)
	localDynamoDB(t)
	local := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_EC2_METADATA_DISABLED")
	var asked atomic.Int32
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "no role here", http.StatusNotFound)
	}))
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	code, stdout, stderr := runCmd(t, "tables", "create", "-table-prefix", "nocreds-")
	if code != exitOK || !strings.Contains(stdout, "created table nocreds-data") || !strings.Contains(stdout, "with dummy credentials, as no AWS credentials are configured") {
		t.Errorf("tables create without credentials: exit %d, stdout %q, stderr %q; want the tables created with dummy credentials", code, stdout, stderr)
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the instance metadata service was asked %d times", n)
	}

	// An endpoint that is no http or https URL is refused, saying how to
	// write it.
	for endpoint, says := range map[string]string{
		"localhost:8000":        `"localhost:8000" (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL or the AWS configuration file) is not an http or https URL: write it as "http://localhost:8000"`,
		"127.0.0.1":             `write it as "http://127.0.0.1"`,
		"ftp://127.0.0.1:8000/": `"ftp://127.0.0.1:8000/" (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL or the AWS configuration file) is not an http or https URL`,
	} {
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
		if code, _, stderr := runCmd(t, "tables", "check"); code != exitFailure || !strings.Contains(stderr, says) {
			t.Errorf("tables check with endpoint %q: exit %d, stderr %q; want exit %d saying %q", endpoint, code, stderr, exitFailure, says)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the instance metadata service was asked %d times", n)
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", local)

	// A local server takes requests for no region, and the description
	// says there is none.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	code, stdout, stderr = runCmd(t, "tables", "check", "-table-prefix", "nocreds-")
	if want := local + " (no region configured), with dummy credentials"; code != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("tables check without a region: exit %d, stdout %q, stderr %q; want exit 0 saying %q", code, stdout, stderr, want)
	}

	// Credentials that are configured are used, and not called dummy.
	t.Setenv("AWS_ACCESS_KEY_ID", "mine")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "mine")
	code, stdout, stderr = runCmd(t, "tables", "check", "-table-prefix", "nocreds-")
	if code != exitOK || strings.Contains(stdout, "dummy") {
		t.Errorf("tables check with credentials: exit %d, stdout %q, stderr %q; want exit 0, and no dummy credentials", code, stdout, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "clickguard ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: exit %d, stdout %q", code, stdout)
	}
}

// TestVersionOf: the version shows a release or the commit once, and says
// when the tree was modified.
func TestVersionOf(t *testing.T) {
	const rev = "fa625728223c0123456789abcdef0123456789ab"
	build := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/clickguard/clickguard", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "devel unknown"},
		{build("(devel)"), "devel go1.26.8"},
		{build("(devel)", "vcs.revision", rev), "devel (commit fa625728223c) go1.26.8"},
		{build("v1.2.0"), "v1.2.0 go1.26.8"},
		{build("v0.0.0-20261205175531-fa625728223c", "vcs.revision", rev, "vcs.modified", "false"), "v0.0.0-20261205175531-fa625728223c go1.26.8"},
		{build("v0.0.0-20261205175531-fa625728223c+dirty", "vcs.revision", rev, "vcs.modified", "true"), "v0.0.0-20261205175531-fa625728223c+dirty go1.26.8"},
		{build("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "devel (commit fa625728223c)+dirty go1.26.8"},
	} {
		if v, g := versionOf(tc.bi); v+" "+g != tc.want {
			t.Errorf("versionOf(%+v) = %q, want %q", tc.bi, v+" "+g, tc.want)
		}
	}
}

// TestExitCodes: an error can carry its own exit code (the scanner uses 1
// and 3), and a nil message prints nothing.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, exitOK, ""},
		{flag.ErrHelp, exitOK, ""},
		{fmt.Errorf("boom"), exitFailure, "clickguard: boom\n"},
		{withExitCode(3, fmt.Errorf("site unreachable")), 3, "clickguard: site unreachable\n"},
		{withExitCode(1, nil), 1, ""},
		{fmt.Errorf("wrapped: %w", withExitCode(3, nil)), 3, ""},
	} {
		var stderr bytes.Buffer
		if code := report(tc.err, &stderr); code != tc.code || stderr.String() != tc.stderr {
			t.Errorf("report(%v) = %d, stderr %q; want %d, %q", tc.err, code, stderr.String(), tc.code, tc.stderr)
		}
	}
}

// TestServeNoCreateTables: with -no-create-tables, missing tables stop serve
// with a message saying how to create them.
func TestServeNoCreateTables(t *testing.T) {
	clearEnv(t)
	localDynamoDB(t)
	code, _, stderr := runCmd(t, "serve", "-addr", "127.0.0.1:0", "-no-create-tables", "-table-prefix", "absent-")
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	for _, want := range []string{`"absent-data"`, "missing", `clickguard tables create`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
}
