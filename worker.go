package main

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/parse"
)

// Each node's dump is parsed in a child process of our own binary. The
// decoder we use materializes whole values and, on a corrupt length field,
// can ask the Go runtime for more memory than the machine has; the runtime
// then dies with a fatal error that no recover can catch. In a child, such a
// death costs one node (reported incomplete, with everything received
// before it) instead of the whole run. The child sends its findings as a
// gob stream on file descriptor 3; its stdout goes nowhere, so nothing the
// decoder prints can reach ours.

const (
	workerCommand = "__worker"
	workerSpecEnv = "RDBSCOPE_WORKER_SPEC"
	keyBatch      = 512
)

// workerSpec tells a child what to parse.
type workerSpec struct {
	Name         string
	Path         string
	Member       string
	NoVerify     bool
	RedisVersion string
	Cluster      bool  // --cluster yes
	MaxMemory    int64 // address space the child may add; 0 = no limit
}

// workerMsg is one message from a child. Exactly one of the fields is set
// (Source may come twice: before the first key and with the final result).
type workerMsg struct {
	Source    *parse.Source
	Model     string
	ModelNote string
	Keys      []aggregate.Key
	Warnings  []string
	Progress  int64
	Done      bool
	Err       *wireError
}

type wireError struct {
	Msg    string
	Offset int64
}

// emitter receives what parsing one node produces, in order.
type emitter interface {
	source(src *parse.Source, model, note string) error
	keys(ks []aggregate.Key) error
	warnings(ws []string) error
	progress(stored int64)
}

