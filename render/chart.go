package render

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The chart options below are the part of ECharts' option object the
// report uses, typed. Each chart is built once as a chartOption and
// marshalled once into its JSON island: nothing is patched afterwards.
//
// encoding/json writes struct fields in declaration order; fields are
// declared in the alphabetical order of their JSON names so that islands
// read like sorted JSON and diff cleanly between reports.

// chartOption is one chart's ECharts option.
type chartOption struct {
	// Animation only delays the first paint of a report read once.
	Animation bool          `json:"animation"`
	Color     []string      `json:"color"`
	Grid      []chartGrid   `json:"grid,omitempty"`
	Legend    chartLegend   `json:"legend"`
	Series    []chartSeries `json:"series"`
	Title     *chartTitle   `json:"title,omitempty"`
	Tooltip   chartTooltip  `json:"tooltip"`
	XAxis     []chartAxis   `json:"xAxis,omitempty"`
	YAxis     []chartAxis   `json:"yAxis,omitempty"`
}

// chartPalette colours the series that have no colour of their own (the
// nodes of the slot chart). It has no red nor amber: in the report those
// mean a problem, nothing else.
var chartPalette = []string{"#5470c6", "#91cc75", "#73c0de", "#9a60b4", "#3ba272", "#fac858", "#ea7ccc", "#4b8f8c", "#5f6b7a"}

// newChartOption starts an option with a tooltip of trigger "axis" or
// "item", which the static script gives its formatter.
func newChartOption(trigger string) chartOption {
	return chartOption{Color: chartPalette, Tooltip: chartTooltip{Show: true, Trigger: trigger}}
}

type chartGrid struct {
	Bottom       string `json:"bottom"`
	ContainLabel bool   `json:"containLabel"`
	Left         string `json:"left"`
	Right        string `json:"right"`
	Top          string `json:"top"`
}

type chartLegend struct {
	Bottom string            `json:"bottom,omitempty"`
	Data   []chartLegendItem `json:"data,omitempty"`
	Show   bool              `json:"show"`
	// Type is "scroll" for a legend that pages instead of wrapping.
	Type string `json:"type,omitempty"`
}

type chartLegendItem struct {
	Icon string `json:"icon,omitempty"`
	Name string `json:"name"`
}

type chartTitle struct {
	Left      string          `json:"left,omitempty"`
	Subtext   string          `json:"subtext,omitempty"`
	Text      string          `json:"text,omitempty"`
	TextStyle *chartTextStyle `json:"textStyle,omitempty"`
	Top       string          `json:"top,omitempty"`
}

type chartTextStyle struct {
	Color      string `json:"color,omitempty"`
	FontSize   int    `json:"fontSize,omitempty"`
	FontWeight string `json:"fontWeight,omitempty"`
}

type chartTooltip struct {
	Show    bool   `json:"show"`
	Trigger string `json:"trigger"`
}

// chartAxis is an x or y axis: "category" with Data, or "value".
type chartAxis struct {
	AxisLabel *chartAxisLabel `json:"axisLabel,omitempty"`
	Data      []chartCategory `json:"data,omitempty"`
	// Interval, Max and Min are set on byte axes (see byteAxis).
	Interval int64 `json:"interval,omitempty"`
	// Inverse puts a category axis' first entry on top (horizontal bars
	// read top down).
	Inverse bool   `json:"inverse,omitempty"`
	Max     int64  `json:"max,omitempty"`
	Min     *int64 `json:"min,omitempty"`
	Name    string `json:"name,omitempty"`
	// NameTextStyle aligns the name: a y axis' name starts at the axis
	// and reads rightwards, so that it is never cut at the chart's edge.
	NameTextStyle *chartNameStyle `json:"nameTextStyle,omitempty"`
	SplitLine     *chartShow      `json:"splitLine,omitempty"`
	Type          string          `json:"type"`
}

type chartNameStyle struct {
	Align string `json:"align,omitempty"`
}

