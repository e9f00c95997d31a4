package render

import (
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
)

// With a key filter (aggregate.Report.Filter), the biggest-keys lists of
// every view (text, HTML, Markdown, the top keys CSV) show the keys it
// selects (aggregate.Node.Filtered) and say so; findings, totals and the
// other tables cover every key.

// topKeysOf is the biggest-keys list the views show for n.
func topKeysOf(r *aggregate.Report, n *aggregate.Node) []aggregate.KeyInfo {
	if r.Filter != nil {
		if n.Filtered == nil {
			return nil
		}
		return n.Filtered.TopKeys
	}
	return n.TopKeys
}

// filterText describes a filter in words: `keys matching "user:*" or
// "re:^sess", in db 0 or 1, of type hash, of at least 1.00 MiB, without a
// TTL`.
func filterText(f *aggregate.KeyFilter) string {
	var parts []string
	if len(f.Match) > 0 {
		q := make([]string, len(f.Match))
		for i, m := range f.Match {
			q[i] = strconv.Quote(aggregate.EscapeKey(m))
		}
		parts = append(parts, "matching "+strings.Join(q, " or "))
	}
	if len(f.DBs) > 0 {
		dbs := make([]string, len(f.DBs))
		for i, db := range f.DBs {
			dbs[i] = strconv.Itoa(db)
		}
		parts = append(parts, "in db "+strings.Join(dbs, " or "))
	}
	if len(f.Types) > 0 {
		parts = append(parts, "of type "+strings.Join(f.Types, " or "))
	}
	if f.MinBytes > 0 {
		parts = append(parts, "of at least "+htmlBytes(f.MinBytes))
	}
	if f.NoTTL {
		parts = append(parts, "without a TTL")
	}
	return "keys " + strings.Join(parts, ", ")
}

// filterNote says what a filtered list of n covers: the filter, how many
// keys and how much memory it selects of n, and that the rest of the
// report covers every key.
func filterNote(f *aggregate.KeyFilter, n *aggregate.Node) string {
	s := "Filtered: " + filterText(f)
	if fd := n.Filtered; fd != nil {
		s += ": " + htmlCount(fd.Keys) + " of " + htmlCount(n.Keys) + " keys, " + htmlBytes(fd.Memory) +
			" (" + htmlPct(htmlRatio(fd.Memory, n.Memory)) + " of key memory)"
	}
	return s + ". Findings, totals and the other tables cover every key."
}
