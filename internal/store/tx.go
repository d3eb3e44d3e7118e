package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// maxTransactItems is DynamoDB's limit on operations in one
// TransactWriteItems call.
const maxTransactItems = 100

// MaxTransactOps is the most operations a mutation may pass to transact:
// DynamoDB's limit less three, for the audit record, the check that the
// owner's account is live and the check that the request's session has not
// ended (see WithSessionMemo).
const MaxTransactOps = maxTransactItems - 3

// auditRecord is an audit event: pk USER#<username>, sk AUDIT#<time>#<hex>.
type auditRecord struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Type         string    `dynamodbav:"type"`
	Time         time.Time `dynamodbav:"time"`
	Action       string    `dynamodbav:"action"`
	Target       string    `dynamodbav:"target"`
	Detail       string    `dynamodbav:"detail"`
	Actor        string    `dynamodbav:"actor"`
	ClientAddr   string    `dynamodbav:"client_addr"`
	UserAgent    string    `dynamodbav:"user_agent"`
	SecFetchSite string    `dynamodbav:"sec_fetch_site"`
	Origin       string    `dynamodbav:"origin"`
}

func (r auditRecord) event() Event {
	return Event{
		Time:   r.Time,
		Action: r.Action,
		Target: r.Target,
		Detail: r.Detail,
		Actor: Actor{
			Username:     r.Actor,
			ClientAddr:   r.ClientAddr,
			UserAgent:    r.UserAgent,
			SecFetchSite: r.SecFetchSite,
			Origin:       r.Origin,
		},
	}
}

// Audit fields are cut to these lengths: they come from request headers.
const (
	maxAuditField  = 256
	maxAuditDetail = 1024
)

// newAuditRecord returns the audit record of ev in username's partition; a
// zero ev.Time means now. The request's address, browser and Fetch Metadata
// are kept only when username is the actor.
func (s *Store) newAuditRecord(username string, ev Event) (auditRecord, error) {
	t := ev.Time
	if t.IsZero() {
		t = s.now()
	}
	t = t.UTC()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return auditRecord{}, fmt.Errorf("audit suffix: %w", err)
	}
	if ev.Actor.Username != username {
		// Another user's action in this log (a grantee giving up a share):
		// what they did, never where from or with which browser.
		ev.Actor = Actor{Username: ev.Actor.Username}
	}
	return auditRecord{
		PK:           userPK(username),
		SK:           auditSK(t, hex.EncodeToString(b[:])),
		Type:         typeAudit,
		Time:         t,
		Action:       Cut(ev.Action, maxAuditField),
		Target:       Cut(ev.Target, maxAuditField),
		Detail:       Cut(ev.Detail, maxAuditDetail),
		Actor:        Cut(ev.Actor.Username, maxAuditField),
		ClientAddr:   Cut(ev.Actor.ClientAddr, maxAuditField),
		UserAgent:    Cut(ev.Actor.UserAgent, maxAuditField),
		SecFetchSite: Cut(ev.Actor.SecFetchSite, maxAuditField),
		Origin:       Cut(ev.Actor.Origin, maxAuditField),
	}, nil
}

// auditPut returns the conditional Put of ev's audit record in username's
// partition.
func (s *Store) auditPut(username string, ev Event) (types.TransactWriteItem, error) {
	rec, err := s.newAuditRecord(username, ev)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal audit record: %w", err)
	}
	return putNew(s.tables.Data, av), nil
}

// putNew is a transactional Put that refuses to overwrite.
func putNew(table string, av map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:           aws.String(table),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}
}

// conditionalUpdate is a transactional Update of the record at k in table,
// with the update, the condition and their names and values from expr.
func conditionalUpdate(table string, k map[string]types.AttributeValue, expr expression.Expression) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       k,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}
}

// accountCheck is the condition check that username's account exists and
// its deletion has not started: a transaction that writes into username's
// partition carries it, so that nothing reaches the partition once
// DeleteAccount has marked the profile.
func (s *Store) accountCheck(username string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                aws.String(s.tables.Data),
		Key:                      key(userPK(username), profileSK),
		ConditionExpression:      aws.String("attribute_exists(#pk) AND attribute_not_exists(#deleting)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#deleting": attrDeleting},
	}}
}

// sessionCheck returns the condition check that the session whose record
// this request read (ctx's memo, see WithSessionMemo) has not ended, and
// true; or false when ctx remembers no session (no memo, no session found,
// or one this request ended or renewed itself). A record not yet written
// passes: only a tombstone (attrEnded, see Sessions.end) fails it.
func (s *Store) sessionCheck(ctx context.Context) (types.TransactWriteItem, bool) {
	h := memoFrom(ctx).sessionHash()
	if h == "" {
		return types.TransactWriteItem{}, false
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                aws.String(s.tables.Sessions),
		Key:                      key(sessionPK(h), sessionSK),
		ConditionExpression:      aws.String("attribute_not_exists(#ended)"),
		ExpressionAttributeNames: map[string]string{"#ended": attrEnded},
	}}, true
}

// sessionEnded returns ErrSessionEnded for err, a transaction whose
// session check failed. The SDK error is kept as text only: whatever else
// failed beside the check is no answer for a request whose session has
// ended, and callers that ask which condition failed (conditionFailedAt)
// must not find one.
func sessionEnded(err error) error {
	return &dbError{kind: ErrSessionEnded, err: errors.New(err.Error())}
}

