package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/bytesize"
	"github.com/rdbscope/rdbscope/internal/output"
	"github.com/rdbscope/rdbscope/render"
)

// This file holds what analyze, report and diff share, so that a report
// merged from per-node profiles is built, diagnosed and written by the very
// code that builds one from dumps: that is what makes them byte-identical.

// ruleFlags are the findings flags common to analyze and report.
type ruleFlags struct {
	rules        diagnose.Rules
	maxmemory    []string
	policy       string
	bigBytes     string
	clusterNodes string
	expectNodes  int
	failOnFlag   string
	failOn       aggregate.Severity // from failOnFlag; 0 never fails
	minSevFlag   string
	minSev       aggregate.Severity // from minSevFlag; 0 shows all
}

// addRuleFlags registers the findings flags on fs.
func addRuleFlags(fs *pflag.FlagSet) *ruleFlags {
	rf := &ruleFlags{rules: diagnose.DefaultRules()}
	fs.StringArrayVar(&rf.maxmemory, "maxmemory", nil, "the nodes' maxmemory (`SIZE`, redis.conf units: 1gb = 2^30, 1g = 10^9), or one node's (NODE=SIZE); repeatable")
	fs.StringVar(&rf.policy, "maxmemory-policy", "", "the nodes' maxmemory-policy (e.g. volatile-lru)")
	_ = fs.SetAnnotation("maxmemory-policy", placeholderKey, []string{"POLICY"})
	addClusterNodesFlag(fs, &rf.clusterNodes)
	addExpectNodesFlag(fs, &rf.expectNodes)
	fs.StringVar(&rf.failOnFlag, "fail-on", "", "exit with code 4 when a finding of this severity or above exists")
	choices(fs, "fail-on", "info", "warning", "critical")
	addMinSeverityFlag(fs, &rf.minSevFlag, "the terminal summary")
	fs.Float64Var(&rf.rules.BigHashShare, "big-hash-share", rf.rules.BigHashShare, "flag a hash holding more than this `SHARE` of its node's memory")
	fs.Float64Var(&rf.rules.BigKeyShare, "big-key-share", rf.rules.BigKeyShare, "flag any key holding more than this `SHARE` of its node's memory (0 = off)")
	fs.StringVar(&rf.bigBytes, "big-key-bytes", "16mb", "flag any key bigger than `SIZE` (0 = off)")
	fs.Int64Var(&rf.rules.BigKeyElements, "big-key-elements", rf.rules.BigKeyElements, "flag any key with more than `N` elements (0 = off)")
	inGroup(fs, "Findings", "maxmemory", "maxmemory-policy", "cluster-nodes", "expect-nodes", "fail-on", "min-severity", "big-hash-share", "big-key-share",
		"big-key-bytes", "big-key-elements")
	return rf
}

// resolve checks the parsed flags and completes rf.rules; errors are
// usage errors, each naming its flag once (the library's errors name none).
func (rf *ruleFlags) resolve() error {
	for _, m := range rf.maxmemory {
		if err := rf.rules.SetMaxmemory(m); err != nil {
			return flagError("--maxmemory", err)
		}
	}
	if rf.policy != "" {
		if err := rf.rules.SetPolicy(rf.policy); err != nil {
			return flagError("--maxmemory-policy", err)
		}
	}
	var err error
	if rf.rules.BigKeyBytes, err = parseSizeFlag("--big-key-bytes", rf.bigBytes); err != nil {
		return err
	}
	if rf.failOn, err = parseFailOn(rf.failOnFlag); err != nil {
		return err
	}
	if rf.minSev, err = parseMinSeverity(rf.minSevFlag); err != nil {
		return err
	}
	if rf.expectNodes < 0 {
		return usageError{"--expect-nodes must be at least 1"}
	}
	rf.rules.ExpectNodes = rf.expectNodes
	return readClusterNodes(rf.clusterNodes, &rf.rules.Config)
}

