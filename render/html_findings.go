package render

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	Figures     []htmlFigure
	Title       string
	Explanation string
	Advice      string
}

// htmlFigure is one figure of a card: a human label, the value printed by
// its unit, and in the tooltip the exact value and the figure's name in
// the JSON document.
type htmlFigure struct{ Label, Value, Title string }

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
			Figures:     htmlFigures(f),
			Title:       f.Title,
			Explanation: f.Explanation,
			Advice:      f.Advice,
		}
		if f.Key != "" {
			v.Key = htmlKey(f.Key, htmlKeyCap)
			v.DB = strconv.Itoa(f.DB)
		}
		out = append(out, v.clean())
	}
	return out
}

func (v htmlFindingView) clean() htmlFindingView {
	c := htmlClean
	v.Severity, v.Kind, v.Node, v.Key, v.DB, v.Family = c(v.Severity), c(v.Kind), c(v.Node), c(v.Key), c(v.DB), c(v.Family)
	v.Title, v.Explanation, v.Advice = c(v.Title), c(v.Explanation), c(v.Advice)
	for j := range v.Figures {
		fg := &v.Figures[j]
		fg.Label, fg.Value, fg.Title = c(fg.Label), c(fg.Value), c(fg.Title)
	}
	return v
}

// htmlFigureLabels are the human labels of the figures the rules and the
// diff write; a figure of another name is labelled from its name.
var htmlFigureLabels = map[string]string{
	"culprit_memory":        "Memory of the culprit",
	"elements":              "Elements",
	"estimated_used_memory": "Estimated used memory",
	"fill":                  "Fill (used / maxmemory)",
	"growth":                "Growth",
	"hashtag_memory":        "Memory of the hash tag",
	"key_memory":            "Key memory",
	"keys":                  "Keys",
	"keys_without_ttl":      "Keys without TTL",
	"maxmemory":             "maxmemory",
	"median":                "Key memory of the median node",
	"memory":                "Memory",
	"memory_without_ttl":    "Memory without TTL",
	"new_keys":              "Keys now",
	"new_memory":            "Memory now",
	"new_no_ttl_keys":       "Keys without TTL now",
	"new_no_ttl_memory":     "Memory without TTL now",
	"new_no_ttl_share":      "Share of keys without TTL now",
	"node_memory":           "Key memory of the node",
	"nodes":                 "Nodes",
	"non_volatile_memory":   "Memory without TTL",
	"non_volatile_share":    "Share of key memory without TTL",
	"old_expires_at":        "Expiry before",
	"old_keys":              "Keys before",
	"old_memory":            "Memory before",
	"old_no_ttl_keys":       "Keys without TTL before",
	"old_no_ttl_share":      "Share of keys without TTL before",
	"ratio":                 "Ratio",
	"scope_old_memory":      "Memory of the whole scope before",
	"share":                 "Share of the node's key memory",
	"share_of_node":         "Share of the node's key memory",
	"slot":                  "Hash slot",
	"slot_memory":           "Memory of the hash slot",
	"slots":                 "Hash slots",
	"threshold_bytes":       "Threshold (size)",
	"threshold_elements":    "Threshold (elements)",
	"threshold_ratio":       "Threshold (ratio)",
	"threshold_share":       "Threshold (share)",
	"ttl_share":             "Share of keys with a TTL",
	"used":                  "Used memory",
	"used_mem":              "used_mem in the dump",
	"volatile_keys":         "Keys with a TTL",
	"volatile_memory":       "Memory with a TTL (evictable)",
}

// htmlFigureLabel is the human label of a figure: from htmlFigureLabels,
// else its name in words ("old_keys" reads "Old keys").
func htmlFigureLabel(name string) string {
	if l, ok := htmlFigureLabels[name]; ok {
		return l
	}
	words := strings.Split(name, "_")
	for i, w := range words {
		if w == "ttl" {
			words[i] = "TTL"
		}
	}
	l := strings.Join(words, " ")
	if r, size := utf8.DecodeRuneInString(l); r != utf8.RuneError && size > 0 {
		l = string(unicode.ToUpper(r)) + l[size:]
	}
	return l
}

