package storetest

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/store"
)

func TestMain(m *testing.M) { Main(m) }

func TestRun(t *testing.T) {
	t.Parallel()
	Run(t, func(t *testing.T, b Backend) {
		t.Parallel()
		e := b.Env(t)
		if err := e.Store.CheckTables(t.Context()); err != nil {
			t.Fatalf("CheckTables on fresh tables: %v", err)
		}
		other := b.Env(t)
		if e.Tables == other.Tables {
			t.Errorf("two Envs share tables %+v", e.Tables)
		}
		if (b.Minidyn != nil) != (b.Name == "minidyn") {
			t.Errorf("%s: Minidyn set = %v", b.Name, b.Minidyn != nil)
		}
	})
}

func TestEnvDropsTables(t *testing.T) {
	t.Parallel()
	b := EmbeddedBackend(t)
	var tables store.Tables
	t.Run("env", func(t *testing.T) {
		tables = b.Env(t).Tables
	})
	s := store.New(Client(t, b.Endpoint), tables)
	if err := s.CheckTables(t.Context()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckTables after cleanup = %v, want ErrNotFound", err)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	caps := Capabilities{Transactions: true, OneMBPages: false}
	tests := []struct {
		c    Capability
		want bool
	}{
		{Transactions, true},
		{OneMBPages, false},
		{TopLevelRemove, false},
		{TTL, false},
	}
	for _, tc := range tests {
		if got := caps.Has(tc.c); got != tc.want {
			t.Errorf("Has(%v) = %v, want %v", tc.c, got, tc.want)
		}
	}
	var skipped bool
	t.Run("lacking", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Backend{Name: "x", Caps: caps}.Require(t, Transactions, OneMBPages)
	})
	if !skipped {
		t.Errorf("Require(OneMBPages) on a backend without it did not skip")
	}
}

// TestDynaliteStops proves a dynalite process cannot outlive its test
// binary: closing its standard input, which the kernel does when the binary
// exits however it exits, ends it.
func TestDynaliteStops(t *testing.T) {
	t.Parallel()
	cli, node, missing := findDynalite()
	if missing != "" {
		if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
			t.Fatalf("dynalite required but unavailable: %s", missing)
		}
		t.Skipf("dynalite unavailable: %s", missing)
	}
	p, err := launchDynalite(cli, node)
	if err != nil {
		t.Fatalf("launchDynalite: %v", err)
	}
	addr := strings.TrimPrefix(p.endpoint, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial dynalite: %v", err)
	}
	c.Close()
	if err := p.stdin.Close(); err != nil {
		t.Fatalf("close stdin: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("dynalite still running 10s after its stdin closed")
	}
	if p.waitErr != nil {
		t.Errorf("dynalite exit after stdin closed: %v, want status 0", p.waitErr)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after dynalite exited", addr)
	}
}
