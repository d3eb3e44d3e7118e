package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrSelfShare is returned (wrapped) by AddShare when owner and grantee are
// the same user.
var ErrSelfShare = errors.New("cannot share an item with its owner")

// attrTitleVersion is the item version whose title a share record or an
// inbox entry holds (see refreshSharedTitles). Records written before it
// existed lack it.
const attrTitleVersion = "title_version"

// shareRecord is a grant in the owner's partition: pk USER#<owner>,
// sk SHARE#<id>#<grantee>.
type shareRecord struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Type         string    `dynamodbav:"type"`
	ID           string    `dynamodbav:"id"`
	Owner        string    `dynamodbav:"owner"`
	Grantee      string    `dynamodbav:"grantee"`
	Title        string    `dynamodbav:"title"`
	TitleVersion int64     `dynamodbav:"title_version"`
	CreatedAt    time.Time `dynamodbav:"created_at"`
}

// inboxRecord is the grantee's side of a share: pk USER#<grantee>,
// sk ITEM#<id>#SHARED, so that it lists with the grantee's own items.
type inboxRecord struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Type         string    `dynamodbav:"type"`
	ID           string    `dynamodbav:"id"`
	Owner        string    `dynamodbav:"owner"`
	Title        string    `dynamodbav:"title"`
	TitleVersion int64     `dynamodbav:"title_version"`
	SharedAt     time.Time `dynamodbav:"shared_at"`
}

