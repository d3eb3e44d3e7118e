package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sessions is an scs session store ([scs.CtxStore]) in DynamoDB, shared by
// every app instance using the same table. It is safe for concurrent use.
//
// A session is stored under the SHA-256 of its token, so the table never holds
// a usable token. Expiry is enforced on every read: DynamoDB's TTL deletes
// expired records lazily, up to days later. Reads are strongly consistent, so
// a logout on one instance holds on every other at once. Deleting a session
// leaves a tombstone for 31 days (longer than any session lives), so that a
// request still in flight on another instance cannot commit the ended
// session back to life.
//
// With scs's idle timeout, scs commits every session it loads, to move its
// expiry later. In a request whose context comes from [WithSessionMemo],
// such a commit is skipped when it would write the bytes just read and only
// move the expiry later by less than CommitGrace: a page view then costs one
// session read and no write. The stored expiry therefore trails the last
// request by at most CommitGrace (and at most a tenth of the idle timeout),
// so a session may end that much before its idle timeout, never after it.
// Use [SessionCodec] so that unchanged data encodes to the same bytes. The
// same memo binds the request's [Store] transactions to its session (see
// [WithSessionMemo]).
//
// Sessions does not run a cleanup goroutine: TTL removes old records.
type Sessions struct {
	// CommitGrace is how much later than the stored expiry an unchanged
	// session's commit may ask for and still be skipped. Zero means
	// DefaultCommitGrace; a negative value writes every commit. Set it
	// before use.
	CommitGrace time.Duration

	db    *dynamodb.Client
	table string
	now   func() time.Time
}

var _ scs.CtxStore = (*Sessions)(nil)

// NewSessions returns the session store in table (the sessions table).
func NewSessions(client *dynamodb.Client, table string) *Sessions {
	return &Sessions{db: client, table: table, now: time.Now}
}

// Session record attributes, besides pk, sk, type and expires_at.
const (
	attrData  = "data"
	attrEnded = "ended"
)

// maxTombstone is how long the tombstone of an ended session is kept at
// least; it must exceed the sessions' lifetime.
const maxTombstone = 31 * 24 * time.Hour

// hashToken returns the hex SHA-256 of a session token.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// FindCtx returns the data of the session token. A missing, ended, expired
// or malformed session is found == false with a nil error, as scs requires;
// err is non-nil only when DynamoDB could not be asked. A found session is
// remembered in ctx's memo, if any (see [WithSessionMemo]).
func (s *Sessions) FindCtx(ctx context.Context, token string) (b []byte, found bool, err error) {
	memo := memoFrom(ctx)
	memo.forget()
	if token == "" {
		return nil, false, nil
	}
	h := hashToken(token)
	item, exp, live, err := s.getLive(ctx, h)
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	if !live {
		return nil, false, nil
	}
	switch data := item[attrData].(type) {
	case *types.AttributeValueMemberB:
		b = data.Value
	case *types.AttributeValueMemberNULL:
		b = []byte{} // committed empty
	default:
		return nil, false, nil
	}
	memo.remember(h, b, exp)
	return b, true, nil
}

// expiresAt reads the TTL attribute of a record.
func expiresAt(item map[string]types.AttributeValue) (time.Time, bool) {
	return unixAttr(item, attrExpiresAt)
}

