// Package store is clickguard's DynamoDB repository: users, items, shares,
// the audit log, login and sign-up throttling and the scs session store.
//
// Every write is conditional and every mutation is written together with its
// audit record in one TransactWriteItems call. No AWS SDK type crosses the
// package boundary; callers speak in domain types and branch on the sentinel
// errors below with errors.Is.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sentinel errors returned (wrapped) by Store methods.
var (
	// ErrNotFound means the record does not exist or is not visible to the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a condition failed: the record changed since it was
	// read (optimistic locking) or a concurrent writer won.
	ErrConflict = errors.New("conflict")
	// ErrExists means a create found the key already taken.
	ErrExists = errors.New("already exists")
	// ErrUnavailable means DynamoDB could not be reached, throttled the call,
	// failed on its side or cancelled a transaction for another one in flight
	// on the same records: nothing was written and trying again may work.
	// The application answers 503.
	ErrUnavailable = errors.New("dynamodb unavailable")
	// ErrLimit means a documented limit (item size, items per account,
	// shares per item, embed origins per account) was reached.
	ErrLimit = errors.New("limit reached")
	// ErrSharedItemGone means an item shared with the user was deleted but
	// the user's entry for it is still there: the delete of an item shared
	// with more users than one transaction holds was interrupted. It wraps
	// ErrNotFound; [Store.LeaveShare] removes the entry.
	ErrSharedItemGone = fmt.Errorf("shared item was deleted: %w", ErrNotFound)
	// ErrIncomplete means a change was made but the cleanup that follows it
	// in separate calls did not finish: DeleteItem deleted the item, and
	// some grantees' entries for it remain (see ErrSharedItemGone); or
	// DeleteAccount marked the account, which is gone from then on, and
	// did not delete all its records (FinishDeletion finishes that).
	ErrIncomplete = errors.New("done, but the cleanup after it did not finish")
	// ErrAccountGone means the account a change or a read belongs to is
	// deleted, or its deletion has started ([Store.DeleteAccount]): nothing
	// may be written into it any more. It wraps ErrNotFound.
	ErrAccountGone = fmt.Errorf("account deleted: %w", ErrNotFound)
	// ErrSessionEnded means the session of the request a change was made
	// for (see [WithSessionMemo]) has ended since the request read it: it
	// was logged out, signed out from another session, or ended by a
	// password change or the account's deletion. Nothing was written. It
	// wraps no other sentinel: what the change names may well exist (the
	// account of the same name signed up again, say); the application
	// answers as it answers a form that outlived its session.
	ErrSessionEnded = errors.New("session ended")
)

// Tables names the DynamoDB tables clickguard uses.
type Tables struct {
	// Data holds users, items, shares and the audit log.
	Data string
	// Sessions holds scs sessions, the per-user session index and the login
	// and sign-up throttle counters; every record there carries the TTL
	// attribute.
	Sessions string
}

// TablesWithPrefix returns the table names for a prefix ("clickguard-" gives
// "clickguard-data" and "clickguard-sessions").
func TablesWithPrefix(prefix string) Tables {
	return Tables{Data: prefix + "data", Sessions: prefix + "sessions"}
}

// Store is the DynamoDB repository. It is safe for concurrent use.
type Store struct {
	db     *dynamodb.Client
	tables Tables
	now    func() time.Time

	// queryLimit, when positive, caps the records one Query call returns,
	// so that tests force pagination on backends without the 1 MB page.
	queryLimit int
	// throttle holds the login-throttle windows; see ThrottlePolicy.
	throttle ThrottlePolicy
	// maxItems is the most items one account may own; see SetMaxItems.
	maxItems int
}

// New returns a Store using client for the given tables.
func New(client *dynamodb.Client, t Tables) *Store {
	return &Store{db: client, tables: t, now: time.Now, throttle: DefaultThrottlePolicy, maxItems: MaxItems}
}

// getRecord reads the data table's record at pk, sk consistently. A missing
// record is ErrNotFound; an SDK error is translated.
func (s *Store) getRecord(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Data),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, translate(err)
	}
	if len(out.Item) == 0 {
		return nil, ErrNotFound
	}
	return out.Item, nil
}

// Actor describes who made a change and from where; it is copied into the
// audit record of every mutation.
type Actor struct {
	Username     string
	ClientAddr   string
	UserAgent    string
	SecFetchSite string
	Origin       string
}

// User is an account.
type User struct {
	Username     string
	PasswordHash string // argon2id, PHC string format
	EmbedOrigins []string
	CreatedAt    time.Time
	Version      int64

	deleting string // the mark of a deletion under way, "" for a live account
}

// Deletion returns the deletion under way of the account as it was read,
// for FinishDeletion, and false for a live account. Finishing that deletion
// never touches a later account of the same name.
func (u User) Deletion() (PendingDeletion, bool) {
	if u.deleting == "" {
		return PendingDeletion{}, false
	}
	return PendingDeletion{Username: u.Username, Marked: markTime(u.deleting, time.Time{}), mark: u.deleting}, true
}

// Item is a user's document.
type Item struct {
	ID         string // time-ordered, fixed width (newest sorts last)
	Owner      string
	Title      string
	Body       string
	Public     bool
	ShareCount int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// Share grants Grantee read-only access to one item of Owner.
type Share struct {
	ItemID    string
	Owner     string
	Grantee   string
	Title     string // item title when shared, for the grantee's list
	CreatedAt time.Time
}

// Event is one audit-log record.
type Event struct {
	Time   time.Time
	Action string // e.g. "item.create", "item.delete", "share.add", "export"
	Target string // item id or other subject
	Detail string
	Actor  Actor
}

// Page is one page of a paginated query: Next is an opaque cursor for the
// following page, empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}
