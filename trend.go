package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/history"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/aggregate/trend"
	"github.com/rdbscope/rdbscope/internal/objstore"
	"github.com/rdbscope/rdbscope/internal/output"
	"github.com/rdbscope/rdbscope/render"
)

// trendConfig is everything the trend command was asked to do.
type trendConfig struct {
	inputs   []string
	jsonOut  string
	htmlOut  string
	metrics  string
	quiet    bool
	history  string
	cluster  string
	since    string
	failOn   aggregate.Severity
	minSev   aggregate.Severity
	topNodes int
	// fitScreen cuts the node rows to the terminal's height when
	// --top-nodes was not given.
	fitScreen bool
	title     string
	opts      trend.Options
	// rules holds what the nodes run with (--maxmemory, --redis-config,
	// --cluster-nodes, --expect-nodes); only its Config is used.
	rules     diagnose.Rules
	nodeFlags map[string]string
	nameRegex *nameRegex
	labels    []metricLabel
}

// trendHelp is trend's help besides its flags.
var trendHelp = helpDoc{
	usage: "rdbscope trend [flags] SNAPSHOT...",
	about: []string{
		"Forecast a cluster over its nights: per node its memory, growth per day and the days until it reaches " +
			"maxmemory; per key family its growth with and without TTL; will-fill and runaway-family findings. " +
			"Each SNAPSHOT is one night: a JSON report (analyze or report --json) or a directory of per-node " +
			"profiles; or a history (--history of analyze and report: a directory or a bucket prefix), which holds many nights. " +
			"Nights are ordered by when their dumps were taken. See docs/trend.md.",
	},
	groups: []string{"Outputs", "Forecast", "Findings", "Reading the nights"},
	examples: []string{
		"rdbscope trend --fail-on critical --history /var/lib/rdbscope/history",
		"rdbscope trend --html trend.html nights/*/cluster.json",
	},
}

