package render

import (
	"bytes"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

var updateText = flag.Bool("update-text", false, "rewrite render/testdata/text/*.golden.txt")

func renderText(t *testing.T, r *aggregate.Report, o TextOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Text(&buf, r, o))
	return buf.String()
}

// The incident report laid out for terminals of several widths: finding
// titles beside their row when they fit, wrapped under themselves when
// enough room is left, under the row otherwise; prose within the width
// (and within maxProse).
func TestTextWidthsGolden(t *testing.T) {
	r := withMaxmemory(htmlIncidentReport(), 4<<30, nil)
	for _, width := range []int{60, 80, 100, 200} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			out := renderText(t, r, TextOptions{Width: width, TopKeys: 5})
			assertGolden(t, filepath.Join("testdata", "text", fmt.Sprintf("incident-%d.golden.txt", width)), out,
				*updateText, "-run TestTextWidthsGolden -update-text")
			inTable := false
			for _, line := range strings.Split(out, "\n") {
				// Tables keep their columns whole; everything else (the
				// findings and the prose) fits.
				if strings.HasPrefix(strings.TrimSpace(line), "NODE") {
					inTable = true
				}
				if !inTable {
					assert.LessOrEqual(t, cols(line), width, "line %q", line)
				}
			}
		})
	}
}

// Colour only when asked; the words stay the same either way.
func TestTextColor(t *testing.T) {
	r := withMaxmemory(htmlIncidentReport(), 4<<30, nil)
	r.Nodes[0].Complete = false
	r.Nodes[0].Error = "dump.rdb: at byte 12: truncated"
	plain := renderText(t, r, TextOptions{})
	assert.NotContains(t, plain, "\x1b", "no escape sequence without Color")
	colored := renderText(t, r, TextOptions{Color: true})
	assert.Contains(t, colored, sgrRed+"CRITICAL"+sgrReset)
	assert.Contains(t, colored, sgrRed+"INCOMPLETE"+sgrReset)
	assert.Contains(t, colored, sgrBold+"FINDINGS")
	stripped := colored
	for _, sgr := range []string{sgrReset, sgrBold, sgrRed, sgrYellow, sgrCyan} {
		stripped = strings.ReplaceAll(stripped, sgr, "")
	}
	assert.Equal(t, plain, stripped, "colour changes nothing but colour, and no column")
}
