package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrInvalid means an argument can never be stored as given, such as a
// username with a character that key formats reserve.
var ErrInvalid = errors.New("invalid")

// MaxUsernameBytes is the longest username the store accepts.
const MaxUsernameBytes = 64

// userRecord is an account: pk USER#<username>, sk PROFILE.
type userRecord struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Type         string    `dynamodbav:"type"`
	Username     string    `dynamodbav:"username"`
	PasswordHash string    `dynamodbav:"password_hash"`
	EmbedOrigins []string  `dynamodbav:"embed_origins"`
	CreatedAt    time.Time `dynamodbav:"created_at"`
	Version      int64     `dynamodbav:"version"`
	// Deleting is set (to the deletion's mark: the time it started and 8
	// random hex digits) once DeleteAccount has begun; the account is gone
	// from then on.
	Deleting string `dynamodbav:"deleting,omitempty"`
}

func (r userRecord) user() User {
	return User{
		Username:     r.Username,
		PasswordHash: r.PasswordHash,
		EmbedOrigins: r.EmbedOrigins,
		CreatedAt:    r.CreatedAt,
		Version:      r.Version,
		deleting:     r.Deleting,
	}
}

// checkUsername returns an error wrapping ErrInvalid unless name can be part
// of a key: 1 to MaxUsernameBytes bytes of UTF-8, without '#' (the key
// separator), spaces or control characters. The application's own rules for
// usernames are stricter; this is the storage floor.
func checkUsername(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty username: %w", ErrInvalid)
	case len(name) > MaxUsernameBytes:
		return fmt.Errorf("username longer than %d bytes: %w", MaxUsernameBytes, ErrInvalid)
	case !utf8.ValidString(name):
		return fmt.Errorf("username is not UTF-8: %w", ErrInvalid)
	case strings.ContainsFunc(name, func(r rune) bool { return r == '#' || unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("username %q has '#', a space or a control character: %w", name, ErrInvalid)
	}
	return nil
}

// CreateUser stores a new account with u's username, password hash and embed
// origins, version 1, created now, together with its audit record
// ("user.create"). It returns ErrExists when the username is taken; nothing
// is written then.
func (s *Store) CreateUser(ctx context.Context, u User, a Actor) (User, error) {
	if err := checkUsername(u.Username); err != nil {
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	rec := userRecord{
		PK:           userPK(u.Username),
		SK:           profileSK,
		Type:         typeUser,
		Username:     u.Username,
		PasswordHash: u.PasswordHash,
		EmbedOrigins: u.EmbedOrigins,
		CreatedAt:    s.now().UTC(),
		Version:      1,
	}
	if len(rec.EmbedOrigins) == 0 {
		// Stored as NULL, not as an empty list: minidyn cannot store an
		// empty list (it fails every later read of the item).
		rec.EmbedOrigins = nil
	}
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return User{}, fmt.Errorf("store: create user %q: marshal: %w", u.Username, err)
	}
	ev := Event{Action: "user.create", Target: u.Username, Actor: a}
	err = s.transact(ctx, u.Username, ev, putNew(s.tables.Data, av))
	if conditionFailedAt(err, 0) {
		return User{}, fmt.Errorf("store: create user %q: %w", u.Username, ErrExists)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: create user %q: %w", u.Username, err)
	}
	return rec.user(), nil
}

// GetUser returns the account username, read consistently, or ErrNotFound.
// An account whose deletion has started and not finished (DeleteAccount was
// interrupted) is ErrAccountGone, an ErrNotFound, returned together with the
// account, so that a login can check the password before finishing the
// deletion; every other caller treats it as not found.
func (s *Store) GetUser(ctx context.Context, username string) (User, error) {
	if checkUsername(username) != nil {
		return User{}, fmt.Errorf("store: get user %q: %w", username, ErrNotFound)
	}
	av, err := s.getRecord(ctx, userPK(username), profileSK)
	if err != nil {
		return User{}, fmt.Errorf("store: get user %q: %w", username, err)
	}
	var rec userRecord
	if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
		return User{}, fmt.Errorf("store: get user %q: unmarshal: %w", username, err)
	}
	if rec.Deleting != "" {
		return rec.user(), fmt.Errorf("store: get user %q: deletion started %s: %w", username, rec.Deleting, ErrAccountGone)
	}
	return rec.user(), nil
}

// SetPassword replaces username's password hash if the account is still at
// version (the one the caller read), with its audit record
// ("user.password"; the hash is not in it). It returns nil once the new
// hash is written, ErrConflict when the version moved on, or ErrNotFound
// (ErrAccountGone while its deletion runs) when the account is gone. It
// reads nothing back: an error always means the password is unchanged, so
// that a caller never tells a user to try again with a password that no
// longer works.
func (s *Store) SetPassword(ctx context.Context, username, hash string, version int64, a Actor) error {
	op, err := s.profileUpdate(username, version, expression.Set(expression.Name("password_hash"), expression.Value(hash)))
	if err != nil {
		return fmt.Errorf("store: set password of %q: build: %w", username, err)
	}
	ev := Event{Action: "user.password", Target: username, Actor: a}
	err = s.profileGone(ctx, username, s.transact(ctx, username, ev, op))
	if err != nil {
		return fmt.Errorf("store: set password of %q: %w", username, err)
	}
	return nil
}

// RehashPassword replaces username's password hash old with hash, the same
// password hashed again (with newer parameters, say), on condition that the
// profile still holds old and its deletion has not started. It changes no
// password: the version stays, so that no form of the account open
// elsewhere conflicts with it, and it writes no audit record. It returns
// ErrConflict when the profile no longer holds old (the password changed,
// or was hashed again, meanwhile) or the account is gone.
func (s *Store) RehashPassword(ctx context.Context, username, old, hash string) error {
	cond := expression.Name("password_hash").Equal(expression.Value(old)).
		And(expression.AttributeNotExists(expression.Name(attrDeleting)))
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("password_hash"), expression.Value(hash))).
		WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("store: rehash password of %q: build: %w", username, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Data),
		Key:                       key(userPK(username), profileSK),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err := translate(err); err != nil {
		return fmt.Errorf("store: rehash password of %q: %w", username, err)
	}
	return nil
}

// profileUpdate is the transactional Update of username's profile that
// applies set and bumps the version, on condition that the profile is still
// at version (the one the caller read) and its deletion has not started
// (transact adds no account check to a transaction that writes the profile):
// a failed condition in transact is ErrConflict, whatever the reason; see
// profileGone.
func (s *Store) profileUpdate(username string, version int64, set expression.UpdateBuilder) (types.TransactWriteItem, error) {
	set = set.Set(expression.Name(attrVersion), expression.Value(version+1))
	cond := expression.Name(attrVersion).Equal(expression.Value(version)).
		And(expression.AttributeNotExists(expression.Name(attrDeleting)))
	expr, err := expression.NewBuilder().WithUpdate(set).WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return conditionalUpdate(s.tables.Data, key(userPK(username), profileSK), expr), nil
}

// profileGone returns err, the result of a profileUpdate transaction, or the
// reason the account is gone (ErrNotFound or ErrAccountGone) when err is a
// failed condition and the account is gone: that, not a version that moved
// on, is what the caller must hear.
func (s *Store) profileGone(ctx context.Context, username string, err error) error {
	if !errors.Is(err, ErrConflict) {
		return err
	}
	if _, gerr := s.GetUser(ctx, username); errors.Is(gerr, ErrNotFound) {
		return gerr
	}
	return err
}
