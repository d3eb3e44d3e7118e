package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/ddblocal"
	"github.com/clickguard/clickguard/internal/store"
)

const serveLong = `Serve runs the web application.

DynamoDB is configured the AWS SDK's standard way: AWS_REGION, AWS_PROFILE,
the credential chain, AWS_ENDPOINT_URL_DYNAMODB (for DynamoDB Local or
dynalite), AWS_MAX_ATTEMPTS. With no endpoint and no region configured, serve
starts an embedded DynamoDB-compatible server in memory on a loopback port and
uses it through the same client: all data is lost when serve exits.

Missing tables are created at start (see "clickguard tables"); a table with
another key schema stops serve with an error.

Plain HTTP is served only on a loopback address. Anywhere else give -tls-cert
and -tls-key, or -behind-proxy with the proxies' addresses when TLS ends at a
reverse proxy in front. The session cookie is always Secure: browsers send it
over plain HTTP only to localhost.

SIGINT or SIGTERM stops serve gracefully: requests in flight get up to
-shutdown-grace (10 seconds by default) to finish; a longer one, such as a
large export, is cut off then, and serve exits 1. A connection that has not
sent a whole request is closed then too, without making serve exit 1.

In the background, serve finishes account deletions that were interrupted
(by a crash or a DynamoDB failure) and started more than -deletion-grace
(10 minutes by default) ago: at start and every -deletion-interval (5
minutes by default), logging each. Several instances may do so at once.`

// serveOptions are the parsed flags of "clickguard serve".
type serveOptions struct {
	addr            string
	tablePrefix     string
	noCreateTables  bool
	embedded        bool
	tlsCert         string
	tlsKey          string
	behindProxy     []netip.Prefix
	trustedOrigins  stringList
	sameSite        string
	sessionIdle     time.Duration
	sessionLifetime time.Duration
	shutdownGrace   time.Duration
	deletionEvery   time.Duration
	deletionGrace   time.Duration
	logLevel        slog.Level
	logFormat       string
}

// prefixList is a flag holding comma-separated addresses or CIDR prefixes.
type prefixList struct{ p *[]netip.Prefix }

func (l prefixList) String() string {
	if l.p == nil {
		return ""
	}
	s := make([]string, len(*l.p))
	for i, p := range *l.p {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (l prefixList) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return fmt.Errorf("not an address or CIDR prefix: %q", item)
			}
			// Peers are compared unmapped (::ffff:10.0.0.5 is 10.0.0.5),
			// as a lone address here is: an IPv4-mapped prefix is the IPv4
			// prefix it maps.
			if a := p.Addr(); a.Is4In6() {
				if p.Bits() < 96 {
					return fmt.Errorf("%q: an IPv4-mapped prefix must be /96 or longer; write the IPv4 prefix it stands for", item)
				}
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			*l.p = append(*l.p, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return fmt.Errorf("not an address or CIDR prefix: %q", item)
		}
		a = a.Unmap()
		*l.p = append(*l.p, netip.PrefixFrom(a, a.BitLen()))
	}
	return nil
}

// logLevelFlag parses debug, info, warn, error.
type logLevelFlag struct{ l *slog.Level }

func (f logLevelFlag) String() string {
	if f.l == nil {
		return "info"
	}
	return strings.ToLower(f.l.String())
}
func (f logLevelFlag) Set(v string) error { return f.l.UnmarshalText([]byte(v)) }

