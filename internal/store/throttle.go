package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ThrottlePolicy sets the login throttle: password attempts are counted per
// key (account, logged-in session or client address) in fixed windows of
// length Window, and a key that used up its limit in the current window gets
// no more attempts (see ReserveAttempt). Sign-ups are counted the same way,
// per client address (SignupThrottleKey).
type ThrottlePolicy struct {
	// Window is the length of a counting window. It must be at least a
	// second.
	Window time.Duration
	// Max is the number of failed attempts one account, or one logged-in
	// session, may have in one window. It must be between 1 and 1<<20.
	Max int
	// MaxPerAddr is the same for one client address (AddrThrottleKey). It is
	// higher than Max by default because many people can share an address
	// (an office or a carrier's NAT): with Max alone, a few colleagues'
	// typos would lock them all out. Zero means Max; at most 1<<20.
	MaxPerAddr int
	// MaxSignupsPerAddr is the number of sign-ups one client address may
	// make in one window (SignupThrottleKey): every sign-up whose form is
	// valid counts, whether it creates an account or finds the name taken,
	// so that one address can neither create accounts without end nor probe
	// for taken names faster. Zero means MaxPerAddr; at most 1<<20.
	MaxSignupsPerAddr int
	// MaxLookups is the number of other users' names one account, and
	// one client address, may look up in one window by sharing
	// (LookupThrottleKey, LookupAddrThrottleKey): every name looked up
	// counts, found or not, so that sharing is not a way to learn which
	// names are taken much faster than signing up. Zero means twice
	// MaxSignupsPerAddr (a share looks its name up twice, on its
	// confirmation page and when it is made); at most 1<<20.
	MaxLookups int
}

// DefaultThrottlePolicy allows 10 failed logins per account and 100 per
// client address, 20 sign-ups per client address, and 40 lookups of users'
// names (20 shares) per account and per client address, in each 15-minute
// window.
var DefaultThrottlePolicy = ThrottlePolicy{Window: 15 * time.Minute, Max: 10, MaxPerAddr: 100, MaxSignupsPerAddr: 20, MaxLookups: 40}

// SetClock replaces the clock the Store reads the time from (time.Now by
// default): for throttle windows, timestamps and expiries. It is for tests,
// such as those that must not see a throttle window end at whatever time
// of day they run. Call it before the Store is used: it is not safe to
// call concurrently with other methods.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SetThrottlePolicy replaces the login throttle policy (the default is
// DefaultThrottlePolicy). Call it before the Store is used: it is not safe
// to call concurrently with other methods. Every instance sharing the tables
// should use the same policy.
func (s *Store) SetThrottlePolicy(p ThrottlePolicy) error {
	if p.Window < time.Second || p.Max < 1 || p.MaxPerAddr < 0 || p.MaxSignupsPerAddr < 0 || p.MaxLookups < 0 ||
		p.Max > maxThrottleCount || p.MaxPerAddr > maxThrottleCount || p.MaxSignupsPerAddr > maxThrottleCount || p.MaxLookups > maxThrottleCount {
		return fmt.Errorf("store: throttle policy window %v, max %d, max per address %d, max sign-ups per address %d, max lookups %d: want window ≥ 1s, max from 1 to %d and the others from 0 to %d",
			p.Window, p.Max, p.MaxPerAddr, p.MaxSignupsPerAddr, p.MaxLookups, maxThrottleCount, maxThrottleCount)
	}
	if p.MaxPerAddr == 0 {
		p.MaxPerAddr = p.Max
	}
	if p.MaxSignupsPerAddr == 0 {
		p.MaxSignupsPerAddr = p.MaxPerAddr
	}
	if p.MaxLookups == 0 {
		p.MaxLookups = min(2*p.MaxSignupsPerAddr, maxThrottleCount)
	}
	s.throttle = p
	return nil
}

// UserThrottleKey returns the throttle key counting failed logins of an
// account, for ReserveAttempt, LoginFailures and Attempt.Others.
func UserThrottleKey(username string) string { return userThrottle + username }

// SessionThrottleKey returns the throttle key counting wrong passwords given
// in one logged-in session, whose token is token: the password-change and
// account-delete forms ask for the current password, and are counted per
// session rather than per account, so that failed logins for an account
// cannot lock its owner out of them, while a stolen session still gets no
// more guesses than the limit. The key holds the token's SHA-256, as the
// session's own record does, never the token.
func SessionThrottleKey(token string) string { return sessionThrottle + hashToken(token) }

// AddrThrottleKey returns the throttle key counting failed logins from a
// client address (an IP address, without port).
func AddrThrottleKey(addr string) string { return addrThrottle + addr }

// SignupThrottleKey returns the throttle key counting sign-ups from a client
// address (an IP address, without port), limited by the policy's
// MaxSignupsPerAddr. A sign-up takes its slot with ReserveAttempt and keeps
// it.
func SignupThrottleKey(addr string) string { return signupThrottle + addr }

// LookupThrottleKey returns the throttle key counting the names of other
// users an account looks up (by sharing), limited by the policy's
// MaxLookups. A lookup takes its slot with ReserveAttempt and keeps it.
func LookupThrottleKey(username string) string { return lookupThrottle + username }