// nodeSettings names, for each node a --maxmemory NODE=SIZE is about,
// the flag that named it (see checkNodeSettings).
func (rf *ruleFlags) nodeSettings() map[string]string {
	out := map[string]string{}
	for _, m := range rf.maxmemory {
		if node, _, ok := strings.Cut(m, "="); ok {
			out[strings.TrimSpace(node)] = "--maxmemory " + m
		}
	}
	return out
}

// filterFlagError names the filter flag a KeyFilter.Compile error is about.
func filterFlagError(err error) error {
	msg := err.Error()
	for _, f := range [][2]string{{"pattern ", "--match"}, {"type ", "--type"}, {"db ", "--db"}, {"min bytes ", "--min-bytes"}} {
		if strings.HasPrefix(msg, f[0]) {
			return usageError{f[1] + " " + strings.TrimPrefix(msg, f[0])}
		}
	}
	return usageError{msg}
}

// flagError is a usage error about the value of flag.
func flagError(flag string, err error) error {
	return usageError{flag + ": " + err.Error()}
}

// parseSizeFlag reads the SIZE value v of flag (see bytesize.Parse).
func parseSizeFlag(flag, v string) (int64, error) {
	n, err := bytesize.Parse(v)
	if err != nil {
		return 0, flagError(flag, err)
	}
	return n, nil
}

// parseFailOn reads a --fail-on level: a severity, or none (or nothing)
// for a run that never fails on findings.
func parseFailOn(v string) (aggregate.Severity, error) {
	if v == "" || v == "none" {
		return 0, nil
	}
	s, err := aggregate.ParseSeverity(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("--fail-on %q: want info, warning, critical or none", v)}
	}
	return s, nil
}

// exportFlags are the outputs drawn from a finished report besides JSON
// and HTML: metrics for Prometheus and CSV tables for spreadsheets.
type exportFlags struct {
	metrics     string
	topCSV      string
	familiesCSV string
	// labels are --metrics-label's values; metricLabels their checked
	// form (resolve).
	labels       []string
	metricLabels []string
}

// resolve checks the export flags.
func (e *exportFlags) resolve() error {
	ls, err := parseMetricLabels(e.labels)
	if err != nil {
		return err
	}
	e.metricLabels = metricLabelPairs(ls)
	return nil
}

// addExportFlags registers --metrics, --top-csv and --families-csv on fs.
func addExportFlags(fs *pflag.FlagSet, e *exportFlags) {
	fs.StringVar(&e.metrics, "metrics", "", "write node metrics in the Prometheus text format to `FILE`, for node_exporter's textfile collector (- for stdout)")
	fs.StringVar(&e.topCSV, "top-csv", "", "write every node's biggest keys as CSV to `FILE` (- for stdout)")
	fs.StringVar(&e.familiesCSV, "families-csv", "", "write the key families of every node and of the cluster as CSV to `FILE` (- for stdout)")
	addMetricsLabelFlag(fs, &e.labels)
}

// reportFiles names the files a finished report is written to; empty means
// not wanted, "-" means stdout.
type reportFiles struct {
	json, html, markdown string
	// title names the report in the HTML and Markdown documents.
	title string
	exportFlags
}

// addDocumentFlags registers --markdown and --title, the report documents
// meant for people, on fs.
func addDocumentFlags(fs *pflag.FlagSet, f *reportFiles) {
	fs.StringVar(&f.markdown, "markdown", "", "write the report as GitHub-flavoured Markdown to `FILE`, for an incident document, a ticket or a chat (- for stdout)")
	fs.StringVar(&f.title, "title", "", "name the report in the HTML and Markdown documents, e.g. \"Checkout cache incident\" (`TEXT`)")
}

// add registers the report's outputs in outs, with the per-key export
// keys ("" for none), in the order they are checked and listed.
func (f reportFiles) add(outs *output.Set, keys string) {
	outs.Add("--json", f.json)
	outs.Add("--keys", keys)
	outs.Add("--html", f.html)
	outs.Add("--markdown", f.markdown)
	outs.Add("--metrics", f.metrics)
	outs.Add("--top-csv", f.topCSV)
	outs.Add("--families-csv", f.familiesCSV)
}