// unixAttr reads a time stored as Unix seconds in attribute name.
func unixAttr(item map[string]types.AttributeValue, name string) (time.Time, bool) {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// ttl returns the TTL attribute value for t. It rounds down to the second,
// so a session ends up to a second early, never late.
func ttl(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// CommitCtx stores the session token with data b until expiry, creating or
// replacing it. Committing a session that was deleted (by logout, possibly
// on another instance) does nothing and returns nil: the session stays ended.
//
// In a request with a memo ([WithSessionMemo]), a commit of the same token
// with the bytes this request read and an expiry later than the stored one
// by less than the grace (see [Sessions.CommitGrace]) writes nothing: the
// record keeps its data and its slightly earlier expiry. Skipping writes
// nothing, so it can neither revive an ended session nor undo a change made
// meanwhile by another request.
func (s *Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h := hashToken(token)
	memo := memoFrom(ctx)
	if memo.unchanged(h, b, expiry, s.now(), s.grace()) {
		return nil
	}
	// Empty data is stored as NULL: minidyn rejects an empty binary value.
	var data types.AttributeValue = &types.AttributeValueMemberB{Value: b}
	if len(b) == 0 {
		data = &types.AttributeValueMemberNULL{Value: true}
	}
	err := s.updateRecord(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(sessionPK(h), sessionSK),
		UpdateExpression:    aws.String("SET #type = :type, #data = :data, #exp = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(#ended)"),
		ExpressionAttributeNames: map[string]string{
			"#type": attrType, "#data": attrData, "#exp": attrExpiresAt, "#ended": attrEnded,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type": &types.AttributeValueMemberS{Value: typeSession},
			":data": data,
			":exp":  ttl(expiry),
		},
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		// Ended meanwhile; fail closed without failing the request.
		memo.forget()
		return nil
	}
	if err != nil {
		memo.forget()
		return fmt.Errorf("store: commit session: %w", translate(err))
	}
	memo.remember(h, b, time.Unix(expiry.Unix(), 0)) // as ttl stores it
	return nil
}

// grace returns the effective CommitGrace.
func (s *Sessions) grace() time.Duration {
	if s.CommitGrace == 0 {
		return DefaultCommitGrace
	}
	return s.CommitGrace
}

// DeleteCtx ends the session token and forgets what ctx's memo remembers
// (see [WithSessionMemo]), so that the request's later writes are bound to
// no session. Ending a missing session is not an error.
func (s *Sessions) DeleteCtx(ctx context.Context, token string) error {
	memoFrom(ctx).forget()
	if err := s.end(ctx, hashToken(token), time.Time{}); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// end turns the session with token hash h into a tombstone: its data is
// emptied and it is marked ended for maxTombstone, or until until when that
// is later, which outlives any commit still in flight. The write is
// deliberately unconditional: ending a session must win over any concurrent
// commit, and CommitCtx is conditional on the session not being ended.
func (s *Sessions) end(ctx context.Context, h string, until time.Time) error {
	fallback := s.now().Add(maxTombstone)
	if until.After(fallback) {
		fallback = until
	}
	err := s.updateRecord(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              key(sessionPK(h), sessionSK),
		UpdateExpression: aws.String("SET #type = :type, #data = :empty, #ended = :true, #exp = :exp"),
		ExpressionAttributeNames: map[string]string{
			"#type": attrType, "#data": attrData, "#exp": attrExpiresAt, "#ended": attrEnded,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type":  &types.AttributeValueMemberS{Value: typeSession},
			":empty": &types.AttributeValueMemberNULL{Value: true},
			":true":  &types.AttributeValueMemberBOOL{Value: true},
			":exp":   ttl(fallback),
		},
	})
	return translate(err)
}

// updateRecord sends in, an update of a session record, and returns the
// SDK's error untranslated. Every transaction of a request of the session
// checks the record (see WithSessionMemo), and DynamoDB refuses a write of
// a record that a transaction in flight holds with a
// TransactionConflictException, which the SDK does not retry. The
// transaction is usually over within milliseconds, so updateRecord tries
// again twice: a commit, or the end of the session, must not fail for a
// change the session is making.
func (s *Sessions) updateRecord(ctx context.Context, in *dynamodb.UpdateItemInput) error {
	return retryInFlight(ctx, transactionConflict, func() error {
		_, err := s.db.UpdateItem(ctx, in)
		return err
	})
}

// transactionConflict reports whether err is DynamoDB's refusal of a write
// to a record that a transaction in flight holds.
func transactionConflict(err error) bool {
	_, ok := errors.AsType[*types.TransactionConflictException](err)
	return ok
}

// Find is FindCtx with context.Background, for scs.Store.
func (s *Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx with context.Background, for scs.Store.
func (s *Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx with context.Background, for scs.Store.
func (s *Sessions) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// SessionInfo describes a login, for the user's list of sessions.
type SessionInfo struct {
	SignedIn  time.Time
	UserAgent string // kept to maxSessionField bytes
	Addr      string // the client address, kept to maxSessionField bytes
}

// Session index entry attributes, besides pk, sk, type and expires_at.
const (
	attrSignedIn  = "signed_in"
	attrUserAgent = "user_agent"
	attrAddr      = "addr"
)

// maxSessionField bounds the strings of a SessionInfo as stored.
const maxSessionField = 256

// Track records that session token belongs to username until expiry, so that
// EndAll can end it and List can show it with info. Call it at login with
// the renewed token before the session holds the user (a session EndAll
// cannot find must never be logged in), and whenever the session's expiry
// moves later; tracking never shortens an entry.
func (s *Sessions) Track(ctx context.Context, username, token string, expiry time.Time, info SessionInfo) error {
	if err := checkUsername(username); err != nil {
		return fmt.Errorf("store: track session: %w", err)
	}
	update := "SET #type = :type, #exp = :exp"
	names := map[string]string{"#type": attrType, "#exp": attrExpiresAt}
	values := map[string]types.AttributeValue{
		":type": &types.AttributeValueMemberS{Value: typeSession},
		":exp":  ttl(expiry),
	}
	if !info.SignedIn.IsZero() {
		update += ", #si = :si"
		names["#si"], values[":si"] = attrSignedIn, ttl(info.SignedIn)
	}
	// Empty strings are left out: not every DynamoDB implementation
	// stores them.
	for _, f := range []struct{ attr, name, value string }{
		{attrUserAgent, "#ua", info.UserAgent},
		{attrAddr, "#addr", info.Addr},
	} {
		if v := Cut(f.value, maxSessionField); v != "" {
			update += ", " + f.name + " = :" + f.attr
			names[f.name] = f.attr
			values[":"+f.attr] = &types.AttributeValueMemberS{Value: v}
		}
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(userSessionsPK(username), hashToken(token)),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_not_exists(#exp) OR #exp < :exp"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return nil // already tracked at least as long
	}
	if err != nil {
		return fmt.Errorf("store: track session of %q: %w", username, translate(err))
	}
	return nil
}

// EndAll ends every tracked session of username, on every instance: the
// sessions become tombstones and the index entries are deleted. It is used
// at password change and account deletion (the caller then renews its own
// token if the user stays logged in).
func (s *Sessions) EndAll(ctx context.Context, username string) error {
	entries, err := s.tracked(ctx, username)
	if err != nil {
		return fmt.Errorf("store: end sessions of %q: %w", username, err)
	}
	for _, e := range entries {
		if err := s.endTracked(ctx, username, e); err != nil {
			return fmt.Errorf("store: end sessions of %q: %w", username, err)
		}
	}
	return nil
}

// EndOthers is EndAll for every session of username but the one with id
// keep (see SessionID): all of them, not only those List shows. It returns
// how many of them were live.
func (s *Sessions) EndOthers(ctx context.Context, username, keep string) (int, error) {
	entries, err := s.tracked(ctx, username)
	if err != nil {
		return 0, fmt.Errorf("store: end other sessions of %q: %w", username, err)
	}
	n := 0
	for _, e := range entries {
		if attrString(e, attrSK) == keep {
			continue
		}
		_, _, live, err := s.getLive(ctx, attrString(e, attrSK))
		if err != nil {
			return n, fmt.Errorf("store: end other sessions of %q: %w", username, err)
		}
		if err := s.endTracked(ctx, username, e); err != nil {
			return n, fmt.Errorf("store: end other sessions of %q: %w", username, err)
		}
		if live {
			n++
		}
	}
	return n, nil
}

// tracked returns every entry of username's session index, read
// consistently, whether or not its session is still live.
func (s *Sessions) tracked(ctx context.Context, username string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: userSessionsPK(username)}},
		ConsistentRead:            aws.Bool(true),
	}
	// Collect first, then write: deleting while paging could skip entries.
	var entries []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, translate(err)
		}
		entries = append(entries, out.Items...)
	}
	return entries, nil
}

// endTracked ends the session of index entry e of username and deletes the
// entry.
func (s *Sessions) endTracked(ctx context.Context, username string, e map[string]types.AttributeValue) error {
	h := attrString(e, attrSK)
	exp, _ := expiresAt(e)
	if err := s.end(ctx, h, exp); err != nil {
		return err
	}
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(userSessionsPK(username), h),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); err != nil && !ok {
		return translate(err)
	}
	return nil
}
