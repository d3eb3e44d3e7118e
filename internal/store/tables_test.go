package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

func TestCreateTables_Idempotent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t) // created once already
		created, err := e.Store.CreateTables(t.Context())
		if err != nil {
			t.Fatalf("second CreateTables: %v", err)
		}
		if len(created) != 0 {
			t.Errorf("second CreateTables says it created %q, want none", created)
		}
		if err := e.Store.CheckTables(t.Context()); err != nil {
			t.Errorf("CheckTables: %v", err)
		}
		if err := e.Store.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestCreateTables_TTL(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		b.Require(t, storetest.TTL)
		e := b.Env(t)
		out, err := e.Client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(e.Tables.Sessions)})
		if err != nil {
			t.Fatalf("DescribeTimeToLive: %v", err)
		}
		d := out.TimeToLiveDescription
		if st := d.TimeToLiveStatus; st != types.TimeToLiveStatusEnabled && st != types.TimeToLiveStatusEnabling {
			t.Errorf("TTL status = %s, want ENABLED", st)
		}
		if got := aws.ToString(d.AttributeName); got != "expires_at" {
			t.Errorf("TTL attribute = %q, want expires_at", got)
		}
	})
}

func TestCheckTables(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		c := e.Client
		keyed := func(name string, skType types.ScalarAttributeType, keys ...types.KeySchemaElement) {
			t.Helper()
			var defs []types.AttributeDefinition
			for _, k := range keys {
				at := types.ScalarAttributeTypeS
				if k.KeyType == types.KeyTypeRange {
					at = skType
				}
				defs = append(defs, types.AttributeDefinition{AttributeName: k.AttributeName, AttributeType: at})
			}
			_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
				TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
				AttributeDefinitions: defs, KeySchema: keys,
			})
			if err != nil {
				t.Fatalf("CreateTable(%s): %v", name, err)
			}
			t.Cleanup(func() {
				_, _ = c.DeleteTable(context.WithoutCancel(t.Context()), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
			})
		}
		hash := func(n string) types.KeySchemaElement {
			return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyTypeHash}
		}
		rng := func(n string) types.KeySchemaElement {
			return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyTypeRange}
		}
		// Tables of the right names next to e's, with other key schemas.
		prefix := e.Tables.Data[:len(e.Tables.Data)-len("data")] + "x-"
		tests := []struct {
			name   string
			skType types.ScalarAttributeType
			keys   []types.KeySchemaElement
			found  string
		}{
			{"hash only", "S", []types.KeySchemaElement{hash("pk")}, "HASH"},
			{"other names", "S", []types.KeySchemaElement{hash("id"), rng("created")}, "id"},
			{"swapped", "S", []types.KeySchemaElement{hash("sk"), rng("pk")}, "sk"},
			{"number sort key", "N", []types.KeySchemaElement{hash("pk"), rng("sk")}, "sk N RANGE"},
		}
		for i, tc := range tests {
			if tc.skType == "N" && b.Minidyn != nil {
				t.Logf("%s: skipped on minidyn, whose DescribeTable reports no attribute types", tc.name)
				continue
			}
			tables := store.TablesWithPrefix(prefix + string(rune('a'+i)) + "-")
			keyed(tables.Data, tc.skType, tc.keys...)
			s := store.New(c, tables)
			err := s.CheckTables(t.Context())
			se, ok := errors.AsType[*store.SchemaError](err)
			if !ok {
				t.Errorf("%s: CheckTables = %v, want *store.SchemaError", tc.name, err)
				continue
			}
			if se.Table != tables.Data || se.Expected != "pk S HASH, sk S RANGE" || !strings.Contains(se.Found, tc.found) {
				t.Errorf("%s: SchemaError = %+v, want table %s, expected pk S HASH, sk S RANGE, found with %q", tc.name, se, tables.Data, tc.found)
			}
			if _, err := s.CreateTables(t.Context()); err != nil {
				t.Errorf("%s: CreateTables over a mismatched table: %v (it must not fail or replace it)", tc.name, err)
			}
			if _, ok := errors.AsType[*store.SchemaError](s.CheckTables(t.Context())); !ok {
				t.Errorf("%s: CheckTables after CreateTables is no longer a SchemaError", tc.name)
			}
		}
		missing := store.New(c, store.TablesWithPrefix(prefix+"none-"))
		if err := missing.CheckTables(t.Context()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CheckTables on missing tables = %v, want ErrNotFound", err)
		}
		if err := missing.Ping(t.Context()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ping on missing tables = %v, want ErrNotFound", err)
		}
	})
}
