package render

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// Formatting of text, names and numbers for the HTML pages (and the
// Markdown document): one form of each figure wherever it is shown.

// htmlClean makes free text from the model (sentences, names, errors)
// safe to show; see aggregate.CleanText.
func htmlClean(s string) string { return aggregate.CleanText(s) }

// htmlCut cuts free text at max bytes, on a rune boundary, with an ellipsis.
func htmlCut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// htmlTime prints a Unix time in UTC, "unknown" when it is not set.
func htmlTime(sec int64) string {
	if sec <= 0 {
		return "unknown"
	}
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05")
}

// htmlDuration prints a duration in its largest units ("5h0m", "3d").
func htmlDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
}

// htmlKey is the visible form of a key: aggregate.EscapeKey (binary
// bytes as \xff, backslash as \\), cut at max bytes with an ellipsis and
// the key's full length, so that a 1 MB key neither bloats the page nor
// hides that it is huge.
func htmlKey(k aggregate.KeyName, max int) string {
	return htmlTruncate(aggregate.EscapeKey(string(k)), len(k), max)
}

// htmlName escapes and truncates a name that is not a key but may hold
// key bytes (a family pattern, a module type name).
func htmlName(s string, max int) string {
	return htmlTruncate(aggregate.EscapeKey(s), len(s), max)
}

// htmlTruncate cuts an escaped name at max bytes and, when it was cut or
// the raw name was longer than what the profile kept, says how long the
// raw name is.
func htmlTruncate(esc string, rawLen, max int) string {
	c, cut := aggregate.CutEscaped(esc, max)
	if !cut && rawLen <= len(esc) {
		return esc
	}
	return c + "… (" + htmlCount(int64(rawLen)) + " bytes)"
}

// htmlRatio is a over b, 0 when b is not positive.
func htmlRatio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// htmlRatioSort is a share as a table sorts it.
func htmlRatioSort(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// htmlPct prints a share with one decimal, and never rounds a non-zero share
// to "0.0%" or a partial one to "100.0%", which would mislead.
func htmlPct(f float64) string {
	v := f * 100
	s := strconv.FormatFloat(v, 'f', 1, 64)
	switch {
	case v > 0 && s == "0.0":
		return "<0.1%"
	case v < 100 && s == "100.0":
		return ">99.9%"
	}
	return s + "%"
}

// htmlBytes prints bytes for tables and charts ("1.50 MiB").
func htmlBytes(v int64) string { return bytesize.Format(v, bytesize.Table) }

// htmlCount prints an integer with thousands separators.
func htmlCount(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