func parseTrendFlags(args []string, stdout io.Writer) (*trendConfig, error) {
	cfg := &trendConfig{opts: trend.DefaultOptions(), rules: diagnose.DefaultRules()}
	fs := pflag.NewFlagSet("trend", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&cfg.jsonOut, "json", "", "write the trend as JSON to `FILE` (- for stdout; docs/trend.md, docs/schema-trend.json)")
	fs.StringVar(&cfg.htmlOut, "html", "", "write the trend as a self-contained HTML page with charts to `FILE`")
	fs.StringVar(&cfg.title, "title", "", "the HTML page's title `TEXT` (default: rdbscope trend: CLUSTER)")
	fs.StringVar(&cfg.metrics, "metrics", "", "write days-to-full and growth gauges in the Prometheus text format to `FILE`")
	var labels []string
	addMetricsLabelFlag(fs, &labels)
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "no terminal summary")
	inGroup(fs, "Outputs", "json", "html", "title", "metrics", "metrics-label", "quiet")

	fs.Float64Var(&cfg.opts.HorizonDays, "horizon", cfg.opts.HorizonDays, "a node reaching maxmemory within `N` days is a will-fill finding (critical within 7 days)")
	fs.IntVar(&cfg.opts.Nights, "nights", cfg.opts.Nights, "forecast from the latest `N` nights")
	fs.IntVar(&cfg.topNodes, "top-nodes", 10, "show the `N` nodes filling first in the summary and charts, the rest as one line "+
		"(0 = all; default: 10, fewer when the summary would not fit the terminal)")
	inGroup(fs, "Forecast", "horizon", "nights", "top-nodes")

	var failOn, minSev string
	var maxmemory, redisConfigs []string
	fs.StringArrayVar(&maxmemory, "maxmemory", nil, "the nodes' maxmemory (`SIZE`, redis.conf units), or one node's (NODE=SIZE); "+
		"repeatable (default: what the reports recorded)")
	fs.StringArrayVar(&redisConfigs, "redis-config", nil, "the servers' configuration: a redis.conf, CONFIG GET * output or INFO capture in `FILE`, "+
		"or NODE=FILE for one node (repeatable); read for maxmemory")
	fs.StringVar(&failOn, "fail-on", "", "exit with code 4 when a finding of this severity or above exists")
	choices(fs, "fail-on", "info", "warning", "critical")
	addMinSeverityFlag(fs, &minSev, "the summary and the HTML page")
	var fleet fleetFlags
	fleet.add(fs)
	inGroup(fs, "Findings", "maxmemory", "redis-config", "fail-on", "min-severity", "cluster-nodes", "expect-nodes")

	fs.StringVar(&cfg.history, "history", "", "read the cluster's nights from the history in `DIR`, a directory or a bucket prefix (as SNAPSHOT arguments can)")
	addClusterNameFlag(fs, &cfg.cluster)
	fs.StringVar(&cfg.since, "since", "", "use the nights of the history from `DATE` (YYYY-MM-DD) on")
	inGroup(fs, "Reading the nights", "history", "cluster-name", "since", "name-regex")
	if err := parseFlags(fs, trendHelp, args, stdout); err != nil {
		return nil, err
	}
	if err := checkOutputValues(fs, "trend"); err != nil {
		return nil, err
	}
	var err error
	if cfg.failOn, err = parseFailOn(failOn); err != nil {
		return nil, err
	}
	if cfg.minSev, err = parseMinSeverity(minSev); err != nil {
		return nil, err
	}
	if cfg.labels, err = parseMetricLabels(labels); err != nil {
		return nil, err
	}
	if cfg.opts.HorizonDays <= 0 {
		return nil, usageError{"--horizon must be more than 0 days"}
	}
	cfg.opts.CriticalDays = min(cfg.opts.CriticalDays, cfg.opts.HorizonDays)
	if cfg.opts.Nights < 2 {
		return nil, usageError{"--nights must be at least 2: a growth rate needs two nights"}
	}
	cfg.fitScreen = !fs.Changed("top-nodes")
	if cfg.topNodes < 0 {
		return nil, usageError{"--top-nodes must be 0 (all) or more"}
	}
	if cfg.cluster != "" {
		if err := history.ValidCluster(cfg.cluster); err != nil {
			return nil, usageError{"--cluster-name: " + err.Error()}
		}
	}
	if cfg.since != "" {
		if _, err := time.Parse(time.DateOnly, cfg.since); err != nil {
			return nil, usageError{fmt.Sprintf("--since %q: want a date such as 2026-11-01", cfg.since)}
		}
	}
	for _, m := range maxmemory {
		if err := cfg.rules.SetMaxmemory(m); err != nil {
			return nil, flagError("--maxmemory", err)
		}
	}
	rf := ruleFlags{maxmemory: maxmemory}
	sc := (*serverConfigs)(nil)
	if len(redisConfigs) > 0 {
		if sc, err = loadServerConfigs(redisConfigs, &cfg.rules); err != nil {
			return nil, usageError{"--redis-config: " + err.Error()}
		}
	}
	cfg.nodeFlags = sc.nodeSettings(rf.nodeSettings())
	if cfg.nameRegex, err = fleet.resolve(&cfg.rules.Config); err != nil {
		return nil, err
	}
	cfg.opts.Config = &cfg.rules.Config
	cfg.inputs = fs.Args()
	if objstore.IsURL(cfg.history) {
		if _, _, err := historyPrefix(cfg.history); err != nil {
			return nil, err
		}
	}
	if len(cfg.inputs) == 0 && cfg.history == "" {
		return nil, usageError{"trend: no SNAPSHOT given (reports, profile directories, or --history DIR)"}
	}
	for _, in := range cfg.inputs {
		if in == "-" {
			return nil, usageError{"trend: - (stdin) is not a SNAPSHOT: give files or directories"}
		}
	}
	return cfg, nil
}

func trendCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseTrendFlags(args, stdout)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, nil
	}
	if err != nil {
		return exitUsage, err
	}
	outs := output.New(stdout)
	outs.Add("--json", cfg.jsonOut)
	outs.Add("--html", cfg.htmlOut)
	outs.Add("--metrics", cfg.metrics)
	outs.Input(cfg.inputs...)
	if cfg.history != "" {
		outs.Input(cfg.history)
	}
	if err := outs.Open(ctx); err != nil {
		return outputError(err)
	}
	defer outs.Abort()
	snaps, err := cfg.loadSnapshots(ctx, stderr)
	if err != nil {
		return exitFatal, err
	}
	if err := checkNodeSettings(cfg.nodeFlags, snapshotNodeNames(snaps)); err != nil {
		return exitUsage, err
	}
	tool := aggregate.Tool{Name: "rdbscope", Version: version, ModelVersion: memmodel.Version,
		GeneratedAt: time.Now().UTC().Format(time.RFC3339)}
	t, err := trend.Forecast(snaps, tool, cfg.opts)
	if err != nil {
		return exitFatal, err
	}

	if err := writeViews(outs, []outputView{
		{"--json", cfg.jsonOut, func(w io.Writer) error { return render.TrendJSON(w, t) }},
		{"--html", cfg.htmlOut, func(w io.Writer) error {
			return render.TrendHTML(w, t, render.TrendHTMLOptions{Title: cfg.title, MinSeverity: cfg.minSev, TopNodes: cfg.topNodes})
		}},
		{"--metrics", cfg.metrics, func(w io.Writer) error {
			return render.TrendMetrics(w, t, render.MetricsOptions{Labels: metricLabelPairs(cfg.labels)})
		}},
	}); err != nil {
		return exitFatal, err
	}
	if err := outs.Commit(); err != nil {
		return exitFatal, err
	}
	if !cfg.quiet {
		w := stdout
		if outs.ToStdout() {
			w = stderr
		}
		paths := map[string]string{"--json": cfg.jsonOut, "--html": cfg.htmlOut, "--metrics": cfg.metrics}
		written := map[string]string{}
		for flag, kind := range map[string]string{"--json": "JSON trend", "--html": "HTML trend", "--metrics": "metrics"} {
			if p := paths[flag]; p != "" && p != "-" {
				written[kind] = p
			}
		}
		caps := summaryOptions(w)
		opts := render.TrendTextOptions{MinSeverity: cfg.minSev, TopNodes: cfg.topNodes, Outputs: written, Width: caps.Width, Color: caps.Color}
		if cfg.fitScreen {
			opts.MaxLines = terminalRows(w)
		}
		if err := render.TrendText(w, t, opts); err != nil {
			return exitFatal, err
		}
	} else {
		for _, warn := range t.Warnings {
			fmt.Fprintf(stderr, "rdbscope: warning: %s\n", aggregate.CleanText(warn))
		}
	}
	return trendExitCode(t, cfg.failOn), nil
}

