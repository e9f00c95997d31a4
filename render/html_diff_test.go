package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diff"
)

// TestDiffHTMLSharesFindings: the diff page and the report are rendered
// from one template set (in either order, in one process), and a finding
// reads the same on both.
func TestDiffHTMLSharesFindings(t *testing.T) {
	old := htmlIncidentReport()
	old.Nodes[2] = htmlSmallNode("node-7202", 1)
	old.Cluster = aggregate.Merge("cluster", 10, old.Nodes...)
	d := diff.Compare(old, htmlIncidentReport(), aggregate.Tool{Name: "rdbscope", Version: "test"}, diff.DefaultOptions())
	require.NotEmpty(t, d.Findings)

	report := &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Findings: d.Findings}
	page := renderHTML(t, report, HTMLOptions{runtime: htmlStubRuntime})
	var buf bytes.Buffer
	require.NoError(t, DiffHTML(&buf, d), "the diff page renders after the report")
	diffPage := buf.String()

	card := regexp.MustCompile(`(?s)<article class="finding.*?</article>`)
	want := card.FindAllString(page, -1)
	require.Len(t, want, len(d.Findings))
	assert.Equal(t, want, card.FindAllString(diffPage, -1))
	// Both pages carry a CSP that allows their own scripts only.
	assert.True(t, strings.Contains(diffPage, "default-src &#39;none&#39;; script-src &#39;sha256-"), "CSP")
	assert.False(t, strings.Contains(diffPage, htmlStubRuntime), "the diff page inlines no chart runtime")
}
