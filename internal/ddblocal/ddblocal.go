// Package ddblocal runs clickguard's embedded DynamoDB-compatible server: the
// minidyn HTTP handler (github.com/truora/minidyn/server) on a loopback port.
//
// The application and the tests talk to it with the ordinary AWS SDK client,
// pointed at [Server.Endpoint] with [ClientOptions]; there is no second,
// in-memory code path. Data lives in process memory and is lost on Close.
//
// minidyn does not implement ListTables or UpdateTimeToLive, always reports an
// empty TableStatus, ignores a top-level REMOVE in UpdateItem, orders number
// sort keys as strings and returns Query pages of any size; the store is
// written to be correct regardless (see internal/store).
package ddblocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"
)

// Region is the region ClientOptions sets when the client has none: local
// servers accept any region, the SDK still needs one to sign requests.
const Region = "us-east-1"

// Server is a running embedded DynamoDB-compatible server. It is safe for
// concurrent use; it serves one request at a time.
type Server struct {
	md       *server.Server
	http     *http.Server
	endpoint string
	done     chan error
}

// Start listens on a free port of 127.0.0.1 and serves a fresh, empty minidyn
// server until Close. ctx bounds only the listen call.
func Start(ctx context.Context) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ddblocal: listen on loopback: %w", err)
	}
	md := server.NewServer()
	s := &Server{
		md: md,
		http: &http.Server{
			Handler:           serialized(md),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		endpoint: "http://" + ln.Addr().String(),
		done:     make(chan error, 1),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// serialized runs one request at a time: minidyn v0.8.2 guards items with a
// lock but not its table map, so concurrent CreateTable, DeleteTable and
// DescribeTable calls race (the race detector sees it).
func serialized(h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// Endpoint returns the server's base URL, such as "http://127.0.0.1:41234".
func (s *Server) Endpoint() string { return s.endpoint }

// Minidyn returns the underlying minidyn server, for failure emulation in
// tests ((*server.Server).EmulateFailure and EmulateFailureForTable).
func (s *Server) Minidyn() *server.Server { return s.md }

// Close stops the server, closing open connections; all data is lost.
// Calling Close more than once returns the first result again.
func (s *Server) Close() error {
	err := s.http.Close()
	if serveErr := <-s.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	s.done <- nil // a second Close does not block
	if err != nil {
		return fmt.Errorf("ddblocal: close %s: %w", s.endpoint, err)
	}
	return nil
}

// DummyCredentials are the credentials sent to a local server, which takes
// any: real AWS credentials never reach it.
var DummyCredentials = credentials.NewStaticCredentialsProvider("local", "local", "")

// ClientOptions returns the SDK option func that points a DynamoDB client at a
// local endpoint (the embedded server, dynalite or DynamoDB Local): it sets
// BaseEndpoint, static dummy credentials (local servers do not check them, and
// real AWS credentials must never be sent to them), the region when none is
// set, and turns off response checksum validation, which minidyn does not
// support (the SDK would log a warning on every call).
//
//	client := dynamodb.NewFromConfig(cfg, ddblocal.ClientOptions(srv.Endpoint()))
func ClientOptions(endpoint string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Credentials = DummyCredentials
		if o.Region == "" {
			o.Region = Region
		}
		o.DisableValidateResponseChecksum = true
	}
}