// trendExitCode is 3 when the latest night is incomplete (a node's dump
// could not be read to its end, or part of the cluster has no dump), else
// 4 when a finding reaches --fail-on.
func trendExitCode(t *trend.Trend, failOn aggregate.Severity) int {
	if n := len(t.Nights); n > 0 && !t.Nights[n-1].Complete || missingNode(t.Findings) {
		return exitIncomplete
	}
	if diagnose.FailOn(t.Findings, failOn) {
		return exitFindings
	}
	return exitOK
}

// loadSnapshots reads every night the arguments and --history name, as
// snapshots of one cluster. An object URL is a report, or a night of
// per-node profiles when it names several objects (a prefix or a glob),
// or a history or one partition of it when it is a prefix holding
// cluster=NAME "directories" or named .../cluster=NAME/date=YYYY-MM-DD/.
func (cfg *trendConfig) loadSnapshots(ctx context.Context, stderr io.Writer) ([]*history.Snapshot, error) {
	type source struct {
		path string
		kind int
		// hist is the history of a history or partition source, and
		// cluster and date name a partition.
		hist          *history.History
		cluster, date string
	}
	const (
		kindReport = iota
		kindProfiles
		kindHistory
		kindPartition
	)
	var srcs []source
	if cfg.history != "" {
		h, err := openHistory(ctx, cfg.history, stderr)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, source{path: cfg.history, kind: kindHistory, hist: h})
	}
	for _, in := range cfg.inputs {
		if objstore.IsURL(in) {
			src := source{path: in, kind: kindReport}
			root, cluster, date, part := objectPartition(in)
			switch {
			case part:
				// With or without its final "/", as a night's source
				// names it.
				h, err := openHistory(ctx, root, stderr)
				if err != nil {
					return nil, err
				}
				src = source{path: in, kind: kindPartition, hist: h, cluster: cluster, date: date}
			case objectSet(in) && !strings.ContainsAny(objectKey(in), "*["):
				// A prefix: a history when it holds cluster=NAME/.
				src.kind = kindProfiles
				h, err := openHistory(ctx, in, stderr)
				if err != nil {
					return nil, err
				}
				if cs, err := h.Clusters(); err == nil && len(cs) > 0 {
					src = source{path: in, kind: kindHistory, hist: h}
				}
			case objectSet(in):
				src.kind = kindProfiles
			}
			srcs = append(srcs, src)
			continue
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		switch {
		case !fi.IsDir():
			srcs = append(srcs, source{path: in, kind: kindReport})
		case isPartition(in):
			srcs = append(srcs, source{path: in, kind: kindPartition, cluster: partitionCluster(in)})
		case isHistory(in):
			srcs = append(srcs, source{path: in, kind: kindHistory, hist: history.New(history.Dir(in))})
		default:
			srcs = append(srcs, source{path: in, kind: kindProfiles})
		}
	}
	// The cluster: named, else the one of the histories given, else
	// derived from the first report's nodes.
	name := cfg.cluster
	for _, s := range srcs {
		var cs []string
		switch s.kind {
		case kindHistory:
			var err error
			if cs, err = s.hist.Clusters(); err != nil {
				return nil, err
			}
		case kindPartition:
			cs = []string{s.cluster}
		}
		if name != "" || len(cs) == 0 {
			continue
		}
		if len(cs) > 1 {
			return nil, usageError{fmt.Sprintf("%s holds clusters %s: choose one with --cluster-name", s.path, listNames(cs, 8))}
		}
		name = cs[0]
	}
	var out []*history.Snapshot
	for _, s := range srcs {
		switch s.kind {
		case kindHistory:
			ss, err := s.hist.Read(history.Filter{Cluster: name, Since: cfg.sinceFor(s.hist, name)})
			if err != nil {
				return nil, err
			}
			out = append(out, ss...)
		case kindPartition:
			var one *history.Snapshot
			var err error
			if s.hist != nil {
				one, err = s.hist.Partition(s.cluster, s.date)
			} else {
				one, err = history.ReadPartition(s.path)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, one)
		default:
			r, err := cfg.readNight(ctx, s.path, s.kind == kindProfiles, stderr)
			if err != nil {
				return nil, err
			}
			if name == "" {
				if name, err = deriveClusterName(reportNodeNames(r)); err != nil {
					return nil, usageError{err.Error()}
				}
			}
			snap, err := history.FromReport(name, r, history.Options{Config: cfg.opts.Config})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.path, err)
			}
			snap.Source = s.path
			out = append(out, snap)
		}
	}
	for _, s := range out {
		if s.Cluster != name {
			return nil, fmt.Errorf("%s is of cluster %s, not %s: one trend is of one cluster", s.Source, s.Cluster, name)
		}
		if s.Source == "" {
			s.Source = "history " + s.Date()
		}
		ps := make([]*string, len(s.Nodes))
		for i := range s.Nodes {
			ps[i] = &s.Nodes[i].Name
		}
		if err := cfg.nameRegex.renameAll(ps, nil, io.Discard); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Source, err)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("trend: no night to forecast from")
	}
	return out, nil
}