// AddShare gives grantee read-only access to owner's item id. The share, the
// grantee's inbox entry, the item's share_count (kept at most MaxShares by
// the same condition) and shares_added (see DeleteItem) and the audit record
// are written in one transaction.
// Errors: ErrNotFound (no such item or user, or the grantee's account is
// being deleted), ErrAccountGone (the owner's account is being deleted),
// ErrExists (already shared), ErrLimit (MaxShares reached), ErrSelfShare.
func (s *Store) AddShare(ctx context.Context, owner, id, grantee string, a Actor) error {
	if owner == grantee {
		return fmt.Errorf("store: share item %s: %w", id, ErrSelfShare)
	}
	it, err := s.GetItem(ctx, owner, id)
	if err != nil {
		return fmt.Errorf("store: share item: %w", err)
	}
	if it.ShareCount >= MaxShares {
		return fmt.Errorf("store: share item %s: %d shares: %w", id, it.ShareCount, ErrLimit)
	}
	if _, err := s.GetUser(ctx, grantee); errors.Is(err, ErrNotFound) {
		// Not ErrAccountGone, which would speak of the owner's account.
		return fmt.Errorf("store: share item %s with %q: no such user: %w", id, grantee, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("store: share item %s with %q: %w", id, grantee, err)
	}
	now := s.now().UTC()
	sh, err := attributevalue.MarshalMap(shareRecord{
		PK: userPK(owner), SK: shareSK(id, grantee), Type: typeShare, ID: id,
		Owner: owner, Grantee: grantee, Title: it.Title, TitleVersion: it.Version, CreatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("store: marshal share: %w", err)
	}
	in, err := attributevalue.MarshalMap(inboxRecord{
		PK: userPK(grantee), SK: inboxSK(id), Type: typeInbox, ID: id,
		Owner: owner, Title: it.Title, TitleVersion: it.Version, SharedAt: now,
	})
	if err != nil {
		return fmt.Errorf("store: marshal inbox entry: %w", err)
	}
	upd := expression.Add(expression.Name("share_count"), expression.Value(1)).
		Add(expression.Name("shares_added"), expression.Value(1))
	cond := expression.AttributeExists(expression.Name("pk")).
		And(expression.Name("share_count").LessThan(expression.Value(MaxShares)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("store: share item %s: build: %w", id, err)
	}
	ev := Event{Action: "share.add", Target: id, Detail: grantee, Actor: a}
	err = s.transact(ctx, owner, ev,
		conditionalUpdate(s.tables.Data, key(userPK(owner), itemSK(id)), expr),
		putNew(s.tables.Data, sh),
		putNew(s.tables.Data, in),
		// The inbox entry goes into the grantee's partition: their account
		// must be live, as DeleteAccount relies on.
		s.accountCheck(grantee),
	)
	if err == nil {
		return nil
	}
	if conditionFailedAt(err, 3) {
		return fmt.Errorf("store: share item %s with %q: account gone: %w", id, grantee, ErrNotFound)
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrExists) {
		// Say which condition failed.
		if cur, gerr := s.GetItem(ctx, owner, id); errors.Is(gerr, ErrNotFound) {
			return fmt.Errorf("store: share item %s: %w", id, ErrNotFound)
		} else if gerr == nil && cur.ShareCount >= MaxShares {
			return fmt.Errorf("store: share item %s: %w", id, ErrLimit)
		}
		if ok, gerr := s.exists(ctx, userPK(owner), shareSK(id, grantee)); gerr == nil && ok {
			return fmt.Errorf("store: share item %s with %q: %w", id, grantee, ErrExists)
		}
	}
	return fmt.Errorf("store: share item %s: %w", id, err)
}

// exists reports whether the data table holds key pk, sk.
func (s *Store) exists(ctx context.Context, pk, sk string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(s.tables.Data),
		Key:                  key(pk, sk),
		ProjectionExpression: aws.String("pk"),
		ConsistentRead:       aws.Bool(true),
	})
	if err != nil {
		return false, translate(err)
	}
	return len(out.Item) > 0, nil
}

// RemoveShare revokes grantee's access to owner's item id: share, inbox entry,
// share_count and audit record in one transaction. ErrNotFound if there was
// no such share.
func (s *Store) RemoveShare(ctx context.Context, owner, id, grantee string, a Actor) error {
	if !validID(id) {
		return fmt.Errorf("store: unshare item %q: %w", id, ErrNotFound)
	}
	if checkUsername(grantee) != nil {
		// No account has that name (the form's field can hold anything),
		// so nothing was shared with it; and a key made from it may be
		// one DynamoDB refuses.
		return fmt.Errorf("store: unshare item %s from %q: %w", id, Cut(grantee, maxAuditField), ErrNotFound)
	}
	ops, err := s.unshareOps(owner, id, grantee)
	if err != nil {
		return fmt.Errorf("store: unshare item %s: %w", id, err)
	}
	ev := Event{Action: "share.remove", Target: id, Detail: grantee, Actor: a}
	err = s.transact(ctx, owner, ev, ops...)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("store: unshare item %s from %q: %w", id, grantee, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: unshare item %s: %w", id, err)
	}
	return nil
}

// unshareOps returns the operations that end grantee's share of owner's
// item id: the share record (which must exist), the grantee's entry, and
// the item's share_count (the item must exist).
func (s *Store) unshareOps(owner, id, grantee string) ([]types.TransactWriteItem, error) {
	upd := expression.Add(expression.Name("share_count"), expression.Value(-1))
	cond := expression.AttributeExists(expression.Name("pk"))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName:           aws.String(s.tables.Data),
			Key:                 key(userPK(owner), shareSK(id, grantee)),
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
		{Delete: &types.Delete{
			TableName: aws.String(s.tables.Data),
			Key:       key(userPK(grantee), inboxSK(id)),
		}},
		conditionalUpdate(s.tables.Data, key(userPK(owner), itemSK(id)), expr),
	}, nil
}

