package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
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

// buildVersion returns clickguard's version and the Go version it was
// built with, from the build info.
func buildVersion() (v, goVersion string) {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
}

// versionOf reads bi (nil when the binary has none): the module version
// when the go command stamped one ("v1.2.0", or a pseudo-version that
// holds the commit), else "devel"; then the commit when the version does
// not already show it ("devel (commit 0123456789ab)"), and "+dirty" for
// a build from a modified tree.
func versionOf(bi *debug.BuildInfo) (v, goVersion string) {
	v, goVersion = version, "unknown"
	if bi == nil {
		return v, goVersion
	}
	goVersion = bi.GoVersion
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	var commit string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit != "" && !strings.Contains(v, commit[:min(12, len(commit))]) {
		v += fmt.Sprintf(" (commit %.12s)", commit)
	}
	if modified && !strings.HasSuffix(v, "+dirty") {
		v += "+dirty"
	}
	return v, goVersion
}
