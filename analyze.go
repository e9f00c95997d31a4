package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/internal/bytesize"
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
	top          int
	now          int64
	jobs         int
	progress     string
	noVerify     bool
	redisVersion string
	isolate      bool
	quiet        bool
	maxMemory    int64 // per-node parser memory limit; 0 = none
	maxKeyMemory int64 // memory one key may take to decode; 0 = no limit
	cluster      string
	failOn       aggregate.Severity
	seps         []string
	prefixDepth  int
	rules        diagnose.Rules
	cpuProfile   string
	exports      exportFlags
	// servers is the servers' configuration (--redis-config), read into
	// what the memory model uses; nil when none was given.
	servers *serverConfigs
}

func parseAnalyzeFlags(args []string, stderr io.Writer) (*analyzeConfig, error) {
	cfg := &analyzeConfig{names: map[string]string{}}
	fs := pflag.NewFlagSet("analyze", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rdbscope analyze [flags] INPUT...\n\nINPUT is an RDB file (plain, gzip, zstd or lz4), a directory of dumps, a tar archive of dumps, or - for stdin.\nEach dump is one node.\n\nFlags:\n%s", fs.FlagUsages())
	}
	var names []string
	var now string
	fs.StringVar(&cfg.jsonOut, "json", "", "write the JSON report to `FILE` (- for stdout)")
	fs.StringVar(&cfg.keysOut, "keys", "", "write every key, one row each, to `FILE` (.csv, .jsonl or .parquet)")
	fs.StringVar(&cfg.htmlOut, "html", "", "write the self-contained HTML report to `FILE` (default: none)")
	fs.IntVar(&cfg.top, "top", aggregate.DefaultTopN, "keep the `N` biggest keys, overall and per type")
	fs.StringVar(&now, "now", "", "reference `TIME` for expiry buckets (RFC 3339 or Unix seconds; default: each dump's ctime)")
	fs.IntVarP(&cfg.jobs, "jobs", "j", runtime.NumCPU(), "parse `N` nodes in parallel")
	fs.StringVar(&cfg.progress, "progress", "auto", "progress bars on stderr: auto (when a terminal), always, never")
	fs.StringArrayVar(&names, "name", nil, "name the node of `NAME=PATH` (repeatable)")
	fs.BoolVar(&cfg.noVerify, "no-verify", false, "go on when a dump's CRC64 checksum does not match (figures are then unverified)")
	fs.StringVar(&cfg.redisVersion, "redis-version", "", "memory model `VERSION` to use instead of the dump's redis-ver (e.g. 7.2, valkey-8.0)")
	fs.BoolVar(&cfg.isolate, "isolate", true, "parse each node in its own process, so a dump that exhausts memory fails alone")
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "no terminal summary")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (with --isolate=false to include parsing)")
	var maxMem string
	var maxKeyMem string
	fs.StringVar(&maxKeyMem, "max-key-memory", "", "decode no key that would take more than `SIZE` of memory (judged as "+fmt.Sprint(keyExpansion)+"× its serialized size); such keys are estimated from their serialized size, with a warning")
	fs.StringVar(&maxMem, "max-memory", "", "limit each node's parser process to `SIZE` more memory (e.g. 2gb); a node that needs more is reported as too large instead of getting the run OOM-killed")
	fs.StringVar(&cfg.cluster, "cluster", "auto", "treat nodes as Redis Cluster nodes: auto, yes, no (auto: SLOT_INFO in the dump, --cluster-nodes, or keys confined to part of the slot space)")
	var redisConfigs []string
	fs.StringArrayVar(&redisConfigs, "redis-config", nil, "the configuration of the server(s) that load the dumps: a redis.conf, CONFIG GET * output or an INFO capture in `FILE`, or NODE=FILE for one node (repeatable): encoding limits, list compression, maxmemory and policy")

	addExportFlags(fs, &cfg.exports)

	// Key families and findings.
	rf := addRuleFlags(fs)
	fs.StringArrayVar(&cfg.seps, "sep", nil, "key segment `SEPARATOR` for families and prefixes (repeatable; default: detected from each node's keys)")
	fs.IntVar(&cfg.prefixDepth, "prefix-depth", aggregate.DefaultPrefixDepth, "prefix hierarchy `DEPTH`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if maxMem != "" {
		n, err := bytesize.Parse(maxMem)
		if err != nil || n <= 0 {
			return nil, usageError{fmt.Sprintf("--max-memory %q: want a size such as 2gb", maxMem)}
		}
		cfg.maxMemory = n
	}
	if maxKeyMem != "" {
		n, err := bytesize.Parse(maxKeyMem)
		if err != nil || n <= 0 {
			return nil, usageError{fmt.Sprintf("--max-key-memory %q: want a size such as 256mb", maxKeyMem)}
		}
		cfg.maxKeyMemory = n
	}
	switch cfg.cluster {
	case "auto", "yes", "no":
	default:
		return nil, usageError{fmt.Sprintf("--cluster %q: want auto, yes or no", cfg.cluster)}
	}
	if err := rf.resolve(); err != nil {
		return nil, err
	}
	if len(redisConfigs) > 0 {
		sc, err := loadServerConfigs(redisConfigs, &rf.rules)
		if err != nil {
			return nil, usageError{"--redis-config: " + err.Error()}
		}
		cfg.servers = sc
	}
	cfg.rules, cfg.failOn = rf.rules, rf.failOn
	if cfg.rules.Cluster != nil && cfg.cluster == "auto" {
		cfg.cluster = "yes"
	}
	cfg.inputs = fs.Args()
	if len(cfg.inputs) == 0 {
		return nil, usageError{"analyze: no INPUT given"}
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
	switch cfg.progress {
	case "auto", "always", "never":
	default:
		return nil, usageError{fmt.Sprintf("--progress %q: want auto, always or never", cfg.progress)}
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
	cfg, err := parseAnalyzeFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, nil
	}
	if err != nil {
		return exitUsage, err
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return exitFatal, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return exitFatal, err
		}
		defer pprof.StopCPUProfile()
	}
	inputs, err := parse.Expand(cfg.inputs, cfg.names)
	if err != nil {
		return exitFatal, err
	}
	if err := checkOutputs(cfg, inputs, stdin); err != nil {
		return exitUsage, err
	}

	outs := &outputs{}
	defer outs.abort()
	keys, err := openKeySink(cfg.keysOut, outs, stdout)
	if err != nil {
		return exitFatal, err
	}

	prog := newProgress(cfg.progress, stderr, inputs)
	nodes := analyzeAll(ctx, cfg, inputs, stdin, keys, prog)
	prog.wait()
	if keys != nil {
		if err := keys.Close(); err != nil {
			return exitFatal, fmt.Errorf("--keys %s: %w", cfg.keysOut, err)
		}
	}
	if ctx.Err() != nil {
		return exitFatal, errors.New("interrupted")
	}

	report := buildReport(cfg, nodes)
	if err := writeOutputs(cfg, report, outs, stdout); err != nil {
		return exitFatal, err
	}
	if err := outs.commit(); err != nil {
		return exitFatal, err
	}
	if !cfg.quiet {
		w := stdout
		if cfg.files().toStdout(cfg.keysOut) {
			w = stderr
		}
		written := cfg.files().written(cfg.keysOut)
		if err := render.Text(w, report, render.TextOptions{Outputs: written}); err != nil {
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
	return exitCode(report, cfg.failOn), nil
}

func exitCode(r *aggregate.Report, failOn aggregate.Severity) int {
	complete := 0
	for _, n := range r.Nodes {
		if n.Complete {
			complete++
		}
	}
	if complete < len(r.Nodes) {
		// A report was written: it says which node failed and covers the
		// rest (and whatever the failed node held before the failure).
		return exitIncomplete
	}
	if diagnose.FailOn(r.Findings, failOn) {
		return exitFindings
	}
	return exitOK
}

// checkOutputs refuses to write over an input: a report must never destroy
// the dump it describes.
func checkOutputs(cfg *analyzeConfig, inputs []parse.Input, stdin io.Reader) error {
	ins := map[string]bool{}
	for _, in := range inputs {
		if in.Path == "-" {
			// "- < dump.rdb": stdin may be the very file an output names.
			if f, ok := stdin.(*os.File); ok {
				if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
					ins[fmt.Sprint(fileID(fi))] = true
				}
			}
			continue
		}
		if abs, err := filepath.Abs(in.Path); err == nil {
			ins[abs] = true
		}
		if fi, err := os.Stat(in.Path); err == nil {
			ins[fmt.Sprint(fileID(fi))] = true
		}
	}
	return checkOutputPaths(cfg.files().paths(cfg.keysOut), ins)
}

