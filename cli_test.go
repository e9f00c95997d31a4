package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Help goes to stdout, for every command and every way of asking, in at
// most 80 columns, and exits 0.
func TestHelpOnStdout(t *testing.T) {
	t.Setenv("COLUMNS", "")
	for _, cmd := range []string{"analyze", "report", "diff", "trend"} {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}, {cmd, "--json", "x.json", "--help"}} {
			code, stdout, stderr := runCLI(t, args...)
			assert.Equal(t, exitOK, code, "%v", args)
			assert.Empty(t, stderr, "%v", args)
			assert.True(t, strings.HasPrefix(stdout, "Usage: rdbscope "+cmd+" [flags]"), "%v: %.60q", args, stdout)
			assert.Contains(t, stdout, "--json FILE", "%v", args)
			assertWithin(t, stdout, helpWidth)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, stdout, stderr := runCLI(t, args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, stderr)
		assert.Contains(t, stdout, "rdbscope analyze [flags] INPUT...")
		assertWithin(t, stdout, helpWidth)
	}
	// Without a command, the overview is a usage error: on stderr.
	code, stdout, stderr := runCLI(t)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "Usage:")
}

func assertWithin(t *testing.T, s string, width int) {
	t.Helper()
	for _, line := range strings.Split(s, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), width, "line %q", line)
	}
}

// helpSpecs maps each flag of a command's help to how it is shown.
var helpSpecRE = regexp.MustCompile(`(?m)^  (?:-\w, |    )(--[\w-]+)(?: (\S+))?`)

func helpSpecs(t *testing.T, cmd string) map[string]string {
	t.Helper()
	_, stdout, _ := runCLI(t, cmd, "--help")
	specs := map[string]string{}
	for _, m := range helpSpecRE.FindAllStringSubmatch(stdout, -1) {
		specs[m[1]] = m[2]
	}
	require.NotEmpty(t, specs)
	return specs
}

// A flag that takes a value shows it as an upper-case placeholder (or its
// few values, a|b|c), the same in every command: -j, --jobs N everywhere.
func TestHelpPlaceholders(t *testing.T) {
	seen := map[string]string{}
	where := map[string]string{}
	placeholder := regexp.MustCompile(`^([A-Z]+(=[A-Z]+)?|[a-z]+(\|[a-z]+)+)$`)
	for _, cmd := range []string{"analyze", "report", "diff", "trend"} {
		for flag, value := range helpSpecs(t, cmd) {
			if value != "" {
				assert.Regexp(t, placeholder, value, "%s %s", cmd, flag)
			}
			if prev, ok := seen[flag]; ok {
				assert.Equal(t, prev, value, "%s shows %s %s, %s shows %s", where[flag], flag, prev, cmd, value)
			}
			seen[flag], where[flag] = value, cmd
		}
	}
	assert.Equal(t, "N", seen["--jobs"])
	assert.Equal(t, "SIZE", seen["--maxmemory"])
	assert.Equal(t, "auto|yes|no", seen["--cluster"])
	assert.Equal(t, "", seen["--quiet"], "a switch shows no value")
}

