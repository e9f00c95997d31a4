package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/internal/output"
	"github.com/rdbscope/rdbscope/render"
)

// reportConfig is everything the report command was asked to do.
type reportConfig struct {
	inputs []string
	files  reportFiles
	top    int
	topSet bool
	quiet  bool
	rules  diagnose.Rules
	failOn aggregate.Severity
	// flagFiles are the files flags read (--cluster-nodes).
	flagFiles []string
	minSev    aggregate.Severity
	// nameRegex renames the profiles' nodes (--name-regex); nodeFlags is
	// as in analyzeConfig.
	nameRegex *nameRegex
	nodeFlags map[string]string
	run       runFlags
}

// reportHelp is report's help besides its flags.
var reportHelp = helpDoc{
	usage: "rdbscope report [flags] PROFILE...",
	about: []string{
		"Merge per-node JSON profiles (written by rdbscope analyze --json, one or more nodes each; - for standard input) " +
			"into one cluster report: the same report, findings and exit code that one analyze run over all the dumps " +
			"would give. See docs/batch.md.",
	},
	groups: []string{"Outputs", "Findings", "Key families and biggest keys", "Reading the profiles"},
	examples: []string{
		"rdbscope report --html cluster.html profiles/*.json",
	},
}

func parseReportFlags(args []string, stdout, stderr io.Writer) (*reportConfig, error) {
	cfg := &reportConfig{}
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&cfg.files.json, "json", "", "write the merged JSON report to `FILE` (- for stdout)")
	fs.StringVar(&cfg.files.html, "html", "", "write the self-contained HTML report to `FILE`")
	addDocumentFlags(fs, &cfg.files)
	addExportFlags(fs, &cfg.files.exportFlags)
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "no terminal summary")
	inGroup(fs, "Outputs", "json", "html", "markdown", "title", "metrics", "top-csv", "families-csv", "quiet")
	rf := addRuleFlags(fs)
	fs.IntVar(&cfg.top, "top", aggregate.DefaultTopN, "keep the `N` biggest keys in the merged lists (default: the --top the profiles were made with, when they show it)")
	inGroup(fs, "Key families and biggest keys", "top")
	cfg.run.add(fs)
	inGroup(fs, "Outputs", "history", "cluster-name")
	inGroup(fs, "Reading the profiles", "name-regex")
	if err := parseFlags(fs, reportHelp, args, stdout); err != nil {
		return nil, err
	}
	if err := checkOutputValues(fs, "report"); err != nil {
		return nil, err
	}
	if err := rf.resolve(); err != nil {
		return nil, err
	}
	if err := cfg.files.exportFlags.resolve(); err != nil {
		return nil, err
	}
	cfg.rules, cfg.failOn, cfg.minSev = rf.rules, rf.failOn, rf.minSev
	cfg.nodeFlags = rf.nodeSettings()
	cfg.flagFiles = rf.flagFiles()
	var err error
	if cfg.nameRegex, err = cfg.run.resolve(&cfg.rules.Config, stderr); err != nil {
		return nil, err
	}
	cfg.topSet = fs.Changed("top")
	if cfg.top < 1 {
		return nil, usageError{"--top must be at least 1"}
	}
	cfg.inputs = fs.Args()
	if len(cfg.inputs) == 0 {
		return nil, usageError{"no PROFILE given: name the JSON profiles to merge (- for stdin)"}
	}
	stdin := 0
	for _, in := range cfg.inputs {
		if in == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, usageError{"- (stdin) given more than once"}
	}
	return cfg, nil
}

func reportCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseReportFlags(args, stdout, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, nil
	}
	if err != nil {
		return exitUsage, err
	}
	outs := output.New(stdout)
	cfg.files.add(outs, "")
	outs.Input(cfg.inputs...)
	outs.Input(cfg.flagFiles...)
	outs.Stdin(stdin)
	if err := outs.Open(ctx); err != nil {
		return outputError(err)
	}
	defer outs.Abort()
	if err := cfg.run.history.open(ctx); err != nil {
		return exitFatal, err
	}
	if cfg.inputs, err = profileArgs(ctx, cfg.inputs); err != nil {
		return exitFatal, err
	}
	set, err := readProfiles(cfg.inputs, stdin)
	if err != nil {
		return exitFatal, err
	}
	if err := cfg.nameRegex.renameNodes(set.nodes, stderr); err != nil {
		return exitFatal, err
	}
	if err := checkNodeSettings(cfg.nodeFlags, nodeNames(set.nodes)); err != nil {
		return exitUsage, err
	}
	top := cfg.top
	if !cfg.topSet {
		if n := set.inferTop(); n > 0 {
			top = n
		}
	}
	r := newReport(set.nodes, top, cfg.rules, set.modelVersion)
	r.Filter = set.filter
	if set.filterNote != "" {
		fmt.Fprintf(stderr, "rdbscope: %s\n", set.filterNote)
	}

	if err := writeReportFiles(cfg.files, r, outs); err != nil {
		return exitFatal, err
	}
	if err := outs.Commit(); err != nil {
		return exitFatal, err
	}
	part, err := cfg.run.history.append(ctx, r, cfg.rules.Config, cfg.quiet, stderr)
	if err != nil {
		return exitFatal, err
	}
	if !cfg.quiet {
		w := stdout
		if outs.ToStdout() {
			w = stderr
		}
		opts := summaryOptions(w)
		opts.MinSeverity = cfg.minSev
		opts.Outputs = written(outs)
		if part != "" {
			opts.Outputs["history"] = part
		}
		if err := render.Text(w, r, opts); err != nil {
			return exitFatal, err
		}
	}
	return exitCode(r, cfg.failOn), nil
}

