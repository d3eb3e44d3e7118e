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

// ThrottlePolicy sets the login throttle: failures are counted per key
// (account or client address) in fixed windows of length Window; a key with
// its limit of failures or more in the current window is throttled.
type ThrottlePolicy struct {
	// Window is the length of a counting window. It must be positive.
	Window time.Duration
	// Max is the number of failures of one account in one window at which
	// LoginThrottled reports true. It must be positive.
	Max int
	// MaxPerAddr is the same for one client address (AddrThrottleKey). It is
	// higher than Max by default because many people can share an address
	// (an office or a carrier's NAT): with Max alone, a few colleagues'
	// typos would lock them all out. Zero means Max.
	MaxPerAddr int
}

// DefaultThrottlePolicy allows 10 failed logins per account and 100 per
// client address in each 15-minute window.
var DefaultThrottlePolicy = ThrottlePolicy{Window: 15 * time.Minute, Max: 10, MaxPerAddr: 100}

// SetThrottlePolicy replaces the login throttle policy (the default is
// DefaultThrottlePolicy). Call it before the Store is used: it is not safe
// to call concurrently with other methods. Every instance sharing the tables
// should use the same policy.
func (s *Store) SetThrottlePolicy(p ThrottlePolicy) error {
	if p.Window < time.Second || p.Max < 1 || p.MaxPerAddr < 0 {
		return fmt.Errorf("store: throttle policy window %v, max %d, max per address %d: want window ≥ 1s, max ≥ 1 and max per address ≥ 0",
			p.Window, p.Max, p.MaxPerAddr)
	}
	if p.MaxPerAddr == 0 {
		p.MaxPerAddr = p.Max
	}
	s.throttle = p
	return nil
}

// UserThrottleKey returns the throttle key counting failed logins of an
// account, for LoginFailures and RecordLoginFailure.
func UserThrottleKey(username string) string { return userThrottle + username }

// AddrThrottleKey returns the throttle key counting failed logins from a
// client address (an IP address, without port).
func AddrThrottleKey(addr string) string { return addrThrottle + addr }

// throttlePK returns the partition key of a throttle key (see schema.go:
// THROTTLE#user#<username>, THROTTLE#addr#<ip>).
func throttlePK(k string) string { return throttlePrefix + k }

// maxThrottleKey bounds a throttle key, which carries user input.
const maxThrottleKey = 256

// maxThrottleCount stops a counter from growing without bound under attack;
// it is far above any sensible ThrottlePolicy.Max.
const maxThrottleCount = 1 << 20

const attrCount = "count"

// window returns the start of the throttle window containing now, as a sort
// key, and the window's end.
func (s *Store) window() (string, time.Time) {
	start := s.now().UTC().Truncate(s.throttle.Window)
	return start.Format(throttleWindowLayout), start.Add(s.throttle.Window)
}

func checkThrottleKeys(keys []string) error {
	if len(keys) == 0 {
		return errors.New("no throttle key")
	}
	for _, k := range keys {
		if k == "" || len(k) > maxThrottleKey {
			return fmt.Errorf("throttle key of %d bytes: %w", len(k), ErrInvalid)
		}
	}
	return nil
}

// LoginFailures returns the largest number of failed logins recorded in the
// current window for any of keys (made by UserThrottleKey and
// AddrThrottleKey). Reads are consistent, so every instance sees the same
// counts.
func (s *Store) LoginFailures(ctx context.Context, keys ...string) (int, error) {
	counts, err := s.loginFailures(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("store: login failures: %w", err)
	}
	return slices.Max(counts), nil
}

// loginFailures returns the count of each key in the current window.
func (s *Store) loginFailures(ctx context.Context, keys []string) ([]int, error) {
	if err := checkThrottleKeys(keys); err != nil {
		return nil, err
	}
	sk, end := s.window()
	counts := make([]int, len(keys))
	for i, k := range keys {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.tables.Sessions),
			Key:            key(throttlePK(k), sk),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, translate(err)
		}
		// Expiry is checked on read like everywhere in the sessions table,
		// although a window's sort key already dates it.
		if exp, ok := expiresAt(out.Item); !ok || exp.After(end) || !s.now().Before(exp) {
			continue
		}
		n, ok := out.Item[attrCount].(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		if c, err := strconv.Atoi(n.Value); err == nil {
			counts[i] = c
		}
	}
	return counts, nil
}

// LoginThrottled reports whether any of keys reached its limit in the
// current window: the policy's MaxPerAddr for a key made by AddrThrottleKey,
// its Max for any other.
func (s *Store) LoginThrottled(ctx context.Context, keys ...string) (bool, error) {
	counts, err := s.loginFailures(ctx, keys)
	if err != nil {
		return false, fmt.Errorf("store: login throttled: %w", err)
	}
	for i, k := range keys {
		limit := s.throttle.Max
		if strings.HasPrefix(k, addrThrottle) {
			limit = s.throttle.MaxPerAddr
		}
		if counts[i] >= limit {
			return true, nil
		}
	}
	return false, nil
}

// RecordLoginFailure counts one failed login against each of keys in the
// current window, atomically (ADD), so that concurrent failures on several
// instances all count. The counters expire with their window.
func (s *Store) RecordLoginFailure(ctx context.Context, keys ...string) error {
	if err := checkThrottleKeys(keys); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	sk, end := s.window()
	for _, k := range keys {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(s.tables.Sessions),
			Key:                 key(throttlePK(k), sk),
			UpdateExpression:    aws.String("SET #type = :type, #exp = :exp ADD #count :one"),
			ConditionExpression: aws.String("attribute_not_exists(#count) OR #count < :cap"),
			ExpressionAttributeNames: map[string]string{
				"#type": attrType, "#exp": attrExpiresAt, "#count": attrCount,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":type": &types.AttributeValueMemberS{Value: typeThrottle},
				":exp":  ttl(end),
				":one":  &types.AttributeValueMemberN{Value: "1"},
				":cap":  &types.AttributeValueMemberN{Value: strconv.Itoa(maxThrottleCount)},
			},
		})
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			continue // at the cap: throttled anyway
		}
		if err != nil {
			return fmt.Errorf("store: record login failure: %w", translate(err))
		}
	}
	return nil
}
