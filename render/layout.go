package render

import (
	"io"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/tty"
)

// Laying out text for a terminal: prose wrapped to the width the command
// found (TextOptions.Width), columns counted in runes, and colour only
// when the command says the output takes it. Every terminal view (the
// summary, the diff, the trend) lays out its prose with these.

// DefaultWidth is the width text is laid out in when the caller gives
// none: what an 80-column terminal, a mail or a ticket shows.
const DefaultWidth = 80

// maxProse is the widest a paragraph is set, however wide the terminal:
// longer lines are hard to read.
const maxProse = 100

// minProse is the narrowest column prose is wrapped into; narrower than
// that, a paragraph starts on its own line instead (see writeHanging).
const minProse = 30

// cols is how many columns s takes on a terminal (tty.Cols).
func cols(s string) int { return tty.Cols(s) }

// pad pads s with spaces to n columns.
func pad(s string, n int) string {
	if c := cols(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

// writeParagraph writes text as a paragraph of at most width columns
// (and maxProse), every line after indent.
func writeParagraph(w io.Writer, text string, width int, indent string) {
	writeHanging(w, indent, text, min(width, maxProse), indent)
}

// writeHanging writes text after the prefix first (already laid out, e.g.
// the cells of a table row), wrapped to width columns, its following lines
// after rest. When fewer than minProse columns are left after first, the
// text starts on the next line, after rest.
func writeHanging(w io.Writer, first, text string, width int, rest string) {
	avail := width - cols(first)
	if avail < minProse && cols(first) > cols(rest) {
		io.WriteString(w, strings.TrimRight(first, " ")+"\n")
		first = rest
		avail = width - cols(rest)
	}
	lines := tty.Wrap(text, max(avail, minProse), max(width-cols(rest), minProse))
	for i, l := range lines {
		if i == 0 {
			io.WriteString(w, first+l+"\n")
			continue
		}
		io.WriteString(w, rest+l+"\n")
	}
}

// painter colours text for a terminal that takes it; the zero painter
// writes plain text. Colour only ever repeats what the words say
// (CRITICAL, INCOMPLETE), so nothing is lost without it.
type painter struct{ on bool }

// SGR sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrRed    = "\x1b[1;31m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
)

func (p painter) paint(sgr, s string) string {
	if !p.on || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// severity paints text (a severity's name, padded or not) in the colour
// of s: red for critical, yellow for warning, cyan for info. Padding
// stays outside the colour.
func (p painter) severity(s aggregate.Severity, text string) string {
	word := strings.TrimRight(text, " ")
	spaces := text[len(word):]
	switch s {
	case aggregate.SeverityCritical:
		return p.paint(sgrRed, word) + spaces
	case aggregate.SeverityWarning:
		return p.paint(sgrYellow, word) + spaces
	case aggregate.SeverityInfo:
		return p.paint(sgrCyan, word) + spaces
	}
	return text
}

// heading paints a section heading.
func (p painter) heading(s string) string { return p.paint(sgrBold, s) }

// bad paints what went wrong (an incomplete node).
func (p painter) bad(s string) string { return p.paint(sgrRed, s) }

// writeClipped writes the lines of a laid-out table, each cut to width
// columns with an ellipsis: the table's last column is prose (a family,
// a title) that may lose its end, while the figures before it stay whole.
func writeClipped(w io.Writer, table string, width int) {
	for _, line := range strings.SplitAfter(table, "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimRight(line, " \n")
		if cols(body) > width {
			body = clip(body, width)
		}
		io.WriteString(w, body+"\n")
	}
}

// clip cuts plain text s to width columns, the last of them an ellipsis.
func clip(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n+1 >= width {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimRight(b.String(), " ") + "…"
}
