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
	v, goVersion := buildVersion()
	fmt.Fprintf(stdout, "clickguard %s %s\n", v, goVersion)
	return nil
}

// buildVersion returns clickguard's version from the build info, "devel"
// for a build from source, with the commit when it is known ("devel
// (commit 0123456789ab)"), and the Go version.
func buildVersion() (v, goVersion string) {
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
	if commit != "" {
		v += fmt.Sprintf(" (commit %.12s)", commit)
	}
	return v, goVersion
}
