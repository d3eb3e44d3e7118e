package store_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/truora/minidyn/server"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// closedEndpoint returns the URL of a loopback port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestUnavailable_ClosedPort(t *testing.T) {
	t.Parallel()
	ep := closedEndpoint(t)
	s := store.New(storetest.Client(t, ep), store.TablesWithPrefix("x-"))
	checks := []struct {
		name string
		err  error
	}{
		{"Ping", s.Ping(t.Context())},
		{"CheckTables", s.CheckTables(t.Context())},
		{"CreateTables", func() error { _, err := s.CreateTables(t.Context()); return err }()},
		{"GetUser", func() error { _, err := s.GetUser(t.Context(), "alice"); return err }()},
		{"ReserveAttempt", func() error { _, err := s.ReserveAttempt(t.Context(), store.UserThrottleKey("alice")); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, store.ErrUnavailable) {
			t.Errorf("%s on a closed port = %v, want ErrUnavailable", c.name, c.err)
			continue
		}
		// The message must say where and why, for the startup line.
		if msg := c.err.Error(); !strings.Contains(msg, strings.TrimPrefix(ep, "http://")) || !strings.Contains(msg, "connection refused") {
			t.Errorf("%s error %q does not name the endpoint and the cause", c.name, msg)
		}
	}
}

// TestUnavailable_ServerErrors makes the embedded server fail with 500s for
// one test's tables only (other tests share the server).
func TestUnavailable_ServerErrors(t *testing.T) {
	t.Parallel()
	b := storetest.EmbeddedBackend(t)
	e := b.Env(t)
	ctx := t.Context()
	if err := e.Store.Ping(ctx); err != nil {
		t.Fatalf("Ping before failure: %v", err)
	}
	for _, tbl := range []string{e.Tables.Data, e.Tables.Sessions} {
		b.Minidyn.EmulateFailureForTable(tbl, server.FailureConditionInternalServerError)
	}
	t.Cleanup(func() {
		for _, tbl := range []string{e.Tables.Data, e.Tables.Sessions} {
			b.Minidyn.EmulateFailureForTable(tbl, server.FailureConditionNone)
		}
	})
	if _, err := e.Store.GetUser(ctx, "alice"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("GetUser during server errors = %v, want ErrUnavailable", err)
	}
	if _, err := e.Store.CreateUser(ctx, store.User{Username: "alice", PasswordHash: "h"}, store.Actor{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("CreateUser during server errors = %v, want ErrUnavailable", err)
	}
	if _, err := e.Store.LoginFailures(ctx, store.UserThrottleKey("alice")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("LoginFailures during server errors = %v, want ErrUnavailable", err)
	}
	if _, err := e.Store.ReserveAttempt(ctx, store.UserThrottleKey("alice")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("ReserveAttempt during server errors = %v, want ErrUnavailable", err)
	}
	ss := store.NewSessions(e.Client, e.Tables.Sessions)
	if _, found, err := ss.FindCtx(ctx, "tok"); found || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("FindCtx during server errors = %v, %v, want ErrUnavailable", found, err)
	}
	for _, tbl := range []string{e.Tables.Data, e.Tables.Sessions} {
		b.Minidyn.EmulateFailureForTable(tbl, server.FailureConditionNone)
	}
	if _, err := e.Store.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after recovery = %v, want ErrNotFound", err)
	}
}
