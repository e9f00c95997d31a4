// Package tty says what the terminal an output goes to can show: how wide
// text may be, whether it takes colour, whether a progress bar may move the
// cursor. Everything that lays out text for a person (the terminal
// summary, help, progress bars) asks it once per output, so that a pipe, a
// log file, a dumb terminal and a NO_COLOR user all get plain text. It
// also wraps prose (Wrap) and measures it (Cols) for them.
//
// It imports nothing of rdbscope.
package tty

import (
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Width bounds. Text for something that is not a terminal is laid out in
// DefaultWidth columns (what a mail, a ticket or a log viewer shows
// comfortably); a terminal gets its own width within [MinWidth, MaxWidth].
const (
	DefaultWidth = 80
	MinWidth     = 40
	MaxWidth     = 400
)

// Caps is what one output can show.
type Caps struct {
	// Terminal is whether the output is a terminal.
	Terminal bool
	// Width is how many columns text is laid out in.
	Width int
	// Color is whether ANSI colours (SGR sequences) may be written: a
	// terminal, NO_COLOR unset or empty, TERM not "dumb".
	Color bool
	// Cursor is whether the cursor may be moved (progress bars redrawn in
	// place): a terminal whose TERM is not "dumb".
	Cursor bool
	// Rows is the terminal's height in lines, 0 when the output is not a
	// terminal or the terminal does not tell it: what a summary or a
	// stack of progress bars must fit in.
	Rows int
}

// Of returns what w can show. w is a terminal when it is an *os.File on a
// terminal; getenv reads the environment (os.Getenv; nil means it).
func Of(w io.Writer, getenv func(string) string) Caps {
	if getenv == nil {
		getenv = os.Getenv
	}
	isTerm, cols, rows := false, 0, 0
	if f, ok := w.(*os.File); ok {
		fd := int(f.Fd())
		if term.IsTerminal(fd) {
			isTerm = true
			if c, r, err := term.GetSize(fd); err == nil {
				cols, rows = c, r
			}
		}
	}
	c := Decide(isTerm, cols, getenv)
	c.Rows = rows
	return c
}

// Decide is Of for an output whose terminal state is known: isTerm, and
// cols its width when the terminal told it (0 if not).
//
// COLUMNS, when set to a number, is the width of an output that is not a
// terminal (and of a terminal that does not tell its own), so that
// `COLUMNS=120 rdbscope ... | less` lays out for the pager. NO_COLOR (any
// non-empty value, see no-color.org) turns colour off; TERM=dumb turns off
// colour and cursor movement.
func Decide(isTerm bool, cols int, getenv func(string) string) Caps {
	c := Caps{Terminal: isTerm, Width: DefaultWidth}
	if env, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && env > 0 {
		c.Width = env
	}
	if isTerm && cols > 0 {
		c.Width = cols
	}
	c.Width = min(max(c.Width, MinWidth), MaxWidth)
	dumb := getenv("TERM") == "dumb"
	c.Color = isTerm && !dumb && getenv("NO_COLOR") == ""
	c.Cursor = isTerm && !dumb
	return c
}

// Cols is how many columns s takes on a terminal: one per rune (escaped
// names are ASCII, prose has a few symbols such as × and …), none for the
// SGR colour sequences a view adds (names never hold an escape byte: they
// are shown escaped).
func Cols(s string) int {
	n := utf8.RuneCountInString(s)
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return n
		}
		j := i + 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
			j++
		}
		if j < len(s) && s[j] == 'm' {
			n -= j + 1 - i
		}
		s = s[j:]
	}
}

// Wrap breaks text at white space into lines: the first at most first
// columns wide, the others at most rest. A word wider than its line
// stands alone on it: names and paths are never broken.
func Wrap(text string, first, rest int) []string {
	var lines []string
	var b strings.Builder
	width, used := first, 0
	for _, word := range strings.Fields(text) {
		n := Cols(word)
		if used > 0 && used+1+n > width {
			lines = append(lines, b.String())
			b.Reset()
			width, used = rest, 0
		}
		if used > 0 {
			b.WriteByte(' ')
			used++
		}
		b.WriteString(word)
		used += n
	}
	if used > 0 || len(lines) == 0 {
		lines = append(lines, b.String())
	}
	return lines
}
