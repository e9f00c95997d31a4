package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/internal/bytesize"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/internal/worker"
	"github.com/rdbscope/rdbscope/parse"
	"github.com/rdbscope/rdbscope/render"
)

// analyzeConfig is everything the analyze command was asked to do.
type analyzeConfig struct {
	inputs       []string
	names        map[string]string
	jsonOut      string
	keysOut      string
	htmlOut      string
	docs         reportFiles // --markdown and --title
	top          int
	now          int64
	jobs         int
	progress     string
	noVerify     bool
	redisVersion string
	isolate      bool
	quiet        bool
	maxMemory    int64  // per-node parser memory limit; 0 = none
	maxKeyMemory int64  // memory one key may take to decode; 0 = no limit
	maxKeyName   string // how warnings name that limit
	cluster      scan.ClusterMode
	failOn       aggregate.Severity
	minSev       aggregate.Severity // --min-severity: the summary shows findings at or above it
	seps         []string
	prefixDepth  int
	rules        diagnose.Rules
	cpuProfile   string
	exports      exportFlags
	nameRegex    *nameRegex
	run          runFlags
	// nodeFlags names, per node a setting is about, the flag that set
	// it: checked once the inputs are known.
	nodeFlags map[string]string
	// servers is the servers' configuration (--redis-config), read into
	// what the memory model uses; nil when none was given.
	servers *serverConfigs
	// flagFiles are the files flags name for reading (--redis-config,
	// --cluster-nodes): no output may overwrite them.
	flagFiles []string
	// filter selects the keys of the biggest-keys lists and the per-key
	// export (--match, --db, --type, --min-bytes, --no-ttl); nil for all.
	filter *aggregate.KeyMatcher
}

// filterGroup is the help group of the filter flags.
const filterGroup = "Filters (biggest-keys lists and per-key exports only)"

// analyzeHelp is analyze's help besides its flags.
var analyzeHelp = helpDoc{
	usage: "rdbscope analyze [flags] INPUT...",
	about: []string{
		"Profile Redis and Valkey dumps offline, one node per dump: memory by type, encoding, TTL, key family and hash slot, " +
			"the biggest keys, and findings that say which node is in trouble and why.",
		"INPUT is an RDB file (plain, gzip, zstd or lz4), a directory of dumps, a tar archive of dumps, or - for " +
			"standard input. The summary goes to stdout (to stderr when an output uses stdout). See docs/cli.md.",
	},
	groups: []string{"Outputs", filterGroup,
		"Findings", "Key families and biggest keys", "Reading the dumps"},
	examples: []string{
		"rdbscope analyze --html report.html dumps/",
		"rdbscope analyze --maxmemory 4gb --maxmemory-policy volatile-lru dumps/",
		"rdbscope analyze --json - node-7202.rdb.gz | jq .findings",
		"rdbscope analyze -q --keys keys.csv --fail-on critical backup.tar.zst",
	},
}

