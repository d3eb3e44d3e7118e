// Package storetest gives tests fresh DynamoDB tables on every backend the
// machine has: the embedded minidyn server (always) and dynalite (when Node
// and the npm package are installed, as in CI).
//
// Each call of [Backend.Env], [Backend.Store] or [Embedded] creates tables
// under a unique prefix and drops them in t.Cleanup, so tests may run in
// parallel. One embedded server serves the whole test binary; one dynalite
// process too, started on first use and stopped by [Main] — and in any case
// when the test binary exits, because the process ends when its standard
// input closes.
//
// A test that needs a capability some backend lacks calls [Backend.Require],
// which skips on that backend only and names the gap.
//
// When dynalite is missing, its subtests are skipped with the reason; with
// CLICKGUARD_REQUIRE_ALL=1 in the environment they fail instead.
package storetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/truora/minidyn/server"

	"github.com/clickguard/clickguard/internal/ddblocal"
	"github.com/clickguard/clickguard/internal/store"
)

// Capability is a DynamoDB behaviour that not every local backend has.
type Capability int

// The capabilities tests can require.
const (
	// Transactions: TransactWriteItems and TransactGetItems (dynalite has neither).
	Transactions Capability = iota
	// TopLevelRemove: UpdateItem "REMOVE attr" works (minidyn silently ignores it).
	TopLevelRemove
	// OneMBPages: Query and Scan stop at 1 MB and return LastEvaluatedKey
	// (minidyn returns one page of any size).
	OneMBPages
	// TTL: UpdateTimeToLive is implemented (neither minidyn nor dynalite).
	TTL
)

func (c Capability) String() string {
	switch c {
	case Transactions:
		return "TransactWriteItems"
	case TopLevelRemove:
		return "top-level REMOVE in UpdateItem"
	case OneMBPages:
		return "1 MB Query pages"
	case TTL:
		return "UpdateTimeToLive"
	}
	return fmt.Sprintf("Capability(%d)", int(c))
}

// Capabilities says which capabilities a backend has.
type Capabilities struct {
	Transactions   bool
	TopLevelRemove bool
	OneMBPages     bool
	TTL            bool
}

// Has reports whether caps include c.
func (caps Capabilities) Has(c Capability) bool {
	switch c {
	case Transactions:
		return caps.Transactions
	case TopLevelRemove:
		return caps.TopLevelRemove
	case OneMBPages:
		return caps.OneMBPages
	case TTL:
		return caps.TTL
	}
	return false
}

// Backend is one DynamoDB implementation tests can run against.
type Backend struct {
	// Name is "minidyn" or "dynalite"; subtests are named after it.
	Name string
	// Endpoint is the backend's base URL; empty when Unavailable is set.
	Endpoint string
	// Caps lists what the backend implements.
	Caps Capabilities
	// Minidyn is the embedded server, for failure emulation; nil on other
	// backends.
	Minidyn *server.Server
	// Unavailable, when not empty, says why the backend cannot be used on
	// this machine; Run skips (or, with CLICKGUARD_REQUIRE_ALL=1, fails)
	// its subtest with that reason.
	Unavailable string
}

// Require skips the test on b when b lacks any of caps, naming the gap.
func (b Backend) Require(t testing.TB, caps ...Capability) {
	t.Helper()
	var missing []string
	for _, c := range caps {
		if !b.Caps.Has(c) {
			missing = append(missing, c.String())
		}
	}
	if len(missing) > 0 {
		t.Skipf("%s does not implement %s", b.Name, strings.Join(missing, ", "))
	}
}

// Env is a fresh pair of tables on a backend.
type Env struct {
	Backend Backend
	Client  *dynamodb.Client
	Tables  store.Tables
	Store   *store.Store
}

// Env creates fresh tables on b (CreateTables) under a unique prefix and
// deletes them when the test ends.
func (b Backend) Env(t testing.TB) Env {
	t.Helper()
	if b.Unavailable != "" {
		t.Fatalf("storetest: backend %s is unavailable: %s", b.Name, b.Unavailable)
	}
	c := Client(t, b.Endpoint)
	tables := store.TablesWithPrefix(uniquePrefix())
	s := store.New(c, tables)
	created, err := s.CreateTables(t.Context())
	if err != nil {
		t.Fatalf("storetest: create tables on %s: %v", b.Name, err)
	}
	if want := []string{tables.Data, tables.Sessions}; !slices.Equal(created, want) {
		t.Fatalf("storetest: CreateTables on %s says it created %q, want %q", b.Name, created, want)
	}
	t.Cleanup(func() {
		// t.Context() is canceled by now; cleanup gets its own deadline.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
		defer cancel()
		if err := s.DeleteTables(ctx); err != nil {
			t.Errorf("storetest: drop tables on %s: %v", b.Name, err)
		}
	})
	return Env{Backend: b, Client: c, Tables: tables, Store: s}
}