// ListShares returns every share of owner's item id, ordered by grantee.
// An item has at most MaxShares of them.
func (s *Store) ListShares(ctx context.Context, owner, id string) ([]Share, error) {
	if !validID(id) {
		return nil, fmt.Errorf("store: list shares %q: %w", id, ErrNotFound)
	}
	kc := expression.Key("pk").Equal(expression.Value(userPK(owner))).
		And(expression.Key("sk").BeginsWith(shareItemPrefix(id)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("store: list shares: build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	var shares []Share
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: list shares of %s: %w", id, translate(err))
		}
		for _, av := range out.Items {
			var r shareRecord
			if err := attributevalue.UnmarshalMap(av, &r); err != nil {
				return nil, fmt.Errorf("store: unmarshal share: %w", err)
			}
			shares = append(shares, Share{ItemID: r.ID, Owner: r.Owner, Grantee: r.Grantee, Title: r.Title, CreatedAt: r.CreatedAt})
		}
	}
	return shares, nil
}

// SharedEntry returns grantee's entry for item id, shared with them: the
// owner, and the title as of the last change. ErrNotFound if grantee has no
// such entry (their own items have none).
func (s *Store) SharedEntry(ctx context.Context, grantee, id string) (Share, error) {
	if !validID(id) {
		return Share{}, fmt.Errorf("store: shared entry %q: %w", id, ErrNotFound)
	}
	av, err := s.getRecord(ctx, userPK(grantee), inboxSK(id))
	if err != nil {
		return Share{}, fmt.Errorf("store: shared entry %s: %w", id, err)
	}
	var r inboxRecord
	if err := attributevalue.UnmarshalMap(av, &r); err != nil {
		return Share{}, fmt.Errorf("store: unmarshal inbox entry: %w", err)
	}
	return Share{ItemID: r.ID, Owner: r.Owner, Grantee: grantee, Title: r.Title, CreatedAt: r.SharedAt}, nil
}

// LeaveShare removes item id, shared with grantee, from grantee's items: the
// grantee gives up their read access. The entry, the owner's share record
// and the item's share_count change in one transaction, audited in both
// users' logs ("share.leave" for the owner, "inbox.remove" for the grantee).
//
// If the item is gone (ErrSharedItemGone), the entry and the owner's share
// record are what an interrupted delete left behind: they are removed in one
// transaction audited in the grantee's log only. So are they when the
// owner's account is being deleted, which writes nothing into it any more.
// ErrNotFound if grantee has no entry for id, including when the owner
// revoked it in the meantime; ErrAccountGone if grantee's own account is
// being deleted.
func (s *Store) LeaveShare(ctx context.Context, grantee, id string, a Actor) error {
	sh, err := s.SharedEntry(ctx, grantee, id)
	if err != nil {
		return fmt.Errorf("store: leave share: %w", err)
	}
	owner := sh.Owner
	inbox := types.TransactWriteItem{Delete: &types.Delete{
		TableName:           aws.String(s.tables.Data),
		Key:                 key(userPK(grantee), inboxSK(id)),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	}}
	mine := Event{Action: "inbox.remove", Target: id, Detail: "“" + sh.Title + "” from " + owner, Actor: a}
	mineAudit, err := s.auditPut(grantee, mine)
	if err != nil {
		return fmt.Errorf("store: leave share: %w", err)
	}
	ops, err := s.unshareOps(owner, id, grantee)
	if err != nil {
		return fmt.Errorf("store: leave share %s: %w", id, err)
	}
	// The entry must exist too: it is what the grantee asked to remove.
	ops[1] = inbox
	// mineAudit goes into the grantee's partition: their account must be
	// live (transact checks the owner's).
	ops = append(ops, mineAudit, s.accountCheck(grantee))
	err = s.transact(ctx, owner, Event{Action: "share.leave", Target: id, Detail: grantee, Actor: a}, ops...)
	if err == nil {
		return nil
	}
	if conditionFailedAt(err, len(ops)-1) {
		return fmt.Errorf("store: leave share %s: %w", id, ErrAccountGone)
	}
	switch {
	case errors.Is(err, ErrAccountGone):
		// The owner's account is being deleted: remove what is left on
		// the grantee's side.
	case !errors.Is(err, ErrConflict):
		return fmt.Errorf("store: leave share %s: %w", id, err)
	default:
		switch _, gerr := s.GetItem(ctx, owner, id); {
		case errors.Is(gerr, ErrNotFound):
			// The item is gone: remove what its delete left behind.
		case gerr != nil:
			return fmt.Errorf("store: leave share %s: %w", id, gerr)
		default:
			// The item is there, so the share went first: a revoke won.
			return fmt.Errorf("store: leave share %s: %w", id, ErrNotFound)
		}
	}
	mine.Detail += ", who had deleted it"
	err = s.transact(ctx, grantee, mine,
		inbox,
		// The owner's share record has no item to belong to any more; it
		// may be gone already.
		types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.tables.Data),
			Key:       key(userPK(owner), shareSK(id, grantee)),
		}},
	)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("store: leave share %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: leave share %s: %w", id, err)
	}
	return nil
}
