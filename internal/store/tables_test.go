package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

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
			// CreateTables refuses it too, before creating the other table.
			created, err := s.CreateTables(t.Context())
			if se, ok := errors.AsType[*store.SchemaError](err); !ok || se.Table != tables.Data {
				t.Errorf("%s: CreateTables over a mismatched table = %v, want a *store.SchemaError for %s", tc.name, err, tables.Data)
			}
			if len(created) != 0 {
				t.Errorf("%s: CreateTables over a mismatched table created %q", tc.name, created)
			}
			_, err = c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(tables.Sessions)})
			if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok {
				t.Errorf("%s: after CreateTables refused the data table, DescribeTable(%s) = %v, want not found", tc.name, tables.Sessions, err)
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

// recordingClient is a client of endpoint that records the name of every
// operation it sends, with the table of a TTL call, and lets answer give an
// operation's result or error instead of the server (ok false: ask the
// server).
func recordingClient(t *testing.T, endpoint string, calls *[]string, answer func(op string) (out any, err error, ok bool)) *dynamodb.Client {
	var mu sync.Mutex
	mw := middleware.InitializeMiddlewareFunc("record", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		switch p := in.Parameters.(type) {
		case *dynamodb.CreateTableInput:
			op += " " + aws.ToString(p.TableName)
		case *dynamodb.UpdateTimeToLiveInput:
			op += " " + aws.ToString(p.TableName)
		}
		mu.Lock()
		*calls = append(*calls, op)
		mu.Unlock()
		if answer != nil {
			if out, err, ok := answer(middleware.GetOperationName(ctx)); ok {
				return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
			}
		}
		return next.HandleInitialize(ctx, in)
	})
	return dynamodb.New(storetest.Client(t, endpoint).Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.Before) })
	})
}

// A sessions table of another application under clickguard's name (a
// mistaken prefix) is refused before anything changes: on DynamoDB, TTL on
// expires_at there would delete that application's items.
func TestCreateTables_ForeignTable(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		tables := store.TablesWithPrefix(e.Tables.Data[:len(e.Tables.Data)-len("data")] + "foreign-")
		_, err := e.Client.CreateTable(t.Context(), &dynamodb.CreateTableInput{
			TableName: aws.String(tables.Sessions), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		})
		if err != nil {
			t.Fatalf("CreateTable: %v", err)
		}
		t.Cleanup(func() {
			_, _ = e.Client.DeleteTable(context.WithoutCancel(t.Context()), &dynamodb.DeleteTableInput{TableName: aws.String(tables.Sessions)})
			_, _ = e.Client.DeleteTable(context.WithoutCancel(t.Context()), &dynamodb.DeleteTableInput{TableName: aws.String(tables.Data)})
		})
		var calls []string
		created, err := store.New(recordingClient(t, b.Endpoint, &calls, nil), tables).CreateTables(t.Context())
		if se, ok := errors.AsType[*store.SchemaError](err); !ok || se.Table != tables.Sessions {
			t.Errorf("CreateTables = %v, want a *store.SchemaError for %s", err, tables.Sessions)
		}
		if len(created) != 0 {
			t.Errorf("CreateTables created %q", created)
		}
		for _, c := range calls {
			if c != "DescribeTable" {
				t.Errorf("CreateTables sent %s; it may only look (calls: %q)", c, calls)
			}
		}
	})
}

// TTL on another attribute of the sessions table, as DynamoDB describes it
// or refuses to change it, is an error that names it: clickguard's records
// would never expire.
func TestCreateTables_TTLOnOtherAttribute(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := b.Env(t)
		for _, tc := range []struct {
			name   string
			answer func(op string) (any, error, bool)
			want   string
		}{
			{"described", func(op string) (any, error, bool) {
				if op != "DescribeTimeToLive" {
					return nil, nil, false
				}
				return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{
					AttributeName: aws.String("ttl"), TimeToLiveStatus: types.TimeToLiveStatusEnabled,
				}}, nil, true
			}, `TTL of table "` + e.Tables.Sessions + `" is on "ttl"`},
			{"refused", func(op string) (any, error, bool) {
				switch op {
				case "DescribeTimeToLive":
					return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{
						TimeToLiveStatus: types.TimeToLiveStatusDisabled,
					}}, nil, true
				case "UpdateTimeToLive":
					return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "TimeToLive is active on a different AttributeName: current AttributeName is ttl"}, true
				}
				return nil, nil, false
			}, `TTL of table "` + e.Tables.Sessions + `" is on another attribute`},
			{"being changed", func(op string) (any, error, bool) {
				switch op {
				case "DescribeTimeToLive":
					return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{
						TimeToLiveStatus: types.TimeToLiveStatusDisabling,
					}}, nil, true
				case "UpdateTimeToLive":
					return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Time to live has been modified multiple times within a fixed interval"}, true
				}
				return nil, nil, false
			}, ""},
		} {
			var calls []string
			_, err := store.New(recordingClient(t, b.Endpoint, &calls, tc.answer), e.Tables).CreateTables(t.Context())
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s: CreateTables = %v, want nil (calls %q)", tc.name, err, calls)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%s: CreateTables = %v, want an error saying %q (calls %q)", tc.name, err, tc.want, calls)
			}
		}
	})
}
