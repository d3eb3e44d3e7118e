package store_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestPagination writes 400 audit records of about 4 KB (1.6 MB, more than
// one DynamoDB page) and reads them back whole and in pages. On a backend
// without the 1 MB page, a Limit forces the pages.
func TestPagination(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		s := b.Store(t)
		if !b.Caps.OneMBPages {
			store.SetQueryLimit(s, 50)
			t.Logf("%s has no 1 MB page; forcing pages of 50 records", b.Name)
		}
		ctx := t.Context()
		const n, size = 400, 4000
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := store.PutAuditRecords(ctx, s, "gina", n, size, t0); err != nil {
			t.Fatalf("PutAuditRecords: %v", err)
		}
		if err := store.PutAuditRecords(ctx, s, "hank", 3, 10, t0); err != nil {
			t.Fatalf("PutAuditRecords: %v", err)
		}
		checkOrder := func(what string, evs []store.Event, from int) {
			t.Helper()
			for i, e := range evs {
				if want := fmt.Sprint(from + i); e.Target != want || e.Actor.Username != "gina" {
					t.Fatalf("%s: record %d is %q of %q, want %q of gina", what, from+i, e.Target, e.Actor.Username, want)
				}
			}
		}

		evs, pages, err := store.AuditEvents(ctx, s, "gina")
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if len(evs) != n {
			t.Fatalf("AuditEvents returned %d records, want %d", len(evs), n)
		}
		checkOrder("AuditEvents", evs, 0)
		if pages < 2 {
			t.Errorf("AuditEvents read %d page(s), want several: pagination was not exercised", pages)
		}
		t.Logf("%s: %d records in %d pages", b.Name, n, pages)

		// One page larger than a DynamoDB page: queryPage must follow
		// LastEvaluatedKey inside the call.
		first, next, err := store.AuditPage(ctx, s, "gina", "", 300)
		if err != nil {
			t.Fatalf("AuditPage(300): %v", err)
		}
		if len(first) != 300 || next == "" {
			t.Fatalf("AuditPage(300) = %d records, next %q; want 300 and a cursor", len(first), next)
		}
		checkOrder("AuditPage(300)", first, 0)
		rest, next, err := store.AuditPage(ctx, s, "gina", next, 300)
		if err != nil {
			t.Fatalf("AuditPage(cursor, 300): %v", err)
		}
		if len(rest) != n-300 || next != "" {
			t.Errorf("second page = %d records, next %q; want %d and no cursor", len(rest), next, n-300)
		}
		checkOrder("second page", rest, 300)

		// Small pages, cursor to cursor, see every record once.
		var all []store.Event
		cursor := ""
		for range n {
			page, nx, err := store.AuditPage(ctx, s, "gina", cursor, 64)
			if err != nil {
				t.Fatalf("AuditPage(%q, 64): %v", cursor, err)
			}
			all = append(all, page...)
			if cursor = nx; cursor == "" {
				break
			}
		}
		if len(all) != n {
			t.Fatalf("pages of 64 gave %d records, want %d", len(all), n)
		}
		checkOrder("pages of 64", all, 0)

		// A cursor cannot move a listing into another user's partition.
		_, ginaCursor, _ := store.AuditPage(ctx, s, "gina", "", 1)
		if _, _, err := store.AuditPage(ctx, s, "hank", ginaCursor, 10); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("hank's listing with gina's cursor = %v, want ErrBadCursor", err)
		}
		if _, _, err := store.AuditPage(ctx, s, "hank", "not a cursor", 10); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("listing with a garbage cursor = %v, want ErrBadCursor", err)
		}
	})
}

// TestForgedCursor_LongKey: a page cursor comes from the URL, so anyone can
// forge one. One in the right partition and listing whose sort key is
// longer than DynamoDB allows (1024 bytes) is a bad cursor, not a
// ValidationException that the application would answer with a 500.
func TestForgedCursor_LongKey(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		s := b.Store(t)
		ctx := t.Context()
		forge := func(sk string) string {
			j, err := json.Marshal(map[string]string{"pk": "USER#gina", "sk": sk})
			if err != nil {
				t.Fatal(err)
			}
			return base64.RawURLEncoding.EncodeToString(j)
		}
		long := strings.Repeat("Z", 1100)
		if _, err := s.ListItems(ctx, "gina", forge("ITEM#"+long), 10); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListItems with a %d-byte cursor key: error %v, want ErrBadCursor", 5+len(long), err)
		}
		if _, err := s.ListEvents(ctx, "gina", forge("AUDIT#"+long), 10); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListEvents with a %d-byte cursor key: error %v, want ErrBadCursor", 6+len(long), err)
		}
	})
}

// TestCursor_OtherListing: a cursor of one listing of a user's partition
// is a bad cursor for the other, though it lies in the same partition.
func TestCursor_OtherListing(t *testing.T) {
	t.Parallel()
	s := newUsers(t, "gina")
	ctx := t.Context()
	for _, title := range []string{"One", "Two"} {
		if _, err := s.CreateItem(ctx, "gina", title, "", store.Actor{Username: "gina"}); err != nil {
			t.Fatal(err)
		}
	}
	items, err := s.ListItems(ctx, "gina", "", 1)
	if err != nil || items.Next == "" {
		t.Fatalf("ListItems(1) = %+v, %v; want a cursor", items, err)
	}
	events, err := s.ListEvents(ctx, "gina", "", 1)
	if err != nil || events.Next == "" {
		t.Fatalf("ListEvents(1) = %+v, %v; want a cursor", events, err)
	}
	if _, err := s.ListEvents(ctx, "gina", items.Next, 10); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("ListEvents with a cursor of ListItems: error %v, want ErrBadCursor", err)
	}
	if _, err := s.ListItems(ctx, "gina", events.Next, 10); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("ListItems with a cursor of ListEvents: error %v, want ErrBadCursor", err)
	}
}

// TestListItems_NoBody: ListItems reads the fields of the list, not the
// bodies (up to 64 KiB each), and pages all the same.
func TestListItems_NoBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var projections [][]string
	env := newUsersEnv(t, "gina").InterceptedInput(func(_ string, in any) error {
		if q, ok := in.(*dynamodb.QueryInput); ok {
			var attrs []string // nil: every attribute
			if q.ProjectionExpression != nil {
				for _, a := range strings.Split(*q.ProjectionExpression, ",") {
					a = strings.TrimSpace(a)
					if name, ok := q.ExpressionAttributeNames[a]; ok {
						a = name
					}
					attrs = append(attrs, a)
				}
			}
			mu.Lock()
			projections = append(projections, attrs)
			mu.Unlock()
		}
		return nil
	})
	s, ctx := env.Store, t.Context()
	for _, title := range []string{"One", "Two"} {
		if _, err := s.CreateItem(ctx, "gina", title, "a body", store.Actor{Username: "gina"}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ListItems(ctx, "gina", "", 1)
	if err != nil || len(first.Items) != 1 || first.Next == "" {
		t.Fatalf("ListItems(1) = %+v, %v; want one item and a cursor", first, err)
	}
	second, err := s.ListItems(ctx, "gina", first.Next, 1)
	if err != nil || len(second.Items) != 1 || second.Items[0].Title != "One" || first.Items[0].Title != "Two" {
		t.Fatalf("ListItems pages = %+v then %+v, %v; want Two then One", first, second, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(projections) == 0 {
		t.Fatal("ListItems sent no Query")
	}
	for _, attrs := range projections {
		if attrs == nil || slices.Contains(attrs, "body") {
			t.Errorf("ListItems read %q (nil: every attribute), want the fields of the list without the body", attrs)
		}
	}
}
