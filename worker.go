package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/parse"
)

// Each node's dump is parsed in a child process of our own binary. The
// decoder we use materializes whole values and, on a corrupt length field,
// can ask the Go runtime for more memory than the machine has; the runtime
// then dies with a fatal error that no recover can catch. In a child, such a
// death costs one node (reported incomplete, with everything received
// before it) instead of the whole run. The child sends its findings as a
// stream of frames on file descriptor 3 (see frameWriter); its stdout goes nowhere, so nothing the
// decoder prints can reach ours.

const (
	workerCommand = "__worker"
	workerSpecEnv = "RDBSCOPE_WORKER_SPEC"
	keyBatch      = 512
)

// workerSpec tells a child what to parse.
type workerSpec struct {
	Name         string
	Ref          parse.Ref // the input, opened directly in the child
	NoVerify     bool
	RedisVersion string
	Cluster      bool  // --cluster yes
	MaxMemory    int64 // address space the child may add; 0 = no limit
	MaxKeyBytes  int64 // serialized size above which a key is not decoded; 0 = no limit
	// Config is the loading server's configuration (--redis-config).
	Config memmodel.Config
}

// workerMsg is one message from a child. Exactly one of the fields is set
// (Source may come twice: before the first key and with the final result).
type workerMsg struct {
	Source    *parse.Source
	Model     string
	ModelNote string
	Warnings  []string
	Progress  int64
	NodeExtra int64
	Done      bool
	Err       *wireError
}

// wireError carries a node's error from the child; a *parse.Error keeps
// its parts so the parent can rebuild it.
type wireError struct {
	Path   string
	Offset int64
	Msg    string
	Cause  string
}

func (w *wireError) err() error {
	if w.Path == "" {
		return errors.New(w.Msg)
	}
	e := &parse.Error{Path: w.Path, Offset: w.Offset, Msg: w.Msg}
	if w.Cause != "" {
		e.Err = errors.New(w.Cause)
	}
	return e
}

// emitter receives what parsing one node produces, in order.
type emitter interface {
	source(src *parse.Source, model, note string) error
	// key receives one key; k and its strings are valid only during the
	// call. flush marks the end of the keys.
	key(k *aggregate.Key) error
	flush() error
	// nodeExtra receives, once at the end, what the node's keys cost
	// beyond their MEMORY USAGE (see memmodel.Model.NodeExtra).
	nodeExtra(n int64) error
	warnings(ws []string) error
	progress(stored int64)
}