func serveFlags(o *serveOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "localhost:8080", "listen on `host:port`")
	fs.StringVar(&o.tablePrefix, "table-prefix", "clickguard-", "DynamoDB table name `prefix`: tables are <prefix>data and <prefix>sessions")
	fs.BoolVar(&o.noCreateTables, "no-create-tables", false, "do not create missing tables at start; fail instead")
	fs.BoolVar(&o.embedded, "embedded", false, "use the embedded in-memory DynamoDB even if AWS is configured")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with the certificate chain in `file` (PEM); needs -tls-key")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key `file` (PEM) for -tls-cert")
	fs.Var(prefixList{&o.behindProxy}, "behind-proxy", "TLS ends at a reverse proxy at these comma-separated `addresses` or CIDR\nprefixes: plain HTTP is allowed on any address and their X-Forwarded-For\nand X-Forwarded-Proto headers are believed")
	fs.Var(&o.trustedOrigins, "trusted-origin", "also accept form posts from `origin` (scheme://host[:port]); repeatable,\ncomma-separated in the environment")
	fs.StringVar(&o.sameSite, "same-site", "lax", "SameSite `mode` of the session cookie: lax or strict")
	durationVar(fs, &o.sessionIdle, "session-idle", time.Hour, "end a session after this `duration` without a request (at most -session-lifetime)")
	durationVar(fs, &o.sessionLifetime, "session-lifetime", 12*time.Hour, "end a session this `duration` after login")
	durationVar(fs, &o.shutdownGrace, "shutdown-grace", 10*time.Second, "on SIGINT or SIGTERM, give requests in flight this `duration` to finish")
	durationVar(fs, &o.deletionEvery, "deletion-interval", 5*time.Minute, "look for interrupted account deletions every `duration`")
	durationVar(fs, &o.deletionGrace, "deletion-grace", 10*time.Minute, "finish an interrupted account deletion once it started this `duration` ago")
	o.logLevel = slog.LevelInfo
	fs.Var(logLevelFlag{&o.logLevel}, "log-level", "log `level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	return fs
}

// parseServe parses and validates the flags of "clickguard serve".
func parseServe(args []string, stdout io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := serveFlags(&o)
	if err := parseFlags(fs, "serve", args, stdout); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, usagef("serve", fs, "unexpected argument %q", fs.Arg(0))
	}
	host, port, err := net.SplitHostPort(o.addr)
	if err != nil {
		return o, usagef("serve", fs, "-addr %q: want host:port", o.addr)
	}
	// A number, not a service name from /etc/services (net.LookupPort
	// would take "http").
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return o, usagef("serve", fs, "-addr %q: port %q: want a number from 0 to 65535", o.addr, port)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, usagef("serve", fs, "-tls-cert and -tls-key go together")
	}
	if o.tlsCert == "" && len(o.behindProxy) == 0 && !isLoopback(host) {
		return o, usagef("serve", fs, "-addr %q is not a loopback address: plain HTTP is only served on loopback;\ngive -tls-cert and -tls-key, or -behind-proxy ADDRESSES when TLS ends at a proxy", o.addr)
	}
	for i, origin := range o.trustedOrigins {
		// An origin copied from the address bar ends in the path "/", which
		// names the same origin (as in the embed allowlist); any other path
		// does not.
		n, err := guard.ParseOrigin(strings.TrimSuffix(origin, "/"))
		if err != nil {
			return o, usagef("serve", fs, "-trusted-origin: %v", err)
		}
		o.trustedOrigins[i] = n
	}
	if o.sameSite != "lax" && o.sameSite != "strict" {
		return o, usagef("serve", fs, "-same-site %q: want lax or strict", o.sameSite)
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, usagef("serve", fs, "-log-format %q: want text or json", o.logFormat)
	}
	if o.sessionIdle <= 0 || o.sessionLifetime <= 0 {
		return o, usagef("serve", fs, "-session-idle and -session-lifetime must be positive")
	}
	if o.sessionIdle > o.sessionLifetime {
		// The lifetime would end every session before it could be idle
		// that long: the idle timeout asked for would never apply.
		return o, usagef("serve", fs, "-session-idle %v is longer than -session-lifetime %v, which ends every session first: make -session-lifetime at least as long (with the same duration, sessions end only at their lifetime)", o.sessionIdle, o.sessionLifetime)
	}
	if o.shutdownGrace <= 0 {
		return o, usagef("serve", fs, "-shutdown-grace must be positive")
	}
	if o.deletionEvery <= 0 || o.deletionGrace <= 0 {
		return o, usagef("serve", fs, "-deletion-interval and -deletion-grace must be positive")
	}
	if msg := checkTablePrefix(o.tablePrefix); msg != "" {
		return o, usagef("serve", fs, "%s", msg)
	}
	return o, nil
}

