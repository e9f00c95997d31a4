package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/diff"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/internal/objstore"
	"github.com/rdbscope/rdbscope/internal/output"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/internal/worker"
	"github.com/rdbscope/rdbscope/render"
)

// diffConfig is everything the diff command was asked to do.
type diffConfig struct {
	oldIn, newIn string
	jsonOut      string
	htmlOut      string
	quiet        bool
	jobs         int
	failOnFlag   string
	failOn       aggregate.Severity // from failOnFlag; 0 never fails
	opts         diff.Options
	fleet        fleetFlags
	nameRegex    *nameRegex
	noVerify     bool   // as analyze's --no-verify, for sides that are dumps
	progress     string // as analyze's --progress, for sides that are dumps

	// unverified names the nodes of dump sides that carry no CRC64 although
	// their RDB version has one: the diff exits 3 for them, as analyze does.
	unverified []string
}

// diffHelp is diff's help besides its flags.
var diffHelp = helpDoc{
	usage: "rdbscope diff [flags] OLD NEW",
	about: []string{
		"Compare two snapshots of the same nodes: what grew or shrank by node, type, family and key, new big keys, " +
			"keys and families that lost their TTL. OLD and NEW are each a JSON profile (rdbscope analyze --json) or " +
			"dumps (a file, a directory or a tar archive, analyzed on the fly). Node by node when both sides hold the " +
			"same node names, all nodes merged otherwise. See docs/diff.md.",
	},
	groups: []string{"Outputs", "Findings", "Reading the dumps"},
	examples: []string{
		"rdbscope diff --fail-on warning monday.json tuesday.json",
		"rdbscope diff --html diff.html /backups/monday/ /backups/tuesday/",
	},
}

func parseDiffFlags(args []string, stdout io.Writer) (*diffConfig, error) {
	cfg := &diffConfig{opts: diff.DefaultOptions()}
	fs := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&cfg.jsonOut, "json", "", "write the diff as JSON to `FILE` (- for stdout)")
	fs.StringVar(&cfg.htmlOut, "html", "", "write the diff as a self-contained HTML page to `FILE`")
	fs.BoolVarP(&cfg.quiet, "quiet", "q", false, "no terminal summary")
	fs.IntVar(&cfg.opts.Limit, "limit", cfg.opts.Limit, "at most `N` rows per table of families and keys")
	inGroup(fs, "Outputs", "json", "html", "quiet", "limit")
	fs.StringVar(&cfg.failOnFlag, "fail-on", "", "exit with code 4 when a diff finding of this severity or above exists")
	choices(fs, "fail-on", "info", "warning", "critical")
	fs.Float64Var(&cfg.opts.GrowthWarn, "growth-warn", cfg.opts.GrowthWarn, "growth of a node's key memory, as a `SHARE` of before, that is a warning")
	fs.Float64Var(&cfg.opts.GrowthCritical, "growth-critical", cfg.opts.GrowthCritical, "growth `SHARE` that is critical")
	minBytes := "1mb"
	fs.StringVar(&minBytes, "growth-min-bytes", minBytes, "least growth (`SIZE`) that counts for nodes and families")
	fs.Float64Var(&cfg.opts.TTLShareGrowth, "ttl-share-growth", cfg.opts.TTLShareGrowth, "rise of a family's share of keys without TTL that is a lost-ttl finding (`SHARE`, 0.1 = 10 points)")
	fs.Float64Var(&cfg.opts.Rules.BigKeyShare, "big-key-share", cfg.opts.Rules.BigKeyShare, "a key holding more than this `SHARE` of its node is big (0 = off)")
	bigBytes := "16mb"
	fs.StringVar(&bigBytes, "big-key-bytes", bigBytes, "a key bigger than `SIZE` is big (0 = off)")
	fs.Int64Var(&cfg.opts.Rules.BigKeyElements, "big-key-elements", cfg.opts.Rules.BigKeyElements, "a key with more than `N` elements is big (0 = off)")
	inGroup(fs, "Findings", "fail-on", "growth-warn", "growth-critical", "growth-min-bytes", "ttl-share-growth",
		"big-key-share", "big-key-bytes", "big-key-elements")
	fs.IntVarP(&cfg.jobs, "jobs", "j", 0, "parse `N` nodes in parallel when OLD or NEW are dumps (default: the number of CPUs)")
	fs.IntVar(&cfg.opts.Top, "top", cfg.opts.Top, "keep the `N` biggest keys when analyzing dumps and merging nodes")
	addProgressFlag(fs, &cfg.progress, "progress bars on stderr while dumps are read (auto: when stderr is a terminal that can redraw them)")
	fs.BoolVar(&cfg.noVerify, "no-verify", false, "when OLD or NEW are dumps: analyze a dump whose CRC64 checksum does not match or is absent (its figures are then unverified)")
	cfg.fleet.add(fs)
	inGroup(fs, "Findings", "cluster-nodes", "expect-nodes")
	inGroup(fs, "Reading the dumps", "jobs", "progress", "top", "no-verify", "name-regex")
	if err := parseFlags(fs, diffHelp, args, stdout); err != nil {
		return nil, err
	}
	if err := checkOutputValues(fs, "diff"); err != nil {
		return nil, err
	}
	var err error
	if cfg.opts.GrowthMinBytes, err = parseSizeFlag("--growth-min-bytes", minBytes); err != nil {
		return nil, err
	}
	if cfg.opts.Rules.BigKeyBytes, err = parseSizeFlag("--big-key-bytes", bigBytes); err != nil {
		return nil, err
	}
	if cfg.failOn, err = parseFailOn(cfg.failOnFlag); err != nil {
		return nil, err
	}
	if cfg.nameRegex, err = cfg.fleet.resolve(&cfg.opts.Rules.Config); err != nil {
		return nil, err
	}
	if err := checkProgress(cfg.progress); err != nil {
		return nil, err
	}
	if cfg.opts.Top < 1 || cfg.opts.Limit < 1 {
		return nil, usageError{"--top and --limit must be at least 1"}
	}
	if fs.NArg() != 2 {
		return nil, usageError{fmt.Sprintf("want OLD and NEW, got %d argument(s)", fs.NArg())}
	}
	cfg.oldIn, cfg.newIn = fs.Arg(0), fs.Arg(1)
	if cfg.oldIn == "-" && cfg.newIn == "-" {
		return nil, usageError{"OLD and NEW cannot both be - (stdin)"}
	}
	return cfg, nil
}

func diffCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseDiffFlags(args, stdout)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK, nil
	}
	if err != nil {
		return exitUsage, err
	}
	outs := output.New(stdout)
	outs.Add("--json", cfg.jsonOut)
	outs.Add("--html", cfg.htmlOut)
	outs.Input(cfg.oldIn, cfg.newIn)
	outs.Stdin(stdin)
	if err := outs.Open(ctx); err != nil {
		return outputError(err)
	}
	defer outs.Abort()
	oldR, err := loadSide(ctx, cfg, cfg.oldIn, stdin, stderr)
	if err != nil {
		return exitFatal, fmt.Errorf("OLD: %w", err)
	}
	newR, err := loadSide(ctx, cfg, cfg.newIn, stdin, stderr)
	if err != nil {
		return exitFatal, fmt.Errorf("NEW: %w", err)
	}
	tool := aggregate.Tool{Name: "rdbscope", Version: version, ModelVersion: memmodel.Version,
		GeneratedAt: time.Now().UTC().Format(time.RFC3339)}
	d := diff.Compare(oldR, newR, tool, cfg.opts)
	missing := sideMissing("OLD", oldR, cfg.opts.Rules)
	missing = append(missing, sideMissing("NEW", newR, cfg.opts.Rules)...)
	if len(missing) > 0 {
		d.Findings = append(d.Findings, missing...)
		diagnose.Sort(d.Findings)
	}

	for _, o := range []struct {
		flag, path string
		write      func(io.Writer) error
	}{
		{"--json", cfg.jsonOut, func(w io.Writer) error { return render.DiffJSON(w, d) }},
		{"--html", cfg.htmlOut, func(w io.Writer) error { return render.DiffHTML(w, d) }},
	} {
		w := outs.Writer(o.flag)
		if w == nil {
			continue
		}
		if err := o.write(w); err != nil {
			return exitFatal, fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
	}
	if err := outs.Commit(); err != nil {
		return exitFatal, err
	}
	if cfg.quiet {
		// Node sets that differ make a merged diff: say so where cron
		// mails it.
		for _, warn := range d.Warnings {
			fmt.Fprintf(stderr, "rdbscope: warning: %s\n", aggregate.CleanText(warn))
		}
	} else {
		w := stdout
		if outs.ToStdout() {
			w = stderr
		}
		if err := render.DiffText(w, d, summaryOptions(w)); err != nil {
			return exitFatal, err
		}
		written := outs.Written()
		for _, o := range [][2]string{{"JSON diff", "--json"}, {"HTML diff", "--html"}} {
			if p, ok := written[o[1]]; ok {
				fmt.Fprintf(w, "\n%s written to %s\n", o[0], p)
			}
		}
	}
	if !d.Old.Complete || !d.New.Complete || len(missing) > 0 {
		return exitIncomplete, nil
	}
	if len(cfg.unverified) > 0 && !cfg.noVerify {
		warnUnverified(stderr, cfg.unverified)
		return exitIncomplete, nil
	}
	if diagnose.FailOn(d.Findings, cfg.failOn) {
		return exitFindings, nil
	}
	return exitOK, nil
}