// collector folds one node's stream into its profile (the parent side of
// the emitter).
type collector struct {
	name     string
	override string // --redis-version
	mode     string // --cluster: auto, yes, no
	config   memmodel.Config
	builder  *aggregate.Builder
	keysOut  keySink
	src      *parse.Source
	model    string
	note     string
	warns    []string
	expires  map[int]int64 // keys with a TTL per db, for the expires dict overhead
	extra    int64         // allocator cost of the keys beyond MEMORY USAGE
	bar      func(int64)

	// Cluster mode changes what each key costs on Redis < 7.4, and those
	// dumps do not say whether they come from a cluster. Under --cluster
	// auto the first keys are held back until they tell (see
	// looksLikeCluster); the parser estimated them as standalone, so
	// cluster nodes get the per-key difference added here.
	decided    bool
	cluster    bool
	clusterWhy string // how cluster mode was decided, for the model note
	delta      int64
	pending    []aggregate.Key
}

// clusterSample is how many keys decide --cluster auto. Redis < 7.4 writes
// keys in hash table order, which is random, so the first keys are a fair
// sample of the slots the node holds.
const clusterSample = 1024

// keyExpansion is how many times its serialized size decoding one key
// takes at peak: the parser holds the record while the decoder builds the
// value (measured at about 7.5 on a 5 M-field hash, docs/robustness.md).
const keyExpansion = 8

