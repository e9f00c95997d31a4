package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/bytesize"
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

// outputOrder is the order outputs are checked and listed in.
var outputOrder = []string{"--json", "--keys", "--html", "--markdown", "--metrics", "--top-csv", "--families-csv"}

// paths maps each output flag to its file.
func (f reportFiles) paths(keys string) map[string]string {
	return map[string]string{"--json": f.json, "--keys": keys, "--html": f.html, "--markdown": f.markdown,
		"--metrics": f.metrics, "--top-csv": f.topCSV, "--families-csv": f.familiesCSV}
}

// written names the files (not stdout) a run wrote, for the summary.
func (f reportFiles) written(keys string) map[string]string {
	kinds := map[string]string{"--json": "JSON report", "--keys": "keys", "--html": "HTML report", "--markdown": "Markdown report",
		"--metrics": "metrics", "--top-csv": "top keys CSV", "--families-csv": "families CSV"}
	out := map[string]string{}
	for flag, p := range f.paths(keys) {
		if p != "" && p != "-" {
			out[kinds[flag]] = p
		}
	}
	return out
}

// toStdout reports whether any output goes to stdout, in which case the
// terminal summary goes to stderr.
func (f reportFiles) toStdout(keys string) bool {
	for _, p := range f.paths(keys) {
		if p == "-" {
			return true
		}
	}
	return false
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

// writeReportFiles writes every requested view of r through outs, which
// renames them into place only once all are written.
func writeReportFiles(f reportFiles, r *aggregate.Report, outs *outputs, stdout io.Writer) error {
	return outs.writeViews(stdout, []outputView{
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

// writeViews writes every view asked for through outs, which renames them
// into place only once all are written.
func (o *outputs) writeViews(stdout io.Writer, views []outputView) error {
	for _, v := range views {
		if v.path == "" {
			continue
		}
		w, err := o.create(v.path, stdout)
		if err != nil {
			return err
		}
		if err := v.write(w); err != nil {
			return fmt.Errorf("%s %s: %w", v.flag, v.path, err)
		}
	}
	return nil
}

// checkOutputPaths refuses outputs that would overwrite an input (ins)
// or each other, and two outputs on stdout.
func checkOutputPaths(paths map[string]string, ins *fileSet) error {
	seen := &fileSet{}
	stdout := ""
	for _, flag := range outputOrder {
		p := paths[flag]
		if p == "" {
			continue
		}
		if p == "-" {
			if stdout != "" {
				return usageError{fmt.Sprintf("%s and %s both write to stdout (-); only one output can", stdout, flag)}
			}
			stdout = flag
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("%s %s: %w", flag, p, err)
		}
		fi, _ := os.Stat(p) // nil when the output does not exist yet
		if _, ok := ins.find(abs, fi); ok {
			return usageError{fmt.Sprintf("%s %s: refusing to overwrite an input", flag, p)}
		}
		if other, ok := seen.find(abs, fi); ok {
			return usageError{fmt.Sprintf("%s and %s write to the same file %s", other, flag, p)}
		}
		seen.add(abs, fi, flag)
	}
	return nil
}

// fileSet holds files by absolute path and by identity, so that a link to
// a file is found as the file.
type fileSet struct {
	paths map[string]string // absolute path -> name
	files []namedFile
}

type namedFile struct {
	fi   os.FileInfo
	name string
}

// add adds the file at abs (fi if it exists, else nil) as name.
func (s *fileSet) add(abs string, fi os.FileInfo, name string) {
	if abs != "" {
		if s.paths == nil {
			s.paths = map[string]string{}
		}
		s.paths[abs] = name
	}
	if fi != nil {
		s.files = append(s.files, namedFile{fi, name})
	}
}

// addPath adds the file a user named path.
func (s *fileSet) addPath(path string) {
	abs, _ := filepath.Abs(path)
	fi, _ := os.Stat(path)
	s.add(abs, fi, path)
}

// find returns the name of the file at abs (fi if it exists, else nil).
func (s *fileSet) find(abs string, fi os.FileInfo) (string, bool) {
	if name, ok := s.paths[abs]; ok {
		return name, true
	}
	if fi != nil {
		for _, f := range s.files {
			if os.SameFile(f.fi, fi) {
				return f.name, true
			}
		}
	}
	return "", false
}

// inputFiles is the set of input files, for checkOutputPaths.
func inputFiles(paths []string) *fileSet {
	ins := &fileSet{}
	for _, p := range paths {
		if p != "-" {
			ins.addPath(p)
		}
	}
	return ins
}
