package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// throttleEnv is two instances (separate clients and Stores) on the same
// tables, with the clock at *now and the policy p.
func throttleEnv(t *testing.T, b storetest.Backend, now *time.Time, p store.ThrottlePolicy) (storetest.Env, *store.Store, *store.Store) {
	t.Helper()
	e := b.Env(t)
	one, two := e.Store, store.New(storetest.Client(t, b.Endpoint), e.Tables)
	for _, s := range []*store.Store{one, two} {
		s.SetClock(func() time.Time { return *now })
		if err := s.SetThrottlePolicy(p); err != nil {
			t.Fatalf("SetThrottlePolicy: %v", err)
		}
	}
	return e, one, two
}

func failures(t *testing.T, s *store.Store, keys ...string) int {
	t.Helper()
	n, err := s.LoginFailures(t.Context(), keys...)
	if err != nil {
		t.Fatalf("LoginFailures: %v", err)
	}
	return n
}

// reserve takes a slot for keys, failing the test if it is refused.
func reserve(t *testing.T, s *store.Store, keys ...string) *store.Attempt {
	t.Helper()
	a, err := s.ReserveAttempt(t.Context(), keys...)
	if err != nil {
		t.Fatalf("ReserveAttempt(%q): %v", keys, err)
	}
	return a
}

// refused reports whether ReserveAttempt refuses keys, failing the test on
// any other error. A slot it takes is kept.
func refused(t *testing.T, s *store.Store, keys ...string) bool {
	t.Helper()
	_, err := s.ReserveAttempt(t.Context(), keys...)
	if errors.Is(err, store.ErrTooManyAttempts) {
		return true
	}
	if err != nil {
		t.Fatalf("ReserveAttempt(%q): %v", keys, err)
	}
	return false
}

func release(t *testing.T, a *store.Attempt) {
	t.Helper()
	if err := a.Release(t.Context()); err != nil {
		t.Fatalf("Release: %v", err)
	}
}

// deleteThrottleRecord deletes key k's record of the current window, as
// deleting its account or DynamoDB's TTL would.
func deleteThrottleRecord(t *testing.T, e storetest.Env, s *store.Store, k string) {
	t.Helper()
	if _, err := e.Client.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{
		TableName: aws.String(e.Tables.Sessions),
		Key:       store.ThrottleItemKey(s, k),
	}); err != nil {
		t.Fatalf("delete the throttle record: %v", err)
	}
}