func parseAnalyzeFlags(args []string, stdout, stderr io.Writer) (*analyzeConfig, error) {
	cfg := &analyzeConfig{names: map[string]string{}}
	fs := pflag.NewFlagSet("analyze", pflag.ContinueOnError)
	fs.SortFlags = false
	var names []string
	var now string
	fs.StringVar(&cfg.jsonOut, "json", "", "write the JSON report to `FILE` (- for stdout)")
	fs.StringVar(&cfg.htmlOut, "html", "", "write the self-contained HTML report to `FILE`")
	fs.StringVar(&cfg.keysOut, "keys", "", "write every key, one row each, to `FILE`: .csv, .jsonl or .parquet by extension (- for CSV on stdout)")
	addDocumentFlags(fs, &cfg.docs)
	addExportFlags(fs, &cfg.exports)
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "no terminal summary")
	inGroup(fs, "Outputs", "json", "html", "markdown", "title", "keys", "metrics", "top-csv", "families-csv", "quiet")

	rf := addRuleFlags(fs)
	var redisConfigs []string
	fs.StringArrayVar(&redisConfigs, "redis-config", nil, "the servers' configuration: a redis.conf, CONFIG GET * output or INFO capture in `FILE`, "+
		"or NODE=FILE for one node (repeatable); sets encoding limits, list compression, maxmemory and the policy")
	inGroup(fs, "Findings", "redis-config")

	fs.IntVar(&cfg.top, "top", aggregate.DefaultTopN, "keep the `N` biggest keys, overall and per type")
	fs.StringArrayVar(&cfg.seps, "sep", nil, "key segment separator `S` for families and prefixes (repeatable; default: detected from each node's keys)")
	fs.IntVar(&cfg.prefixDepth, "prefix-depth", aggregate.DefaultPrefixDepth, "prefix tables go `N` segments deep")
	inGroup(fs, "Key families and biggest keys", "top", "sep", "prefix-depth")

	var kf aggregate.KeyFilter
	var minBytes string
	fs.StringArrayVar(&kf.Match, "match", nil, "only keys whose name matches `PATTERN`: a glob as SCAN MATCH reads it (user:*:cart), "+
		"or re:REGEX (repeatable: any of them)")
	fs.IntSliceVar(&kf.DBs, "db", nil, "only keys of database `N` (repeatable, or 0,1)")
	fs.StringSliceVar(&kf.Types, "type", nil, "only keys of `TYPE`: "+strings.Join(aggregate.FilterTypes, ", ")+" (repeatable, or hash,zset)")
	fs.StringVar(&minBytes, "min-bytes", "", "only keys of at least `SIZE` of memory (e.g. 1mb)")
	fs.BoolVar(&kf.NoTTL, "no-ttl", false, "only keys without a TTL")
	inGroup(fs, filterGroup,
		"match", "db", "type", "min-bytes", "no-ttl")

	fs.IntVarP(&cfg.jobs, "jobs", "j", runtime.NumCPU(), "parse `N` nodes in parallel (default: the number of CPUs)")
	addProgressFlag(fs, &cfg.progress, "progress bars on stderr (auto: when stderr is a terminal that can redraw them)")
	fs.StringArrayVar(&names, "name", nil, "name the node whose dump is PATH (`NAME=PATH`, repeatable)")
	fs.StringVar(&now, "now", "", "reference `TIME` of the expiry buckets, RFC 3339 or Unix seconds (default: each dump's ctime)")
	fs.BoolVar(&cfg.noVerify, "no-verify", false, "analyze a dump whose CRC64 checksum does not match (its figures are then unverified)")
	fs.StringVar(&cfg.redisVersion, "redis-version", "", "memory model `VERSION` to use instead of the dump's redis-ver (e.g. 7.2, valkey-8.0)")
	var cluster string
	fs.StringVar(&cluster, "cluster", "auto", "whether the nodes run in cluster mode (auto: as the dump, --cluster-nodes or the keys' slots tell)")
	choices(fs, "cluster", "auto", "yes", "no")
	fs.BoolVar(&cfg.isolate, "isolate", true, "parse each node in a child process, so that a dump that exhausts memory fails alone (--isolate=false: in this process)")
	var maxMem, maxMemOld, maxKeyMem string
	fs.StringVar(&maxMem, "parser-memory-limit", "", "limit each node's parser process to `SIZE` more memory (e.g. 2gb): "+
		"a node that needs more fails alone. Not the nodes' maxmemory (that is --maxmemory)")
	fs.StringVar(&maxMemOld, "max-memory", "", "deprecated name of --parser-memory-limit")
	_ = fs.MarkDeprecated("max-memory", "it is rdbscope's own memory limit, now --parser-memory-limit; the nodes' maxmemory is --maxmemory")
	fs.StringVar(&maxKeyMem, "max-key-memory", "auto", "decode no key that would take more than `SIZE` (judged as "+fmt.Sprint(keyExpansion)+
		"× its decompressed serialized size); such keys are estimated from their serialized size, with a warning. "+
		"auto: a quarter of the available memory shared among --jobs (256mb to 4gb), and at most half of --parser-memory-limit; none: no limit")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (with --isolate=false to include parsing)")
	inGroup(fs, "Reading the dumps", "jobs", "progress", "name", "now", "no-verify", "redis-version", "cluster", "isolate",
		"parser-memory-limit", "max-key-memory", "cpuprofile")
	cfg.run.add(fs)
	inGroup(fs, "Outputs", "history", "cluster-name")
	inGroup(fs, "Reading the dumps", "name-regex")

	if err := parseFlags(fs, analyzeHelp, args, stdout); err != nil {
		return nil, err
	}
	if err := checkOutputValues(fs, "analyze"); err != nil {
		return nil, err
	}
	var err error
	if minBytes != "" {
		if kf.MinBytes, err = parseSizeFlag("--min-bytes", minBytes); err != nil {
			return nil, err
		}
	}
	if !kf.IsZero() {
		if cfg.filter, err = kf.Compile(); err != nil {
			return nil, filterFlagError(err)
		}
	}
	limitFlag := "--parser-memory-limit"
	if maxMemOld != "" {
		if maxMem != "" {
			return nil, usageError{"--max-memory is the old name of --parser-memory-limit: give one of them"}
		}
		maxMem, limitFlag = maxMemOld, "--max-memory"
		warnDeprecatedMaxMemory(stderr)
	}
	if maxMem != "" {
		n, err := bytesize.Parse(maxMem)
		if err != nil || n <= 0 {
			return nil, usageError{fmt.Sprintf("%s %q: want a size such as 2gb", limitFlag, maxMem)}
		}
		cfg.maxMemory = n
	}
	if cfg.maxKeyMemory, cfg.maxKeyName, err = keyMemoryFlag(maxKeyMem, cfg.maxMemory, cfg.jobs); err != nil {
		return nil, err
	}
	switch cluster {
	case "auto":
		cfg.cluster = scan.ClusterAuto
	case "yes":
		cfg.cluster = scan.ClusterOn
	case "no":
		cfg.cluster = scan.ClusterOff
	default:
		return nil, usageError{fmt.Sprintf("--cluster %q: want auto, yes or no", cluster)}
	}
	if err := rf.resolve(); err != nil {
		return nil, err
	}
	if err := cfg.exports.resolve(); err != nil {
		return nil, err
	}
	if len(redisConfigs) > 0 {
		sc, err := loadServerConfigs(redisConfigs, &rf.rules)
		if err != nil {
			return nil, usageError{"--redis-config: " + err.Error()}
		}
		cfg.servers = sc
	}
	cfg.rules, cfg.failOn, cfg.minSev = rf.rules, rf.failOn, rf.minSev
	cfg.nodeFlags = cfg.servers.nodeSettings(rf.nodeSettings())
	if cfg.nameRegex, err = cfg.run.resolve(&cfg.rules.Config, stderr); err != nil {
		return nil, err
	}
	cfg.flagFiles = rf.flagFiles()
	for _, spec := range redisConfigs {
		// FILE or NODE=FILE: either may be the file.
		cfg.flagFiles = append(cfg.flagFiles, spec)
		if _, p, ok := strings.Cut(spec, "="); ok {
			cfg.flagFiles = append(cfg.flagFiles, p)
		}
	}
	if cfg.rules.Cluster != nil && cfg.cluster == scan.ClusterAuto {
		cfg.cluster = scan.ClusterOn
	}
	cfg.inputs = fs.Args()
	if len(cfg.inputs) == 0 {
		return nil, usageError{"no INPUT given: name the dumps to analyze (files, directories, tar archives, - for stdin)"}
	}
	for _, n := range names {
		name, path, ok := strings.Cut(n, "=")
		if !ok || name == "" || path == "" {
			return nil, usageError{fmt.Sprintf("--name %q: want NAME=PATH", n)}
		}
		cfg.names[name] = path
	}
	if now != "" {
		t, err := parseTime(now)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--now %q: %v", now, err)}
		}
		cfg.now = t
	}
	if err := checkProgress(cfg.progress); err != nil {
		return nil, err
	}
	if cfg.jobs < 1 {
		return nil, usageError{"--jobs must be at least 1"}
	}
	if cfg.top < 1 {
		return nil, usageError{"--top must be at least 1"}
	}
	if cfg.keysOut != "" {
		if _, err := keysFormat(cfg.keysOut); err != nil {
			return nil, usageError{err.Error()}
		}
	}
	return cfg, nil
}