// profileSet is the nodes read from profiles, ready to be merged.
type profileSet struct {
	nodes        []*aggregate.Node
	modelVersion string
	// filter is the key filter every profile was made with, nil when
	// there was none or they differ (filterNote then says why).
	filter     *aggregate.KeyFilter
	filterNote string
	// generatedAt is the latest of the profiles' generated_at; settings
	// the maxmemory each profile judged its nodes with, and findings
	// theirs: what a night read from profiles recorded (trend).
	generatedAt string
	settings    *aggregate.Settings
	findings    []aggregate.Finding
}

// readProfiles reads every node of every profile. A node name seen twice
// is an error: merging a node with itself would double it silently.
func readProfiles(paths []string, stdin io.Reader) (*profileSet, error) {
	set := &profileSet{}
	where := map[string]string{}
	models := map[string]bool{}
	filters := 0
	for i, p := range paths {
		r, err := readProfile(p, stdin)
		if err != nil {
			return nil, err
		}
		if r.Filter != nil {
			filters++
		}
		switch {
		case i == 0:
			set.filter = r.Filter
		case !set.filter.Equal(r.Filter):
			set.filter, set.filterNote = nil, "the profiles were made with different key filters (--match, --db, "+
				"--type, --min-bytes, --no-ttl): the biggest-keys lists are of every key"
		}
		if r.Tool.ModelVersion != "" {
			models[r.Tool.ModelVersion] = true
		}
		set.generatedAt = max(set.generatedAt, r.Tool.GeneratedAt)
		set.findings = append(set.findings, r.Findings...)
		for _, n := range r.Nodes {
			if n == nil {
				continue
			}
			if prev, ok := where[n.Name]; ok {
				return nil, fmt.Errorf("%s: node %s is also in %s; each node must appear once (name nodes apart with analyze --name)", p, n.Name, prev)
			}
			where[n.Name] = p
			set.nodes = append(set.nodes, n)
			if mm := r.Settings.MaxmemoryOf(n.Name); mm > 0 {
				if set.settings == nil {
					set.settings = &aggregate.Settings{Config: aggregate.Config{MaxmemoryByNode: map[string]int64{}}}
				}
				set.settings.MaxmemoryByNode[n.Name] = mm
			}
		}
	}
	if len(set.nodes) == 0 {
		return nil, errors.New("the profiles hold no node")
	}
	if len(set.nodes) > aggregate.MaxNodes {
		return nil, fmt.Errorf("the profiles hold %d nodes, more than the %d one report merges", len(set.nodes), aggregate.MaxNodes)
	}
	if set.filter == nil {
		// Filtered lists only merge when every profile has the same.
		for _, n := range set.nodes {
			n.Filtered = nil
		}
		if filters == 0 {
			set.filterNote = ""
		}
	}
	ms := make([]string, 0, len(models))
	for m := range models {
		ms = append(ms, m)
	}
	sort.Strings(ms)
	set.modelVersion = strings.Join(ms, ",")
	if set.modelVersion == "" {
		set.modelVersion = memmodel.Version
	}
	return set, nil
}

func nodeNames(nodes []*aggregate.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n != nil {
			out = append(out, n.Name)
		}
	}
	return out
}

// readProfile reads one JSON report (see aggregate.DecodeReport) from
// path, - for stdin.
func readProfile(path string, stdin io.Reader) (*aggregate.Report, error) {
	if path == "-" {
		return aggregate.DecodeReport("stdin", stdin)
	}
	f, err := openProfile(context.Background(), path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return aggregate.DecodeReport(path, f)
}

// inferTop recovers the --top the profiles were made with: a node whose
// top list is shorter than its key count was cut at exactly --top. Without
// such a node every key of every node is listed, and the default applies.
func (s *profileSet) inferTop() int {
	top := 0
	for _, n := range s.nodes {
		if int64(len(n.TopKeys)) < n.Keys && len(n.TopKeys) > top {
			top = len(n.TopKeys)
		}
	}
	return top
}
