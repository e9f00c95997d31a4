// Command rdbscope analyzes Redis RDB snapshots offline: per node memory by
// type, encoding, TTL and key family, the biggest keys, and findings that
// explain why a node is in trouble.
//
// Usage:
//
//	rdbscope analyze [flags] INPUT...
//	rdbscope report [flags] PROFILE...
//	rdbscope diff [flags] OLD NEW
//	rdbscope trend [flags] SNAPSHOT...
//	rdbscope version
//
// See README.md and docs/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/worker"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes; documented in docs/cli.md.
const (
	exitOK         = 0 // every input analyzed, no finding at or above --fail-on
	exitFatal      = 1 // the run failed: no input resolved, an output could not be written, interrupted
	exitUsage      = 2 // bad flags or arguments
	exitIncomplete = 3 // some input failed or is incomplete; the report covers the rest
	exitFindings   = 4 // a finding at or above --fail-on
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError marks errors in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	cmd := args[0]
	if cmd == "help" && len(args) > 1 {
		// rdbscope help analyze = rdbscope analyze --help.
		cmd, args = args[1], []string{args[1], "--help"}
	}
	var code int
	var err error
	switch cmd {
	case "analyze":
		code, err = analyzeCmd(ctx, args[1:], stdin, stdout, stderr)
	case "report":
		code, err = reportCmd(ctx, args[1:], stdin, stdout, stderr)
	case "diff":
		code, err = diffCmd(ctx, args[1:], stdin, stdout, stderr)
	case "trend":
		code, err = trendCmd(ctx, args[1:], stdin, stdout, stderr)
	case worker.Command:
		err = worker.Main(ctx)
	case "version", "--version":
		fmt.Fprintf(stdout, "rdbscope %s\n", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		msg := fmt.Sprintf("unknown command %q", cmd)
		if s := suggestCommand(cmd, commands); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		err = usageError{msg}
		cmd = ""
	}
	if err != nil {
		// Errors name files and archive members: untrusted text.
		fmt.Fprintf(stderr, "rdbscope: %s\n", aggregate.CleanText(err.Error()))
		var ue usageError
		if errors.As(err, &ue) {
			if cmd != "" {
				fmt.Fprintf(stderr, "Run 'rdbscope %s --help' for usage.\n", cmd)
			} else {
				fmt.Fprint(stderr, "Run 'rdbscope help' for usage.\n")
			}
			return exitUsage
		}
		if code == exitOK {
			code = exitFatal
		}
	}
	return code
}

// commands are the commands help lists, for "did you mean".
var commands = []string{"analyze", "report", "diff", "trend", "version", "help"}

const topUsage = `rdbscope analyzes Redis and Valkey RDB snapshots offline.

Usage:
  rdbscope analyze [flags] INPUT...   profile one dump per node (files,
                                      directories, tar archives, - for stdin)
  rdbscope report [flags] PROFILE...  merge per-node JSON profiles into one
                                      cluster report
  rdbscope diff [flags] OLD NEW       what grew or lost its TTL between two
                                      profiles (or dumps, directories)
  rdbscope trend [flags] SNAPSHOT...  forecast nightly reports or a history:
                                      which node fills, when, and why
  rdbscope version                    print the version
  rdbscope help [COMMAND]             this help, or a command's

Run 'rdbscope COMMAND --help' for a command's flags; docs/cli.md has them all.
`