// parseNode parses one input, estimates every key and emits the results.
// It returns the final Source (possibly partial) and the parse error.
func parseNode(ctx context.Context, in parse.Input, spec workerSpec, em emitter) (*parse.Source, error) {
	var warns []string
	const maxWarnings = 100
	var model *memmodel.Model
	opts := parse.Options{
		NoVerify:      spec.NoVerify,
		MaxKeyBytes:   spec.MaxKeyBytes,
		LongElemLimit: spec.Config.HashValueLimit(),
		LZFSizes:      spec.Config.CompressesLists(),
		Progress:      em.progress,
		OnSource: func(src *parse.Source) error {
			var name, note string
			model, name, note = chooseModel(src, spec.RedisVersion, spec.Cluster, spec.Config)
			return em.source(src, name, note)
		},
		// The model sizes packed containers from their blobs: decoding
		// them would only cost time (most of the decoder's, measured in
		// docs/performance.md).
		SkipDecode: func(typ, enc string, elements int64) bool {
			return model != nil && !model.NeedsValue(typ, enc, elements)
		},
	}
	var k aggregate.Key
	var extra int64
	src, err := parse.Parse(ctx, in, opts, func(r *parse.Record) error {
		if model == nil {
			// parse calls OnSource before the first record.
			return errors.New("internal error: a record before the dump's header")
		}
		sz := model.Size(r)
		extra += sz.Allocated - sz.Memory
		typ := r.Type
		if r.Type == parse.TypeModule {
			typ = "module:" + r.Module
		}
		k = aggregate.Key{
			DB: r.DB, Key: r.Key, Type: typ, Encoding: sz.Encoding,
			Memory: sz.Memory, Alloc: sz.Allocated, RDBBytes: r.RDBBytes, Elements: r.Elements, ExpiresAt: r.ExpiresAt,
		}
		for _, w := range r.Warnings {
			if len(warns) < maxWarnings {
				warns = append(warns, fmt.Sprintf("key %s: %s", aggregate.EscapeKey(r.Key), w))
			}
		}
		return em.key(&k)
	})
	if ferr := em.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if xerr := em.nodeExtra(extra); xerr != nil && err == nil {
		err = xerr
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
	if os.Getenv("GOGC") == "" {
		// The decoder allocates every value and drops it right away: the
		// live heap stays small, so trading some memory for half the
		// collections is cheap (measured in docs/performance.md).
		debug.SetGCPercent(200)
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
	ge := &frameEmitter{bw: bw}
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
	var pe *parse.Error
	if errors.As(err, &pe) {
		w := &wireError{Path: pe.Path, Offset: pe.Offset, Msg: pe.Msg}
		if pe.Err != nil {
			w.Cause = pe.Err.Error()
		}
		return w
	}
	return &wireError{Msg: err.Error(), Offset: -1}
}

// findInput is the Input of a spec in the child: its reference opens the
// stored bytes directly, without expanding the command line again.
func findInput(spec workerSpec) (parse.Input, error) {
	return spec.Ref.Input(spec.Name), nil
}

// The child's results travel as frames: a kind byte, a uvarint length and
// the payload. Key batches, nearly all the traffic, use a compact binary
// layout (decoding gob or JSON per key cost more than parsing the dump);
// the few control messages are JSON.
const (
	frameKeys = 'k'
	frameMsg  = 'm'
)

type frameEmitter struct {
	mu  sync.Mutex
	bw  *bufio.Writer
	buf []byte // keys encoded since the last frame
	n   int    // how many
	hdr []byte // scratch for the frame payload
}

func (f *frameEmitter) frame(kind byte, payload []byte) error {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = kind
	n := binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if _, err := f.bw.Write(hdr[:1+n]); err != nil {
		return err
	}
	_, err := f.bw.Write(payload)
	return err
}

func (f *frameEmitter) send(m *workerMsg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frame(frameMsg, b)
}

func (f *frameEmitter) source(src *parse.Source, model, note string) error {
	return f.send(&workerMsg{Source: src, Model: model, ModelNote: note})
}

func (f *frameEmitter) key(k *aggregate.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = appendKey(f.buf, k)
	f.n++
	if f.n == keyBatch {
		return f.flushKeys()
	}
	return nil
}

func (f *frameEmitter) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flushKeys()
}

// flushKeys sends the keys encoded so far as one frame: a count, then
// the keys.
func (f *frameEmitter) flushKeys() error {
	if f.n == 0 {
		return nil
	}
	hdr := binary.AppendUvarint(f.hdr[:0], uint64(f.n))
	f.hdr = hdr
	payload := append(hdr, f.buf...)
	f.hdr = payload[:0]
	f.buf, f.n = f.buf[:0], 0
	return f.frame(frameKeys, payload)
}

func (f *frameEmitter) warnings(ws []string) error { return f.send(&workerMsg{Warnings: ws}) }

func (f *frameEmitter) nodeExtra(n int64) error {
	if n == 0 {
		return nil // a zero message would read as progress
	}
	return f.send(&workerMsg{NodeExtra: n})
}

func (f *frameEmitter) progress(stored int64) {
	// Progress is advisory: a failed send shows up on the next real one.
	_ = f.send(&workerMsg{Progress: stored})
	f.mu.Lock()
	_ = f.bw.Flush()
	f.mu.Unlock()
}

// appendKey encodes one key of a batch.
func appendKey(b []byte, k *aggregate.Key) []byte {
	b = binary.AppendUvarint(b, uint64(k.DB))
	b = appendString(b, k.Key)
	b = appendString(b, k.Type)
	b = appendString(b, k.Encoding)
	b = binary.AppendVarint(b, k.Memory)
	b = binary.AppendVarint(b, k.Alloc)
	b = binary.AppendVarint(b, k.RDBBytes)
	b = binary.AppendVarint(b, k.Elements)
	return binary.AppendVarint(b, k.ExpiresAt)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// keyDecoder decodes key batches, interning the few distinct type and
// encoding names.
type keyDecoder struct {
	names map[string]string
	ks    []aggregate.Key
}

var errBadFrame = errors.New("malformed key batch from parser process")

func (d *keyDecoder) decode(b []byte) ([]aggregate.Key, error) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, errBadFrame
	}
	d.ks = d.ks[:0]
	for i := uint64(0); i < n; i++ {
		var k aggregate.Key
		var db uint64
		var key, typ, enc []byte
		if db, b, ok = uvarint(b); !ok {
			return nil, errBadFrame
		}
		k.DB = int(db)
		if key, b, ok = str(b); !ok {
			return nil, errBadFrame
		}
		k.Key = string(key)
		if typ, b, ok = str(b); !ok {
			return nil, errBadFrame
		}
		k.Type = d.intern(typ)
		if enc, b, ok = str(b); !ok {
			return nil, errBadFrame
		}
		k.Encoding = d.intern(enc)
		for _, p := range []*int64{&k.Memory, &k.Alloc, &k.RDBBytes, &k.Elements, &k.ExpiresAt} {
			v, m := binary.Varint(b)
			if m <= 0 {
				return nil, errBadFrame
			}
			*p, b = v, b[m:]
		}
		d.ks = append(d.ks, k)
	}
	return d.ks, nil
}