// TestReserveAttempt: attempts are counted on every instance, up to the
// limit and no further; a refused attempt takes no slot on any of its keys;
// Release gives a slot back, once; an address has its own, higher limit,
// and sign-ups from an address theirs.
func TestReserveAttempt(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		now := time.Date(2026, 3, 4, 10, 0, 1, 0, time.UTC)
		_, one, two := throttleEnv(t, b, &now, store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3})
		user, addr, other := store.UserThrottleKey("ivy"), store.AddrThrottleKey("192.0.2.7"), store.UserThrottleKey("jon")

		if n := failures(t, one, user, addr); n != 0 {
			t.Fatalf("failures before any = %d, want 0", n)
		}
		reserve(t, one, user, addr)
		reserve(t, two, user, addr)
		reserve(t, two, addr)
		if n := failures(t, one, user); n != 2 {
			t.Errorf("instance one sees %d attempts for the account, want 2 (one taken on each instance)", n)
		}
		if n := failures(t, two, user, addr); n != 3 {
			t.Errorf("failures(user, addr) = %d, want the larger, 3", n)
		}

		// The address is at its limit: an attempt with it is refused, and
		// the slot it took on the account first is given back. The
		// refusal says how long the window has left.
		_, err := one.ReserveAttempt(t.Context(), user, addr)
		if tm, ok := errors.AsType[*store.TooManyAttemptsError](err); !ok || tm.RetryAfter != 15*time.Minute-time.Second {
			t.Errorf("attempt from an address at its limit: %v, want a TooManyAttemptsError with RetryAfter 14m59s", err)
		}
		if !refused(t, two, other, addr) {
			t.Error("attempt for another account from an address at its limit was not refused")
		}
		if n := failures(t, one, user); n != 2 {
			t.Errorf("after a refused attempt the account has %d attempts, want still 2", n)
		}
		if n := failures(t, one, other); n != 0 {
			t.Errorf("after a refused attempt another account has %d attempts, want 0", n)
		}
		if n := failures(t, one, addr); n != 3 {
			t.Errorf("address at its limit of 3 counts %d after refusals, want 3", n)
		}

		// The account has one slot left; a refusal does not count past the
		// limit.
		reserve(t, one, user)
		if !refused(t, two, user) || !refused(t, one, user) {
			t.Error("account at its limit: attempt not refused")
		}
		if n := failures(t, one, user); n != 3 {
			t.Errorf("account at its limit of 3 counts %d, want 3", n)
		}

		// Release gives the slot back, once.
		a := reserve(t, one, other)
		release(t, a)
		if n := failures(t, one, other); n != 0 {
			t.Errorf("after Release the account has %d attempts, want 0", n)
		}
		reserve(t, two, other)
		release(t, a)
		if n := failures(t, one, other); n != 1 {
			t.Errorf("after a second Release of the same attempt the account has %d attempts, want 1", n)
		}

		// A client address has its own, higher limit: many people can share
		// one. Here 5 per address against 3 per account.
		if err := one.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3, MaxPerAddr: 5}); err != nil {
			t.Fatalf("SetThrottlePolicy: %v", err)
		}
		shared := store.AddrThrottleKey("198.51.100.9")
		for i := range 5 {
			reserve(t, one, store.UserThrottleKey(fmt.Sprintf("colleague%d", i)), shared)
		}
		if !refused(t, one, store.UserThrottleKey("newcomer"), shared) {
			t.Error("after 5 attempts from the address: not refused, want refused (limit 5)")
		}

		// A session has the limit of an account, not of an address.
		sess := store.SessionThrottleKey("token of a session")
		for range 3 {
			reserve(t, two, sess)
		}
		if !refused(t, one, sess) {
			t.Error("after 3 attempts in a session: not refused, want refused (limit 3)")
		}

		// Sign-ups from an address have their own limit, apart from the
		// address's logins; by default that of an address.
		signups := store.SignupThrottleKey("198.51.100.9")
		for range 5 {
			reserve(t, one, signups)
		}
		if !refused(t, one, signups) {
			t.Error("after 5 sign-ups from the address: not refused, want refused (limit 5, MaxPerAddr)")
		}
		if err := one.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3, MaxPerAddr: 5, MaxSignupsPerAddr: 7}); err != nil {
			t.Fatalf("SetThrottlePolicy: %v", err)
		}
		reserve(t, one, signups)
		reserve(t, one, signups)
		if !refused(t, one, signups) {
			t.Error("after 7 sign-ups from the address: not refused, want refused (limit 7)")
		}
		// Lookups of names, per account and per address: by default twice
		// the sign-ups.
		for _, k := range []string{store.LookupThrottleKey("alice"), store.LookupAddrThrottleKey("198.51.100.9")} {
			for range 14 {
				reserve(t, one, k)
			}
			if !refused(t, one, k) {
				t.Errorf("after 14 lookups (%s): not refused, want refused (limit 14, twice MaxSignupsPerAddr)", k)
			}
		}
		if err := one.SetThrottlePolicy(store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3, MaxLookups: 15}); err != nil {
			t.Fatalf("SetThrottlePolicy: %v", err)
		}
		k := store.LookupThrottleKey("alice")
		reserve(t, one, k)
		if !refused(t, one, k) {
			t.Error("after 15 lookups: not refused, want refused (limit 15)")
		}
	})
}

