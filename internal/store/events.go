package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
)

// ListEvents returns one page of username's audit log, newest first. cursor
// is empty for the first page or a Page.Next of this listing.
func (s *Store) ListEvents(ctx context.Context, username, cursor string, limit int) (Page[Event], error) {
	var page Page[Event]
	got, next, err := s.queryPrefixPage(ctx, userPK(username), auditPrefix, cursor, limit)
	if err != nil {
		return page, fmt.Errorf("store: list events: %w", err)
	}
	page.Next = next
	page.Items = make([]Event, 0, len(got))
	for _, av := range got {
		var r auditRecord
		if err := attributevalue.UnmarshalMap(av, &r); err != nil {
			return page, fmt.Errorf("store: unmarshal audit record: %w", err)
		}
		page.Items = append(page.Items, r.event())
	}
	return page, nil
}

// RecordEvent adds ev to username's audit log on its own, for actions that
// change no record (an export). A zero ev.Time means now. Like every write
// into a user's partition it is a transaction that requires the account to
// be live: ErrAccountGone once its deletion has started.
func (s *Store) RecordEvent(ctx context.Context, username string, ev Event) error {
	if err := s.transact(ctx, username, ev); err != nil {
		return fmt.Errorf("store: record event %s: %w", ev.Action, err)
	}
	return nil
}
