package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/internal/tty"
)

// Help is written to stdout (so that `rdbscope analyze --help | grep`
// works), in at most helpWidth columns, flags in groups, every value
// named by an upper-case placeholder that means the same in every command
// (N a count, SIZE an amount of memory, FILE a path, ...). Usage errors go
// to stderr as one line and a hint naming the command's help.

// helpWidth is the widest help is laid out, however wide the terminal.
const helpWidth = 80

// helpDoc is what a command's help says besides its flags.
type helpDoc struct {
	usage    string   // "rdbscope analyze [flags] INPUT..."
	about    []string // paragraphs
	groups   []string // flag groups, in order (see inGroup)
	examples []string
}

// Flag annotations for help: the group a flag is listed in, and the
// placeholder of a flag whose values are a few words (auto|yes|no), which
// its description then need not repeat.
const (
	groupKey       = "help-group"
	placeholderKey = "help-value"
)

// choices sets the placeholder of flag name to its values.
func choices(fs *pflag.FlagSet, name string, values ...string) {
	_ = fs.SetAnnotation(name, placeholderKey, []string{strings.Join(values, "|")})
}

// inGroup puts flags in a help group.
func inGroup(fs *pflag.FlagSet, group string, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, groupKey, []string{group})
	}
}

// writeHelp writes a command's help: usage, what it does, its flags by
// group (flags in no group last, under "Other flags"), examples.
func writeHelp(w io.Writer, fs *pflag.FlagSet, d helpDoc, width int) {
	width = min(width, helpWidth)
	fmt.Fprintf(w, "Usage: %s\n", d.usage)
	for _, p := range d.about {
		fmt.Fprintln(w)
		for _, l := range tty.Wrap(p, width, width) {
			fmt.Fprintln(w, l)
		}
	}
	groups := map[string][]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := "Other flags"
		if a := f.Annotations[groupKey]; len(a) > 0 {
			g = a[0]
		}
		groups[g] = append(groups[g], f)
	})
	specW := 0
	for _, fl := range groups {
		for _, f := range fl {
			if n := len(flagSpec(f)); n <= maxSpec {
				specW = max(specW, n)
			}
		}
	}
	for _, g := range append(append([]string{}, d.groups...), "Other flags") {
		if len(groups[g]) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, f := range groups[g] {
			writeFlagHelp(w, f, specW, width)
		}
		delete(groups, g)
	}
	if len(d.examples) > 0 {
		fmt.Fprint(w, "\nExamples:\n")
		for _, e := range d.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// maxSpec is the widest flag column; a longer flag has its description on
// the next line.
const maxSpec = 30

// flagSpec is how a flag is shown: "  -j, --jobs N", "      --json FILE".
func flagSpec(f *pflag.Flag) string {
	s := "      --" + f.Name
	if f.Shorthand != "" {
		s = "  -" + f.Shorthand + ", --" + f.Name
	}
	if v := f.Annotations[placeholderKey]; len(v) > 0 {
		return s + " " + v[0]
	}
	if name, _ := pflag.UnquoteUsage(f); name != "" && f.Value.Type() != "bool" {
		s += " " + name
	}
	return s
}

// writeFlagHelp writes one flag and its description, wrapped under itself.
func writeFlagHelp(w io.Writer, f *pflag.Flag, specW, width int) {
	_, usage := pflag.UnquoteUsage(f)
	usage = withDefault(f, usage)
	spec := flagSpec(f)
	indent := strings.Repeat(" ", specW+2)
	first := width - specW - 2
	if len(spec) > specW {
		fmt.Fprintln(w, spec)
		spec = indent
	} else {
		spec += strings.Repeat(" ", specW+2-len(spec))
	}
	for i, l := range tty.Wrap(usage, first, first) {
		if i == 0 {
			fmt.Fprintln(w, spec+l)
			continue
		}
		fmt.Fprintln(w, indent+l)
	}
}

// withDefault adds a flag's default to its description, when it is worth
// saying and the description does not already give it: "(default 50)", or
// inside the description's closing parenthesis ("(0 = off; default 16mb)").
func withDefault(f *pflag.Flag, usage string) string {
	if strings.Contains(usage, "default") {
		return usage
	}
	v := f.DefValue
	switch {
	case f.Value.Type() == "bool" && v == "true":
		v = "on"
	case f.Value.Type() == "bool", v == "", v == "[]", v == "0":
		return usage
	}
	if body, ok := strings.CutSuffix(usage, ")"); ok {
		return body + "; default " + v + ")"
	}
	return usage + " (default " + v + ")"
}

// helpFor is the width help is laid out in on stdout.
func helpFor(stdout io.Writer) int {
	return tty.Of(stdout, os.Getenv).Width
}

// parseFlags parses args with fs, whose help is doc. --help (-h) writes
// the help to stdout and returns pflag.ErrHelp; other errors are usage
// errors that name the flag once and suggest the flag meant.
func parseFlags(fs *pflag.FlagSet, doc helpDoc, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := singleDashLong(fs, args); err != nil {
		return err
	}
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		writeHelp(stdout, fs, doc, helpFor(stdout))
		return err
	}
	if err != nil {
		return flagParseError(fs, err)
	}
	return nil
}