// TestReserveAttempt_Concurrent: however many attempts race on however many
// instances, exactly the limit get a slot, and the refused ones leave no
// slot behind on their other keys.
func TestReserveAttempt_Concurrent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		now := time.Date(2026, 3, 4, 10, 0, 1, 0, time.UTC)
		_, one, two := throttleEnv(t, b, &now, store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3, MaxPerAddr: 5})
		const n = 20

		// One account, n attempts at once: 3 get a slot.
		victim := store.UserThrottleKey("victim")
		var got, wantMore atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				s := []*store.Store{one, two}[i%2]
				_, err := s.ReserveAttempt(t.Context(), victim)
				switch {
				case err == nil:
					got.Add(1)
				case errors.Is(err, store.ErrTooManyAttempts):
					wantMore.Add(1)
				default:
					t.Errorf("concurrent ReserveAttempt: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if got.Load() != 3 || wantMore.Load() != n-3 {
			t.Errorf("%d concurrent attempts, limit 3: %d got a slot and %d were refused, want 3 and %d", n, got.Load(), wantMore.Load(), n-3)
		}
		if c := failures(t, one, victim); c != 3 {
			t.Errorf("after %d concurrent attempts the account counts %d, want its limit, 3", n, c)
		}

		// n accounts from one address at once: 5 get a slot, and each
		// refused account's slot is given back.
		shared := store.AddrThrottleKey("203.0.113.5")
		held := make([]bool, n)
		start = make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				s := []*store.Store{one, two}[i%2]
				_, err := s.ReserveAttempt(t.Context(), store.UserThrottleKey(fmt.Sprintf("user%d", i)), shared)
				if err != nil && !errors.Is(err, store.ErrTooManyAttempts) {
					t.Errorf("concurrent ReserveAttempt: %v", err)
				}
				held[i] = err == nil
			})
		}
		close(start)
		wg.Wait()
		slots := 0
		for i, h := range held {
			want := 0
			if h {
				slots, want = slots+1, 1
			}
			if c := failures(t, two, store.UserThrottleKey(fmt.Sprintf("user%d", i))); c != want {
				t.Errorf("user%d (slot %v) counts %d, want %d", i, h, c, want)
			}
		}
		if c := failures(t, one, shared); slots != 5 || c != 5 {
			t.Errorf("%d concurrent attempts from an address with limit 5: %d got a slot, the address counts %d; want 5 and 5", n, slots, c)
		}
	})
}

// TestReserveAttempt_Windows: a new window starts from zero; Release gives
// a slot back in the window it was taken in, even after that window ended;
// and it does not bring back a record that is gone.
func TestReserveAttempt_Windows(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		now := time.Date(2026, 3, 4, 10, 0, 1, 0, time.UTC)
		e, s, _ := throttleEnv(t, b, &now, store.ThrottlePolicy{Window: 15 * time.Minute, Max: 3})
		user := store.UserThrottleKey("ivy")

		reserve(t, s, user)
		reserve(t, s, user)
		last := reserve(t, s, user)
		if !refused(t, s, user) {
			t.Fatal("account at its limit: attempt not refused")
		}

		// The next window starts from zero; the last slot of the previous
		// one is given back there, not here.
		first := now
		now = now.Add(15 * time.Minute)
		if n := failures(t, s, user); n != 0 {
			t.Errorf("attempts in the next window = %d, want 0", n)
		}
		release(t, last)
		for i := range 3 {
			if refused(t, s, user) {
				t.Fatalf("next window: attempt %d refused, want 3 allowed", i+1)
			}
		}
		if !refused(t, s, user) {
			t.Error("next window: attempt 4 allowed, want refused (limit 3)")
		}
		now = first
		if n := failures(t, s, user); n != 2 {
			t.Errorf("the window the released slot was taken in counts %d, want 2", n)
		}

		// A window's record gone (deleted with its account, or expired):
		// Release must not make it again with a negative count, which
		// would allow an extra attempt.
		now = first.Add(time.Hour)
		a := reserve(t, s, user)
		deleteThrottleRecord(t, e, s, user)
		release(t, a)
		allowed := 0
		for range 5 {
			if !refused(t, s, user) {
				allowed++
			}
		}
		if allowed != 3 {
			t.Errorf("after a Release of a deleted record, %d attempts allowed, want the limit, 3", allowed)
		}
	})
}

