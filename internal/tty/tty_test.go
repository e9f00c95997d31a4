package tty

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name   string
		isTerm bool
		cols   int
		env    func(string) string
		want   Caps
	}{
		{"pipe", false, 0, env(), Caps{Width: 80}},
		{"pipe with COLUMNS", false, 0, env("COLUMNS", "132"), Caps{Width: 132}},
		{"pipe with a bad COLUMNS", false, 0, env("COLUMNS", "wide"), Caps{Width: 80}},
		{"pipe never gets colour", false, 0, env("TERM", "xterm-256color"), Caps{Width: 80}},
		{"terminal", true, 120, env("TERM", "xterm-256color"), Caps{Terminal: true, Width: 120, Color: true, Cursor: true}},
		{"terminal width wins over COLUMNS", true, 100, env("COLUMNS", "60"), Caps{Terminal: true, Width: 100, Color: true, Cursor: true}},
		{"terminal without a size", true, 0, env("COLUMNS", "90"), Caps{Terminal: true, Width: 90, Color: true, Cursor: true}},
		{"NO_COLOR", true, 120, env("NO_COLOR", "1"), Caps{Terminal: true, Width: 120, Cursor: true}},
		{"empty NO_COLOR is unset", true, 120, env("NO_COLOR", ""), Caps{Terminal: true, Width: 120, Color: true, Cursor: true}},
		{"TERM=dumb", true, 120, env("TERM", "dumb"), Caps{Terminal: true, Width: 120}},
		{"narrow", true, 12, env(), Caps{Terminal: true, Width: MinWidth, Color: true, Cursor: true}},
		{"huge", false, 0, env("COLUMNS", "100000"), Caps{Width: MaxWidth}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Decide(c.isTerm, c.cols, c.env))
		})
	}
}

// Neither a buffer nor a regular file is a terminal.
func TestOfNotATerminal(t *testing.T) {
	assert.Equal(t, Caps{Width: 80}, Of(&bytes.Buffer{}, env("TERM", "xterm")))
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, Caps{Width: 80}, Of(f, env("TERM", "xterm")))
}

func TestWrap(t *testing.T) {
	cases := []struct {
		text        string
		first, rest int
		want        []string
	}{
		{"", 10, 10, []string{""}},
		{"one two three", 20, 20, []string{"one two three"}},
		{"one two three", 7, 7, []string{"one two", "three"}},
		{"one two three four", 3, 9, []string{"one", "two three", "four"}},
		{"a verylongwordthatdoesnotfit b", 5, 5, []string{"a", "verylongwordthatdoesnotfit", "b"}},
		{"  spaces   collapse\n and\tnewlines ", 40, 40, []string{"spaces collapse and newlines"}},
		{"2.3× the … median", 8, 8, []string{"2.3× the", "… median"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Wrap(c.text, c.first, c.rest), "%q", c.text)
	}
}

func TestCols(t *testing.T) {
	assert.Equal(t, 0, Cols(""))
	assert.Equal(t, 5, Cols("2.3×…"))
	assert.Equal(t, 8, Cols("\x1b[1;31mCRITICAL\x1b[0m"))
	assert.Equal(t, 9, Cols("\x1b[1;2xyzm"), "only SGR sequences are skipped")
}
