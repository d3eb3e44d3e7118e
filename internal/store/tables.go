package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// keySchema is the key schema both tables must have, in SchemaError's format.
const keySchema = "pk S HASH, sk S RANGE"

// tableWaitInterval is the first pause between DescribeTable calls while a
// table is being created; it doubles up to tableWaitMax.
const (
	tableWaitInterval = 50 * time.Millisecond
	tableWaitMax      = 2 * time.Second
)

// CreateTables creates the data and sessions tables if they do not exist
// (on-demand capacity, key pk S HASH + sk S RANGE), waits until both are
// usable, and enables TTL on expires_at in the sessions table where the
// server supports it (minidyn and dynalite do not; expiry is enforced on read
// anyway). It is idempotent and safe to run from several instances at once.
// It changes nothing in a table that is not clickguard's: a table that
// exists with another key schema (another application's, under a mistaken
// prefix) is a *SchemaError before any table is created or any TTL turned
// on, and so is one that appears with another schema while it waits. TTL
// already on for another attribute of the sessions table is an error too
// (DynamoDB allows one per table, and clickguard's records would never
// expire). The wait is bounded by ctx only. It returns the names of the
// tables it created, none when both existed, even when it fails later.
func (s *Store) CreateTables(ctx context.Context) (created []string, err error) {
	names := []string{s.tables.Data, s.tables.Sessions}
	var missing []string
	for _, name := range names {
		out, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
			missing = append(missing, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: describe table %q: %w", name, translate(err))
		}
		if err := checkKeys(name, out.Table); err != nil {
			return nil, err
		}
	}
	for _, name := range missing {
		made, err := s.createTable(ctx, name)
		if made {
			created = append(created, name)
		}
		if err != nil {
			return created, err
		}
	}
	for _, name := range names {
		if err := s.waitTable(ctx, name); err != nil {
			return created, err
		}
	}
	return created, s.enableTTL(ctx, s.tables.Sessions)
}

// createTable creates table name, and reports whether it did: a table
// another instance created meanwhile is not this one's (waitTable checks its
// key schema).
func (s *Store) createTable(ctx context.Context, name string) (bool, error) {
	_, err := s.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
	})
	if _, ok := errors.AsType[*types.ResourceInUseException](err); ok {
		return false, nil // created meanwhile by another instance
	}
	if err != nil {
		return false, fmt.Errorf("store: create table %q: %w", name, translate(err))
	}
	return true, nil
}

// waitTable waits until DescribeTable succeeds with status ACTIVE, or with
// no status at all (minidyn never reports one, so the SDK's waiter would
// never return), and the table has clickguard's key schema.
func (s *Store) waitTable(ctx context.Context, name string) error {
	pause := tableWaitInterval
	for {
		out, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table != nil {
			if err := checkKeys(name, out.Table); err != nil {
				return err
			}
			switch st := out.Table.TableStatus; st {
			case types.TableStatusActive, types.TableStatusUpdating, "":
				return nil
			case types.TableStatusCreating:
			default:
				return fmt.Errorf("store: table %q is %s", name, st)
			}
		} else if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok && err != nil {
			return fmt.Errorf("store: wait for table %q: %w", name, translate(err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: wait for table %q: %w", name, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, tableWaitMax)
	}
}

// enableTTL turns on TTL for expires_at unless it is on already. A server
// without the TTL API is not an error: expiry is checked on read. TTL on
// another attribute is: DynamoDB takes one per table.
func (s *Store) enableTTL(ctx context.Context, name string) error {
	out, err := s.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err == nil && out.TimeToLiveDescription != nil {
		d := out.TimeToLiveDescription
		switch d.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			if a := aws.ToString(d.AttributeName); a != attrExpiresAt {
				return ttlElsewhere(name, a)
			}
			return nil
		}
	} else if err != nil {
		if ttlUnsupported(err) {
			return nil
		}
		return fmt.Errorf("store: describe TTL of %q: %w", name, translate(err))
	}
	_, err = s.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrExpiresAt),
			Enabled:       aws.Bool(true),
		},
	})
	if ae, ok := errors.AsType[smithy.APIError](err); ok && strings.Contains(ae.ErrorMessage(), "different AttributeName") {
		return ttlElsewhere(name, "")
	}
	if err != nil && !ttlUnsupported(err) {
		return fmt.Errorf("store: enable TTL on %q: %w", name, translate(err))
	}
	return nil
}