// LookupAddrThrottleKey is LookupThrottleKey for a client address (an IP
// address, without port).
func LookupAddrThrottleKey(addr string) string { return lookupAddrThrottle + addr }

// throttlePK returns the partition key of a throttle key (see schema.go:
// THROTTLE#user#<username>, THROTTLE#addr#<ip>,
// THROTTLE#sess#<sha256 hex token>, THROTTLE#signup#<ip>,
// THROTTLE#lookup#<username>, THROTTLE#lookupaddr#<ip>).
func throttlePK(k string) string { return throttlePrefix + k }

// maxThrottleKey bounds a throttle key, which carries user input.
const maxThrottleKey = 256

// maxThrottleCount bounds the limits of a ThrottlePolicy, and so every
// counter, which never exceeds its limit: an attacker cannot make one grow
// without bound. It is far above any sensible limit.
const maxThrottleCount = 1 << 20

// releaseTimeout bounds the writes that give slots back (Attempt.Release and
// the undoing of a refused ReserveAttempt), which do not end with the
// request's context.
const releaseTimeout = 10 * time.Second

const attrCount = "count"

// ErrTooManyAttempts means that a throttle key has used up its attempts in
// the current window: ReserveAttempt refused to take a slot. The error
// ReserveAttempt returns is a *TooManyAttemptsError, which says when.
var ErrTooManyAttempts = errors.New("too many attempts")

// TooManyAttemptsError is the error (wrapped) of a ReserveAttempt refused
// because a key used up its attempts; errors.Is matches it with
// ErrTooManyAttempts.
type TooManyAttemptsError struct {
	// RetryAfter is the time left in the current window, after which the
	// key has its whole limit again.
	RetryAfter time.Duration
}

func (e *TooManyAttemptsError) Error() string { return ErrTooManyAttempts.Error() }

// Is reports whether target is ErrTooManyAttempts.
func (e *TooManyAttemptsError) Is(target error) bool { return target == ErrTooManyAttempts }

// window returns the start of the throttle window containing now, as a sort
// key and as a time, and the window's end.
func (s *Store) window() (string, time.Time, time.Time) {
	start := s.now().UTC().Truncate(s.throttle.Window)
	return start.Format(throttleWindowLayout), start, start.Add(s.throttle.Window)
}

// limit returns the number of attempts key k may have in one window.
func (s *Store) limit(k string) int {
	switch {
	case strings.HasPrefix(k, addrThrottle):
		return s.throttle.MaxPerAddr
	case strings.HasPrefix(k, signupThrottle):
		return s.throttle.MaxSignupsPerAddr
	case strings.HasPrefix(k, lookupThrottle), strings.HasPrefix(k, lookupAddrThrottle):
		return s.throttle.MaxLookups
	}
	return s.throttle.Max
}

func checkThrottleKeys(keys []string) error {
	if len(keys) == 0 {
		return errors.New("no throttle key")
	}
	for i, k := range keys {
		if k == "" || len(k) > maxThrottleKey {
			return fmt.Errorf("throttle key of %d bytes: %w", len(k), ErrInvalid)
		}
		if slices.Contains(keys[:i], k) {
			return fmt.Errorf("throttle key %q given twice: %w", k, ErrInvalid)
		}
	}
	return nil
}

// LoginFailures returns the largest number of attempts counted in the
// current window for any of keys (made by UserThrottleKey,
// SessionThrottleKey and AddrThrottleKey): failed ones, and those still
// being checked. Reads are consistent, so every instance sees the same
// counts.
func (s *Store) LoginFailures(ctx context.Context, keys ...string) (int, error) {
	if err := checkThrottleKeys(keys); err != nil {
		return 0, fmt.Errorf("store: login failures: %w", err)
	}
	sk, _, end := s.window()
	most := 0
	for _, k := range keys {
		item, err := s.throttleRecord(ctx, k, sk)
		if err != nil {
			return 0, fmt.Errorf("store: login failures: %w", err)
		}
		// Expiry is checked on read like everywhere in the sessions table,
		// although a window's sort key already dates it.
		if exp, ok := expiresAt(item); !ok || exp.After(end) || !s.now().Before(exp) {
			continue
		}
		most = max(most, throttleCount(item))
	}
	return most, nil
}

// throttleRecord reads, consistently, the record of throttle key k for the
// window whose sort key is sk; it is empty when there is none.
func (s *Store) throttleRecord(ctx context.Context, k, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Sessions),
		Key:            key(throttlePK(k), sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, translate(err)
	}
	return out.Item, nil
}

// throttleCount returns the attempts counted in a throttle record, 0 when
// it counts none.
func throttleCount(item map[string]types.AttributeValue) int {
	if v, ok := item[attrCount].(*types.AttributeValueMemberN); ok {
		if c, err := strconv.Atoi(v.Value); err == nil {
			return c
		}
	}
	return 0
}

// Attempt is a password attempt that holds a slot in the current throttle
// window of each of its keys; see ReserveAttempt.
type Attempt struct {
	s     *Store
	sk    string    // the window the slots were taken in
	start time.Time // when that window started
	keys  []string  // the keys holding a slot
}

