package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/objstore"
	"github.com/rdbscope/rdbscope/internal/output"
	"github.com/rdbscope/rdbscope/parse"
	"github.com/rdbscope/rdbscope/render"
)

// keysFormat is the per-key export format of a file name: csv, jsonl or
// parquet, by extension; - (stdout) is CSV.
func keysFormat(name string) (string, error) {
	if name == "-" {
		return "csv", nil
	}
	name = objectKey(name)
	if strings.EqualFold(filepath.Ext(name), ".parquet") {
		return "parquet", nil
	}
	f, err := render.KeysFormat(name)
	if err != nil {
		return "", fmt.Errorf("--keys %s: unknown extension, want .csv, .jsonl or .parquet (or - for CSV on stdout)", name)
	}
	return f, nil
}

// rowWriter is a per-key export format (render.KeysWriter,
// render.ParquetKeysWriter).
type rowWriter interface {
	Write(node string, k *aggregate.Key, family []byte) error
	Close() error
}

// openKeySink starts the per-key export of path on w, for the nodes of
// inputs whose families are split at seps (none: detected per node), of
// the keys filter selects (nil: all); nil when no export was asked for.
func openKeySink(path string, w io.Writer, inputs []parse.Input, seps []string, filter *aggregate.KeyMatcher) (*keyExport, error) {
	if path == "" || w == nil {
		return nil, nil
	}
	format, err := keysFormat(path)
	if err != nil {
		return nil, err
	}
	var rw rowWriter
	if format == "parquet" {
		pw, err := render.NewParquetKeysWriter(w)
		if err != nil {
			return nil, fmt.Errorf("--keys %s: %w", path, err)
		}
		rw = pw
	} else {
		kw, err := render.NewKeysWriter(w, format)
		if err != nil {
			return nil, err
		}
		rw = kw
	}
	spoolDir := os.TempDir()
	if path != "-" && !objstore.IsURL(path) {
		spoolDir = filepath.Dir(path)
	}
	e := newKeyExport(rw, inputs, seps, spoolDir)
	e.filter = filter
	return e, nil
}

// keyExport writes the per-key export in a fixed order, whatever --jobs
// and isolation: node by node in input order, each node's keys in the
// order its dump holds them. The first node not yet written streams
// straight to the export; the keys of nodes running ahead of it wait in
// spool files (beside the export: they are about as big as it) and are
// copied in when their turn comes. Each key gets its family as its node's
// profile names it: with --sep, or the separators detected from the node's
// first aggregate.SeparatorSample keys, which are held until then (all of
// them: the separators are the node's, whatever the filter selects).
//
// Write is called from one goroutine per node, Done once per node.
type keyExport struct {
	mu     sync.Mutex
	out    rowWriter
	filter *aggregate.KeyMatcher // nil: every key
	seps   []string
	dir    string
	nodes  []*nodeKeys
	byName map[string]*nodeKeys
	head   int // the node streaming to out; those before it are written
	err    error
}

// nodeKeys is one node's part of the export.
type nodeKeys struct {
	i      int
	name   string
	namer  *aggregate.FamilyNamer // nil while the separators are unknown
	sample []aggregate.Key        // keys held until they are known
	spool  *spool                 // keys waiting for the node's turn
	done   bool
}

func newKeyExport(out rowWriter, inputs []parse.Input, seps []string, dir string) *keyExport {
	e := &keyExport{out: out, seps: seps, dir: dir, byName: map[string]*nodeKeys{}}
	for i, in := range inputs {
		n := &nodeKeys{i: i, name: in.Name}
		if len(seps) > 0 {
			n.namer = aggregate.NewFamilyNamer(seps)
		}
		e.nodes = append(e.nodes, n)
		e.byName[in.Name] = n
	}
	return e
}

// Write implements scan.KeyWriter.
func (e *keyExport) Write(node string, k *aggregate.Key) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	n := e.byName[node]
	if n == nil {
		return fmt.Errorf("per-key export: unknown node %q", node)
	}
	if n.namer == nil {
		c := *k
		c.Key = strings.Clone(k.Key)
		n.sample = append(n.sample, c)
		if len(n.sample) >= aggregate.SeparatorSample {
			e.settle(n)
		}
		return e.err
	}
	e.emit(n, k)
	return e.err
}

// settle decides n's separators from its sample and lets the sample go.
func (e *keyExport) settle(n *nodeKeys) {
	if n.namer != nil {
		return
	}
	n.namer = aggregate.NewFamilyNamer(aggregate.DetectSeparators(n.sample))
	ks := n.sample
	n.sample = nil
	for i := range ks {
		e.emit(n, &ks[i])
	}
}

