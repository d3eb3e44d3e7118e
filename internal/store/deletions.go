package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// deletionRecord is a pending account deletion: pk DELETIONS, sk
// <username>. DeleteAccount writes it in the transaction that marks the
// profile and deletes it after the profile, so every marked profile has
// one, and an interrupted deletion is found by one Query of this partition.
type deletionRecord struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	Type     string    `dynamodbav:"type"`
	Username string    `dynamodbav:"username"`
	Marked   time.Time `dynamodbav:"marked"`
	// Mark is the profile's deleting value this record stands for: a
	// record whose mark the profile no longer carries is left over from a
	// deletion that has ended.
	Mark string `dynamodbav:"mark"`
}

const typeDeletion = "deletion"

// PendingDeletion is an account whose deletion has started and not ended:
// a deletion in progress, or one that was interrupted.
type PendingDeletion struct {
	Username string
	// Marked is when the deletion started.
	Marked time.Time
	// mark is the profile's deleting value: FinishDeletion goes on only
	// while the profile still carries it.
	mark string
}

// newMark returns a deleting value for a deletion starting at t: the time
// (UTC RFC 3339, whole seconds) and 8 random hex digits, so that two
// deletions of one name never carry the same mark.
func newMark(t time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mark suffix: %w", err)
	}
	return t.UTC().Format(time.RFC3339) + "#" + hex.EncodeToString(b[:]), nil
}

// markTime is the time a deleting value was set: its RFC 3339 prefix (a
// mark of an older version is the time alone), or fallback if it has none.
func markTime(mark string, fallback time.Time) time.Time {
	prefix, _, _ := strings.Cut(mark, "#")
	t, err := time.Parse(time.RFC3339, prefix)
	if err != nil {
		return fallback.UTC()
	}
	return t.UTC()
}

// deletionPut is the Put of the pending-deletion record of username's
// deletion carrying mark.
func (s *Store) deletionPut(username, mark string) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(deletionRecord{
		PK:       deletionsPK,
		SK:       username,
		Type:     typeDeletion,
		Username: username,
		Marked:   markTime(mark, s.now()),
		Mark:     mark,
	})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal deletion record: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.tables.Data), Item: av}}, nil
}

// markAttempts bounds markDeleting's rounds: each one loses only to a
// deletion of the same name that ended (a transaction in flight is waited
// out within the round, by transactWrite).
const markAttempts = 4

// markDeleting marks username's profile as being deleted and records the
// pending deletion (pk DELETIONS) in the same transaction, and returns the
// mark (the profile's deleting value). When the deletion was started
// before, it keeps that mark and writes its record again in a transaction
// that checks the profile still carries it, so that a deletion started by
// an older version, which wrote no record, gets one too. ErrNotFound if
// there is no profile.
//
// In a request bound to its session (WithSessionMemo), each of these
// transactions also checks that the session has not ended: ErrSessionEnded
// otherwise, with nothing marked. So a deletion request that was in flight
// while the account's deletion ended its sessions, finished, and the name
// was signed up again does not mark the new account.
func (s *Store) markDeleting(ctx context.Context, username string) (string, error) {
	if checkUsername(username) != nil {
		return "", fmt.Errorf("mark %q: %w", username, ErrNotFound)
	}
	names := map[string]string{"#pk": attrPK, "#deleting": attrDeleting}
	// send writes items in one transaction with the session check after
	// them, if any, and reports whether that check failed.
	session, bound := s.sessionCheck(ctx)
	send := func(items ...types.TransactWriteItem) (ended bool, err error) {
		if bound {
			items = append(items, session)
		}
		err = s.transactWrite(ctx, items)
		return bound && conditionFailedAt(err, len(items)-1), err
	}
	var (
		ended bool
		err   error
	)
	for attempt := range markAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("mark %q: %w", username, translate(ctx.Err()))
			case <-time.After(time.Duration(attempt) * 15 * time.Millisecond):
			}
		}
		var mark string
		if mark, err = newMark(s.now()); err != nil {
			return "", fmt.Errorf("mark %q: %w", username, err)
		}
		var put types.TransactWriteItem
		if put, err = s.deletionPut(username, mark); err != nil {
			return "", fmt.Errorf("mark %q: %w", username, err)
		}
		ended, err = send(
			types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(s.tables.Data),
				Key:                       key(userPK(username), profileSK),
				UpdateExpression:          aws.String("SET #deleting = :mark"),
				ConditionExpression:       aws.String("attribute_exists(#pk) AND attribute_not_exists(#deleting)"),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: map[string]types.AttributeValue{":mark": &types.AttributeValueMemberS{Value: mark}},
			}},
			put,
		)
		switch {
		case err == nil:
			return mark, nil
		case unknownOperation(err):
			return "", fmt.Errorf("mark %q: %w: %w", username, ErrNoTransactions, err)
		case ended:
			return "", fmt.Errorf("mark %q: %w", username, sessionEnded(err))
		case !conditionFailedAt(err, 0):
			return "", fmt.Errorf("mark %q: %w", username, translate(err))
		}
		// No profile, or its deletion was started before: resume that one.
		av, gerr := s.getRecord(ctx, userPK(username), profileSK)
		if gerr != nil {
			return "", fmt.Errorf("mark %q: %w", username, gerr)
		}
		if mark = attrString(av, attrDeleting); mark == "" {
			continue // deleted and signed up again meanwhile: mark the new one
		}
		if put, err = s.deletionPut(username, mark); err != nil {
			return "", fmt.Errorf("mark %q: %w", username, err)
		}
		ended, err = send(
			types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName:                 aws.String(s.tables.Data),
				Key:                       key(userPK(username), profileSK),
				ConditionExpression:       aws.String("#deleting = :mark"),
				ExpressionAttributeNames:  map[string]string{"#deleting": attrDeleting},
				ExpressionAttributeValues: map[string]types.AttributeValue{":mark": &types.AttributeValueMemberS{Value: mark}},
			}},
			put,
		)
		switch {
		case err == nil:
			return mark, nil
		case ended:
			return "", fmt.Errorf("mark %q: %w", username, sessionEnded(err))
		case conditionFailedAt(err, 0):
			continue // that deletion ended meanwhile
		}
		return "", fmt.Errorf("mark %q: %w", username, translate(err))
	}
	return "", fmt.Errorf("mark %q: %w", username, translate(err))
}