// isLoopback reports whether host names only loopback addresses: "localhost"
// or a 127.0.0.0/8 or ::1 address. An empty host (all interfaces) is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// isLoopbackURL reports whether u is an http(s) URL on a loopback host.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Host != "" && isLoopback(p.Hostname())
}

// newLogger builds the process's logger on w.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseServe(args, stdout)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, o.logLevel, o.logFormat)
	slog.SetDefault(logger) // for dependencies that log through the default logger

	// The key pair is read before anything starts, so that a wrong file
	// stops serve at once rather than after it said it is listening.
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("-tls-cert %s, -tls-key %s: %w", o.tlsCert, o.tlsKey, err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	db, err := openDynamoDB(ctx, o.embedded, stdout)
	if err != nil {
		return err
	}
	defer db.close()

	tables := store.TablesWithPrefix(o.tablePrefix)
	st := store.New(db.client, tables)
	created, err := prepareTables(ctx, st, tables, db.where, !o.noCreateTables, " or drop -no-create-tables")
	for _, name := range created {
		logger.Info("created table", "table", name, "dynamodb", db.describe)
	}
	if err != nil {
		return err
	}
	if err := checkTransactions(ctx, st, db.where); err != nil {
		return err
	}

	cfg := app.Config{
		TrustedOrigins:  o.trustedOrigins,
		TrustedProxies:  o.behindProxy,
		SameSiteStrict:  o.sameSite == "strict",
		SessionIdle:     o.sessionIdle,
		SessionLifetime: o.sessionLifetime,

		DeletionFinishInterval: o.deletionEvery,
		DeletionGrace:          o.deletionGrace,
	}
	a, err := app.New(cfg, st, store.NewSessions(db.client, tables.Sessions), logger)
	if err != nil {
		return err
	}

	// The deletion finisher ends with ctx (SIGINT/SIGTERM) or at any
	// return, and serve waits for it before the DynamoDB client goes: a
	// deletion it abandons is finished by its next round, here or on
	// another instance.
	finisherCtx, stopFinisher := context.WithCancel(ctx)
	finisherDone := make(chan struct{})
	go func() {
		defer close(finisherDone)
		a.FinishDeletions(finisherCtx)
	}()
	defer func() {
		stopFinisher()
		<-finisherDone
	}()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	// running counts the requests being served, so that shutdown can tell
	// one cut off from a connection that never sent a whole request (a
	// browser's preconnect, a load balancer's spare), which Shutdown also
	// waits for, up to 5 s.
	var running atomic.Int64
	handler := a.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			running.Add(1)
			defer running.Add(-1)
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // exports stream large downloads
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		srv.TLSConfig = tlsConfig
	}
	fmt.Fprintf(stdout, "clickguard: listening on %s://%s\n", scheme, displayAddr(o.addr, ln.Addr()))
	logger.Info("serving",
		slog.String("addr", ln.Addr().String()),
		slog.String("scheme", scheme),
		slog.String("dynamodb", db.describe),
		slog.String("table_prefix", o.tablePrefix),
		slog.Any("trusted_proxies", o.behindProxy),
		slog.Any("trusted_origins", []string(o.trustedOrigins)),
		slog.String("same_site", o.sameSite),
		slog.Duration("session_idle", o.sessionIdle),
		slog.Duration("session_lifetime", o.sessionLifetime),
		slog.Duration("shutdown_grace", o.shutdownGrace),
		slog.Duration("deletion_interval", o.deletionEvery),
		slog.Duration("deletion_grace", o.deletionGrace),
	)

	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		// Shutdown leaves the connections still busy open: close them, so
		// that their clients see the end now rather than at their timeout.
		// (Counted first: a handler cut off returns as soon as they close.)
		n := running.Load()
		srv.Close()
		switch {
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("shutdown: %w", err)
		case n > 0:
			return fmt.Errorf("shutdown: %d requests still in flight after -shutdown-grace %s were cut off", n, o.shutdownGrace)
		}
		logger.Info("closed connections that had not sent a whole request", slog.Duration("shutdown_grace", o.shutdownGrace))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "clickguard: stopped")
	return nil
}