// chartValueAxis is a y axis of values named name, its name written from
// the axis rightwards.
func chartValueAxis(name string) chartAxis {
	a := chartAxis{Type: "value", Name: name}
	if name != "" {
		a.NameTextStyle = &chartNameStyle{Align: "left"}
	}
	return a
}

type chartAxisLabel struct {
	// Interval "0" shows every category label.
	Interval string `json:"interval,omitempty"`
	// LineHeight spaces labels of several lines.
	LineHeight int     `json:"lineHeight,omitempty"`
	Rotate     float64 `json:"rotate,omitempty"`
}

// chartCategory is one entry of a category axis: a plain label, or one
// with a style of its own.
type chartCategory struct {
	Value     string
	TextStyle *chartTextStyle
}

// MarshalJSON writes a plain label as a string, a styled one as an object.
func (c chartCategory) MarshalJSON() ([]byte, error) {
	if c.TextStyle == nil {
		return json.Marshal(c.Value)
	}
	return json.Marshal(struct {
		TextStyle *chartTextStyle `json:"textStyle"`
		Value     string          `json:"value"`
	}{c.TextStyle, c.Value})
}

func chartCategories(names []string) []chartCategory {
	out := make([]chartCategory, len(names))
	for i, n := range names {
		out[i] = chartCategory{Value: n}
	}
	return out
}

type chartShow struct {
	Show bool `json:"show"`
}

// chartSeries is one series of any of the kinds the report draws: "bar",
// "scatter" (marks over bars), "pie" and "treemap"; each kind sets its
// own fields.
type chartSeries struct {
	BarCategoryGap    string          `json:"barCategoryGap,omitempty"`
	Bottom            string          `json:"bottom,omitempty"`
	Breadcrumb        *chartShow      `json:"breadcrumb,omitempty"`
	Center            []string        `json:"center,omitempty"`
	ConnectNulls      bool            `json:"connectNulls,omitempty"`
	Data              []chartItem     `json:"data"`
	ItemStyle         *chartItemStyle `json:"itemStyle,omitempty"`
	Label             *chartLabel     `json:"label,omitempty"`
	Left              string          `json:"left,omitempty"`
	LineStyle         *chartLineStyle `json:"lineStyle,omitempty"`
	MarkLine          *chartMarkLine  `json:"markLine,omitempty"`
	MinShowLabelAngle float64         `json:"minShowLabelAngle,omitempty"`
	Name              string          `json:"name"`
	NodeClick         *bool           `json:"nodeClick,omitempty"`
	Radius            []string        `json:"radius,omitempty"`
	Right             string          `json:"right,omitempty"`
	Roam              *bool           `json:"roam,omitempty"`
	ShowSymbol        *bool           `json:"showSymbol,omitempty"`
	Stack             string          `json:"stack,omitempty"`
	Symbol            string          `json:"symbol,omitempty"`
	SymbolSize        chartSymbolSize `json:"symbolSize,omitempty"`
	Top               string          `json:"top,omitempty"`
	Type              string          `json:"type"`
	YAxisIndex        int             `json:"yAxisIndex,omitempty"`
}

// chartSymbolSize is a mark's size: one number for a square symbol, or
// width and height.
type chartSymbolSize []int

// MarshalJSON writes one size as a number, two as an array.
func (s chartSymbolSize) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return []byte(strconv.Itoa(s[0])), nil
	}
	return json.Marshal([]int(s))
}

// chartItem is one data item: a bar, a slice, a tile, a mark or a
// point of a line.
type chartItem struct {
	ItemStyle *chartItemStyle `json:"itemStyle,omitempty"`
	Name      string          `json:"name,omitempty"`
	Value     int64           `json:"value"`
	// Missing is a point a line has no value for (a day without a
	// night): it is written as null, which a line skips.
	Missing bool `json:"-"`
}

