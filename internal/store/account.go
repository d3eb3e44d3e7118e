package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxEmbedOrigins is the longest embed allowlist an account may keep.
const MaxEmbedOrigins = 20

// SetEmbedOrigins replaces username's embed allowlist if the profile's version
// is still version (ErrConflict otherwise; ErrNotFound if the account is
// gone), with its audit record. origins
// must already be validated exact origins (guard.ParseOrigin); an empty list
// means no page of the user may be framed.
func (s *Store) SetEmbedOrigins(ctx context.Context, username string, origins []string, version int64, a Actor) error {
	if len(origins) > MaxEmbedOrigins {
		return fmt.Errorf("store: set embed origins: %d origins: %w", len(origins), ErrLimit)
	}
	// An empty allowlist is stored as NULL, not as an empty list: minidyn
	// mangles an empty L inside a transaction, and NULL reads back as nil.
	var val expression.ValueBuilder
	if len(origins) == 0 {
		val = expression.Value(&types.AttributeValueMemberNULL{Value: true})
	} else {
		val = expression.Value(origins)
	}
	op, err := s.profileUpdate(username, version, expression.Set(expression.Name("embed_origins"), val))
	if err != nil {
		return fmt.Errorf("store: set embed origins: build: %w", err)
	}
	detail := "none"
	if len(origins) > 0 {
		detail = strings.Join(origins, ", ")
	}
	ev := Event{Action: "account.embed_origins", Target: username, Detail: detail, Actor: a}
	err = s.profileGone(ctx, username, s.transact(ctx, username, ev, op))
	if err != nil {
		return fmt.Errorf("store: set embed origins of %q: %w", username, err)
	}
	return nil
}

// DeleteAccount deletes username and everything that belongs to the user.
// It first marks the profile as being deleted (the deleting attribute) and,
// in the same transaction, records the pending deletion in the DELETIONS
// partition (see [Store.PendingDeletions]). From then on the account is gone
// for every other method: GetUser answers ErrAccountGone and no transaction
// writes into the partition any more (see the package's table design). Then
// it ends the user's sessions (Sessions.EndAll) and deletes, in batches, one
// Query page at a time: own items and their refs, shares given (with the
// grantees' inbox entries), shares received (with the owners' share records
// and counts), the audit log and the login throttle counters. The profile
// goes next, so the username stays taken until everything else is gone, and
// a signup of the same name starts from nothing; the pending-deletion record
// goes last.
//
// Because the mark came first, the sweep sees every record the partition
// will ever hold, and no second sweep is needed. An interrupted deletion
// leaves the mark and its record; calling DeleteAccount again, or
// FinishDeletion with the record, finishes it; the error of a deletion
// interrupted after the mark wraps ErrIncomplete. Any number of these calls
// may run at once for one account. It returns ErrNotFound if there is no
// such account.
//
// Nothing of the deletion is kept in the user's audit log, which is deleted
// too; the application logs it.
func (s *Store) DeleteAccount(ctx context.Context, username string, a Actor) error {
	mark, err := s.markDeleting(ctx, username)
	if err != nil {
		return fmt.Errorf("store: delete account: %w", err)
	}
	if err := s.finishDeletion(ctx, username, mark); err != nil {
		// The mark is set: the account is gone, only its sweep is not done.
		return fmt.Errorf("store: delete account %q: %w: %w", username, ErrIncomplete, err)
	}
	return nil
}

// finishDeletion does the steps of DeleteAccount that follow the mark, for
// the deletion whose profile carries mark. Each step is idempotent, and the
// sweep stops (without an error) once the profile no longer carries mark:
// another call has finished this deletion, and the name may belong to a new
// account already.
func (s *Store) finishDeletion(ctx context.Context, username, mark string) error {
	if err := NewSessions(s.db, s.tables.Sessions).EndAll(ctx, username); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if err := s.sweepPartition(ctx, username, mark); err != nil {
		return err
	}
	if err := s.deleteThrottle(ctx, username); err != nil {
		return err
	}
	// Only the profile of this deletion: if another call finished it
	// meanwhile and the name was taken again, the new profile stays.
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.tables.Data),
		Key:                       key(userPK(username), profileSK),
		ConditionExpression:       aws.String("#deleting = :mark"),
		ExpressionAttributeNames:  map[string]string{"#deleting": attrDeleting},
		ExpressionAttributeValues: map[string]types.AttributeValue{":mark": &types.AttributeValueMemberS{Value: mark}},
	})
	if err := translate(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("profile: %w", err)
	}
	// Last: until here, PendingDeletions finds the deletion.
	return s.deleteDeletionRecord(ctx, username, mark)
}