// transact writes ops and the audit record of ev (in owner's partition) in
// one TransactWriteItems call: all of them or none. Unless an op writes
// owner's profile itself (a transaction may not name one record twice, so
// that op must carry the condition), the transaction also checks that
// owner's account is live (accountCheck); when that check fails, transact
// returns ErrAccountGone. In a request whose context remembers its session
// (WithSessionMemo), it also checks that the session has not ended
// (sessionCheck); when that check fails and the account's has not,
// transact returns ErrSessionEnded, whatever else failed. The checks and
// the audit Put come after ops, so indexes into ops keep their meaning for
// failedConditions and conditionFailedAt. Any other failed condition is
// ErrConflict; callers that need ErrNotFound or ErrExists test which op
// failed with conditionFailedAt. With no ops, transact writes the audit
// record alone. A transaction cancelled only because another one held the
// same records is tried again, twice, before it is ErrUnavailable.
func (s *Store) transact(ctx context.Context, owner string, ev Event, ops ...types.TransactWriteItem) error {
	if len(ops) > MaxTransactOps {
		return fmt.Errorf("transact: %d operations, want at most %d", len(ops), MaxTransactOps)
	}
	audit, err := s.auditPut(owner, ev)
	if err != nil {
		return fmt.Errorf("transact: %w", err)
	}
	check := !s.touches(ops, userPK(owner), profileSK)
	items := make([]types.TransactWriteItem, 0, len(ops)+3)
	items = append(items, ops...)
	if check {
		items = append(items, s.accountCheck(owner))
	}
	sessionAt := -1 // the index of the session check, if any
	if session, ok := s.sessionCheck(ctx); ok {
		sessionAt = len(items)
		items = append(items, session)
	}
	items = append(items, audit)
	err = s.transactWrite(ctx, items)
	if unknownOperation(err) {
		// dynalite: say so plainly rather than fail with an opaque 400.
		return fmt.Errorf("%w: %w", ErrNoTransactions, err)
	}
	// An account being deleted says more than the session its deletion
	// ended: the owner hears that the account is gone.
	if check && conditionFailedAt(err, len(ops)) {
		return &dbError{kind: ErrAccountGone, err: err}
	}
	if sessionAt >= 0 && conditionFailedAt(err, sessionAt) {
		return sessionEnded(err)
	}
	return translate(err)
}

// transactWrite sends items in one TransactWriteItems call and returns the
// SDK's error untranslated. Another transaction in flight on the same
// records cancels this one before any condition is compared; it is usually
// over within milliseconds, so transactWrite tries again twice before it
// returns that cancellation (which translate makes ErrUnavailable).
func (s *Store) transactWrite(ctx context.Context, items []types.TransactWriteItem) error {
	return retryInFlight(ctx, inFlightConflict, func() error {
		// A new input each time: the SDK writes the client token it makes
		// into the input, and a try after a cancelled one is a new
		// request, not a replay that DynamoDB could answer as it did.
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
}

// retryInFlight calls send and, while conflict says its error is another
// transaction in flight on the same records, calls it again, twice at most,
// after 15 and then 30 ms: such a transaction is usually over within
// milliseconds. It returns send's last error, untranslated.
func retryInFlight(ctx context.Context, conflict func(error) bool, send func() error) error {
	err := send()
	for attempt := 1; attempt <= 2 && conflict(err); attempt++ {
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 15 * time.Millisecond):
		}
		err = send()
	}
	return err
}

// touches reports whether one of ops names the data table's record pk, sk.
func (s *Store) touches(ops []types.TransactWriteItem, pk, sk string) bool {
	for _, op := range ops {
		var table *string
		var k map[string]types.AttributeValue
		switch {
		case op.Put != nil:
			table, k = op.Put.TableName, op.Put.Item
		case op.Update != nil:
			table, k = op.Update.TableName, op.Update.Key
		case op.Delete != nil:
			table, k = op.Delete.TableName, op.Delete.Key
		case op.ConditionCheck != nil:
			table, k = op.ConditionCheck.TableName, op.ConditionCheck.Key
		}
		if deref(table) == s.tables.Data && attrString(k, attrPK) == pk && attrString(k, attrSK) == sk {
			return true
		}
	}
	return false
}

// CheckTransactions reports whether the server implements
// TransactWriteItems, by a transaction whose only operation is a condition
// check on a key no record uses: it writes nothing. It returns an error
// wrapping ErrNoTransactions on a server without transactions, so that the
// application refuses to start there rather than fail on the first change.
func (s *Store) CheckTransactions(ctx context.Context) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
		ConditionCheck: &types.ConditionCheck{
			TableName:           aws.String(s.tables.Data),
			Key:                 key(probePK, probePK),
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		},
	}}})
	if unknownOperation(err) {
		return fmt.Errorf("store: check transactions: %w: %w", ErrNoTransactions, err)
	}
	if err := translate(err); err != nil && !errors.Is(err, ErrConflict) {
		// A failed condition still proves that transactions work.
		return fmt.Errorf("store: check transactions: %w", err)
	}
	return nil
}

func unknownOperation(err error) bool {
	ae, ok := errors.AsType[smithy.APIError](err)
	return ok && ae.ErrorCode() == "UnknownOperationException"
}

// Cut returns s shortened to at most n bytes, on a rune boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