// MarshalJSON writes a missing item as null, any other as an object.
func (c chartItem) MarshalJSON() ([]byte, error) {
	if c.Missing {
		return []byte("null"), nil
	}
	type plain chartItem
	return json.Marshal(plain(c))
}

// chartValues are items of the given values, with no style.
func chartValues(vs []int64) []chartItem {
	out := make([]chartItem, len(vs))
	for i, v := range vs {
		out[i] = chartItem{Value: v}
	}
	return out
}

type chartItemStyle struct {
	BorderColor string  `json:"borderColor,omitempty"`
	BorderWidth float64 `json:"borderWidth,omitempty"`
	Color       string  `json:"color,omitempty"`
}

type chartLabel struct {
	Formatter string `json:"formatter,omitempty"`
	Show      bool   `json:"show"`
}

type chartMarkLine struct {
	Data      []chartMarkLineItem `json:"data"`
	Label     *chartShow          `json:"label,omitempty"`
	LineStyle *chartLineStyle     `json:"lineStyle,omitempty"`
	Symbol    []string            `json:"symbol,omitempty"`
}

// chartMarkLineItem is a level across the chart: at YAxis on a vertical
// value axis, at XAxis on a horizontal one.
type chartMarkLineItem struct {
	Name  string `json:"name"`
	XAxis int64  `json:"xAxis,omitempty"`
	YAxis int64  `json:"yAxis,omitempty"`
}

type chartLineStyle struct {
	Color string  `json:"color,omitempty"`
	Type  string  `json:"type,omitempty"`
	Width float64 `json:"width,omitempty"`
}

// chartUnit is how the static script prints a series' values or an
// axis' labels: a name, never code.
type chartUnit string

const (
	unitBytes chartUnit = "bytes"
	unitCount chartUnit = "count"
)

// htmlChartSpec is one chart's JSON island: the ECharts option plus the
// few facts the static script needs to format tooltips and axes.
type htmlChartSpec struct {
	Option chartOption `json:"option"`
	// Units gives, per series index, how values print.
	Units []chartUnit `json:"units"`
	// Axis is the value axis ("x" or "y") whose labels print in AxisUnits.
	Axis      string      `json:"axis,omitempty"`
	AxisUnits []chartUnit `json:"axisUnits,omitempty"`
	// Total is what item tooltips compute shares of; 0 for none.
	Total int64 `json:"total,omitempty"`
}

type htmlChartIsland struct {
	ID   string
	JSON template.JS
}

// addChart stores a chart as a JSON island and returns the id of its
// element. encoding/json escapes <, >, & and U+2028/2029, so nothing in
// the island can end the script element or break the JSON.
func (b *htmlBuilder) addChart(spec htmlChartSpec) (string, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("render: chart options: %w", err)
	}
	id := "chart-" + strconv.Itoa(len(b.charts)+1)
	b.charts = append(b.charts, htmlChartIsland{ID: id, JSON: template.JS(js)})
	return id, nil
}

// htmlTypeColors keeps one colour per data type across every chart, so that
// "hash" is the same purple in the cluster bars and in each donut. No type
// is red or amber, which mean a problem.
var htmlTypeColors = map[string]string{
	"string":   "#5470c6",
	"hash":     "#9a60b4",
	"list":     "#91cc75",
	"set":      "#fac858",
	"zset":     "#73c0de",
	"stream":   "#3ba272",
	"overhead": "#b8b8b8",
}

var htmlSpareColors = []string{"#ea7ccc", "#4b8f8c", "#5f6b7a", "#c4a35a", "#8d6e63", "#2f4b7c"}

func htmlColorOf(name string) string {
	if c, ok := htmlTypeColors[name]; ok {
		return c
	}
	if i := strings.IndexByte(name, '/'); i > 0 {
		if c, ok := htmlTypeColors[name[:i]]; ok {
			return c
		}
	}
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return htmlSpareColors[h%uint32(len(htmlSpareColors))]
}