// displayAddr shows the address the user asked for with the real port (for
// "localhost:0" it shows the port the system chose).
func displayAddr(asked string, got net.Addr) string {
	host, _, _ := net.SplitHostPort(asked)
	_, port, _ := net.SplitHostPort(got.String())
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, port)
}

// dynamo is the DynamoDB client serve and tables use, and where it points.
type dynamo struct {
	client   *dynamodb.Client
	endpoint string // the base URL, or "" for the SDK's regional endpoint
	where    string // for errors: the endpoint, or "AWS region eu-west-1"
	describe string // for the start-up line: where, with the region of an endpoint
	close    func()
}

// errNoDynamoDB says how to configure DynamoDB for commands that have no
// embedded fallback.
var errNoDynamoDB = errors.New("no DynamoDB configured: set AWS_REGION (and credentials) for AWS, or AWS_ENDPOINT_URL_DYNAMODB and AWS_REGION for DynamoDB Local or dynalite")

// loadDynamoDB loads the SDK's default configuration and reports whether it
// names a DynamoDB: an endpoint or a region.
func loadDynamoDB(ctx context.Context) (aws.Config, *dynamo, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg)
	endpoint := aws.ToString(client.Options().BaseEndpoint)
	if endpoint == "" && cfg.Region == "" {
		return cfg, nil, nil
	}
	if endpoint != "" {
		if err := checkEndpoint(endpoint); err != nil {
			return cfg, nil, err
		}
	}
	dummy := false
	if isLoopbackURL(endpoint) {
		var creds aws.CredentialsProvider
		if creds, err = localCredentials(ctx); err != nil {
			return cfg, nil, err
		}
		dummy = creds == nil
		client = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			// A local server (minidyn, some DynamoDB Local versions) may not
			// send the CRC32 header; over loopback it guards against nothing
			// anyway.
			o.DisableValidateResponseChecksum = true
			if creds != nil {
				o.Credentials = creds
			} else {
				o.Credentials = ddblocal.DummyCredentials
			}
		})
	}
	d := &dynamo{client: client, endpoint: endpoint, close: func() {}}
	if endpoint != "" {
		d.where = endpoint
		if cfg.Region != "" {
			d.describe = fmt.Sprintf("%s (region %s)", endpoint, cfg.Region)
		} else {
			d.describe = endpoint + " (no region configured)"
		}
		if dummy {
			d.describe += ", with dummy credentials, as no AWS credentials are configured"
		}
	} else {
		d.where = "AWS region " + cfg.Region
		d.describe = d.where
	}
	return cfg, d, nil
}

// checkEndpoint refuses a DynamoDB endpoint that is not an http or https
// URL with a host, such as "localhost:8000", which the SDK would take and
// fail with later, in words about something else.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	msg := fmt.Sprintf("the DynamoDB endpoint %q (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL or the AWS configuration file) is not an http or https URL", endpoint)
	if !strings.Contains(endpoint, "://") {
		msg += fmt.Sprintf(": write it as %q", "http://"+endpoint)
	}
	return errors.New(msg)
}

// localCredentials returns the credentials configured for a DynamoDB on
// the local machine (DynamoDB Local, dynalite), from the SDK's chain
// without its last link, the EC2 instance metadata service: an instance
// role means nothing to a local server, and looking for one would send a
// request off the machine and wait for it. With none configured it returns
// nil: local servers take any credentials, so dummy ones do.
func localCredentials(ctx context.Context) (aws.CredentialsProvider, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, nil
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, nil //nolint:nilerr // no credentials configured: dummy ones
	}
	return cfg.Credentials, nil
}

// openConfiguredDynamoDB returns the configured DynamoDB, or errNoDynamoDB.
func openConfiguredDynamoDB(ctx context.Context) (*dynamo, error) {
	_, d, err := loadDynamoDB(ctx)
	if err == nil && d == nil {
		err = errNoDynamoDB
	}
	return d, err
}

