package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version is the release version; builds from source say "devel" and the
// commit.
const version = "devel"

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, "version", args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version", fs, "unexpected argument %q", fs.Arg(0))
	}
	v, commit, goVersion := version, "", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "clickguard %s", v)
	if commit != "" {
		fmt.Fprintf(stdout, " (commit %.12s)", commit)
	}
	fmt.Fprintf(stdout, " %s\n", goVersion)
	return nil
}