// htmlFigures lists a finding's figures once each, labelled, in the
// order the rule wrote them: first the memory the finding is about
// (under the label of the figure that holds it, if one does), then the
// others; two figures of the same unit and value are one entry with both
// labels ("Used memory = used_mem in the dump"), not the same number
// twice.
func htmlFigures(f aggregate.Finding) []htmlFigure {
	type entry struct {
		labels []string
		names  []string
		fig    aggregate.Figure
	}
	var entries []*entry
	add := func(label, name string, fig aggregate.Figure) {
		for _, e := range entries {
			if e.fig.Unit == fig.Unit && e.fig.Value == fig.Value {
				if !slices.Contains(e.labels, label) {
					e.labels = append(e.labels, label)
				}
				if !slices.Contains(e.names, name) {
					e.names = append(e.names, name)
				}
				return
			}
		}
		entries = append(entries, &entry{labels: []string{label}, names: []string{name}, fig: fig})
	}
	if f.Memory > 0 {
		mem := aggregate.Figure{Name: "memory", Value: float64(f.Memory), Unit: aggregate.UnitBytes}
		label, name := "Memory concerned", ""
		for _, fig := range f.Figures {
			if (fig.Unit == aggregate.UnitBytes || fig.Unit == aggregate.UnitNone) && fig.Value == mem.Value {
				label, name = htmlFigureLabel(fig.Name), fig.Name
				break
			}
		}
		add(label, name, mem)
	}
	for _, fig := range f.Figures {
		if fig.Unit == aggregate.UnitNone && f.Memory > 0 && fig.Value == float64(f.Memory) {
			fig.Unit = aggregate.UnitBytes // read back from JSON: it is the memory above
		}
		add(htmlFigureLabel(fig.Name), fig.Name, fig)
	}
	out := make([]htmlFigure, 0, len(entries))
	for _, e := range entries {
		text, exact := htmlFigureValue(e.fig)
		// The tooltip names the figure as the JSON document does, for the
		// names the label table knows (the others are their own label).
		var names []string
		for _, n := range e.names {
			if _, known := htmlFigureLabels[n]; known {
				names = append(names, n)
			}
		}
		title := strings.Join(names, ", ")
		if exact != "" && title != "" {
			title += ": " + exact
		} else if exact != "" {
			title = exact
		}
		out = append(out, htmlFigure{Label: strings.Join(e.labels, " = "), Value: text, Title: title})
	}
	return out
}

// htmlFigureValue prints a figure as its unit says: bytes as bytes (and
// exact, for the tooltip), shares as percentages, ratios as multiples,
// slots as plain numbers, times in UTC, counts (and numbers of no known
// unit) with separators when whole.
func htmlFigureValue(f aggregate.Figure) (text, exact string) {
	v := f.Value
	if v != v || v > 1e18 || v < -1e18 { // NaN, ±Inf, or beyond int64
		return strconv.FormatFloat(v, 'g', 4, 64), ""
	}
	switch f.Unit {
	case aggregate.UnitSlot:
		return strconv.FormatInt(int64(v), 10), ""
	case aggregate.UnitBytes:
		return htmlBytes(int64(v)), htmlCount(int64(v)) + " bytes"
	case aggregate.UnitShare:
		return htmlPct(v), ""
	case aggregate.UnitRatio:
		return strconv.FormatFloat(v, 'f', 2, 64) + "×", ""
	case aggregate.UnitDays:
		return strconv.FormatFloat(v, 'f', 1, 64) + " days", ""
	case aggregate.UnitBytesPerDay:
		return signedRateHTML(v) + " a day", htmlCount(int64(v)) + " bytes a day"
	case aggregate.UnitUnixMillis:
		if v <= 0 {
			return "none", ""
		}
		return time.UnixMilli(int64(v)).UTC().Format("2006-01-02 15:04:05") + " UTC", ""
	}
	if v == float64(int64(v)) {
		return htmlCount(int64(v)), ""
	}
	return strconv.FormatFloat(v, 'g', 4, 64), ""
}