// openDynamoDB returns the configured DynamoDB; with none configured, or with
// embedded set, it starts the embedded server. It says which on stdout.
func openDynamoDB(ctx context.Context, embedded bool, stdout io.Writer) (*dynamo, error) {
	// With -embedded the AWS configuration is not read at all: none of it
	// applies to the embedded server, and a broken one (a profile missing
	// from ~/.aws) must not stop it.
	var cfg aws.Config
	if !embedded {
		var d *dynamo
		var err error
		if cfg, d, err = loadDynamoDB(ctx); err != nil {
			return nil, err
		}
		if d != nil {
			fmt.Fprintf(stdout, "clickguard: DynamoDB: %s\n", d.describe)
			return d, nil
		}
	}
	srv, err := ddblocal.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start embedded DynamoDB: %w", err)
	}
	// The embedded server gets the same SDK client, pointed at it with dummy
	// credentials: real AWS credentials are never sent to it.
	client := dynamodb.NewFromConfig(cfg, ddblocal.ClientOptions(srv.Endpoint()))
	fmt.Fprintf(stdout, "clickguard: DynamoDB: embedded in-memory server at %s\n", srv.Endpoint())
	fmt.Fprintln(stdout, "clickguard: data is kept in memory only and is lost when clickguard exits")
	if !embedded {
		fmt.Fprintln(stdout, "clickguard: (set AWS_REGION or AWS_ENDPOINT_URL_DYNAMODB to use another DynamoDB)")
	}
	return &dynamo{
		client:   client,
		endpoint: srv.Endpoint(),
		where:    srv.Endpoint(),
		describe: "embedded in-memory server at " + srv.Endpoint(),
		close:    func() { srv.Close() }, //nolint:errcheck // exiting anyway
	}, nil
}

// prepareTables creates missing tables (when create is set) and checks the
// key schema of both. It returns the names of the tables it created, even
// with an error. Its errors are one line that names where DynamoDB is
// and the cause, fit for the terminal; orElse ends the advice for missing
// tables with what else the command could do.
func prepareTables(ctx context.Context, st *store.Store, tables store.Tables, where string, create bool, orElse string) (created []string, err error) {
	doing := "check tables"
	if create {
		doing = "create tables"
		created, err = st.CreateTables(ctx)
	}
	if err == nil {
		doing = "check tables"
		err = st.CheckTables(ctx)
	}
	switch se, schema := errors.AsType[*store.SchemaError](err); {
	case err == nil:
		return created, nil
	case schema:
		return created, fmt.Errorf("table %q at %s has key schema %q, clickguard needs %q: use another -table-prefix or delete the table",
			se.Table, where, se.Found, se.Expected)
	case errors.Is(err, store.ErrNotFound) && !create:
		return created, fmt.Errorf("tables %q and %q are missing at %s: run \"clickguard tables create\"%s",
			tables.Data, tables.Sessions, where, orElse)
	}
	return created, dynamoError(where, doing, err)
}

// checkTransactions stops serve on a DynamoDB without TransactWriteItems,
// which every change needs; the tables themselves work there.
func checkTransactions(ctx context.Context, st *store.Store, where string) error {
	if err := st.CheckTransactions(ctx); err != nil {
		if errors.Is(err, store.ErrNoTransactions) {
			return fmt.Errorf("DynamoDB at %s does not implement TransactWriteItems (dynalite lacks it), and clickguard writes every change together with its audit record in one transaction: use AWS, DynamoDB Local or the embedded server", where)
		}
		return dynamoError(where, "check transactions", err)
	}
	return nil
}

// dynamoError turns an SDK failure into one line: which DynamoDB, what was
// being done, and the root cause (for a refused connection, the dial error
// rather than the SDK's retry narrative).
func dynamoError(where, doing string, err error) error {
	cause := err
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		cause = oe
	}
	if errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("cannot reach DynamoDB at %s (%s): %w", where, doing, cause)
	}
	return fmt.Errorf("DynamoDB at %s: %s: %w", where, doing, cause)
}
