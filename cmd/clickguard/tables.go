package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/clickguard/clickguard/internal/store"
)

const tablesLong = `Tables manages clickguard's two DynamoDB tables, <prefix>data and
<prefix>sessions (key pk S HASH + sk S RANGE, on-demand capacity, TTL on
expires_at in the sessions table).

  create  creates the missing tables, naming each it creates, waits until
          they are ACTIVE and enables TTL where the server supports it; safe
          to run again. A table that exists with another key schema, or
          TTL already on another attribute, is an error, and a table of
          another key schema is left as it is, nothing created beside it.
  check   checks that both tables exist with the right key schema.

DynamoDB is configured as for serve (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB,
...); the embedded server lives only inside serve, so tables needs one of them.`

type tablesOptions struct {
	action      string
	tablePrefix string
}

func tablesFlags(o *tablesOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("tables", flag.ContinueOnError)
	fs.StringVar(&o.tablePrefix, "table-prefix", "clickguard-", "DynamoDB table name `prefix`: tables are <prefix>data and <prefix>sessions")
	return fs
}

// parseTables parses "clickguard tables create|check [flags]"; flags may come
// before or after the action.
func parseTables(args []string, stdout io.Writer) (tablesOptions, error) {
	var o tablesOptions
	fs := tablesFlags(&o)
	if len(args) > 0 && (args[0] == "create" || args[0] == "check") {
		o.action, args = args[0], args[1:]
	}
	if err := parseFlags(fs, "tables", args, stdout); err != nil {
		return o, err
	}
	rest := fs.Args()
	if o.action == "" && len(rest) > 0 {
		o.action, rest = rest[0], rest[1:]
	}
	switch {
	case o.action == "":
		return o, usagef("tables", fs, "say create or check")
	case o.action != "create" && o.action != "check":
		return o, usagef("tables", fs, "unknown action %q: want create or check", o.action)
	case len(rest) > 0:
		return o, usagef("tables", fs, "unexpected argument %q", rest[0])
	}
	if msg := checkTablePrefix(o.tablePrefix); msg != "" {
		return o, usagef("tables", fs, "%s", msg)
	}
	return o, nil
}

// checkTablePrefix says what is wrong with a -table-prefix, or returns "".
// DynamoDB takes table names of 3 to 255 characters, each a letter, digit,
// '_', '-' or '.'; the prefix is bounded so that both names stay within
// that.
func checkTablePrefix(p string) string {
	if p == "" || len(p) > 200 {
		return "-table-prefix must be 1 to 200 characters"
	}
	for _, c := range p {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Sprintf("-table-prefix %q: DynamoDB table names take only letters, digits, '_', '-' and '.', not %q", p, c)
		}
	}
	return ""
}

func runTables(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseTables(args, stdout)
	if err != nil {
		return err
	}
	db, err := openConfiguredDynamoDB(ctx)
	if err != nil {
		return err
	}
	tables := store.TablesWithPrefix(o.tablePrefix)
	st := store.New(db.client, tables)
	created, err := prepareTables(ctx, st, tables, db.where, o.action == "create", "")
	for _, name := range created {
		fmt.Fprintf(stdout, "created table %s\n", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tables %s and %s at %s: ok\n", tables.Data, tables.Sessions, db.describe)
	return nil
}
