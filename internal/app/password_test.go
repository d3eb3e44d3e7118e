package app

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	p := PasswordParams{Memory: 64, Time: 1, Threads: 1}
	h1, err := hashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("correct horse battery", p)
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with its parameters", h1)
	}
	for _, tc := range []struct {
		password, hash string
		ok, err        bool
	}{
		{"correct horse battery", h1, true, false},
		{"correct horse battery", h2, true, false},
		{"correct horse batterY", h1, false, false},
		{"", h1, false, false},
		{"correct horse battery", "", false, true},
		{"correct horse battery", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false, true},
		{"correct horse battery", strings.Replace(h1, "m=64", "m=99999999", 1), false, true},
		{"correct horse battery", strings.Replace(h1, "v=19", "v=16", 1), false, true},
		{"correct horse battery", h1 + "$extra", false, true},
	} {
		ok, asTyped, err := verifyPassword(tc.password, tc.hash)
		if ok != tc.ok || asTyped || (err != nil) != tc.err {
			t.Errorf("verifyPassword(%q, %q) = %v, %v; want %v, error %v", tc.password, tc.hash, ok, err, tc.ok, tc.err)
		}
	}
}

// TestPasswordHash_normalized: a password is the same however its
// characters are encoded (é as one code point or two, a letter typed
// full-width), and a hash made of the bytes typed, before passwords were
// normalised, still matches them.
func TestPasswordHash_normalized(t *testing.T) {
	p := PasswordParams{Memory: 64, Time: 1, Threads: 1}
	const (
		composed   = "Passwort f\u00fcr Caf\u00e9 2026"   // ü and é, one code point each
		decomposed = "Passwort fu\u0308r Cafe\u0301 2026" // u and e, then combining marks
		fullWidth  = "Passwort f\u00fcr Caf\u00e9 \uff12\uff10\uff12\uff16"
	)
	h, err := hashPassword(decomposed, p)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := hashBytes([]byte(decomposed), p) // as hashed before
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, password, hash string
		ok, asTyped          bool
	}{
		{"as typed", decomposed, h, true, false},
		{"composed", composed, h, true, false},
		{"full-width digits", fullWidth, h, true, false},
		{"another password", "Passwort fur Cafe 2026", h, false, false},
		{"legacy, as typed", decomposed, legacy, true, true},
		{"legacy, composed", composed, legacy, false, false},
	} {
		if ok, asTyped, err := verifyPassword(tc.password, tc.hash); ok != tc.ok || asTyped != tc.asTyped || err != nil {
			t.Errorf("%s: verifyPassword(%+q) = %v, %v, %v; want %v, %v", tc.name, tc.password, ok, asTyped, err, tc.ok, tc.asTyped)
		}
	}
	// The hashes made now are not outdated; the one of the bytes as typed
	// is not either, by its parameters: verifyPassword tells it.
	for _, hash := range []string{h, legacy} {
		if hashOutdated(hash, p) {
			t.Errorf("hashOutdated(%q) with the parameters it was made with", hash)
		}
	}
	for _, other := range []PasswordParams{{Memory: 128, Time: 1, Threads: 1}, {Memory: 64, Time: 2, Threads: 1}, {Memory: 64, Time: 1, Threads: 2}} {
		if !hashOutdated(h, other) {
			t.Errorf("hashOutdated(%q, %+v) = false, want true", h, other)
		}
	}
	if short := strings.Join(strings.Split(h, "$")[:5], "$") + "$" + b64.EncodeToString(make([]byte, 16)); !hashOutdated(short, p) {
		t.Errorf("hashOutdated(%q): a 16-byte key is not the %d-byte key hashes are made with now", short, keyLen)
	}
	if hashOutdated("not a hash", p) {
		t.Error("hashOutdated of a malformed hash, which matches nothing, is true")
	}
	// Twelve characters as a reader counts them, whatever their encoding.
	if msg := validatePassword(strings.Repeat("e\u0301", 11)); msg == "" {
		t.Error("eleven accented letters, each written as two code points, count as twelve characters or more")
	}
}

func TestValidateUsername(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"abc", true}, {"a-b_c9", true}, {"0abc", true}, {strings.Repeat("a", 32), true},
		{"ab", false}, {strings.Repeat("a", 33), false}, {"Abc", false}, {"_abc", false},
		{"a bc", false}, {"abc\n", false}, {"äbc", false}, {"", false},
	} {
		if got := validateUsername(tc.name) == ""; got != tc.ok {
			t.Errorf("validateUsername(%q) ok = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// BenchmarkPasswordHash measures one argon2id hash with the default
// parameters: the CPU time every login and signup spends on purpose.
func BenchmarkPasswordHash(b *testing.B) {
	p := defaultPasswordParams()
	for b.Loop() {
		if _, err := hashPassword("correct horse battery", p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestThrottleAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	} {
		if got := throttleAddr(tc.in); got != tc.want {
			t.Errorf("throttleAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPasswordWork: at most the slots' number of hashes run at once, at
// most maxWaiting more wait, the rest are refused at once with errBusy,
// and a waiter whose request ends gives up its place.
func TestPasswordWork(t *testing.T) {
	p := newPasswordWork(2, 1)
	var running, most atomic.Int64
	release := make(chan struct{})
	done := make(chan error, 3)
	work := func() {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		running.Add(-1)
	}
	for range 3 {
		go func() { done <- p.do(context.Background(), work) }()
	}
	// Two run and the third waits: wait until that is so.
	waitUntil(t, "two hashes run and one waits", func() bool { return running.Load() == 2 && p.waiting.Load() == 1 })
	if err := p.do(context.Background(), func() { t.Error("a fourth hash ran past the bound") }); !errors.Is(err, errBusy) {
		t.Errorf("fourth hash: %v, want errBusy", err)
	}
	close(release)
	for range 3 {
		if err := <-done; err != nil {
			t.Errorf("a hash that waited its turn: %v", err)
		}
	}
	if m := most.Load(); m != 2 {
		t.Errorf("%d hashes ran at once, want 2", m)
	}

	q := newPasswordWork(1, 4)
	hold := make(chan struct{})
	go q.do(context.Background(), func() { <-hold }) //nolint:errcheck // its slot is what matters
	waitUntil(t, "one hash runs", func() bool { return len(q.slots) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.do(ctx, func() { t.Error("a hash ran for a request that ended") }); !errors.Is(err, context.Canceled) {
		t.Errorf("hash of an ended request: %v, want context.Canceled", err)
	}
	if w := q.waiting.Load(); w != 0 {
		t.Errorf("%d waiting after the ended request left, want 0", w)
	}
	close(hold)
}

// waitUntil yields until cond holds, and fails the test if it never does
// (a bound against hanging, not a measure of speed).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}
