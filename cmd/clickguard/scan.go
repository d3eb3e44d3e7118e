package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

// scanLong is the description "clickguard help scan" prints before the flags.
const scanLong = `Scan fetches each URL and reports whether browsers would let another
origin frame it, and why.`

// runScan runs "clickguard scan". It is a placeholder until the scanner is
// wired in: it accepts -h and otherwise fails.
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	if err := parseFlags(fs, "scan", args, stdout); err != nil {
		return err
	}
	return errors.New("scan: not built yet")
}
