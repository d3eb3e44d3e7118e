package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// cursorKey is the JSON form of a page cursor: the primary key of the last
// record of the previous page (tables have no index, so that is the whole
// LastEvaluatedKey).
type cursorKey struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
}

// maxCursorLen bounds what decodeCursor accepts, before decoding.
const maxCursorLen = 2048

// maxSortKey is DynamoDB's limit on the size of a sort key, in bytes.
const maxSortKey = 1024

// encodeCursor turns a LastEvaluatedKey into an opaque cursor (base64url of
// its pk and sk). An empty key gives the empty cursor: no further page.
func encodeCursor(lek map[string]types.AttributeValue) (string, error) {
	if len(lek) == 0 {
		return "", nil
	}
	pk, ok1 := lek[attrPK].(*types.AttributeValueMemberS)
	sk, ok2 := lek[attrSK].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 || len(lek) != 2 {
		return "", fmt.Errorf("encode cursor: last evaluated key is not a string pk and sk")
	}
	b, err := json.Marshal(cursorKey{PK: pk.Value, SK: sk.Value})
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor turns a cursor back into an ExclusiveStartKey. The empty
// cursor is the first page (nil key). A cursor that does not decode, or
// whose key lies outside partition pk, is ErrBadCursor: a cursor can never
// move a query into another user's partition.
func decodeCursor(cursor, pk string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	if len(cursor) > maxCursorLen {
		return nil, fmt.Errorf("decode cursor: too long: %w", ErrBadCursor)
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("decode cursor: %w", ErrBadCursor)
	}
	var k cursorKey
	if err := json.Unmarshal(b, &k); err != nil || k.SK == "" {
		return nil, fmt.Errorf("decode cursor: %w", ErrBadCursor)
	}
	if k.PK != pk {
		return nil, fmt.Errorf("decode cursor: another partition: %w", ErrBadCursor)
	}
	if len(k.SK) > maxSortKey {
		// DynamoDB would refuse the query with a ValidationException.
		return nil, fmt.Errorf("decode cursor: sort key of %d bytes: %w", len(k.SK), ErrBadCursor)
	}
	return key(k.PK, k.SK), nil
}

// decodeCursorPrefix is decodeCursor that also requires the cursor's sort
// key to start with skPrefix, for listings of one record kind.
func decodeCursorPrefix(cursor, pk, skPrefix string) (map[string]types.AttributeValue, error) {
	start, err := decodeCursor(cursor, pk)
	if err != nil || start == nil {
		return start, err
	}
	if !strings.HasPrefix(start[attrSK].(*types.AttributeValueMemberS).Value, skPrefix) {
		return nil, fmt.Errorf("decode cursor: another listing: %w", ErrBadCursor)
	}
	return start, nil
}

// queryPage runs in from cursor (which must lie in partition pk) and returns
// up to limit records, following LastEvaluatedKey across DynamoDB's 1 MB
// pages, and the cursor of the next page ("" at the end). in is modified.
// The SDK error is returned translated.
func (s *Store) queryPage(ctx context.Context, in *dynamodb.QueryInput, pk, cursor string, limit int) ([]map[string]types.AttributeValue, string, error) {
	if limit <= 0 {
		return nil, "", fmt.Errorf("query page: limit %d must be positive", limit)
	}
	start, err := decodeCursor(cursor, pk)
	if err != nil {
		return nil, "", err
	}
	in.ExclusiveStartKey = start
	var got []map[string]types.AttributeValue
	for {
		in.Limit = aws.Int32(int32(min(limit-len(got), s.pageLimit())))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return got, "", translate(err)
		}
		got = append(got, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return got, "", nil
		}
		if len(got) >= limit {
			// The cursor is the key of the last record returned, which is
			// what LastEvaluatedKey holds when Limit ended the page.
			next, err := encodeCursor(key(attrString(got[len(got)-1], attrPK), attrString(got[len(got)-1], attrSK)))
			return got, next, err
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryPrefixPage returns one page, newest first, of the records of
// partition pk whose sort key begins with prefix (one kind of record), and
// the cursor of the next page ("" at the end); cursor is "" or the cursor of
// an earlier page of the same listing. attrs, if any, are the only
// attributes read besides the key, which the cursor is made of. The SDK
// error is returned translated.
func (s *Store) queryPrefixPage(ctx context.Context, pk, prefix, cursor string, limit int, attrs ...string) ([]map[string]types.AttributeValue, string, error) {
	if _, err := decodeCursorPrefix(cursor, pk, prefix); err != nil {
		return nil, "", err
	}
	kc := expression.Key(attrPK).Equal(expression.Value(pk)).
		And(expression.Key(attrSK).BeginsWith(prefix))
	b := expression.NewBuilder().WithKeyCondition(kc)
	if len(attrs) > 0 {
		proj := expression.NamesList(expression.Name(attrPK), expression.Name(attrSK))
		for _, a := range attrs {
			proj = proj.AddNames(expression.Name(a))
		}
		b = b.WithProjection(proj)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	return s.queryPage(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		// A listing shows the change just made: a new event is in the log
		// shown after it, and the list of items shown right after a delete
		// or a leave does not show what was just removed.
		ConsistentRead: aws.Bool(true),
	}, pk, cursor, limit)
}

// queryAll runs in and calls fn with each page of records, following
// LastEvaluatedKey until the end, so memory stays bounded by one page. It
// stops at fn's first error and returns it. in is modified. The SDK error is
// returned translated.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput, fn func([]map[string]types.AttributeValue) error) error {
	if n := s.pageLimit(); n < maxPage {
		in.Limit = aws.Int32(int32(n))
	}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return translate(err)
		}
		if err := fn(out.Items); err != nil {
			return err
		}
	}
	return nil
}

// maxPage stands for "no Limit of ours": DynamoDB's 1 MB decides.
const maxPage = 1 << 30

// pageLimit is the most records one Query call may return: unlimited (the
// 1 MB page decides) unless a test lowers it to force pagination on a
// backend without the 1 MB limit.
func (s *Store) pageLimit() int {
	if s.queryLimit > 0 {
		return s.queryLimit
	}
	return maxPage
}

// attrString returns the string attribute name of av, or "".
func attrString(av map[string]types.AttributeValue, name string) string {
	if v, ok := av[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
