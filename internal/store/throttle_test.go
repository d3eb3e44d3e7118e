package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		ctx := t.Context()
		// Two instances: separate clients and Stores on the same tables.
		one := e.Store
		two := store.New(storetest.Client(t, b.Endpoint), e.Tables)
		now := time.Date(2026, 3, 4, 10, 0, 1, 0, time.UTC)
		for _, s := range []*store.Store{one, two} {
			store.SetNow(s, func() time.Time { return now })
			if err := s.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3}); err != nil {
				t.Fatalf("SetThrottlePolicy: %v", err)
			}
		}
		user, addr, other := store.UserThrottleKey("ivy"), store.AddrThrottleKey("192.0.2.7"), store.UserThrottleKey("jon")

		failures := func(s *store.Store, keys ...string) int {
			t.Helper()
			n, err := s.LoginFailures(ctx, keys...)
			if err != nil {
				t.Fatalf("LoginFailures: %v", err)
			}
			return n
		}
		throttled := func(s *store.Store, keys ...string) bool {
			t.Helper()
			v, err := s.LoginThrottled(ctx, keys...)
			if err != nil {
				t.Fatalf("LoginThrottled: %v", err)
			}
			return v
		}
		if n := failures(one, user, addr); n != 0 {
			t.Fatalf("failures before any = %d, want 0", n)
		}
		if err := one.RecordLoginFailure(ctx, user, addr); err != nil {
			t.Fatalf("RecordLoginFailure: %v", err)
		}
		if err := two.RecordLoginFailure(ctx, user, addr); err != nil {
			t.Fatalf("RecordLoginFailure: %v", err)
		}
		if err := two.RecordLoginFailure(ctx, addr); err != nil {
			t.Fatalf("RecordLoginFailure: %v", err)
		}
		if n := failures(one, user); n != 2 {
			t.Errorf("instance one sees %d failures for the account, want 2 (one recorded on each instance)", n)
		}
		if n := failures(two, user, addr); n != 3 {
			t.Errorf("failures(user, addr) = %d, want the larger, 3", n)
		}
		if throttled(one, user) || !throttled(one, user, addr) || !throttled(two, other, addr) {
			t.Errorf("throttled(user), (user, addr), (other, addr) = %v, %v, %v; want false, true, true",
				throttled(one, user), throttled(one, user, addr), throttled(two, other, addr))
		}
		if n := failures(one, other); n != 0 {
			t.Errorf("another account has %d failures, want 0", n)
		}

		// The next window starts from zero.
		now = now.Add(15 * time.Minute)
		if n := failures(one, user, addr); n != 0 {
			t.Errorf("failures in the next window = %d, want 0", n)
		}

		// Concurrent failures all count (ADD is atomic).
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				s := []*store.Store{one, two}[i%2]
				if err := s.RecordLoginFailure(ctx, other); err != nil {
					t.Errorf("concurrent RecordLoginFailure: %v", err)
				}
			})
		}
		wg.Wait()
		if n := failures(two, other); n != 10 {
			t.Errorf("after 10 concurrent failures, count = %d, want 10", n)
		}

		// A client address has its own, higher limit: many people can share
		// one. Here 5 per address against 3 per account.
		if err := one.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3, MaxPerAddr: 5}); err != nil {
			t.Fatalf("SetThrottlePolicy: %v", err)
		}
		shared := store.AddrThrottleKey("198.51.100.9")
		for i := range 5 {
			acct := store.UserThrottleKey(fmt.Sprintf("colleague%d", i))
			if throttled(one, acct, shared) {
				t.Fatalf("after %d failures from the address, one each for other accounts: throttled, want not (limit 5)", i)
			}
			if err := one.RecordLoginFailure(ctx, acct, shared); err != nil {
				t.Fatalf("RecordLoginFailure: %v", err)
			}
		}
		if !throttled(one, store.UserThrottleKey("newcomer"), shared) {
			t.Error("after 5 failures from the address: not throttled, want throttled")
		}
		if !throttled(one, other) {
			t.Error("account with 10 failures: not throttled under Max 3")
		}
	})
}

func TestThrottlePolicy_Invalid(t *testing.T) {
	t.Parallel()
	s := storetest.Embedded(t)
	for _, p := range []store.ThrottlePolicy{{}, {Window: time.Minute}, {Max: 3}, {Window: time.Millisecond, Max: 3}, {Window: time.Minute, Max: 3, MaxPerAddr: -1}} {
		if err := s.SetThrottlePolicy(p); err == nil {
			t.Errorf("SetThrottlePolicy(%+v) = nil, want an error", p)
		}
	}
	if _, err := s.LoginFailures(t.Context()); err == nil {
		t.Errorf("LoginFailures with no key = nil error, want one")
	}
}