// Colours of charts. Red (a node over its limit, an incomplete input, a
// critical finding) and amber (a warning: near the limit, skewed) mean a
// problem; nothing else is drawn in them.
const (
	htmlColorOver  = "#c62828"
	htmlColorNear  = "#b26a00"
	htmlColorMark  = "#1f2328"
	htmlColorLimit = "#59636e" // the maxmemory line: a level, not a problem
	htmlColorOther = "#b8b8b8"
	htmlColorTTL   = "#91cc75"
	htmlColorNoTTL = "#5f6b7a"
	htmlColorKeys  = "#5470c6"
)

// htmlDashIcon is the legend icon of a maxmemory series: a dashed line.
//
// ECharts fits a path icon to the legend's icon box: the two lone points
// (moves, drawing nothing) make the box 27×14 so that the dashes stay thin.
const htmlDashIcon = "path://M0,0ZM0,6H7V8H0ZM10,6H17V8H10ZM20,6H27V8H20ZM27,14Z"

// htmlDashSeries is one short horizontal mark per node: a per-node level
// (its maxmemory) over a stacked bar.
func htmlDashSeries(name string, data []chartItem, color string) chartSeries {
	return chartSeries{Name: name, Type: "scatter", Data: data, Symbol: "rect", SymbolSize: chartSymbolSize{36, 3},
		ItemStyle: &chartItemStyle{Color: color}}
}

// htmlLegendBottom is the room (px) below a chart's grid for a plain
// legend of these names at the bottom, which wraps instead of paging:
// ECharts does not make room for a wrapped legend itself. The width is a
// conservative guess of the chart's (half the page on a small laptop).
func htmlLegendBottom(names []string) string {
	const width = 400 // px
	lines, x := 1, 0
	for _, n := range names {
		// icon 25 + gap 5 + text (about 7 px a character) + item gap 10
		w := 40 + 7*utf8.RuneCountInString(n)
		if x > 0 && x+w > width {
			lines++
			x = 0
		}
		x += w
	}
	return strconv.Itoa(16 + 24*lines)
}

func htmlRotation(n int) float64 {
	if n > 8 {
		return 45
	}
	return 0
}

// htmlAxisSteps are the tick intervals of byte axes within one binary
// unit: round in the unit the labels print in (2 MiB, 50 KiB, 256 MiB),
// never the decimal steps ECharts picks, which read as 1.91 MiB.
var htmlAxisSteps = []int64{1, 2, 5, 10, 20, 50, 100, 256, 512}

// htmlAxisTicks is how many intervals a byte axis has at most.
const htmlAxisTicks = 5

// htmlNiceBytes returns the tick interval and the top of a byte axis whose
// highest value is top: the smallest step of htmlAxisSteps × 1024^k that
// covers top in at most htmlAxisTicks intervals. ok is false when top is
// not positive or too big to round.
func htmlNiceBytes(top int64) (step, axisMax int64, ok bool) {
	if top <= 0 {
		return 0, 0, false
	}
	for unit := int64(1); ; unit *= 1024 {
		for _, m := range htmlAxisSteps {
			if m > math.MaxInt64/unit {
				return 0, 0, false
			}
			step = m * unit
			n := top / step
			if top%step != 0 {
				n++
			}
			if n <= htmlAxisTicks && n <= math.MaxInt64/step {
				return step, n * step, true
			}
		}
		if unit > math.MaxInt64/1024 {
			return 0, 0, false
		}
	}
}

// byteAxis makes a a byte axis for data up to top: it starts at 0, ends at
// a round top and ticks at round binary intervals (htmlNiceBytes).
// Computed here, it is the same on every run and every browser.
func byteAxis(a chartAxis, top int64) chartAxis {
	step, axisMax, ok := htmlNiceBytes(top)
	if !ok {
		return a
	}
	zero := int64(0)
	a.Min, a.Max, a.Interval = &zero, axisMax, step
	return a
}