// loadSide reads one side of a diff: a JSON profile as is, anything else
// as dumps analyzed here with analyze's defaults.
func loadSide(ctx context.Context, cfg *diffConfig, in string, stdin io.Reader, stderr io.Writer) (*aggregate.Report, error) {
	isJSON, err := looksLikeJSON(ctx, in)
	if err != nil {
		return nil, err
	}
	if isJSON {
		r, err := readProfile(in, stdin)
		if err != nil {
			return nil, err
		}
		if err := cfg.nameRegex.renameNodes(r.Nodes, stderr); err != nil {
			return nil, err
		}
		return r, nil
	}
	if in == "-" {
		return nil, errors.New("- (stdin) must be a JSON profile in a diff")
	}
	inputs, err := expandInputs(ctx, []string{in}, nil, newObjectStore(stderr))
	if err != nil {
		return nil, err
	}
	names := make([]*string, len(inputs))
	for i := range inputs {
		names[i] = &inputs[i].Name
	}
	if err := cfg.nameRegex.renameAll(names, nil, stderr); err != nil {
		return nil, err
	}
	jobs := cfg.jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	// analyze's defaults, but for --top.
	keyMem, keyName, err := keyMemoryFlag("auto", 0, jobs)
	if err != nil {
		return nil, err
	}
	prog := newProgress(cfg.progress, stderr, inputs)
	nodes := scanNodes(ctx, inputs, stdin, worker.Config{
		Jobs: jobs, Isolate: true,
		Scan:     scan.Options{MaxKeyBytes: keyBytesLimit(keyMem), MaxKeyName: keyName, NoVerify: cfg.noVerify},
		Profile:  aggregate.Options{TopN: cfg.opts.Top, PrefixDepth: aggregate.DefaultPrefixDepth},
		Progress: func(i int, n int64) { prog.bar(i).set(n) },
		Done:     func(i int, err error) { prog.bar(i).finish(err) },
	})
	prog.wait()
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	rules := diagnose.DefaultRules()
	rules.Config = cfg.opts.Rules.Config
	r := newReport(nodes, cfg.opts.Top, rules, memmodel.Version)
	cfg.unverified = append(cfg.unverified, unverifiedNodes(r)...)
	return r, nil
}

// sideMissing is the missing-node findings of one side of a diff
// (--cluster-nodes, --expect-nodes), its title saying which side: a
// diff of part of a cluster compares less than it seems to.
func sideMissing(side string, r *aggregate.Report, rules diagnose.Rules) []aggregate.Finding {
	if rules.Cluster == nil && rules.ExpectNodes == 0 {
		return nil
	}
	var out []aggregate.Finding
	for _, f := range diagnose.Diagnose(r, rules) {
		if f.Kind == diagnose.KindMissingNode {
			f.Title = side + ": " + f.Title
			out = append(out, f)
		}
	}
	return out
}

// looksLikeJSON tells a profile from a dump by its first byte: a JSON
// document starts with '{' (after white space), an RDB file with "REDIS" or
// "VALKEY", a compressed one with its magic number.
func looksLikeJSON(ctx context.Context, in string) (bool, error) {
	if in == "-" {
		// Only a JSON profile can come from stdin in a diff; the profile
		// reader says precisely what is wrong if it is not one.
		return true, nil
	}
	var r io.ReadCloser
	if objstore.IsURL(in) {
		// A prefix or a glob is a "directory" of dumps; one object is
		// looked at as a file is.
		if objectSet(in) {
			return false, nil
		}
		var err error
		if r, err = openProfile(ctx, in); err != nil {
			return false, err
		}
	} else {
		fi, err := os.Stat(in)
		if err != nil {
			return false, err
		}
		if fi.IsDir() {
			return false, nil
		}
		if r, err = os.Open(in); err != nil {
			return false, err
		}
	}
	defer r.Close()
	buf := make([]byte, 512)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	for _, c := range buf[:n] {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true, nil
		}
		return false, nil
	}
	return false, nil
}