// singleDashLong catches a long flag given with one dash (-json), which
// pflag would read as -j son.
func singleDashLong(fs *pflag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if f := fs.Lookup(name); f != nil && len(name) > 1 {
			return usageError{fmt.Sprintf("%s: long flags take two dashes: --%s", a, a[1:])}
		}
	}
	return nil
}

// flagParseError rewrites pflag's errors the way rdbscope words them.
func flagParseError(fs *pflag.FlagSet, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		name := ne.GetSpecifiedName()
		if group := ne.GetSpecifiedShortnames(); group != "" {
			msg := fmt.Sprintf("unknown flag -%s", name)
			if group != name {
				msg += " in -" + group
			}
			return usageError{msg}
		}
		msg := "unknown flag --" + name
		if s := suggestFlag(fs, name); s != "" {
			msg += " (did you mean --" + s + "?)"
		}
		return usageError{msg}
	}
	var ve *pflag.ValueRequiredError
	if errors.As(err, &ve) {
		return usageError{fmt.Sprintf("--%s needs a value: %s", ve.GetFlag().Name, flagSpec(ve.GetFlag())[6:])}
	}
	var ie *pflag.InvalidValueError
	if errors.As(err, &ie) {
		f := ie.GetFlag()
		want := "a whole number"
		switch f.Value.Type() {
		case "float64":
			want = "a number such as 0.25"
		case "bool":
			want = "true or false"
		}
		return usageError{fmt.Sprintf("--%s %q: want %s", f.Name, ie.GetValue(), want)}
	}
	return usageError{err.Error()}
}

// suggestFlag returns the flag of fs closest to name, if one is close
// enough to be a typo: the one flag name starts, or else one at an edit
// distance of at most a third of the name (1 for short names).
func suggestFlag(fs *pflag.FlagSet, name string) string {
	best, bestD := "", -1
	var prefixed []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
		if d := editDistance(name, f.Name); bestD < 0 || d < bestD {
			best, bestD = f.Name, d
		}
	})
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	if bestD >= 0 && bestD <= max(1, len(name)/3) {
		return best
	}
	return ""
}

// suggestCommand returns the command closest to name, if one is close.
func suggestCommand(name string, commands []string) string {
	for _, c := range commands {
		if d := editDistance(name, c); d <= max(1, len(c)/3) {
			return c
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, with a
// transposition of two neighbours counting as one edit (--jsno).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// outputExamples are the output flags, with a file name to show in a hint.
var outputExamples = map[string]string{
	"json": "report.json", "html": "report.html", "markdown": "report.md", "keys": "keys.csv",
	"metrics": "rdbscope.prom", "top-csv": "top-keys.csv", "families-csv": "families.csv", "cpuprofile": "cpu.pprof",
}

// checkOutputValues catches an output flag whose file name was forgotten,
// so that it took the next argument, an input (`--html testdata/sample`):
// a directory, or a file that holds a dump or a compressed file, is never
// something to write a report over.
func checkOutputValues(fs *pflag.FlagSet, command string) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		example, ok := outputExamples[f.Name]
		v := f.Value.String()
		if !ok || err != nil || v == "" || v == "-" {
			return
		}
		what := looksLikeInput(v)
		if what == "" {
			return
		}
		prob := what + ", not a file to write"
		if what != "a directory" {
			prob = "refusing to overwrite " + what
		}
		err = usageError{fmt.Sprintf("--%s %s: %s; give the file name after --%s, as in: rdbscope %s --%s %s %s",
			f.Name, v, prob, f.Name, command, f.Name, example, v)}
	})
	return err
}

// looksLikeInput says what path is when it is something rdbscope reads
// rather than writes ("" otherwise): a directory, a dump, a compressed
// file or an archive.
func looksLikeInput(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if fi.IsDir() {
		return "a directory"
	}
	if !fi.Mode().IsRegular() {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytesHasPrefix(head, "REDIS"), bytesHasPrefix(head, "VALKEY"):
		return "a Redis dump"
	case bytesHasPrefix(head, "\x1f\x8b"), bytesHasPrefix(head, "\x28\xb5\x2f\xfd"), bytesHasPrefix(head, "\x04\x22\x4d\x18"):
		return "a compressed file"
	case n >= 262 && string(head[257:262]) == "ustar":
		return "a tar archive"
	}
	return ""
}

func bytesHasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