// Intercepted returns e with its client and store replaced by ones that call
// before with the name of each DynamoDB operation ("TransactWriteItems")
// before sending it; an error from before fails that call instead. Tests use
// it to count calls, hold them at a barrier or cut one off.
func (e Env) Intercepted(before func(op string) error) Env {
	return e.InterceptedInput(func(op string, _ any) error { return before(op) })
}

// InterceptedInput is Intercepted with the operation's input too (such as a
// *dynamodb.TransactWriteItemsInput), for tests that look at what is sent.
func (e Env) InterceptedInput(before func(op string, in any) error) Env {
	mw := middleware.InitializeMiddlewareFunc("Intercept", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		if err := before(middleware.GetOperationName(ctx), in.Parameters); err != nil {
			return middleware.InitializeOutput{}, middleware.Metadata{}, err
		}
		return next.HandleInitialize(ctx, in)
	})
	e.Client = dynamodb.New(e.Client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.Before) })
	})
	e.Store = store.New(e.Client, e.Tables)
	return e
}

// TransactionSizes returns e with its client and store replaced by ones
// that append the number of operations of each TransactWriteItems call to
// *sizes, for tests of DynamoDB's limit of 100 operations a transaction.
func (e Env) TransactionSizes(sizes *[]int) Env {
	var mu sync.Mutex
	return e.InterceptedInput(func(_ string, in any) error {
		if tx, ok := in.(*dynamodb.TransactWriteItemsInput); ok {
			mu.Lock()
			*sizes = append(*sizes, len(tx.TransactItems))
			mu.Unlock()
		}
		return nil
	})
}

// CutOff returns e with every call of operation op failing, as if the
// connection to DynamoDB were lost just then.
func (e Env) CutOff(op string) Env {
	return e.Intercepted(func(o string) error {
		if o == op {
			return fmt.Errorf("storetest: %s cut off", op)
		}
		return nil
	})
}

// InterruptDelete removes the record of owner's item id and nothing else,
// leaving its share records and its grantees' entries behind, as a delete
// cut off after its first write would; tests use it to make the leftovers
// the store must cope with.
func (e Env) InterruptDelete(t testing.TB, owner, id string) {
	t.Helper()
	_, err := e.Client.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{
		TableName: aws.String(e.Tables.Data),
		Key:       ItemKey(owner, id),
	})
	if err != nil {
		t.Fatalf("storetest: delete the record of %s's item %s: %v", owner, id, err)
	}
}

// ItemKey is the primary key of the record of owner's item id in the data
// table, for tests that write past the store.
func ItemKey(owner, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "USER#" + owner},
		"sk": &types.AttributeValueMemberS{Value: "ITEM#" + id},
	}
}

// Store is b.Env(t).Store.
func (b Backend) Store(t testing.TB) *store.Store {
	t.Helper()
	return b.Env(t).Store
}

var prefixSeq atomic.Int64

func uniquePrefix() string {
	var r [4]byte
	_, _ = rand.Read(r[:]) // never fails
	return fmt.Sprintf("t%d-%s-", prefixSeq.Add(1), hex.EncodeToString(r[:]))
}

// Client returns an SDK client for a local endpoint: dummy credentials,
// region us-east-1, checksum validation off, and quick to give up (2
// attempts, short backoff, no retry quota) so that failure tests finish fast
// and parallel tests do not drain a shared quota.
func Client(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.MaxBackoff = 20 * time.Millisecond
			o.RateLimiter = ratelimit.None
		}),
	}, ddblocal.ClientOptions(endpoint))
}

// The embedded server is shared by the whole test binary; it lives in this
// process and goes with it.
var (
	embeddedOnce sync.Once
	embedded     *ddblocal.Server
	embeddedErr  error
)

// EmbeddedBackend returns the per-process embedded minidyn server, started
// on first use.
func EmbeddedBackend(t testing.TB) Backend {
	t.Helper()
	embeddedOnce.Do(func() {
		embedded, embeddedErr = ddblocal.Start(context.WithoutCancel(t.Context()))
	})
	if embeddedErr != nil {
		t.Fatalf("storetest: start embedded server: %v", embeddedErr)
	}
	return Backend{
		Name:     "minidyn",
		Endpoint: embedded.Endpoint(),
		Caps:     Capabilities{Transactions: true},
		Minidyn:  embedded.Minidyn(),
	}
}

// Embedded returns a Store on fresh, uniquely prefixed tables of the
// per-process embedded server, dropped in t.Cleanup.
func Embedded(t testing.TB) *store.Store {
	t.Helper()
	return EmbeddedBackend(t).Store(t)
}