// nameInputs applies --name-regex to the inputs --name did not name.
func (cfg *analyzeConfig) nameInputs(inputs []parse.Input, stderr io.Writer) error {
	named := map[string]bool{}
	for name := range cfg.names {
		named[name] = true
	}
	ps := make([]*string, len(inputs))
	for i := range inputs {
		ps[i] = &inputs[i].Name
	}
	return cfg.nameRegex.renameAll(ps, func(n string) bool { return named[n] }, stderr)
}

func inputNames(inputs []parse.Input) []string {
	out := make([]string, len(inputs))
	for i, in := range inputs {
		out[i] = in.Name
	}
	return out
}

func parseTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, errors.New("want RFC 3339 (2026-11-27T15:04:05Z) or Unix seconds")
	}
	return t.Unix(), nil
}

func analyzeCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseAnalyzeFlags(args, stdout, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, nil
	}
	if err != nil {
		return exitUsage, err
	}
	outs := cfg.outputs(stdin, stdout)
	if err := outs.Open(ctx); err != nil {
		return outputError(err)
	}
	defer outs.Abort()
	if err := cfg.run.history.open(ctx); err != nil {
		return exitFatal, err
	}
	if w := outs.Writer("--cpuprofile"); w != nil {
		if err := pprof.StartCPUProfile(w); err != nil {
			return exitFatal, fmt.Errorf("--cpuprofile %s: %w", cfg.cpuProfile, err)
		}
		defer pprof.StopCPUProfile() // a no-op once stopped
	}
	store := newObjectStore(stderr)
	inputs, err := expandInputs(ctx, cfg.inputs, cfg.names, store)
	if err != nil {
		return exitFatal, err
	}
	if err := cfg.nameInputs(inputs, stderr); err != nil {
		return exitFatal, err
	}
	if err := checkNodeSettings(cfg.nodeFlags, inputNames(inputs)); err != nil {
		return exitUsage, err
	}
	keys, err := openKeySink(cfg.keysOut, outs.Writer("--keys"), inputs, cfg.seps, cfg.filter)
	if err != nil {
		return exitFatal, err
	}

	prog := newProgress(cfg.progress, stderr, inputs)
	store.report(prog.writer(stderr))
	nodes := scanNodes(ctx, inputs, stdin, cfg.scanConfig(keys, prog))
	prog.wait()
	if keys != nil {
		if err := keys.Close(); err != nil {
			return exitFatal, fmt.Errorf("--keys %s: %w", cfg.keysOut, err)
		}
	}
	if ctx.Err() != nil {
		return exitFatal, errors.New("interrupted")
	}

	report := newReport(nodes, cfg.top, cfg.rules, memmodel.Version)
	if cfg.filter != nil {
		f := cfg.filter.Filter()
		report.Filter = &f
	}
	if err := writeReportFiles(cfg.files(), report, outs); err != nil {
		return exitFatal, err
	}
	pprof.StopCPUProfile()
	if err := outs.Commit(); err != nil {
		return exitFatal, err
	}
	part, err := cfg.run.history.append(ctx, report, cfg.rules.Config, cfg.quiet, stderr)
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
		if err := render.Text(w, report, opts); err != nil {
			return exitFatal, err
		}
	} else {
		// Quiet runs still say why they exit non-zero: cron mails stderr.
		for _, n := range report.Nodes {
			if !n.Complete {
				fmt.Fprintf(stderr, "rdbscope: node %s incomplete: %s\n", aggregate.CleanText(n.Name), aggregate.CleanText(n.Error))
			}
		}
	}
	code := exitCode(report, cfg.failOn)
	if names := unverifiedNodes(report); len(names) > 0 && !cfg.noVerify {
		warnUnverified(stderr, names)
		code = exitIncomplete // before findings, as in exitCode
	}
	return code, nil
}