// outputKinds names each output flag in the terminal summary.
var outputKinds = map[string]string{"--json": "JSON report", "--keys": "keys", "--html": "HTML report",
	"--markdown": "Markdown report", "--metrics": "metrics", "--top-csv": "top keys CSV",
	"--families-csv": "families CSV", "--cpuprofile": "CPU profile"}

// written names the files (not stdout) a run wrote, for the summary.
func written(outs *output.Set) map[string]string {
	out := map[string]string{}
	for flag, p := range outs.Written() {
		if k, ok := outputKinds[flag]; ok {
			out[k] = p
		}
	}
	return out
}

// outputError is the exit code and error of an output Set that could not
// be opened: a conflict is in the command line, anything else is the
// run's failure.
func outputError(err error) (int, error) {
	if errors.Is(err, output.ErrConflict) {
		return exitUsage, usageError{err.Error()}
	}
	return exitFatal, err
}

// flagFiles are the files flags read (--cluster-nodes), which outputs
// must not overwrite either.
func (rf *ruleFlags) flagFiles() []string {
	if rf.clusterNodes == "" {
		return nil
	}
	return []string{rf.clusterNodes}
}

// newReport assembles the report of nodes: sorted by name, merged into a
// cluster profile when there are several, and diagnosed with rules, which
// it records as the report's settings. top bounds the merged top lists.
func newReport(nodes []*aggregate.Node, top int, rules diagnose.Rules, modelVersion string) *aggregate.Report {
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	r := &aggregate.Report{
		SchemaVersion: aggregate.SchemaVersion,
		Tool: aggregate.Tool{
			Name: "rdbscope", Version: version, ModelVersion: modelVersion,
			GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		},
		Nodes:    nodes,
		Findings: []aggregate.Finding{},
	}
	if len(nodes) > 1 {
		r.Cluster = aggregate.Merge("cluster", top, clusterMembers(nodes, rules.Cluster)...)
	}
	r.Findings = diagnose.Diagnose(r, rules)
	if r.Findings == nil {
		r.Findings = []aggregate.Finding{}
	}
	r.Settings = rules.Settings()
	return r
}

// writeReportFiles writes every requested view of r to its output in
// outs, which puts them in place only once all are written.
func writeReportFiles(f reportFiles, r *aggregate.Report, outs *output.Set) error {
	return writeViews(outs, []outputView{
		{"--json", f.json, func(w io.Writer) error { return render.JSON(w, r) }},
		{"--html", f.html, func(w io.Writer) error { return render.HTML(w, r, render.HTMLOptions{Title: f.title}) }},
		{"--markdown", f.markdown, func(w io.Writer) error { return render.Markdown(w, r, render.MarkdownOptions{Title: f.title}) }},
		{"--metrics", f.metrics, func(w io.Writer) error { return render.Metrics(w, r, render.MetricsOptions{Labels: f.metricLabels}) }},
		{"--top-csv", f.topCSV, func(w io.Writer) error { return render.TopKeysCSV(w, r) }},
		{"--families-csv", f.familiesCSV, func(w io.Writer) error { return render.FamiliesCSV(w, r) }},
	})
}

// outputView is one output of a run: the flag that asked for it, its
// path ("" when not asked for, "-" for stdout) and what writes it.
type outputView struct {
	flag, path string
	write      func(io.Writer) error
}

// writeViews writes every view asked for to its writer in outs (opened
// before any input was read); outs.Commit puts them in place.
func writeViews(outs *output.Set, views []outputView) error {
	for _, v := range views {
		w := outs.Writer(v.flag)
		if w == nil {
			continue
		}
		if err := v.write(w); err != nil {
			return fmt.Errorf("%s %s: %w", v.flag, v.path, err)
		}
	}
	return nil
}
