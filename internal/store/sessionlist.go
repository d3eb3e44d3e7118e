package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxListedSessions bounds the sessions List looks at: the newest logins
// of the account whose tracking has not expired.
const MaxListedSessions = 100

// TrackedSession is a live session of a user, as List shows it.
type TrackedSession struct {
	// ID names the session without revealing its token: the hex SHA-256
	// of the token (see SessionID).
	ID string
	SessionInfo
	// Expires is when the session ends if it is not used before.
	Expires time.Time
}

// SessionID returns the ID of the session with token, as List gives it.
func SessionID(token string) string { return hashToken(token) }

var sessionIDRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// IsSessionID reports whether id has the form of a session ID.
func IsSessionID(id string) bool { return sessionIDRE.MatchString(id) }

// List returns the live sessions of username (tracked, neither ended nor
// expired), newest login first: the MaxListedSessions newest of them. It
// reads the record of each tracked session, newest first, until it has
// found that many live ones, so sessions that ended without being
// forgotten (by their idle timeout, say) cannot push a live one out of
// the list.
func (s *Sessions) List(ctx context.Context, username string) ([]TrackedSession, error) {
	return s.list(ctx, username, MaxListedSessions)
}

// ListAll is List without the bound: every live session of username, for
// signing them out, which must not miss one that List leaves out. It reads
// every tracked session, so it costs one read for each login whose
// tracking has not expired.
func (s *Sessions) ListAll(ctx context.Context, username string) ([]TrackedSession, error) {
	return s.list(ctx, username, 0)
}

// list is List looking at the newest logins only, or at all with newest 0.
func (s *Sessions) list(ctx context.Context, username string, newest int) ([]TrackedSession, error) {
	if err := checkUsername(username); err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	now := s.now()
	entries, err := s.tracked(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions of %q: %w", username, err)
	}
	var tracked []TrackedSession
	for _, e := range entries {
		if exp, ok := expiresAt(e); !ok || !now.Before(exp) {
			continue
		}
		t := TrackedSession{ID: attrString(e, attrSK)}
		if si, ok := unixAttr(e, attrSignedIn); ok {
			t.SignedIn = si
		}
		t.UserAgent, t.Addr = attrString(e, attrUserAgent), attrString(e, attrAddr)
		tracked = append(tracked, t)
	}
	slices.SortStableFunc(tracked, func(a, b TrackedSession) int { return b.SignedIn.Compare(a.SignedIn) })
	live := tracked[:0]
	for _, t := range tracked {
		if newest > 0 && len(live) == newest {
			break
		}
		_, exp, ok, err := s.getLive(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("store: list sessions of %q: %w", username, err)
		}
		if ok {
			t.Expires = exp
			live = append(live, t)
		}
	}
	return live, nil
}

// getLive reads the session record of token hash h with a consistent read
// and returns it with its expiry, or live false when it is missing, ended
// or expired.
func (s *Sessions) getLive(ctx context.Context, h string) (item map[string]types.AttributeValue, exp time.Time, live bool, err error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(sessionPK(h), sessionSK),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, time.Time{}, false, translate(err)
	}
	if len(out.Item) == 0 || out.Item[attrEnded] != nil {
		return nil, time.Time{}, false, nil
	}
	exp, ok := expiresAt(out.Item)
	if !ok || !s.now().Before(exp) {
		return nil, time.Time{}, false, nil
	}
	return out.Item, exp, true, nil
}

// End ends the session id of username, on every instance, and forgets it.
// It returns ErrInvalid for a malformed id and ErrNotFound when username
// has no tracked session id (never one of another user).
func (s *Sessions) End(ctx context.Context, username, id string) error {
	if err := checkUsername(username); err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	if !IsSessionID(id) {
		return fmt.Errorf("store: end session: malformed id: %w", ErrInvalid)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(userSessionsPK(username), id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("store: end session of %q: %w", username, translate(err))
	}
	if len(out.Item) == 0 {
		return fmt.Errorf("store: end session of %q: %w", username, ErrNotFound)
	}
	exp, _ := expiresAt(out.Item)
	if err := s.end(ctx, id, exp); err != nil {
		return fmt.Errorf("store: end session of %q: %w", username, err)
	}
	return s.forget(ctx, username, id)
}

// Untrack forgets the session token of username, once it has ended (at
// logout): List no longer looks at it.
func (s *Sessions) Untrack(ctx context.Context, username, token string) error {
	if err := checkUsername(username); err != nil {
		return fmt.Errorf("store: untrack session: %w", err)
	}
	return s.forget(ctx, username, hashToken(token))
}

// forget deletes the index entry of session hash h of username.
func (s *Sessions) forget(ctx context.Context, username, h string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table),
		Key:       key(userSessionsPK(username), h),
	})
	if err != nil {
		return fmt.Errorf("store: forget session of %q: %w", username, translate(err))
	}
	return nil
}