// deleteDeletionRecord deletes the pending-deletion record of username if
// it still stands for mark: a record written by a later deletion of the
// same name stays. It is idempotent.
func (s *Store) deleteDeletionRecord(ctx context.Context, username, mark string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.tables.Data),
		Key:                       key(deletionsPK, username),
		ConditionExpression:       aws.String("#mark = :mark"),
		ExpressionAttributeNames:  map[string]string{"#mark": "mark"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":mark": &types.AttributeValueMemberS{Value: mark}},
	})
	if err := translate(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("pending-deletion record: %w", err)
	}
	return nil
}

// PendingDeletions returns the account deletions that started at least
// olderThan ago and have not ended, oldest first: those in progress and
// those that were interrupted. It reads the DELETIONS partition with one
// consistent Query, following every page; it never scans.
func (s *Store) PendingDeletions(ctx context.Context, olderThan time.Duration) ([]PendingDeletion, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(deletionsPK))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("store: pending deletions: build: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	}
	cutoff := s.now().Add(-olderThan)
	var got []PendingDeletion
	err = s.queryAll(ctx, in, func(page []map[string]types.AttributeValue) error {
		for _, av := range page {
			var r deletionRecord
			if err := attributevalue.UnmarshalMap(av, &r); err != nil {
				return fmt.Errorf("unmarshal deletion record: %w", err)
			}
			if !r.Marked.After(cutoff) {
				got = append(got, PendingDeletion{Username: r.Username, Marked: r.Marked, mark: r.Mark})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending deletions: %w", err)
	}
	slices.SortStableFunc(got, func(a, b PendingDeletion) int { return a.Marked.Compare(b.Marked) })
	return got, nil
}

// FinishDeletion finishes the deletion p (from PendingDeletions) as
// DeleteAccount would have, and reports whether there was anything left to
// do. A deletion that has ended meanwhile — its profile gone, or carrying
// another mark (the name was deleted, signed up again and maybe is being
// deleted anew) — is not touched again: only its leftover record, if any,
// is deleted, and the account now of that name stays as it is. Any number
// of FinishDeletion and DeleteAccount calls may run at once for one
// account: each step is idempotent, and each goes on only while the
// profile carries p's mark.
func (s *Store) FinishDeletion(ctx context.Context, p PendingDeletion) (bool, error) {
	av, err := s.getRecord(ctx, userPK(p.Username), profileSK)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return false, fmt.Errorf("store: finish deletion of %q: %w", p.Username, err)
	case attrString(av, attrDeleting) == p.mark && p.mark != "":
		if err := s.finishDeletion(ctx, p.Username, p.mark); err != nil {
			return false, fmt.Errorf("store: finish deletion of %q: %w", p.Username, err)
		}
		return true, nil
	}
	if err := s.deleteDeletionRecord(ctx, p.Username, p.mark); err != nil {
		return false, fmt.Errorf("store: finish deletion of %q: %w", p.Username, err)
	}
	return false, nil
}