// parseNode parses one input, estimates every key and emits the results.
// It returns the final Source (possibly partial) and the parse error.
func parseNode(ctx context.Context, in parse.Input, spec workerSpec, em emitter) (*parse.Source, error) {
	var est aggregate.Estimator = zeroEstimator{}
	batch := make([]aggregate.Key, 0, keyBatch)
	var warns []string
	const maxWarnings = 100
	opts := parse.Options{
		NoVerify: spec.NoVerify,
		Progress: em.progress,
		OnSource: func(src *parse.Source) error {
			var name, note string
			est, name, note = chooseModel(src, spec.RedisVersion, spec.Cluster)
			return em.source(src, name, note)
		},
	}
	src, err := parse.Parse(ctx, in, opts, func(r *parse.Record) error {
		mem, enc := est.Estimate(r)
		typ := r.Type
		if r.Type == parse.TypeModule {
			typ = "module:" + r.Module
		}
		batch = append(batch, aggregate.Key{
			DB: r.DB, Key: strings.Clone(r.Key), Type: typ, Encoding: enc,
			Memory: mem, RDBBytes: r.RDBBytes, Elements: r.Elements, ExpiresAt: r.ExpiresAt,
		})
		for _, w := range r.Warnings {
			if len(warns) < maxWarnings {
				warns = append(warns, fmt.Sprintf("key %s: %s", aggregate.EscapeKey(r.Key), w))
			}
		}
		if len(batch) == keyBatch {
			if err := em.keys(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		return nil
	})
	if len(batch) > 0 {
		if kerr := em.keys(batch); kerr != nil && err == nil {
			err = kerr
		}
	}
	if len(warns) > 0 {
		if werr := em.warnings(warns); werr != nil && err == nil {
			err = werr
		}
	}
	return src, err
}

// workerMain is the child side: parse the node named in the environment
// and stream the results on fd 3.
func workerMain(ctx context.Context, _ []string) (int, error) {
	var spec workerSpec
	if err := json.Unmarshal([]byte(os.Getenv(workerSpecEnv)), &spec); err != nil {
		return exitFatal, fmt.Errorf("worker: bad spec: %w", err)
	}
	if spec.MaxMemory > 0 {
		if err := limitMemory(spec.MaxMemory); err != nil {
			return exitFatal, fmt.Errorf("worker: --max-memory: %w", err)
		}
	}
	out := os.NewFile(3, "results")
	if out == nil {
		return exitFatal, errors.New("worker: no results descriptor")
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	ge := &gobEmitter{enc: gob.NewEncoder(bw), bw: bw}
	in, err := findInput(spec)
	var src *parse.Source
	if err == nil {
		src, err = parseNode(ctx, in, spec, ge)
	}
	final := workerMsg{Source: src, Done: true}
	if err != nil {
		final.Err = toWire(err)
	}
	if eerr := ge.send(&final); eerr != nil {
		return exitFatal, eerr
	}
	if ferr := bw.Flush(); ferr != nil {
		return exitFatal, ferr
	}
	return exitOK, nil
}

func toWire(err error) *wireError {
	w := &wireError{Msg: err.Error(), Offset: -1}
	var pe *parse.Error
	if errors.As(err, &pe) {
		w.Offset = pe.Offset
	}
	return w
}

// findInput rebuilds the Input of a spec in the child.
func findInput(spec workerSpec) (parse.Input, error) {
	ins, err := parse.Expand([]string{spec.Path}, nil)
	if err != nil {
		return parse.Input{}, err
	}
	for _, in := range ins {
		if in.Member == spec.Member {
			in.Name = spec.Name
			return in, nil
		}
	}
	return parse.Input{}, fmt.Errorf("%s: member %q not found", spec.Path, spec.Member)
}

type gobEmitter struct {
	mu  sync.Mutex
	enc *gob.Encoder
	bw  *bufio.Writer
}

func (g *gobEmitter) send(m *workerMsg) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.enc.Encode(m)
}

func (g *gobEmitter) source(src *parse.Source, model, note string) error {
	return g.send(&workerMsg{Source: src, Model: model, ModelNote: note})
}

func (g *gobEmitter) keys(ks []aggregate.Key) error { return g.send(&workerMsg{Keys: ks}) }

func (g *gobEmitter) warnings(ws []string) error { return g.send(&workerMsg{Warnings: ws}) }

func (g *gobEmitter) progress(stored int64) {
	// Progress is advisory: a failed send shows up on the next real one.
	_ = g.send(&workerMsg{Progress: stored})
	g.mu.Lock()
	_ = g.bw.Flush()
	g.mu.Unlock()
}

// runIsolated parses one node in a child process and feeds em. It returns
// the final Source and the node's error, which includes the child dying.
func runIsolated(ctx context.Context, in parse.Input, spec workerSpec, stdin io.Reader, em emitter) (*parse.Source, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find own executable to isolate the parser: %w", err)
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, workerCommand)
	cmd.Env = append(os.Environ(), workerSpecEnv+"="+string(specJSON))
	cmd.ExtraFiles = []*os.File{pw}
	if in.Path == "-" {
		cmd.Stdin = stdin
	}
	var tail tailBuffer
	cmd.Stderr = &tail
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start parser process: %w", err)
	}
	pw.Close()
	defer pr.Close()

	var src *parse.Source
	var nodeErr error
	done := false
	dec := gob.NewDecoder(bufio.NewReaderSize(pr, 1<<20))
	for {
		var m workerMsg
		if err := dec.Decode(&m); err != nil {
			if !errors.Is(err, io.EOF) && !done {
				nodeErr = fmt.Errorf("reading from parser process: %w", err)
			}
			break
		}
		switch {
		case m.Done:
			done = true
			if m.Source != nil {
				src = m.Source
			}
			if m.Err != nil {
				nodeErr = &parse.Error{Path: displayPath(in), Offset: m.Err.Offset, Msg: strings.TrimPrefix(m.Err.Msg, displayPath(in)+": ")}
				if m.Err.Offset < 0 {
					nodeErr = errors.New(m.Err.Msg)
				}
			}
		case m.Source != nil:
			src = m.Source
			if err := em.source(m.Source, m.Model, m.ModelNote); err != nil {
				nodeErr = err
			}
		case m.Keys != nil:
			if err := em.keys(m.Keys); err != nil && nodeErr == nil {
				nodeErr = err
			}
		case m.Warnings != nil:
			if err := em.warnings(m.Warnings); err != nil && nodeErr == nil {
				nodeErr = err
			}
		default:
			em.progress(m.Progress)
		}
	}
	werr := cmd.Wait()
	if !done {
		msg := "parser process died"
		if werr != nil {
			msg += " (" + werr.Error() + ")"
		}
		if t := tail.message(); t != "" {
			msg += ": " + t
		}
		if spec.MaxMemory > 0 && strings.Contains(msg, "out of memory") {
			msg += fmt.Sprintf(" (the node needs more than --max-memory %d bytes: its biggest key is too large to analyze within the limit)", spec.MaxMemory)
		}
		if ctx.Err() != nil {
			msg = "interrupted"
		}
		return src, &parse.Error{Path: displayPath(in), Offset: -1, Msg: msg + "; figures cover the keys received before"}
	}
	return src, nodeErr
}

func displayPath(in parse.Input) string {
	if in.Member != "" {
		return in.Path + ":" + in.Member
	}
	return in.Path
}

// tailBuffer keeps what a child wrote to stderr that explains its death:
// the first Go fatal error or panic line (e.g. "fatal error: runtime: out
// of memory"), which comes before a long goroutine dump, and the last
// line.
type tailBuffer struct {
	mu    sync.Mutex
	fatal string
	line  []byte // the line being written
	last  string
}

const lineMax = 1 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range p {
		if c != '\n' {
			if len(t.line) < lineMax {
				t.line = append(t.line, c)
			}
			continue
		}
		l := strings.TrimSpace(string(t.line))
		t.line = t.line[:0]
		if l == "" {
			continue
		}
		if t.fatal == "" && (strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime: out of memory")) {
			t.fatal = l
		}
		t.last = l
	}
	return len(p), nil
}

// message returns the most telling line.
func (t *tailBuffer) message() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fatal != "" {
		return t.fatal
	}
	if l := strings.TrimSpace(string(t.line)); l != "" {
		return l
	}
	return t.last
}

// zeroEstimator stands in until OnSource has chosen the model; the parser
// calls OnSource before the first record, so it is never used for a key.
type zeroEstimator struct{}

func (zeroEstimator) Estimate(*parse.Record) (int64, string) { return 0, "" }