// TestAttempt_Others: an attempt counts the other attempts of its window on
// a key, leaving out its own slot: failures, and attempts still being
// checked; in the window it was taken in, even once the next one has
// started; and never below zero.
func TestAttempt_Others(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		now := time.Date(2026, 3, 4, 10, 7, 1, 0, time.UTC)
		start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		e, one, two := throttleEnv(t, b, &now, store.ThrottlePolicy{Window: 15 * time.Minute, Max: 10})
		user, addr := store.UserThrottleKey("ivy"), store.AddrThrottleKey("192.0.2.7")
		others := func(what string, a *store.Attempt, k string, want int) {
			t.Helper()
			n, since, err := a.Others(t.Context(), k)
			if err != nil || n != want || !since.Equal(start) {
				t.Errorf("%s: Others = %d, %v, %v; want %d, %v, nil", what, n, since, err, want, start)
			}
		}

		first := reserve(t, one, user, addr) // fails: keeps its slots
		others("the first attempt", first, user, 0)
		reserve(t, two, user)
		reserve(t, one, user)
		a := reserve(t, two, user, addr)
		others("after 3 failures", a, user, 3)
		others("after 3 failures, on the address", a, addr, 1)
		others("after 3 failures, on a key a holds no slot on", a, store.UserThrottleKey("jon"), 0)
		inFlight := reserve(t, one, user)
		others("with one more still being checked", a, user, 4)
		release(t, inFlight)
		others("once it succeeded", a, user, 3)

		now = now.Add(15 * time.Minute)
		reserve(t, one, user)
		others("once the next window started", a, user, 3)
		release(t, a)
		others("after Release", a, user, 3)

		// The window's record gone (deleted with its account): no
		// negative count.
		now = start.Add(time.Hour)
		start = start.Add(time.Hour)
		last := reserve(t, one, user)
		deleteThrottleRecord(t, e, one, user)
		others("with the record gone", last, user, 0)
		if _, _, err := last.Others(t.Context(), ""); err == nil {
			t.Error("Others with an empty key = nil error, want one")
		}
	})
}

// TestSessionThrottleKey: a session's key is the same for the same token,
// differs between tokens, and does not hold the token.
func TestSessionThrottleKey(t *testing.T) {
	t.Parallel()
	const token = "Sv3cvN5gXbCJvY1qL0n8a7pQ2wR4tU6y"
	k := store.SessionThrottleKey(token)
	if k != store.SessionThrottleKey(token) || k == store.SessionThrottleKey(token+"x") {
		t.Errorf("SessionThrottleKey is not one key per token: %q", k)
	}
	if strings.Contains(k, token) || !strings.Contains(k, store.HashToken(token)) {
		t.Errorf("SessionThrottleKey(%q) = %q, want the token's hash and not the token", token, k)
	}
}

func TestThrottlePolicy_Invalid(t *testing.T) {
	t.Parallel()
	s := storetest.Embedded(t)
	for _, p := range []store.ThrottlePolicy{
		{}, {Window: time.Minute}, {Max: 3}, {Window: time.Millisecond, Max: 3},
		{Window: time.Minute, Max: 3, MaxPerAddr: -1},
		{Window: time.Minute, Max: 1<<20 + 1},
		{Window: time.Minute, Max: 3, MaxPerAddr: 1<<20 + 1},
		{Window: time.Minute, Max: 3, MaxSignupsPerAddr: -1},
		{Window: time.Minute, Max: 3, MaxSignupsPerAddr: 1<<20 + 1},
		{Window: time.Minute, Max: 3, MaxLookups: -1},
		{Window: time.Minute, Max: 3, MaxLookups: 1<<20 + 1},
	} {
		if err := s.SetThrottlePolicy(p); err == nil {
			t.Errorf("SetThrottlePolicy(%+v) = nil, want an error", p)
		}
	}
	if err := s.SetThrottlePolicy(store.ThrottlePolicy{Window: time.Minute, Max: 1 << 20}); err != nil {
		t.Errorf("SetThrottlePolicy with the largest limit: %v", err)
	}
	if _, err := s.LoginFailures(t.Context()); err == nil {
		t.Errorf("LoginFailures with no key = nil error, want one")
	}
	user := store.UserThrottleKey("ivy")
	for _, keys := range [][]string{nil, {""}, {user, user}, {store.UserThrottleKey(string(make([]byte, 300)))}} {
		if _, err := s.ReserveAttempt(t.Context(), keys...); err == nil || errors.Is(err, store.ErrTooManyAttempts) {
			t.Errorf("ReserveAttempt(%q) = %v, want an invalid-key error", keys, err)
		}
	}
}
