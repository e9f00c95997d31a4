// Package render draws the views of an aggregate.Report: a terminal
// summary, the JSON document, the per-key export and the HTML report. It
// computes nothing new: every figure comes from package aggregate.
package render

import (
	"fmt"

	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// textBytes formats n bytes for the terminal's narrow columns, the way
// Redis's INFO *_human fields do (1.50M = 1.5 MiB).
func textBytes(n int64) string { return bytesize.Format(n, bytesize.Short) }

// Percent formats part/whole as a percentage with one decimal.
func Percent(part, whole int64) string {
	if whole <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}