// Backends returns every backend: minidyn always, dynalite with Unavailable
// set when it cannot run here.
func Backends(t testing.TB) []Backend {
	t.Helper()
	return []Backend{EmbeddedBackend(t), dynaliteBackend(t)}
}

// Run runs fn as a parallel subtest named after each backend. A backend that
// is unavailable is skipped with the reason, or fails the subtest when
// CLICKGUARD_REQUIRE_ALL=1.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			if b.Unavailable != "" {
				if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
					t.Fatalf("%s is required (CLICKGUARD_REQUIRE_ALL=1) but unavailable: %s", b.Name, b.Unavailable)
				}
				t.Skipf("%s unavailable: %s", b.Name, b.Unavailable)
			}
			fn(t, b)
		})
	}
}

// Main runs the tests of a package and then stops the dynalite process if
// one was started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if err := stopDynalite(); err != nil {
		fmt.Fprintf(os.Stderr, "storetest: %v\n", err)
	}
	os.Exit(code)
}

// dyn is the one dynalite process of this test binary.
var dyn struct {
	once    sync.Once
	proc    *dynaliteProc
	missing string // why it cannot run here
	err     error  // why it failed to start although installed
}

// dynaliteProc is a running dynalite process.
type dynaliteProc struct {
	cmd      *exec.Cmd
	stdin    io.Closer
	endpoint string
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // set before exited is closed
}

// dynaliteScript runs dynalite's server (index.js beside cli.js, the
// package's documented API) on a free loopback port, prints the port, and
// exits as soon as its standard input closes — that is, when the test binary
// exits, however it exits.
const dynaliteScript = `
const path = require('path');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
const dynalite = require(path.join(path.dirname(process.argv[1]), 'index.js'));
const srv = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
srv.listen(0, '127.0.0.1', () => console.log('PORT ' + srv.address().port));
`

// dynaliteCLI finds dynalite's cli.js: $CLICKGUARD_DYNALITE, else
// node_modules/dynalite/cli.js at the module root.
func dynaliteCLI() (string, error) {
	if p := os.Getenv("CLICKGUARD_DYNALITE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CLICKGUARD_DYNALITE=%s: %w", p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "node_modules", "dynalite", "cli.js")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%s not found (npm install dynalite@4.0.0 at the module root, or set CLICKGUARD_DYNALITE)", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root (go.mod) not found")
		}
		dir = parent
	}
}

func dynaliteBackend(t testing.TB) Backend {
	t.Helper()
	dyn.once.Do(func() {
		cli, node, missing := findDynalite()
		if missing != "" {
			dyn.missing = missing
			return
		}
		dyn.proc, dyn.err = launchDynalite(cli, node)
	})
	b := Backend{Name: "dynalite", Caps: Capabilities{TopLevelRemove: true, OneMBPages: true}}
	switch {
	case dyn.missing != "":
		b.Unavailable = dyn.missing
	case dyn.err != nil:
		t.Fatalf("storetest: %v", dyn.err)
	default:
		b.Endpoint = dyn.proc.endpoint
	}
	return b
}

// findDynalite returns dynalite's cli.js and node, or why they are missing.
func findDynalite() (cli, node, missing string) {
	cli, err := dynaliteCLI()
	if err != nil {
		return "", "", err.Error()
	}
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", "node not found in PATH"
	}
	return cli, node, ""
}

// launchDynalite starts a dynalite process and waits until it listens.
func launchDynalite(cli, node string) (*dynaliteProc, error) {
	cmd := exec.Command(node, "-e", dynaliteScript, cli)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	p := &dynaliteProc{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
				port <- n
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	select {
	case n := <-port:
		p.endpoint = "http://127.0.0.1:" + n
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("dynalite exited at start: %v: %s", p.waitErr, strings.TrimSpace(stderr.String()))
	case <-time.After(20 * time.Second):
		_ = p.stop()
		return nil, fmt.Errorf("dynalite did not start within 20s: %s", strings.TrimSpace(stderr.String()))
	}
}

// stop ends the process and waits for it.
func (p *dynaliteProc) stop() error {
	_ = p.stdin.Close() // enough on its own; Kill in case node is stuck
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	if ee, ok := errors.AsType[*exec.ExitError](p.waitErr); ok && !ee.Exited() {
		return nil // killed, as intended
	}
	if p.waitErr != nil {
		return fmt.Errorf("stop dynalite: %w", p.waitErr)
	}
	return nil
}

// stopDynalite ends the shared dynalite process, if one was started.
func stopDynalite() error {
	if dyn.proc == nil {
		return nil
	}
	err := dyn.proc.stop()
	dyn.proc = nil
	return err
}

// syncBuffer is a bytes.Buffer safe for the process's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