// ReserveAttempt takes a slot for one password attempt in the current
// window of each of keys (made by UserThrottleKey, SessionThrottleKey,
// AddrThrottleKey and SignupThrottleKey), and must be called before the
// password is checked. Each slot is one conditional ADD, which counts the
// attempt only if the key is below its limit (the policy's MaxPerAddr for an
// address, its MaxSignupsPerAddr for sign-ups, its Max for any other key): test and count are one atomic write, so however many attempts
// run at once, on however many instances, no more than the limit get a slot
// in a window. If a key is at its limit, the slots already taken for the
// other keys are given back and the error is a *TooManyAttemptsError.
//
// A wrong password keeps its slots: they are the failures the throttle
// counts, and they expire with their window. A right password gives them
// back with Release, so that successes do not use up the limit. Attempts
// still being checked hold their slots too, so a burst can be refused
// attempts that would have had room once the others succeeded: the
// throttle errs towards refusing.
//
// An instance that stops between ReserveAttempt and Release (a crash, or
// DynamoDB unreachable just then) leaves the slots taken, as if the
// password had been wrong; they are freed when the window ends, at most
// Window later. That is the price of counting before checking, which is
// what makes the limit hold.
func (s *Store) ReserveAttempt(ctx context.Context, keys ...string) (*Attempt, error) {
	if err := checkThrottleKeys(keys); err != nil {
		return nil, fmt.Errorf("store: reserve attempt: %w", err)
	}
	sk, start, end := s.window()
	a := &Attempt{s: s, sk: sk, start: start, keys: make([]string, 0, len(keys))}
	for _, k := range keys {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(s.tables.Sessions),
			Key:                 key(throttlePK(k), sk),
			UpdateExpression:    aws.String("SET #type = :type, #exp = :exp ADD #count :one"),
			ConditionExpression: aws.String("attribute_not_exists(#count) OR #count < :limit"),
			ExpressionAttributeNames: map[string]string{
				"#type": attrType, "#exp": attrExpiresAt, "#count": attrCount,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":type":  &types.AttributeValueMemberS{Value: typeThrottle},
				":exp":   ttl(end),
				":one":   &types.AttributeValueMemberN{Value: "1"},
				":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(s.limit(k))},
			},
		})
		if err == nil {
			a.keys = append(a.keys, k)
			continue
		}
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			err = &TooManyAttemptsError{RetryAfter: end.Sub(s.now())}
		} else {
			err = translate(err)
		}
		if rerr := a.Release(ctx); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, fmt.Errorf("store: reserve attempt: %w", err)
	}
	return a, nil
}

// Release gives back the attempt's slots; call it once the password proved
// right. The slots are given back in the window they were taken in, even
// if that window has ended since. Release does not end with ctx (a client
// that leaves while its right password is checked would otherwise leave
// its slots taken), but gives up after 10 seconds. Calling it again does
// nothing.
func (a *Attempt) Release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	var errs []error
	for _, k := range a.keys {
		// The condition keeps a record that is gone (expired, or deleted
		// with its account) from coming back with a negative count.
		_, err := a.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(a.s.tables.Sessions),
			Key:                      key(throttlePK(k), a.sk),
			UpdateExpression:         aws.String("ADD #count :minusOne"),
			ConditionExpression:      aws.String("#count > :zero"),
			ExpressionAttributeNames: map[string]string{"#count": attrCount},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":minusOne": &types.AttributeValueMemberN{Value: "-1"},
				":zero":     &types.AttributeValueMemberN{Value: "0"},
			},
		})
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			continue
		}
		if err != nil {
			errs = append(errs, translate(err))
		}
	}
	a.keys = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: release attempt: %w", err)
	}
	return nil
}

// Others returns the number of attempts other than a counted for key k in
// the window a took its slots in, and when that window started: on a
// successful login, with UserThrottleKey, how many failed attempts the
// account had in the window.
//
// Call it before Release: the count read then holds a's own slot, which
// Others leaves out. (After Release, or when a holds no slot on k, the
// count is returned as read, which still holds a's slot if Release failed.)
// The others are the attempts of that window that failed, those that took
// their slot and then ended in a server error (counted as failures, see
// ReserveAttempt), and those still being checked at the time of the read,
// which may yet succeed: a login running in parallel is counted. Attempts
// refused by the throttle took no slot and are not counted. The window is
// the one a's slots were taken in, even if it has ended since; attempts in
// the window after it are not counted. The read is one consistent GetItem.
func (a *Attempt) Others(ctx context.Context, k string) (int, time.Time, error) {
	if err := checkThrottleKeys([]string{k}); err != nil {
		return 0, time.Time{}, fmt.Errorf("store: other attempts: %w", err)
	}
	item, err := a.s.throttleRecord(ctx, k, a.sk)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: other attempts: %w", err)
	}
	// The record's expiry is not checked: its sort key names the window,
	// whose count stays what it was after the window ends, as Release
	// relies on too.
	n := throttleCount(item)
	if slices.Contains(a.keys, k) {
		n-- // a's own slot
	}
	return max(n, 0), a.start, nil
}