func (d *keyDecoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	d.names[s] = s
	return s
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func str(b []byte) ([]byte, []byte, bool) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, b, false
	}
	return b[:n], b[n:], true
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
	br := bufio.NewReaderSize(pr, 1<<20)
	kd := &keyDecoder{names: map[string]string{}}
	var payload []byte
	for {
		kind, err := br.ReadByte()
		if err != nil {
			break // EOF: the child is gone; cmd.Wait says how
		}
		n, err := binary.ReadUvarint(br)
		if err != nil || n > 1<<30 {
			nodeErr = errors.New("malformed frame from parser process")
			break
		}
		if uint64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			break
		}
		if kind == frameKeys {
			ks, err := kd.decode(payload)
			if err != nil {
				nodeErr = err
				break
			}
			for i := range ks {
				if err := em.key(&ks[i]); err != nil && nodeErr == nil {
					nodeErr = err
				}
			}
			continue
		}
		var m workerMsg
		if err := json.Unmarshal(payload, &m); err != nil {
			nodeErr = fmt.Errorf("malformed message from parser process: %w", err)
			break
		}
		switch {
		case m.Done:
			done = true
			if m.Source != nil {
				src = m.Source
			}
			if m.Err != nil {
				nodeErr = m.Err.err()
			}
		case m.Source != nil:
			src = m.Source
			if err := em.source(m.Source, m.Model, m.ModelNote); err != nil {
				nodeErr = err
			}
		case m.Warnings != nil:
			if err := em.warnings(m.Warnings); err != nil && nodeErr == nil {
				nodeErr = err
			}
		case m.NodeExtra != 0:
			if err := em.nodeExtra(m.NodeExtra); err != nil && nodeErr == nil {
				nodeErr = err
			}
		default:
			em.progress(m.Progress)
		}
	}
	if err := em.flush(); err != nil && nodeErr == nil {
		nodeErr = err
	}
	if !done && nodeErr != nil {
		// We stopped reading on a malformed frame: a child still writing
		// would block forever on the full pipe.
		_ = cmd.Process.Kill()
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
		if spec.MaxMemory > 0 && (strings.Contains(msg, "out of memory") || strings.Contains(msg, "failed to allocate")) {
			msg += fmt.Sprintf(" (the node needs more than --max-memory %d bytes: its biggest key is too large to analyze within the limit)", spec.MaxMemory)
		}
		if ctx.Err() != nil {
			msg = "interrupted"
		}
		return src, &parse.Error{Path: displayPath(in), Offset: -1, Msg: msg}
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
