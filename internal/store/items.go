package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Limits on an item, enforced by the store (ErrLimit) and shown by the pages.
const (
	// MaxTitleRunes is the longest title, in characters.
	MaxTitleRunes = 200
	// MaxBodyBytes is the largest body, in bytes (64 KiB).
	MaxBodyBytes = 64 << 10
	// MaxShares is the most users one item may be shared with.
	MaxShares = 1000
	// MaxItems is the most items one account may own (items shared with it
	// do not count), unless SetMaxItems changes it.
	MaxItems = 10000
)

// Record types stored in the "type" attribute of the data table.
const (
	typeItem  = "item"
	typeInbox = "inbox"
	typeShare = "share"
	typeRef   = "ref"
	// typeItemCount is the record that counts an account's own items.
	typeItemCount = "item_count"
)

// itemRecord is an own item: pk USER#<owner>, sk ITEM#<id>.
type itemRecord struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Type       string    `dynamodbav:"type"`
	ID         string    `dynamodbav:"id"`
	Owner      string    `dynamodbav:"owner"`
	Title      string    `dynamodbav:"title"`
	Body       string    `dynamodbav:"body,omitempty"`
	Public     bool      `dynamodbav:"public"`
	ShareCount int       `dynamodbav:"share_count"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
	UpdatedAt  time.Time `dynamodbav:"updated_at"`
	Version    int64     `dynamodbav:"version"`
	// SharesAdded counts every share ever added and never goes down:
	// DeleteItem's transaction requires it unchanged since DeleteItem
	// listed the shares, so that a share added meanwhile makes the delete
	// fail rather than leave that share behind. (share_count would not do:
	// a revoke and a share in between leave it where it was.) Items
	// created before it existed lack it, which reads as 0.
	SharesAdded int64 `dynamodbav:"shares_added"`
}

func (r itemRecord) item() Item {
	return Item{
		ID:         r.ID,
		Owner:      r.Owner,
		Title:      r.Title,
		Body:       r.Body,
		Public:     r.Public,
		ShareCount: r.ShareCount,
		CreatedAt:  r.CreatedAt,
		UpdatedAt:  r.UpdatedAt,
		Version:    r.Version,
	}
}

// refRecord lets an item be found by id alone: pk REF#<id>, sk REF.
type refRecord struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Type  string `dynamodbav:"type"`
	ID    string `dynamodbav:"id"`
	Owner string `dynamodbav:"owner"`
}

// ValidateItem reports, as an error wrapping ErrLimit, whether title or body
// break the documented limits. An empty title is refused too.
func ValidateItem(title, body string) error {
	switch {
	case strings.TrimSpace(title) == "":
		return fmt.Errorf("title is empty: %w", ErrLimit)
	case utf8.RuneCountInString(title) > MaxTitleRunes:
		return fmt.Errorf("title longer than %d characters: %w", MaxTitleRunes, ErrLimit)
	case len(body) > MaxBodyBytes:
		return fmt.Errorf("body larger than %d bytes: %w", MaxBodyBytes, ErrLimit)
	case !utf8.ValidString(title) || !utf8.ValidString(body):
		return fmt.Errorf("text is not valid UTF-8: %w", ErrLimit)
	}
	return nil
}

// crockford is the Crockford base32 alphabet used by item ids.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newItemID returns a 26-character, time-ordered id: 48 bits of Unix
// milliseconds followed by 80 bits, in Crockford base32, so that the lexical
// order of ids (and of the sort keys made from them) is creation order. Of
// the 80 bits, the first 20 hold the nanoseconds within the millisecond and
// the other 60 are random: items created one after the other in the same
// millisecond still sort in order, without state shared between calls.
func newItemID(now time.Time) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("store: new item id: %w", err)
	}
	ms := uint64(now.UnixMilli()) & (1<<48 - 1)
	sub := uint64(now.Nanosecond() % 1e6)     // < 2^20
	r := binary.BigEndian.Uint64(rnd[:]) >> 4 // 60 bits
	// 128 bits: hi = ms (48) | sub (16 of 20); lo = sub (low 4) | r (60).
	hi := ms<<16 | sub>>4
	lo := (sub&0xF)<<60 | r
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:]), nil
}

// ValidID reports whether id has the shape of an item id: 26 characters of
// Crockford base32. It says nothing of whether the item exists.
func ValidID(id string) bool { return validID(id) }

// validID reports whether id has the shape of an item id, so that a
// malformed path never reaches DynamoDB as a key.
func validID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for i := range len(id) {
		if strings.IndexByte(crockford, id[i]) < 0 {
			return false
		}
	}
	return true
}

// CreateItem stores a new private item of owner, with its ref and audit
// record in one transaction, which also counts it among owner's items: an
// owner who has the store's most items (MaxItems, SetMaxItems) gets
// ErrLimit, and nothing is written.
func (s *Store) CreateItem(ctx context.Context, owner, title, body string, a Actor) (Item, error) {
	if err := ValidateItem(title, body); err != nil {
		return Item{}, fmt.Errorf("store: create item: %w", err)
	}
	now := s.now().UTC()
	id, err := newItemID(now)
	if err != nil {
		return Item{}, err
	}
	rec := itemRecord{
		PK: userPK(owner), SK: itemSK(id), Type: typeItem, ID: id, Owner: owner,
		Title: title, Body: body, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return Item{}, fmt.Errorf("store: marshal item %s: %w", id, err)
	}
	ref, err := attributevalue.MarshalMap(refRecord{PK: refPK(id), SK: refSK, Type: typeRef, ID: id, Owner: owner})
	if err != nil {
		return Item{}, fmt.Errorf("store: marshal ref %s: %w", id, err)
	}
	count, err := s.itemCountOp(owner, 1)
	if err != nil {
		return Item{}, fmt.Errorf("store: create item %s: %w", id, err)
	}
	ev := Event{Action: "item.create", Target: id, Detail: title, Actor: a}
	err = s.transact(ctx, owner, ev,
		putNew(s.tables.Data, av),
		putNew(s.tables.Data, ref),
		count,
	)
	if !errors.Is(err, ErrAccountGone) && conditionFailedAt(err, 2) {
		return Item{}, fmt.Errorf("store: create item %s: %d items already: %w", id, s.maxItems, ErrLimit)
	}
	if err != nil {
		return Item{}, fmt.Errorf("store: create item %s: %w", id, err)
	}
	return rec.item(), nil
}

// GetItem returns owner's item id. Another user's item is ErrNotFound.
func (s *Store) GetItem(ctx context.Context, owner, id string) (Item, error) {
	if !validID(id) {
		return Item{}, fmt.Errorf("store: get item %q: %w", id, ErrNotFound)
	}
	av, err := s.getRecord(ctx, userPK(owner), itemSK(id))
	if err != nil {
		return Item{}, fmt.Errorf("store: get item %s: %w", id, err)
	}
	var rec itemRecord
	if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
		return Item{}, fmt.Errorf("store: unmarshal item %s: %w", id, err)
	}
	return rec.item(), nil
}

// ReadableItem returns item id if viewer owns it or it was shared with viewer;
// otherwise ErrNotFound, with no hint that it exists. An entry for a shared
// item that was since deleted is ErrSharedItemGone. It costs one Query in
// the viewer's partition (own item or inbox entry, which share a prefix) and,
// for a shared item, one BatchGetItem in the owner's (the item and the
// profile).
func (s *Store) ReadableItem(ctx context.Context, viewer, id string) (Item, error) {
	if !validID(id) {
		return Item{}, fmt.Errorf("store: read item %q: %w", id, ErrNotFound)
	}
	kc := expression.Key("pk").Equal(expression.Value(userPK(viewer))).
		And(expression.Key("sk").BeginsWith(itemSK(id)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return Item{}, fmt.Errorf("store: read item %s: build query: %w", id, err)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return Item{}, fmt.Errorf("store: read item %s: %w", id, translate(err))
	}
	for _, av := range out.Items {
		var rec itemRecord
		if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
			return Item{}, fmt.Errorf("store: unmarshal item %s: %w", id, err)
		}
		switch {
		case rec.Type == typeItem && rec.SK == itemSK(id):
			return rec.item(), nil
		case rec.Type == typeInbox && rec.SK == inboxSK(id) && rec.Owner != "":
			return s.sharedItem(ctx, rec.Owner, id)
		}
	}
	return Item{}, fmt.Errorf("store: read item %s: %w", id, ErrNotFound)
}

// sharedItem reads owner's item id for a grantee: an item that is gone,
// or whose owner's account is being deleted (a deletion that was
// interrupted waits for its finisher), is ErrSharedItemGone, as the owner
// asked for it to go.
func (s *Store) sharedItem(ctx context.Context, owner, id string) (Item, error) {
	it, found, owned, err := s.itemWithOwner(ctx, owner, id)
	if err != nil {
		return Item{}, fmt.Errorf("store: read shared item %s: %w", id, err)
	}
	if !found || owned.deleting {
		return Item{}, fmt.Errorf("store: read item %s shared by %s: %w", id, owner, ErrSharedItemGone)
	}
	return it, nil
}

// ownerState is what itemWithOwner reads of the owner's profile.
type ownerState struct {
	origins  []string // the embed allowlist
	deleting bool     // the account's deletion has started
}

// itemWithOwner reads owner's item id, if it exists (found), and the
// owner's profile in one BatchGetItem, consistently: a page must stop
// showing an item as soon as it is made private or its owner's deletion
// starts, and an embed as soon as its origin leaves the allowlist.
func (s *Store) itemWithOwner(ctx context.Context, owner, id string) (it Item, found bool, owned ownerState, err error) {
	got, err := s.batchGet(ctx, key(userPK(owner), itemSK(id)), key(userPK(owner), profileSK))
	if err != nil {
		return Item{}, false, ownerState{}, err
	}
	for _, av := range got {
		var r struct {
			SK       string   `dynamodbav:"sk"`
			Origins  []string `dynamodbav:"embed_origins"`
			Deleting string   `dynamodbav:"deleting"`
		}
		if err := attributevalue.UnmarshalMap(av, &r); err != nil {
			return Item{}, false, ownerState{}, fmt.Errorf("unmarshal item %s: %w", id, err)
		}
		if r.SK == profileSK {
			owned = ownerState{origins: r.Origins, deleting: r.Deleting != ""}
			continue
		}
		var rec itemRecord
		if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
			return Item{}, false, ownerState{}, fmt.Errorf("unmarshal item %s: %w", id, err)
		}
		it, found = rec.item(), true
	}
	return it, found, owned, nil
}

// ownerOf returns the owner recorded in item id's ref.
func (s *Store) ownerOf(ctx context.Context, id string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.Data),
		Key:       key(refPK(id), refSK),
	})
	if err != nil {
		return "", fmt.Errorf("store: get ref %s: %w", id, translate(err))
	}
	var ref refRecord
	if err := attributevalue.UnmarshalMap(out.Item, &ref); err != nil {
		return "", fmt.Errorf("store: unmarshal ref %s: %w", id, err)
	}
	if ref.Owner == "" {
		return "", fmt.Errorf("store: get ref %s: %w", id, ErrNotFound)
	}
	return ref.Owner, nil
}

// PublicItem returns item id and its owner's embed allowlist if the item is
// public and its owner's account is not being deleted; otherwise
// ErrNotFound. It costs one GetItem (the ref) and one
// BatchGetItem (item and owner's profile).
func (s *Store) PublicItem(ctx context.Context, id string) (Item, []string, error) {
	if !validID(id) {
		return Item{}, nil, fmt.Errorf("store: public item %q: %w", id, ErrNotFound)
	}
	owner, err := s.ownerOf(ctx, id)
	if err != nil {
		return Item{}, nil, err
	}
	// The ref needs no consistent read: an item's owner never changes.
	it, found, owned, err := s.itemWithOwner(ctx, owner, id)
	if err != nil {
		return Item{}, nil, fmt.Errorf("store: public item %s: %w", id, err)
	}
	if !found || !it.Public || owned.deleting {
		return Item{}, nil, fmt.Errorf("store: public item %s: %w", id, ErrNotFound)
	}
	return it, owned.origins, nil
}

// UpdateItem replaces title and body of owner's item id if its version is
// still version (the item is then at version+1); otherwise ErrConflict
// (ErrNotFound if it is gone). Like every change here, it reads nothing
// back: an error always means nothing was changed.
func (s *Store) UpdateItem(ctx context.Context, owner, id string, version int64, title, body string, a Actor) error {
	if err := ValidateItem(title, body); err != nil {
		return fmt.Errorf("store: update item %s: %w", id, err)
	}
	set := expression.Set(expression.Name("title"), expression.Value(title)).
		Set(expression.Name("body"), expression.Value(body))
	ev := Event{Action: "item.update", Target: id, Detail: title, Actor: a}
	if err := s.updateItem(ctx, owner, id, version, set, ev); err != nil {
		return err
	}
	s.refreshSharedTitles(ctx, Item{Owner: owner, ID: id, Title: title, Version: version + 1})
	return nil
}

// refreshSharedTitles copies it.Title to its shares and the grantees'
// inbox entries, which keep one so that a grantee's list costs a single
// Query. The edit itself is already committed: this is a best-effort
// update of display copies, each conditional on the record still existing,
// and a failure leaves an old title in a list, never wrong access, so it is
// not reported as a failed edit. Each copy also records the item version
// its title comes from (title_version) and is written only over an older
// one: the copying of an earlier edit that runs late cannot bring back
// that edit's title.
func (s *Store) refreshSharedTitles(ctx context.Context, it Item) {
	shares, err := s.ListShares(ctx, it.Owner, it.ID)
	if err != nil {
		return
	}
	for _, sh := range shares {
		if sh.Title == it.Title {
			continue
		}
		for _, k := range [][2]string{{userPK(sh.Grantee), inboxSK(it.ID)}, {userPK(it.Owner), shareSK(it.ID, sh.Grantee)}} {
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                aws.String(s.tables.Data),
				Key:                      key(k[0], k[1]),
				UpdateExpression:         aws.String("SET #title = :title, #tv = :tv"),
				ConditionExpression:      aws.String("attribute_exists(pk) AND (attribute_not_exists(#tv) OR #tv < :tv)"),
				ExpressionAttributeNames: map[string]string{"#title": "title", "#tv": attrTitleVersion},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":title": &types.AttributeValueMemberS{Value: it.Title},
					":tv":    &types.AttributeValueMemberN{Value: strconv.FormatInt(it.Version, 10)},
				},
			})
			if err != nil && ctx.Err() != nil {
				return
			}
		}
	}
}

// SetVisibility makes owner's item id public or private, under the same
// version rule as UpdateItem.
func (s *Store) SetVisibility(ctx context.Context, owner, id string, version int64, public bool, a Actor) error {
	set := expression.Set(expression.Name("public"), expression.Value(public))
	action := "item.private"
	if public {
		action = "item.public"
	}
	ev := Event{Action: action, Target: id, Actor: a}
	return s.updateItem(ctx, owner, id, version, set, ev)
}

// updateItem applies set to owner's item id under the version condition,
// bumps version and updated_at, and writes ev with it.
func (s *Store) updateItem(ctx context.Context, owner, id string, version int64, set expression.UpdateBuilder, ev Event) error {
	if !validID(id) {
		return fmt.Errorf("store: update item %q: %w", id, ErrNotFound)
	}
	now := s.now().UTC()
	set = set.Set(expression.Name("version"), expression.Value(version+1)).
		Set(expression.Name("updated_at"), expression.Value(now.Format(time.RFC3339Nano)))
	cond := expression.Name("version").Equal(expression.Value(version))
	expr, err := expression.NewBuilder().WithUpdate(set).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("store: update item %s: build: %w", id, err)
	}
	err = s.transact(ctx, owner, ev, conditionalUpdate(s.tables.Data, key(userPK(owner), itemSK(id)), expr))
	if err != nil {
		if errors.Is(err, ErrConflict) {
			// The condition also fails when the item is gone: say which.
			if _, gerr := s.GetItem(ctx, owner, id); errors.Is(gerr, ErrNotFound) {
				return fmt.Errorf("store: update item %s: %w", id, ErrNotFound)
			}
		}
		return fmt.Errorf("store: update item %s: %w", id, err)
	}
	return nil
}

// DeleteItem deletes owner's item id if its version is still version, with
// its ref, its shares and the grantees' inbox entries. The item, its ref, the
// owner's item count, the audit record and as many shares as fit go in one
// transaction; shares beyond
// that (items shared with many users) are removed right after in batches.
// If those batches fail, the item is deleted all the same and the error
// wraps ErrIncomplete: an inbox entry whose item is gone reads as
// ErrSharedItemGone (an ErrNotFound), so it exposes nothing, and its grantee
// removes it with LeaveShare.
//
// The shares are listed after the item is read, and the transaction requires
// the item's shares_added to be the one read: a share added in between makes
// the delete fail with ErrConflict instead of leaving that share behind.
// Errors: ErrNotFound (no such item), ErrConflict (the item changed or was
// shared meanwhile).
func (s *Store) DeleteItem(ctx context.Context, owner, id string, version int64, a Actor) error {
	if !validID(id) {
		return fmt.Errorf("store: delete item %q: %w", id, ErrNotFound)
	}
	av, err := s.getRecord(ctx, userPK(owner), itemSK(id))
	if err != nil {
		return fmt.Errorf("store: delete item %s: %w", id, err)
	}
	var rec itemRecord
	if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
		return fmt.Errorf("store: unmarshal item %s: %w", id, err)
	}
	if rec.Version != version {
		return fmt.Errorf("store: delete item %s: version %d, not %d: %w", id, rec.Version, version, ErrConflict)
	}
	shares, err := s.ListShares(ctx, owner, id)
	if err != nil {
		return fmt.Errorf("store: delete item %s: %w", id, err)
	}
	added := expression.Name("shares_added").Equal(expression.Value(rec.SharesAdded))
	if rec.SharesAdded == 0 {
		added = expression.AttributeNotExists(expression.Name("shares_added")).Or(added)
	}
	cond := expression.Name("version").Equal(expression.Value(version)).And(added)
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("store: delete item %s: build: %w", id, err)
	}
	ops := []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName:                 aws.String(s.tables.Data),
			Key:                       key(userPK(owner), itemSK(id)),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}},
		{Delete: &types.Delete{
			TableName:           aws.String(s.tables.Data),
			Key:                 key(refPK(id), refSK),
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
	}
	count, err := s.itemCountOp(owner, -1)
	if err != nil {
		return fmt.Errorf("store: delete item %s: %w", id, err)
	}
	ops = append(ops, count)
	var rest [][2]string // keys deleted after the transaction
	for _, sh := range shares {
		sk, ik := key(userPK(owner), shareSK(id, sh.Grantee)), key(userPK(sh.Grantee), inboxSK(id))
		if len(ops)+2 <= MaxTransactOps {
			ops = append(ops,
				types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.tables.Data), Key: sk}},
				types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.tables.Data), Key: ik}},
			)
			continue
		}
		rest = append(rest, [2]string{userPK(owner), shareSK(id, sh.Grantee)}, [2]string{userPK(sh.Grantee), inboxSK(id)})
	}
	// The item is gone after this: the log keeps its title.
	detail := rec.Title
	if len(shares) > 0 {
		detail = fmt.Sprintf("%s; shares revoked: %d", rec.Title, len(shares))
	}
	ev := Event{Action: "item.delete", Target: id, Detail: detail, Actor: a}
	if err := s.transact(ctx, owner, ev, ops...); err != nil {
		if errors.Is(err, ErrConflict) {
			if _, gerr := s.GetItem(ctx, owner, id); errors.Is(gerr, ErrNotFound) {
				return fmt.Errorf("store: delete item %s: %w", id, ErrNotFound)
			}
		}
		return fmt.Errorf("store: delete item %s: %w", id, err)
	}
	if err := s.batchDelete(ctx, s.tables.Data, rest); err != nil {
		return fmt.Errorf("store: delete item %s: %w: remaining shares: %w", id, ErrIncomplete, err)
	}
	return nil
}

// batchDelete deletes keys from table, 25 per BatchWriteItem,
// retrying unprocessed items. It is only used for records that are already
// unreachable (their item or account is gone), so the writes need no
// condition.
func (s *Store) batchDelete(ctx context.Context, table string, keys [][2]string) error {
	for len(keys) > 0 {
		n := min(len(keys), 25)
		reqs := make([]types.WriteRequest, 0, n)
		for _, k := range keys[:n] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(k[0], k[1])}})
		}
		keys = keys[n:]
		pending := map[string][]types.WriteRequest{table: reqs}
		err := untilProcessed(ctx, "batch delete: unprocessed items remain", func() (bool, error) {
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return false, fmt.Errorf("batch delete: %w", translate(err))
			}
			pending = out.UnprocessedItems
			return len(pending) > 0, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// untilProcessed calls try, a batch call, until it reports that DynamoDB
// left nothing unprocessed (it leaves some when throttled), pausing 20 ms
// longer before each new try. After 9 tries, the error is remain, wrapping
// ErrUnavailable.
func untilProcessed(ctx context.Context, remain string, try func() (left bool, err error)) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
			}
		}
		if attempt > 8 {
			return fmt.Errorf("%s: %w", remain, ErrUnavailable)
		}
		left, err := try()
		if err != nil || !left {
			return err
		}
	}
}

// batchGet reads keys from the data table with strongly consistent reads
// in one BatchGetItem call (at most 100 keys), trying the keys DynamoDB
// leaves unprocessed again (see untilProcessed). Missing records are simply
// not in the result.
func (s *Store) batchGet(ctx context.Context, keys ...map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.tables.Data: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	var got []map[string]types.AttributeValue
	err := untilProcessed(ctx, "batch get: unprocessed keys remain", func() (bool, error) {
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return false, fmt.Errorf("batch get: %w", translate(err))
		}
		got = append(got, out.Responses[s.tables.Data]...)
		req = out.UnprocessedKeys
		return len(req) > 0, nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// ListEntry is one row of a user's item list: an own item or one shared with
// the user.
type ListEntry struct {
	ID     string
	Owner  string
	Title  string // for a shared item, its title when it was shared
	Shared bool   // shared with the user by Owner; read-only
	Public bool
	// ShareCount is the number of users an own item is shared with.
	ShareCount int
	// Time is when an own item was last changed, or when a shared one was shared.
	Time time.Time
}

// listRecord decodes both kinds of ITEM# records.
type listRecord struct {
	SK         string    `dynamodbav:"sk"`
	Type       string    `dynamodbav:"type"`
	ID         string    `dynamodbav:"id"`
	Owner      string    `dynamodbav:"owner"`
	Title      string    `dynamodbav:"title"`
	Public     bool      `dynamodbav:"public"`
	ShareCount int       `dynamodbav:"share_count"`
	UpdatedAt  time.Time `dynamodbav:"updated_at"`
	SharedAt   time.Time `dynamodbav:"shared_at"`
}

// ListItems returns one page of username's items and the items shared with
// username, newest first: one Query on the ITEM# prefix of the user's
// partition, where own items and inbox entries sort by item id. The body is
// not read. cursor is empty for the first page or a Page.Next.
func (s *Store) ListItems(ctx context.Context, username, cursor string, limit int) (Page[ListEntry], error) {
	var page Page[ListEntry]
	got, next, err := s.queryPrefixPage(ctx, userPK(username), itemPrefix, cursor, limit,
		attrType, "id", "owner", "title", "public", "share_count", "updated_at", "shared_at")
	if err != nil {
		return page, fmt.Errorf("store: list items: %w", err)
	}
	page.Next = next
	page.Items = make([]ListEntry, 0, len(got))
	for _, av := range got {
		var r listRecord
		if err := attributevalue.UnmarshalMap(av, &r); err != nil {
			return page, fmt.Errorf("store: unmarshal list entry: %w", err)
		}
		e := ListEntry{ID: r.ID, Owner: r.Owner, Title: r.Title, Public: r.Public, ShareCount: r.ShareCount, Time: r.UpdatedAt}
		if r.Type == typeInbox {
			e.Shared, e.Time = true, r.SharedAt
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}

// ExportItems calls fn with each of owner's own items, oldest first, reading
// one Query page at a time so that memory stays constant however many items
// there are. It stops at fn's first error and returns it.
func (s *Store) ExportItems(ctx context.Context, owner string, fn func(Item) error) error {
	kc := expression.Key("pk").Equal(expression.Value(userPK(owner))).
		And(expression.Key("sk").BeginsWith(itemPrefix))
	filt := expression.Name("type").Equal(expression.Value(typeItem))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(filt).Build()
	if err != nil {
		return fmt.Errorf("store: export items: build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Data),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     aws.Int32(exportPageSize),
		// An export holds every item saved before it started.
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("store: export items of %q: %w", owner, translate(err))
		}
		for _, av := range out.Items {
			var rec itemRecord
			if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
				return fmt.Errorf("store: unmarshal item: %w", err)
			}
			if err := fn(rec.item()); err != nil {
				return fmt.Errorf("store: export items of %q: %w", owner, err)
			}
		}
	}
	return nil
}

// exportPageSize bounds how many items ExportItems holds at once.
const exportPageSize = 100

// SetMaxItems replaces the most items one account may own (the default is
// MaxItems); n must be from 1 to 1<<20. Call it before the Store is used: it
// is not safe to call concurrently with other methods. Every instance
// sharing the tables should use the same limit.
func (s *Store) SetMaxItems(n int) error {
	if n < 1 || n > maxItemsLimit {
		return fmt.Errorf("store: max items %d: want 1 to %d", n, maxItemsLimit)
	}
	s.maxItems = n
	return nil
}

// ItemLimit returns the most items one account may own (see SetMaxItems).
func (s *Store) ItemLimit() int { return s.maxItems }

// maxItemsLimit bounds SetMaxItems.
const maxItemsLimit = 1 << 20

// itemCountOp returns the transactional update that adds delta to owner's
// count of own items. An increase is refused (a failed condition) when the
// count is at the store's limit; a decrease always goes through: it can
// only make room, ADD loses no concurrent change, and the delete it goes
// with carries the item's version condition. A count
// that does not exist yet is zero: it was added after accounts had items,
// so such an account's older items are not in it, and deleting them takes
// it below zero, which leaves room for as many new ones; the limit then
// holds from there on.
func (s *Store) itemCountOp(owner string, delta int) (types.TransactWriteItem, error) {
	b := expression.NewBuilder().WithUpdate(expression.
		Set(expression.Name(attrType), expression.Value(typeItemCount)).
		Add(expression.Name(attrCount), expression.Value(delta)))
	if delta > 0 {
		b = b.WithCondition(expression.AttributeNotExists(expression.Name(attrCount)).
			Or(expression.Name(attrCount).LessThanEqual(expression.Value(s.maxItems - delta))))
	}
	expr, err := b.Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("item count of %q: build: %w", owner, err)
	}
	op := conditionalUpdate(s.tables.Data, key(userPK(owner), itemCountSK), expr)
	return op, nil
}