// warnUnverified says why a run exits 3 for dumps without a CRC64. A dump
// of RDB 5 or later always carries one unless the server ran with
// rdbchecksum no; a zero one may as well be a corrupted trailer, so the
// run does not pass as verified.
func warnUnverified(stderr io.Writer, names []string) {
	fmt.Fprintf(stderr, "rdbscope: %s: no CRC64 checksum in the dump, so its figures are unverified (exit %d); --no-verify accepts dumps written with rdbchecksum no\n",
		aggregate.CleanText(strings.Join(names, ", ")), exitIncomplete)
}

// unverifiedNodes names the nodes whose dump should carry a CRC64 (RDB 5
// or later) and carries none.
func unverifiedNodes(r *aggregate.Report) []string {
	var out []string
	for _, n := range r.Nodes {
		if s := n.Source; s != nil && s.RDBVersion >= 5 && s.Checksum == parse.ChecksumAbsent {
			out = append(out, n.Name)
		}
	}
	return out
}

func exitCode(r *aggregate.Report, failOn aggregate.Severity) int {
	complete := 0
	for _, n := range r.Nodes {
		if n.Complete {
			complete++
		}
	}
	if complete < len(r.Nodes) || missingNode(r.Findings) {
		// A report was written: it says which node failed (or has no
		// dump) and covers the rest (and whatever the failed node held
		// before the failure).
		return exitIncomplete
	}
	if diagnose.FailOn(r.Findings, failOn) {
		return exitFindings
	}
	return exitOK
}