// emit sends one key of n, its family known, to the export when it is n's
// turn, else to n's spool.
func (e *keyExport) emit(n *nodeKeys, k *aggregate.Key) {
	if e.err != nil || e.filter != nil && !e.filter.Match(k) {
		return
	}
	fam := n.namer.Family(k.Key)
	if n.i == e.head {
		e.fail(e.out.Write(n.name, k, fam))
		return
	}
	if n.spool == nil {
		s, err := newSpool(e.dir)
		if err != nil {
			e.fail(err)
			return
		}
		n.spool = s
	}
	e.fail(n.spool.add(k, fam))
}

func (e *keyExport) fail(err error) {
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("per-key export: %w", err)
	}
}

// Done records that node i has sent all its keys; when it is the node
// being written, the export moves on to the next ones.
func (e *keyExport) Done(i int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i < 0 || i >= len(e.nodes) {
		return
	}
	n := e.nodes[i]
	e.settle(n)
	n.done = true
	for e.head < len(e.nodes) && e.nodes[e.head].done {
		e.head++
		if e.head < len(e.nodes) {
			e.drain(e.nodes[e.head])
		}
	}
}

// drain copies n's spooled keys into the export: n's turn has come.
func (e *keyExport) drain(n *nodeKeys) {
	if n.spool == nil {
		return
	}
	s := n.spool
	n.spool = nil
	if e.err == nil {
		e.fail(s.replay(func(k *aggregate.Key, fam []byte) error { return e.out.Write(n.name, k, fam) }))
	}
	s.close()
}

// Close writes what is left (nodes that never said they were done, after
// an interruption) in order, and finishes the export.
func (e *keyExport) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ; e.head < len(e.nodes); e.head++ {
		n := e.nodes[e.head]
		e.drain(n)
		e.settle(n)
	}
	if err := e.out.Close(); err != nil {
		e.fail(err)
	}
	return e.err
}

// spool holds the keys of a node that runs ahead of the export, in a
// temporary file removed as soon as it is created where the system
// allows (so nothing is left behind), else when it is closed.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, ".rdbscope-keys-*.spool")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // fails on Windows while open: close removes it
	return &spool{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// add appends one key and its family.
func (s *spool) add(k *aggregate.Key, fam []byte) error {
	b := s.buf[:0]
	b = binary.AppendUvarint(b, uint64(k.DB))
	for _, str := range []string{k.Key, k.Type, k.Encoding, string(fam)} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	for _, v := range []int64{k.Memory, k.Alloc, k.RDBBytes, k.Elements, k.ExpiresAt} {
		b = binary.AppendVarint(b, v)
	}
	s.buf = b
	_, err := s.w.Write(b)
	return err
}

// replay calls fn with every key added, in order.
func (s *spool) replay(fn func(k *aggregate.Key, fam []byte) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.f, 256<<10)
	var k aggregate.Key
	var strs [4][]byte
	for {
		db, err := binary.ReadUvarint(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for i := range strs {
			n, err := binary.ReadUvarint(r)
			if err != nil {
				return errSpool(err)
			}
			if uint64(cap(strs[i])) < n {
				strs[i] = make([]byte, n)
			}
			strs[i] = strs[i][:n]
			if _, err := io.ReadFull(r, strs[i]); err != nil {
				return errSpool(err)
			}
		}
		var v [5]int64
		for i := range v {
			if v[i], err = binary.ReadVarint(r); err != nil {
				return errSpool(err)
			}
		}
		k = aggregate.Key{DB: int(db), Key: string(strs[0]), Type: string(strs[1]), Encoding: string(strs[2]),
			Memory: v[0], Alloc: v[1], RDBBytes: v[2], Elements: v[3], ExpiresAt: v[4]}
		if err := fn(&k, strs[3]); err != nil {
			return err
		}
	}
}

func errSpool(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading back a spool file: %w", err)
}

func (s *spool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// files names the report outputs of an analyze run.
func (cfg *analyzeConfig) files() reportFiles {
	return reportFiles{json: cfg.jsonOut, html: cfg.htmlOut, markdown: cfg.docs.markdown, title: cfg.docs.title, exportFlags: cfg.exports}
}

// outputs is the output Set of an analyze run: its files, checked
// against the inputs, the files its flags read and stdin.
func (cfg *analyzeConfig) outputs(stdin io.Reader, stdout io.Writer) *output.Set {
	outs := output.New(stdout)
	cfg.files().add(outs, cfg.keysOut)
	outs.Add("--cpuprofile", cfg.cpuProfile)
	outs.Input(cfg.inputs...)
	outs.Input(cfg.flagFiles...)
	outs.Stdin(stdin)
	return outs
}