// ttlElsewhere is the error of a sessions table whose TTL is on another
// attribute (named, when known).
func ttlElsewhere(table, attr string) error {
	on := "another attribute"
	if attr != "" {
		on = fmt.Sprintf("%q", attr)
	}
	return fmt.Errorf("store: TTL of table %q is on %s, and DynamoDB takes one per table: clickguard's session and throttle records, which expire by %q, would never be deleted; turn that table's TTL off (it may take an hour) or use another -table-prefix",
		table, on, attrExpiresAt)
}

// ttlUnsupported reports whether err says the server has no TTL API:
// dynalite answers UnknownOperationException, minidyn a plain-text 400 that
// the SDK cannot deserialize. Real DynamoDB answers ValidationException when
// TTL is being changed already (TTL changes are rate limited), which is fine
// too; enableTTL has told TTL on another attribute apart before.
func ttlUnsupported(err error) bool {
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		switch ae.ErrorCode() {
		case "UnknownOperationException":
			return true
		case "ValidationException":
			return strings.Contains(ae.ErrorMessage(), "TimeToLive") || strings.Contains(ae.ErrorMessage(), "Time to live")
		}
	}
	if _, ok := errors.AsType[*smithy.DeserializationError](err); ok {
		return true
	}
	return false
}

// CheckTables reports whether both tables exist with the key schema
// clickguard needs. A missing table is an error wrapping ErrNotFound; a table
// with another key schema is a *SchemaError.
func (s *Store) CheckTables(ctx context.Context) error {
	for _, name := range []string{s.tables.Data, s.tables.Sessions} {
		out, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("store: check table %q: %w", name, translate(err))
		}
		if err := checkKeys(name, out.Table); err != nil {
			return err
		}
	}
	return nil
}

// checkKeys returns a *SchemaError unless t, table name's description, has
// clickguard's key schema.
func checkKeys(name string, t *types.TableDescription) error {
	if !keysMatch(t) {
		return &SchemaError{Table: name, Expected: keySchema, Found: describeKeys(t)}
	}
	return nil
}

// keysMatch reports whether t is keyed pk S HASH + sk S RANGE. An attribute
// type the server leaves out of the description (minidyn describes no
// attribute definitions) is not held against it.
func keysMatch(t *types.TableDescription) bool {
	if t == nil || len(t.KeySchema) != 2 {
		return false
	}
	want := []struct {
		name string
		kt   types.KeyType
	}{{attrPK, types.KeyTypeHash}, {attrSK, types.KeyTypeRange}}
	for i, k := range t.KeySchema {
		if aws.ToString(k.AttributeName) != want[i].name || k.KeyType != want[i].kt {
			return false
		}
		if at := keyAttrType(t, want[i].name); at != "" && at != types.ScalarAttributeTypeS {
			return false
		}
	}
	return true
}

func keyAttrType(t *types.TableDescription, name string) types.ScalarAttributeType {
	for _, d := range t.AttributeDefinitions {
		if aws.ToString(d.AttributeName) == name {
			return d.AttributeType
		}
	}
	return ""
}

// describeKeys formats a table's key schema as keySchema does, leaving out
// types the server did not describe.
func describeKeys(t *types.TableDescription) string {
	if t == nil {
		return ""
	}
	var parts []string
	for _, k := range t.KeySchema {
		name := aws.ToString(k.AttributeName)
		parts = append(parts, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s", name, keyAttrType(t, name), k.KeyType)), " "))
	}
	return strings.Join(parts, ", ")
}

// Ping reports whether DynamoDB answers and the data table exists, for
// readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.tables.Data)})
	if err != nil {
		return fmt.Errorf("store: ping: %w", translate(err))
	}
	return nil
}

// DeleteTables deletes both tables and everything in them. It is meant for
// tests: no clickguard command deletes tables. A missing table is not an
// error.
func (s *Store) DeleteTables(ctx context.Context) error {
	var errs []error
	for _, name := range []string{s.tables.Data, s.tables.Sessions} {
		_, err := s.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		if _, ok := errors.AsType[*types.ResourceNotFoundException](err); err != nil && !ok {
			errs = append(errs, fmt.Errorf("store: delete table %q: %w", name, translate(err)))
		}
	}
	return errors.Join(errs...)
}