// keyExpansion is how many times its serialized size decoding one key
// takes at peak: the parser holds the record while the decoder builds the
// value (measured at about 7.5 on a 5 M-field hash, docs/robustness.md).
const keyExpansion = 8

// keyMemoryFlag resolves --max-key-memory (auto, none or a size) into the
// memory one key may take to decode (0: no limit) and the way warnings
// name it, as the user wrote it. The default is safe on hostile input: a
// key that would exhaust the machine's memory, or the --parser-memory-limit of its
// parser, is estimated instead of decoded (issue 12, items 5 and 7).
func keyMemoryFlag(v string, maxMemory int64, jobs int) (int64, string, error) {
	switch v {
	case "none":
		return 0, "", nil
	case "", "auto":
		n := defaultKeyMemory(worker.AvailableMemory(), jobs)
		if maxMemory > 0 {
			n = min(n, max(maxMemory/2, 1))
		}
		return n, "--max-key-memory auto (" + strings.ToLower(bytesize.Format(n, bytesize.Short)) + ")", nil
	}
	n, err := bytesize.Parse(v)
	if err != nil || n <= 0 {
		return 0, "", usageError{fmt.Sprintf("--max-key-memory %q: want a size such as 256mb, auto or none", v)}
	}
	return n, "--max-key-memory " + v, nil
}

// defaultKeyMemory is --max-key-memory auto: a quarter of the available
// memory shared among the nodes parsed at once, between 256 MB (or half
// of what is available, when that is less) and 4 GB; 1 GB when the
// available memory cannot be told.
func defaultKeyMemory(available int64, jobs int) int64 {
	if available <= 0 {
		return 1 << 30
	}
	floor := min(256<<20, max(available/2, 16<<20))
	return min(max(available/4/int64(max(jobs, 1)), floor), 4<<30)
}

// keyBytesLimit turns --max-key-memory into the parser's limit on a key's
// serialized size (0 = none).
func keyBytesLimit(maxKeyMemory int64) int64 {
	if maxKeyMemory <= 0 {
		return 0
	}
	return max(1, maxKeyMemory/keyExpansion)
}

// scanConfig is how analyze scans its inputs; keys and prog may be nil.
func (cfg *analyzeConfig) scanConfig(keys *keyExport, prog *progress) worker.Config {
	wc := worker.Config{
		Jobs: cfg.jobs, Isolate: cfg.isolate, MaxMemory: cfg.maxMemory,
		Scan: scan.Options{
			NoVerify: cfg.noVerify, Model: cfg.redisVersion, Cluster: cfg.cluster,
			MaxKeyBytes: keyBytesLimit(cfg.maxKeyMemory), MaxKeyName: cfg.maxKeyName,
		},
		NodeScan: func(name string, o scan.Options) scan.Options {
			o.Config = cfg.servers.modelConfig(name, cfg.rules)
			return o
		},
		Profile: aggregate.Options{TopN: cfg.top, Now: cfg.now, Separators: cfg.seps, PrefixDepth: cfg.prefixDepth, Filter: cfg.filter},
	}
	if keys != nil {
		wc.Keys = keys
	}
	if prog != nil {
		wc.Progress = func(i int, n int64) { prog.bar(i).set(n) }
	}
	if keys != nil || prog != nil {
		wc.Done = func(i int, err error) {
			if keys != nil {
				keys.Done(i)
			}
			prog.bar(i).finish(err)
		}
	}
	return wc
}

// scanNodes scans inputs into node profiles: the one way analyze and diff
// turn dumps into profiles. Standard input is read from stdin.
func scanNodes(ctx context.Context, inputs []parse.Input, stdin io.Reader, wc worker.Config) []*aggregate.Node {
	for i, in := range inputs {
		if in.Path == "-" {
			inputs[i] = in.Ref.Stream(in.Name, io.NopCloser(stdin))
		}
	}
	nodes := worker.Nodes(ctx, inputs, wc)
	addAOFWarnings(inputs, nodes)
	return nodes
}

// warnDeprecatedMaxMemory says --max-memory is the parser's limit under
// its old name (help hides it; parseFlags discards pflag's own notice).
func warnDeprecatedMaxMemory(stderr io.Writer) {
	fmt.Fprintln(stderr, "rdbscope: Flag --max-memory has been deprecated: it is rdbscope's own memory limit, now --parser-memory-limit; the nodes' maxmemory is --maxmemory")
}
