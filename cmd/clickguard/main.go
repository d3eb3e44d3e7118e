package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0 // success
	exitFailure = 1 // the command failed
	exitUsage   = 2 // the command line was wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand of clickguard.
type command struct {
	name  string // as typed: "serve"
	args  string // synopsis after the name: "[flags] URL..."
	short string // one line for the command list
	long  string // paragraphs for "clickguard help NAME", before the flags
	// env reports whether every flag of the command also reads
	// CLICKGUARD_<NAME> (see applyEnv); the help then names the variable.
	env bool
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands returns the command table, in the order help lists it.
func commands() []command {
	return []command{
		{name: "serve", args: "[flags]", short: "run the web application", long: serveLong, env: true, run: runServe},
		{name: "tables", args: "create|check [flags]", short: "create or check the DynamoDB tables", long: tablesLong, env: true, run: runTables},
		{name: "scan", args: "[flags] URL...", short: "tell whether a site can be clickjacked", long: scanLong, run: runScan},
		{name: "poc", args: "[flags] URL", short: "write a page that shows a person how URL could be clickjacked", long: pocLong, run: runPoc},
		{name: "version", args: "", short: "print the version", long: "Version prints clickguard's version, the commit it was built from and the Go version.", run: runVersion},
		{name: "help", args: "[command]", short: "show help for clickguard or a command", long: "Help prints the list of commands, or the full help of one command.", run: runHelp},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run runs clickguard with args (without the program name) and returns the
// exit code. Results go to stdout; messages, usage and logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printMainUsage(stdout)
		return exitOK
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "clickguard: unknown command %q\n\n", name)
		printMainUsage(stderr)
		return exitUsage
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	return report(err, stderr)
}

// report prints err (if any) the way its type asks and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if ue, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintf(stderr, "clickguard %s: %s\n\n%s", ue.cmd, ue.msg, ue.usage)
		return exitUsage
	}
	if ee, ok := errors.AsType[*exitError](err); ok {
		if ee.err != nil {
			fmt.Fprintf(stderr, "clickguard: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "clickguard: %v\n", err)
	return exitFailure
}

// usageError is a mistake on the command line: run prints the message and
// the command's usage and exits with exitUsage. Make one with usagef.
type usageError struct {
	cmd   string
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.cmd + ": " + e.msg }

// usagef returns a usageError for command name whose flags are fs (nil for
// none).
func usagef(name string, fs *flag.FlagSet, format string, args ...any) error {
	return &usageError{cmd: name, msg: fmt.Sprintf(format, args...), usage: usage(name, fs)}
}

// exitError makes run exit with code, printing err unless it is nil (a
// command that has already said everything, such as a scan whose findings
// are the output). Wrap with withExitCode.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExitCode returns an error that makes run exit with code; err may be nil.
func withExitCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

// parseFlags parses args into fs for command name. For -h it prints the
// command's usage to stdout and returns flag.ErrHelp (run exits 0); a bad
// flag is a usageError. Afterwards, for commands whose flags read the
// environment, every flag not given on the command line takes its
// CLICKGUARD_<NAME> variable when set: flag > environment > default.
func parseFlags(fs *flag.FlagSet, name string, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, usage(name, fs)) //nolint:errcheck // nothing to do about a closed stdout
			return flag.ErrHelp
		}
		return usagef(name, fs, "%v", err)
	}
	cmd, _ := lookup(name)
	if !cmd.env {
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if err != nil || given[f.Name] || !ok || v == "" {
			return
		}
		if _, isList := f.Value.(*stringList); isList {
			for item := range strings.SplitSeq(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					if e := f.Value.Set(item); e != nil {
						err = usagef(name, fs, "invalid value %q in %s: %v", item, envName(f.Name), e)
						return
					}
				}
			}
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = usagef(name, fs, "invalid value %q in %s: %v", v, envName(f.Name), e)
		}
	})
	return err
}

// envName returns the environment variable of flag name: "table-prefix"
// reads CLICKGUARD_TABLE_PREFIX.
func envName(flagName string) string {
	return "CLICKGUARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// usage returns the full help of command name: synopsis, description and
// flags (fs may be nil).
func usage(name string, fs *flag.FlagSet) string {
	cmd, _ := lookup(name)
	var b strings.Builder
	fmt.Fprintf(&b, "usage: clickguard %s", cmd.name)
	if cmd.args != "" {
		fmt.Fprintf(&b, " %s", cmd.args)
	}
	fmt.Fprintf(&b, "\n\n%s\n", strings.TrimSpace(cmd.long))
	if fs == nil {
		return b.String()
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return b.String()
	}
	b.WriteString("\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		valueName, text := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  -%s", f.Name)
		if valueName != "" {
			fmt.Fprintf(&b, " %s", valueName)
		}
		b.WriteString("\n")
		var notes []string
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0s" {
			notes = append(notes, fmt.Sprintf("default %q", f.DefValue))
		}
		if cmd.env {
			notes = append(notes, "env "+envName(f.Name))
		}
		for line := range strings.SplitSeq(text, "\n") {
			fmt.Fprintf(&b, "      %s\n", line)
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, "      (%s)\n", strings.Join(notes, "; "))
		}
	})
	return b.String()
}

func printMainUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("clickguard: a web application on DynamoDB that cannot be clickjacked,\nand a scanner that tells whether a site can be.\n\n")
	b.WriteString("usage: clickguard <command> [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.short)
	}
	b.WriteString("\nRun \"clickguard help <command>\" for a command's flags and environment.\n")
	io.WriteString(w, b.String()) //nolint:errcheck // nothing to do about a closed stream
}

// runHelp prints the list of commands, or one command's full help, to
// stdout.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("help", flag.ContinueOnError)
	if err := parseFlags(fs, "help", args, stdout); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		printMainUsage(stdout)
		return nil
	case 1:
		cmd, ok := lookup(fs.Arg(0))
		if !ok {
			return usagef("help", fs, "unknown command %q", fs.Arg(0))
		}
		if cmd.name == "help" {
			io.WriteString(stdout, usage("help", fs)) //nolint:errcheck // closed stdout
			return nil
		}
		// Every command answers -h with its usage on stdout.
		return cmd.run(ctx, []string{"-h"}, stdout, stderr)
	default:
		return usagef("help", fs, "help takes at most one command")
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