// readNight reads one night given as a JSON report, or as a directory of
// per-node profiles merged as report merges them (a directory, or the
// *.json objects of a bucket prefix).
func (cfg *trendConfig) readNight(ctx context.Context, path string, dir bool, stderr io.Writer) (*aggregate.Report, error) {
	var r *aggregate.Report
	if !dir {
		var err error
		if r, err = readProfile(path, nil); err != nil {
			return nil, err
		}
	} else {
		var files []string
		var err error
		if objstore.IsURL(path) {
			files, err = profileArgs(ctx, []string{path})
		} else {
			files, err = filepath.Glob(filepath.Join(path, "*.json"))
		}
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no JSON profile (*.json) in this directory, nor a history (cluster=NAME directories)", path)
		}
		set, err := readProfiles(files, nil)
		if err != nil {
			return nil, err
		}
		r = &aggregate.Report{Nodes: set.nodes, Tool: aggregate.Tool{GeneratedAt: set.generatedAt}, Settings: set.settings,
			Findings: set.findings}
	}
	if err := cfg.nameRegex.renameNodes(r.Nodes, stderr); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// sinceFor is the first date of the history of cluster to read: --since,
// or the date that leaves the latest --nights nights, so that a year of
// history is not read to use a month of it.
func (cfg *trendConfig) sinceFor(h *history.History, cluster string) string {
	if cfg.since != "" {
		return cfg.since
	}
	dates, err := h.Dates(cluster)
	if err != nil || len(dates) <= cfg.opts.Nights {
		return ""
	}
	return dates[len(dates)-cfg.opts.Nights]
}

// isHistory reports whether dir is a history: it holds cluster=NAME
// directories.
func isHistory(dir string) bool {
	cs, err := history.Clusters(dir)
	return err == nil && len(cs) > 0
}

// isPartition reports whether dir is one night of a history
// (.../cluster=NAME/date=YYYY-MM-DD).
func isPartition(dir string) bool {
	return strings.HasPrefix(filepath.Base(filepath.Clean(dir)), "date=") && partitionCluster(dir) != ""
}

// objectPartition splits the URL of one partition of a history in object
// storage (.../cluster=NAME/date=YYYY-MM-DD/) into its history's URL, the
// cluster and the date.
func objectPartition(arg string) (root, cluster, date string, ok bool) {
	key, query, _ := strings.Cut(arg, "?")
	parts := strings.Split(strings.TrimSuffix(key, "/"), "/")
	if len(parts) < 5 { // s3:, "", BUCKET, cluster=, date=
		return "", "", "", false
	}
	date, okd := strings.CutPrefix(parts[len(parts)-1], "date=")
	cluster, okc := strings.CutPrefix(parts[len(parts)-2], "cluster=")
	if !okd || !okc {
		return "", "", "", false
	}
	root = strings.Join(parts[:len(parts)-2], "/") + "/"
	if query != "" {
		root += "?" + query
	}
	return root, cluster, date, true
}

func partitionCluster(dir string) string {
	c, _ := strings.CutPrefix(filepath.Base(filepath.Dir(filepath.Clean(dir))), "cluster=")
	return c
}

func snapshotNodeNames(snaps []*history.Snapshot) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range snaps {
		for _, n := range s.Nodes {
			if !seen[n.Name] {
				seen[n.Name] = true
				out = append(out, n.Name)
			}
		}
	}
	return out
}