// stillDeleting reports whether username's profile still carries mark, the
// mark of the deletion in progress. When another call has finished the
// deletion, the name may belong to a new account already, whose records a
// sweep must not touch.
func (s *Store) stillDeleting(ctx context.Context, username, mark string) (bool, error) {
	av, err := s.getRecord(ctx, userPK(username), profileSK)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return attrString(av, attrDeleting) == mark, nil
}

// sweepPartition deletes every record of username's partition except the
// profile, with the records elsewhere that point into it. It stops, without
// an error, when the profile no longer carries mark.
func (s *Store) sweepPartition(ctx context.Context, username, mark string) error {
	pk := userPK(username)
	kc := expression.Key(attrPK).Equal(expression.Value(pk))
	proj := expression.NamesList(expression.Name(attrPK), expression.Name(attrSK), expression.Name(attrType),
		expression.Name("id"), expression.Name("owner"), expression.Name("grantee"))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithProjection(proj).Build()
	if err != nil {
		return fmt.Errorf("sweep: build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(sweepPageSize),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("sweep: query: %w", translate(err))
		}
		if ok, err := s.stillDeleting(ctx, username, mark); err != nil || !ok {
			return err // nil when another call finished the deletion
		}
		var del [][2]string
		for _, av := range out.Items {
			var r struct {
				SK      string `dynamodbav:"sk"`
				Type    string `dynamodbav:"type"`
				ID      string `dynamodbav:"id"`
				Owner   string `dynamodbav:"owner"`
				Grantee string `dynamodbav:"grantee"`
			}
			if err := attributevalue.UnmarshalMap(av, &r); err != nil {
				return fmt.Errorf("sweep: unmarshal: %w", err)
			}
			switch {
			case r.SK == profileSK:
				continue
			case r.Type == typeItem:
				del = append(del, [2]string{pk, r.SK}, [2]string{refPK(r.ID), refSK})
			case r.Type == typeShare:
				del = append(del, [2]string{pk, r.SK}, [2]string{userPK(r.Grantee), inboxSK(r.ID)})
			case r.Type == typeInbox:
				if err := s.releaseShare(ctx, r.Owner, r.ID, username); err != nil {
					return fmt.Errorf("sweep: %w", err)
				}
				del = append(del, [2]string{pk, r.SK})
			default:
				del = append(del, [2]string{pk, r.SK})
			}
		}
		if err := s.batchDelete(ctx, s.tables.Data, del); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	return nil
}

// sweepPageSize bounds how many records DeleteAccount holds at once.
const sweepPageSize = 100

// releaseShare deletes owner's share record of item id for grantee, whose
// account is being deleted, and decrements the item's share_count in the
// same transaction: a deletion that is retried after a failure finds the
// record gone and does not count the share twice. If the item is gone, the
// record is deleted alone.
func (s *Store) releaseShare(ctx context.Context, owner, id, grantee string) error {
	rec := key(userPK(owner), shareSK(id, grantee))
	upd := expression.Add(expression.Name("share_count"), expression.Value(-1))
	cond := expression.AttributeExists(expression.Name(attrPK)).
		And(expression.Name("share_count").GreaterThan(expression.Value(0)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("release share of %s: build: %w", id, err)
	}
	// transactWrite waits out a transaction in flight on the item (its
	// owner editing it), which would otherwise fail the whole deletion.
	err = s.transactWrite(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName:           aws.String(s.tables.Data),
			Key:                 rec,
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
		conditionalUpdate(s.tables.Data, key(userPK(owner), itemSK(id)), expr),
	})
	switch {
	case err == nil, conditionFailedAt(err, 0):
		// Released now, or by an earlier attempt.
		return nil
	case conditionFailedAt(err, 1):
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.tables.Data), Key: rec})
	}
	if err != nil {
		return fmt.Errorf("release share of %s: %w", id, translate(err))
	}
	return nil
}

// deleteThrottle deletes username's throttle counters: its failed logins
// and the names it looked up. They expire on their own; deleting them
// leaves nothing behind at once, for a new account of the name.
func (s *Store) deleteThrottle(ctx context.Context, username string) error {
	for _, k := range []string{UserThrottleKey(username), LookupThrottleKey(username)} {
		if err := s.deletePartition(ctx, s.tables.Sessions, throttlePK(k)); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// deletePartition deletes every record of partition pk in table, a page of
// the query at a time (queryAll).
func (s *Store) deletePartition(ctx context.Context, table, pk string) error {
	kc := expression.Key(attrPK).Equal(expression.Value(pk))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return fmt.Errorf("build query: %w", err)
	}
	return s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ProjectionExpression:      aws.String("pk, sk"),
	}, func(items []map[string]types.AttributeValue) error {
		del := make([][2]string, 0, len(items))
		for _, av := range items {
			del = append(del, [2]string{attrString(av, attrPK), attrString(av, attrSK)})
		}
		return s.batchDelete(ctx, table, del)
	})
}
