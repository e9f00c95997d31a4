package render

import (
	"sort"
	"strconv"

	"github.com/rdbscope/rdbscope/aggregate"
)

// Finding cards, the same on the report and on the diff page (parts.tmpl's
// "findings").

// htmlFindingView is one finding card: plain text, cleaned.
type htmlFindingView struct {
	Severity    string
	Kind        string
	Node        string
	Key         string
	DB          string
	Family      string
	Memory      string
	Figures     []htmlFigure
	Title       string
	Explanation string
	Advice      string
}

// htmlFigure is one figure of a card, printed by its unit.
type htmlFigure struct{ Name, Value string }

// htmlFindingViews makes the cards of fs, most severe on top. Within one
// severity it keeps aggregate's order (by memory, root cause before
// symptom), which is already deterministic. Every text is passed through
// htmlClean, so that a key or a node name in a finding's sentences cannot
// reach the page as invalid UTF-8 or an invisible control character.
func htmlFindingViews(fs []aggregate.Finding) []htmlFindingView {
	sorted := append([]aggregate.Finding(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Severity > sorted[j].Severity })
	out := make([]htmlFindingView, 0, len(sorted))
	for _, f := range sorted {
		sev := f.Severity
		if sev == 0 {
			sev = aggregate.SeverityInfo
		}
		v := htmlFindingView{
			Severity: sev.String(), Kind: f.Kind, Node: f.Node,
			// Finding.Family is already in EscapeKey's visible form.
			Family:      htmlTruncate(f.Family, len(f.Family), htmlKeyCap),
			Title:       f.Title,
			Explanation: f.Explanation,
			Advice:      f.Advice,
		}
		if f.Key != "" {
			v.Key = htmlKey(f.Key, htmlKeyCap)
			v.DB = strconv.Itoa(f.DB)
		}
		if f.Memory > 0 {
			v.Memory = htmlBytes(f.Memory) + " (" + htmlCount(f.Memory) + " bytes)"
		}
		figs := append(aggregate.Figures(nil), f.Figures...)
		sort.Slice(figs, func(i, j int) bool { return figs[i].Name < figs[j].Name })
		for _, fig := range figs {
			v.Figures = append(v.Figures, htmlFigure{Name: fig.Name, Value: htmlFigureValue(fig)})
		}
		out = append(out, v.clean())
	}
	return out
}

func (v htmlFindingView) clean() htmlFindingView {
	c := htmlClean
	v.Severity, v.Kind, v.Node, v.Key, v.DB, v.Family = c(v.Severity), c(v.Kind), c(v.Node), c(v.Key), c(v.DB), c(v.Family)
	v.Memory, v.Title, v.Explanation, v.Advice = c(v.Memory), c(v.Title), c(v.Explanation), c(v.Advice)
	for j := range v.Figures {
		v.Figures[j].Name, v.Figures[j].Value = c(v.Figures[j].Name), c(v.Figures[j].Value)
	}
	return v
}

// htmlFigureValue prints a finding's figure as its unit says: bytes as
// bytes, shares as percentages, ratios as multiples, slots as plain
// numbers, counts (and times, and numbers of no known unit) with
// separators when whole.
func htmlFigureValue(f aggregate.Figure) string {
	v := f.Value
	if v != v || v > 1e18 || v < -1e18 { // NaN, ±Inf, or beyond int64
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	switch f.Unit {
	case aggregate.UnitSlot:
		return strconv.FormatInt(int64(v), 10)
	case aggregate.UnitBytes:
		return htmlBytes(int64(v)) + " (" + htmlCount(int64(v)) + ")"
	case aggregate.UnitShare:
		return htmlPct(v)
	case aggregate.UnitRatio:
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	}
	if v == float64(int64(v)) {
		return htmlCount(int64(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
