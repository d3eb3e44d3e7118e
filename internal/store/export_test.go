package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SetQueryLimit caps the records one Query call returns, to force
// pagination on backends without DynamoDB's 1 MB page.
func SetQueryLimit(s *Store, n int) { s.queryLimit = n }

// SetSessionsNow replaces the session store's clock.
func SetSessionsNow(s *Sessions, now func() time.Time) { s.now = now }

// HashToken exposes the session token hash used in keys.
var HashToken = hashToken

// Transact exposes transact.
func (s *Store) Transact(ctx context.Context, owner string, ev Event, ops ...types.TransactWriteItem) error {
	return s.transact(ctx, owner, ev, ops...)
}

// Translate exposes translate.
var Translate = translate

// AuditEvents returns username's audit events, oldest first, read with
// queryAll, and the number of pages it took.
func AuditEvents(ctx context.Context, s *Store, username string) ([]Event, int, error) {
	var evs []Event
	pages := 0
	err := s.queryAll(ctx, auditQuery(s, username), func(items []map[string]types.AttributeValue) error {
		pages++
		for _, av := range items {
			var r auditRecord
			if err := attributevalue.UnmarshalMap(av, &r); err != nil {
				return err
			}
			evs = append(evs, r.event())
		}
		return nil
	})
	return evs, pages, err
}

func auditQuery(s *Store, username string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:              aws.String(s.tables.Data),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :audit)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK, "#sk": attrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: userPK(username)},
			":audit": &types.AttributeValueMemberS{Value: auditPrefix},
		},
		ConsistentRead: aws.Bool(true),
	}
}

// AuditPage returns one page of username's audit events, oldest first,
// read with queryPage.
func AuditPage(ctx context.Context, s *Store, username, cursor string, limit int) ([]Event, string, error) {
	items, next, err := s.queryPage(ctx, auditQuery(s, username), userPK(username), cursor, limit)
	var evs []Event
	for _, av := range items {
		var r auditRecord
		if err := attributevalue.UnmarshalMap(av, &r); err != nil {
			return nil, "", err
		}
		evs = append(evs, r.event())
	}
	return evs, next, err
}

// PutAuditRecords writes n audit events for username directly with
// BatchWriteItem (a test-only path that works without transactions), each
// with a detail of detailBytes bytes, at t0, t0+1ms, ...; the Target of
// event i is fmt.Sprint(i).
func PutAuditRecords(ctx context.Context, s *Store, username string, n, detailBytes int, t0 time.Time) error {
	detail := strings.Repeat("x", detailBytes)
	var batch []types.WriteRequest
	flush := func() error {
		req := map[string][]types.WriteRequest{s.tables.Data: batch}
		for len(req) > 0 {
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return translate(err)
			}
			req = out.UnprocessedItems
		}
		batch = batch[:0]
		return nil
	}
	for i := range n {
		t := t0.Add(time.Duration(i) * time.Millisecond).UTC()
		r := auditRecord{
			PK: userPK(username), SK: auditSK(t, fmt.Sprintf("%08x", i)), Type: typeAudit, Time: t,
			Action: "test", Target: fmt.Sprint(i), Detail: detail, Actor: username,
		}
		av, err := attributevalue.MarshalMap(r)
		if err != nil {
			return err
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		if len(batch) == 25 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		return flush()
	}
	return nil
}