// Usage errors: one line naming the problem once, then where the help is.
func TestUsageMessages(t *testing.T) {
	tests := []struct {
		args []string
		want string
		hint string
	}{
		{[]string{"analyze", "--html", "testdata/sample"}, "--html testdata/sample: a directory, not a file to write; " +
			"give the file name after --html, as in: rdbscope analyze --html report.html testdata/sample", "analyze"},
		{[]string{"analyze", "--json", "testdata/sample/node-7200.rdb", "testdata/sample/node-7201.rdb"},
			"--json testdata/sample/node-7200.rdb: refusing to overwrite a Redis dump", "analyze"},
		{[]string{"report", "--markdown", "testdata", "x.json"}, "--markdown testdata: a directory", "report"},
		{[]string{"analyze", "--jsn", "x.json", "x.rdb"}, "unknown flag --jsn (did you mean --json?)", "analyze"},
		{[]string{"analyze", "--no-verfy", "x.rdb"}, "unknown flag --no-verfy (did you mean --no-verify?)", "analyze"},
		{[]string{"analyze", "--macmemory", "1gb", "x.rdb"}, "unknown flag --macmemory (did you mean --maxmemory?)", "analyze"},
		{[]string{"report", "--titel", "x", "x.json"}, "unknown flag --titel (did you mean --title?)", "report"},
		{[]string{"analyze", "--frobnicate", "x.rdb"}, "unknown flag --frobnicate\n", "analyze"},
		{[]string{"analyze", "-json", "x.json", "x.rdb"}, "-json: long flags take two dashes: --json", "analyze"},
		{[]string{"analyze", "-x", "x.rdb"}, "unknown flag -x", "analyze"},
		{[]string{"diff", "-j", "many", "a", "b"}, `--jobs "many": want a whole number`, "diff"},
		{[]string{"analyze", "--big-key-share", "big", "x.rdb"}, `--big-key-share "big": want a number such as 0.25`, "analyze"},
		{[]string{"analyze", "--top"}, "--top needs a value: --top N", "analyze"},
		{[]string{"analyze"}, "no INPUT given", "analyze"},
		{[]string{"report"}, "no PROFILE given", "report"},
		{[]string{"diff", "a"}, "want OLD and NEW, got 1 argument(s)", "diff"},
		{[]string{"analyse", "x.rdb"}, `unknown command "analyse" (did you mean analyze?)`, ""},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`, ""},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, tc.args...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Empty(t, stdout, "%v", tc.args)
		assert.Contains(t, stderr+"\n", "rdbscope: "+tc.want, "%v", tc.args)
		hint := "Run 'rdbscope help' for usage.\n"
		if tc.hint != "" {
			hint = "Run 'rdbscope " + tc.hint + " --help' for usage.\n"
		}
		assert.True(t, strings.HasSuffix(stderr, hint), "%v: %q", tc.args, stderr)
		assert.Equal(t, 2, strings.Count(stderr, "\n"), "%v: one line and the hint: %q", tc.args, stderr)
		assert.Equal(t, 1, strings.Count(stderr, "rdbscope: "), "%v: %q", tc.args, stderr)
		for _, cmd := range []string{"analyze: ", "report: ", "diff: "} {
			assert.NotContains(t, stderr, cmd, "%v: no command prefix inside the message", tc.args)
		}
	}
}

func TestSuggestFlag(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	for _, n := range []string{"json", "html", "markdown", "maxmemory", "maxmemory-policy", "max-memory", "top", "top-csv"} {
		fs.String(n, "", "")
	}
	for typed, want := range map[string]string{
		"jsno":          "json",
		"htm":           "html",
		"markdwn":       "markdown",
		"max-mem":       "max-memory",
		"maxmemory-pol": "maxmemory-policy",
		"maxmemorypol":  "maxmemory",
		"mark":          "markdown",
		"to":            "top",
		"max":           "", // several flags start with it
		"frobnicate":    "",
		"x":             "",
	} {
		assert.Equal(t, want, suggestFlag(fs, typed), typed)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"json", "json", 0}, {"jsn", "json", 1}, {"jsno", "json", 1}, {"", "abc", 3},
		{"kitten", "sitting", 3}, {"analyse", "analyze", 1},
	} {
		assert.Equal(t, c.d, editDistance(c.a, c.b), "%s %s", c.a, c.b)
		assert.Equal(t, c.d, editDistance(c.b, c.a), "%s %s", c.b, c.a)
	}
}

var mdGeneratedAt = regexp.MustCompile(`generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// --markdown writes the Markdown report, titled by --title, where asked
// (here stdout, the summary then going to stderr); report writes the same
// document from the profiles.
func TestMarkdownOutput(t *testing.T) {
	t.Setenv("COLUMNS", "")
	dir := t.TempDir()
	profile := filepath.Join(dir, "sample.json")
	args := []string{"--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--title", "Checkout cache | incident *1*"}
	code, stdout, stderr := runCLI(t, append(append([]string{"analyze", "-j", "1", "--markdown", "-", "--json", profile}, args...), "testdata/sample")...)
	require.Equal(t, exitOK, code, stderr)
	md := mdGeneratedAt.ReplaceAllString(stdout, "generated X")
	golden(t, "sample.md", []byte(md))
	assert.True(t, strings.HasPrefix(md, `# Checkout cache \| incident \*1\*`+"\n"), "the title, escaped")
	assert.Contains(t, stderr, "FINDINGS (5)", "the summary went to stderr")

	// A GFM parser reads the tables as tables.
	var html strings.Builder
	require.NoError(t, goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &html))
	assert.Equal(t, 3, strings.Count(html.String(), "<table>"), "nodes, biggest keys, families")

	out := filepath.Join(dir, "report.md")
	code, stdout, stderr = runCLI(t, append(append([]string{"report", "--markdown", out}, args...), profile)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Markdown report written to "+out)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, md, mdGeneratedAt.ReplaceAllString(string(raw), "generated X"), "report writes what analyze wrote")
}

// Only one output can use stdout.
func TestOneOutputOnStdout(t *testing.T) {
	code, _, stderr := runCLI(t, "analyze", "--json", "-", "--markdown", "-", "testdata/sample")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--json and --markdown both write to stdout (-); only one output can")
	assert.Contains(t, stderr, "Run 'rdbscope analyze --help' for usage.")
}

// Neither the summary nor any other output has an escape sequence when it
// is not a terminal, whatever TERM says; the summary is laid out in 80
// columns, or COLUMNS.
func TestNoEscapesOffATerminal(t *testing.T) {
	for _, env := range [][2]string{{"TERM", "xterm-256color"}, {"TERM", "dumb"}, {"NO_COLOR", "1"}} {
		t.Setenv(env[0], env[1])
		code, stdout, stderr := runCLI(t, "analyze", "--progress", "always", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "testdata/sample")
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stdout+stderr, "\x1b", "%v", env)
		// --progress always off a terminal: a plain line per node.
		assert.Contains(t, stderr, "node-7202: done,", "%v", env)
	}
	for _, width := range []int{60, 80, 100} {
		t.Setenv("COLUMNS", strconv.Itoa(width))
		_, stdout, _ := runCLI(t, "analyze", "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "testdata/sample")
		findings, _, _ := strings.Cut(stdout, "\n\n       NODE")
		assert.Contains(t, findings, "FINDINGS (5)")
		assertWithin(t, findings, width)
	}
}

// The README's ten-second example is what the command prints (in 80
// columns), but for the rows its "  ..." leaves out.
func TestReadmeExample(t *testing.T) {
	t.Setenv("COLUMNS", "")
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(raw), "## Ten-second example")
	require.True(t, ok)
	_, after, _ = strings.Cut(after, "```\n")
	block, _, _ := strings.Cut(after, "```")
	lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	cmd, ok := strings.CutPrefix(lines[0], "$ ./rdbscope ")
	require.True(t, ok, lines[0])
	code, stdout, stderr := runCLI(t, strings.Fields(cmd)...)
	require.Equal(t, exitOK, code, stderr)
	real := strings.Split(stdout, "\n")
	j := 0
	for _, l := range lines[1:] {
		if l == "  ..." {
			for j < len(real) && real[j] != "" {
				j++
			}
			continue
		}
		require.Less(t, j, len(real), "README line %q past the output", l)
		assert.Equal(t, real[j], l, "README example, output line %d", j+1)
		j++
	}
}