func (c *collector) source(src *parse.Source, model, note string) error {
	c.src = src
	c.model, c.note = model, note
	c.builder.SetSource(toSource(src))
	switch {
	case c.mode == "no":
		c.decided = true
		c.clusterWhy = "standalone (--cluster no)"
	case c.mode == "yes":
		// The parser knew too and estimated for a cluster already.
		c.decided, c.cluster = true, true
		c.clusterWhy = "cluster mode (--cluster yes)"
	case src.SlotInfos > 0:
		c.decided, c.cluster = true, true
		c.clusterWhy = "cluster mode (the dump has SLOT_INFO)"
	}
	return nil
}

func (c *collector) key(k *aggregate.Key) error {
	if !c.decided {
		kc := *k
		kc.Key = strings.Clone(k.Key)
		c.pending = append(c.pending, kc)
		if len(c.pending) < clusterSample {
			return nil
		}
		return c.decide()
	}
	return c.add(k)
}

// flush settles --cluster auto for nodes with fewer keys than the sample.
func (c *collector) flush() error {
	if c.decided || c.src == nil {
		return nil
	}
	return c.decide()
}

// decide settles --cluster auto on the held-back keys and folds them in.
func (c *collector) decide() error {
	c.decided = true
	if aggregate.LooksLikeCluster(c.pending) {
		c.cluster = true
		m, _, _ := chooseModel(c.src, c.override, false, c.config)
		c.delta = m.ClusterKeyBytes()
		c.clusterWhy = "cluster mode (detected: the keys fall in part of the hash slot space; --cluster no to override)"
	} else {
		c.clusterWhy = "standalone (detected; --cluster yes to override)"
	}
	ks := c.pending
	c.pending = nil
	for i := range ks {
		if err := c.add(&ks[i]); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) add(k *aggregate.Key) error {
	k.Memory += c.delta
	c.builder.Add(k)
	if k.ExpiresAt != 0 {
		c.expires[k.DB]++
	}
	if c.keysOut != nil {
		return c.keysOut.Write(c.name, k)
	}
	return nil
}

func (c *collector) nodeExtra(n int64) error {
	c.extra += n
	return nil
}

func (c *collector) warnings(ws []string) error {
	c.warns = append(c.warns, ws...)
	return nil
}

func (c *collector) progress(n int64) {
	if c.bar != nil {
		c.bar(n)
	}
}

// keyBytesLimit turns --max-key-memory into the parser's limit on a key's
// serialized size (0 = none).
func keyBytesLimit(maxKeyMemory int64) int64 {
	if maxKeyMemory <= 0 {
		return 0
	}
	return max(1, maxKeyMemory/keyExpansion)
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func analyzeAll(ctx context.Context, cfg *analyzeConfig, inputs []parse.Input, stdin io.Reader, keys keySink, prog *progress) []*aggregate.Node {
	nodes := make([]*aggregate.Node, len(inputs))
	sem := make(chan struct{}, cfg.jobs)
	var wg sync.WaitGroup
	for i, in := range inputs {
		// Taking the slot before starting the goroutine starts nodes in
		// input order, so that -j 1 is fully sequential and reproducible.
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nodes[i] = analyzeOne(ctx, cfg, in, stdin, keys, prog.bar(i))
		}()
	}
	wg.Wait()
	return nodes
}

func analyzeOne(ctx context.Context, cfg *analyzeConfig, in parse.Input, stdin io.Reader, keys keySink, bar *nodeBar) *aggregate.Node {
	c := &collector{
		name:     in.Name,
		override: cfg.redisVersion,
		mode:     cfg.cluster,
		config:   cfg.servers.modelConfig(in.Name, cfg.rules),
		builder: aggregate.NewBuilder(in.Name, aggregate.Options{
			TopN: cfg.top, Now: cfg.now, Separators: cfg.seps, PrefixDepth: cfg.prefixDepth,
		}),
		keysOut: keys,
		expires: map[int]int64{},
		bar:     bar.set,
	}
	spec := workerSpec{
		Name: in.Name, Ref: in.Ref, NoVerify: cfg.noVerify,
		RedisVersion: cfg.redisVersion, Cluster: cfg.cluster == "yes", MaxMemory: cfg.maxMemory,
		MaxKeyBytes: keyBytesLimit(cfg.maxKeyMemory),
		Config:      c.config,
	}
	var src *parse.Source
	var err error
	if cfg.isolate {
		src, err = runIsolated(ctx, in, spec, stdin, c)
	} else {
		src, err = parseNode(ctx, in, spec, c)
	}
	if src != nil && c.src == nil {
		c.src = src
	}
	if ferr := c.flush(); ferr != nil && err == nil {
		err = ferr
	}
	bar.finish(err)
	if src != nil {
		c.src = src
	}
	n := c.builder.Node()
	n.Source = toSource(c.src)
	if n.Source == nil {
		n.Source = &aggregate.Source{Path: in.Path, Member: in.Member, Checksum: parse.ChecksumUnknown}
	}
	n.Model, n.ModelNote = c.model, joinNote(c.note, c.clusterWhy)
	n.Warnings = append([]string{}, c.warns...)
	if c.src != nil {
		n.Warnings = append(n.Warnings, c.src.Warnings...)
		if c.src.Checksum == parse.ChecksumMismatch && err == nil {
			// Only --no-verify gets here with a mismatch: say it everywhere
			// the figures are shown.
			n.Warnings = append(n.Warnings, "CRC64 checksum mismatch: the dump is corrupt and these figures are unverified (--no-verify)")
		}
	}
	if c.cluster {
		if dbs := slices.Sorted(maps.Keys(n.ByDB)); len(dbs) > 0 && dbs[len(dbs)-1] != 0 {
			n.Warnings = append(n.Warnings, fmt.Sprintf("treated as a cluster node, but it has keys in db %d: cluster nodes have db 0 only", dbs[len(dbs)-1]))
		}
	}
	n.Complete = err == nil
	n.ErrorOffset = -1
	if err != nil {
		n.Error = err.Error()
		var pe *parse.Error
		if errors.As(err, &pe) {
			n.ErrorOffset = pe.Offset
		}
	}
	fillOverhead(n, c.src, cfg.redisVersion, c.cluster, c.config, c.expires, c.extra)
	return n
}

// toSource copies what the report shows of a parse.Source.
func toSource(s *parse.Source) *aggregate.Source {
	if s == nil {
		return nil
	}
	out := &aggregate.Source{
		Path: s.Path, Member: s.Member, Bytes: s.Bytes, SHA256: s.SHA256, Compression: s.Compression,
		Magic: s.Magic, RDBVersion: s.RDBVersion, RedisVersion: s.RedisVersion, RedisBits: s.RedisBits,
		CTime: s.CTime, UsedMem: s.UsedMem, AOFBase: s.AOFBase, ReplID: s.ReplID, ReplOffset: s.ReplOffset,
		SlotInfos: s.SlotInfos, KeyMetas: s.KeyMetas, Checksum: s.Checksum,
	}
	for _, d := range s.DBSizes {
		out.DBSizes = append(out.DBSizes, aggregate.DBSize{DB: d.DB, Keys: d.Keys, Expires: d.Expires})
	}
	return out
}

func buildReport(cfg *analyzeConfig, nodes []*aggregate.Node) *aggregate.Report {
	return newReport(nodes, cfg.top, cfg.rules, modelVersion())
}

func writeOutputs(cfg *analyzeConfig, r *aggregate.Report, outs *outputs, stdout io.Writer) error {
	return writeReportFiles(cfg.files(), r, outs, stdout)
}

// outputs writes each output to a temporary file beside its destination
// and renames it into place only when the run succeeds, so an interrupted
// run never leaves a half-written report over a good one.
type outputs struct {
	files []*pendingFile
}

type pendingFile struct {
	f    *os.File
	dest string
}

func (o *outputs) create(path string, stdout io.Writer) (io.Writer, error) {
	if path == "-" {
		return stdout, nil
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	o.files = append(o.files, &pendingFile{f: f, dest: path})
	return f, nil
}

func (o *outputs) commit() error {
	for _, p := range o.files {
		if err := p.f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", p.dest, err)
		}
		if err := os.Chmod(p.f.Name(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p.dest, err)
		}
		if err := os.Rename(p.f.Name(), p.dest); err != nil {
			return fmt.Errorf("write %s: %w", p.dest, err)
		}
	}
	o.files = nil
	return nil
}

// abort removes temporary files of outputs that were not committed.
func (o *outputs) abort() {
	for _, p := range o.files {
		p.f.Close()
		os.Remove(p.f.Name())
	}
	o.files = nil
}
