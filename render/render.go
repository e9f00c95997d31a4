// Package render draws the views of an aggregate.Report: a terminal
// summary, the JSON document, the per-key export and the HTML report. It
// computes nothing new: every figure comes from package aggregate.
package render

import (
	"fmt"
	"strconv"
)

// Bytes formats n bytes in binary units, the way Redis's INFO *_human
// fields do (1.50M = 1.5 MiB), with three significant digits.
func Bytes(n int64) string {
	const unit = 1024
	neg := n < 0
	if neg {
		n = -n
	}
	s := ""
	switch {
	case n < unit:
		s = strconv.FormatInt(n, 10) + "B"
	default:
		f := float64(n)
		suffixes := []string{"K", "M", "G", "T", "P"}
		i := -1
		for f >= unit && i < len(suffixes)-1 {
			f /= unit
			i++
		}
		switch {
		case f >= 100:
			s = fmt.Sprintf("%.0f%s", f, suffixes[i])
		case f >= 10:
			s = fmt.Sprintf("%.1f%s", f, suffixes[i])
		default:
			s = fmt.Sprintf("%.2f%s", f, suffixes[i])
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// Percent formats part/whole as a percentage with one decimal.
func Percent(part, whole int64) string {
	if whole <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}
