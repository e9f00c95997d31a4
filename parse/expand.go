package parse

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// kinds of stored files, by content.
const (
	kindOther = iota
	kindRDB
	kindTar
)

// sniff classifies a stream by its (decompressed) first bytes. Its error
// is a failure to read the stored bytes; what they hold, even garbage, is
// only a kind.
func sniff(r io.Reader) (int, error) {
	raw := bufio.NewReaderSize(r, 4096)
	h, err := raw.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return kindOther, err
	}
	dr, closeDec, err := decompress(raw, sniffCompression(h))
	if err != nil {
		return kindOther, nil
	}
	defer closeDec()
	br := bufio.NewReaderSize(dr, 4096)
	p, _ := br.Peek(512)
	switch {
	case isTar(p):
		return kindTar, nil
	case strings.HasPrefix(string(p), "REDIS") || strings.HasPrefix(string(p), "VALKEY"):
		return kindRDB, nil
	}
	return kindOther, nil
}

func sniffFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return kindOther, err
	}
	defer f.Close()
	return sniff(f)
}

// nodeName strips directories and known extensions: node-7202.rdb.gz is
// node node-7202.
func nodeName(p string) string {
	name := filepath.Base(p)
	for {
		ext := strings.ToLower(filepath.Ext(name))
		switch ext {
		case ".rdb", ".gz", ".tgz", ".zst", ".zstd", ".lz4", ".tar":
			if len(name) > len(ext) {
				name = name[:len(name)-len(ext)]
				continue
			}
		}
		return name
	}
}

// expander resolves arguments into inputs, each file once.
type expander struct {
	ins   []Input
	files []foundFile
	err   error // an argument that holds no node at all
}

// foundFile is a file already made an input (or inputs, for an archive).
type foundFile struct {
	fi    os.FileInfo
	path  string
	input int // index in ins of its first input
}

func expand(args []string, names map[string]string) ([]Input, error) {
	e := &expander{}
	for _, arg := range args {
		if err := e.arg(arg); err != nil {
			return nil, err
		}
	}
	return checkNames(e.ins, names)
}

// arg resolves one local path, or "-", into inputs.
func (e *expander) arg(arg string) error {
	if arg == "-" {
		e.ins = append(e.ins, Input{Name: "stdin", Ref: Ref{Path: "-"}})
		return nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return inputErr(arg, err)
	}
	if st.IsDir() {
		return e.dir(arg)
	}
	if e.file(arg, st, true); e.err != nil {
		return e.err
	}
	return nil
}

// checkNames applies the --name overrides and refuses two nodes of one
// name.
func checkNames(ins []Input, names map[string]string) ([]Input, error) {
	if err := applyNames(ins, names); err != nil {
		return nil, err
	}
	seen := map[string]Input{}
	for _, in := range ins {
		if prev, dup := seen[in.Name]; dup {
			return nil, fmt.Errorf("duplicate node name %q: %s and %s (use --name NAME=PATH to tell them apart)", in.Name, prev.label(), in.label())
		}
		seen[in.Name] = in
	}
	return ins, nil
}

func inputErr(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: no such file or directory", path)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s: permission denied", path)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// seen reports whether the file fi (at path) is already an input, and
// then says so on that input: two hard links, a link and its target, or
// one file named twice are one node, not two that double its figures.
func (e *expander) seen(path string, fi os.FileInfo) bool {
	for _, f := range e.files {
		if os.SameFile(f.fi, fi) {
			in := &e.ins[f.input]
			in.Warnings = append(in.Warnings, fmt.Sprintf("%s is the same file as %s: analyzed once", path, f.path))
			return true
		}
	}
	e.files = append(e.files, foundFile{fi: fi, path: path, input: len(e.ins)})
	return false
}

// file turns one file, st, into nodes: a tar archive gives one node per
// dump inside, anything else is one node (a file named explicitly is
// always tried, so that Parse can say what is wrong with it). A file
// that is not a regular one (a FIFO, a pipe, a device) is read once, as
// it comes, and never looked at before: it is one node. A file that
// cannot be read is one node that fails, naming it. It reports whether
// the file holds nodes (or is one already found).
func (e *expander) file(path string, st os.FileInfo, explicit bool) bool {
	if e.seen(path, st) {
		return true
	}
	if !st.Mode().IsRegular() {
		e.ins = append(e.ins, Input{Name: nodeName(path), Ref: Ref{Path: path, Pipe: true}})
		return true
	}
	in := Input{Name: nodeName(path), Ref: Ref{Path: path, Size: st.Size()}}
	kind, err := sniffFile(path)
	switch {
	case err != nil:
		e.ins = append(e.ins, failing(in, unwrapPathErr(err)))
	case kind == kindTar:
		found, err := expandTar(path)
		switch {
		case errors.Is(err, errNoDumps) && explicit:
			// Like a directory without dumps: nothing to analyze.
			e.err = fmt.Errorf("%s: %w", path, err)
			return false
		case errors.Is(err, errNoDumps):
			// An archive of something else beside the dumps.
			e.files = e.files[:len(e.files)-1]
			return false
		case err != nil:
			e.ins = append(e.ins, failing(in, err))
		default:
			e.ins = append(e.ins, found...)
		}
	case kind == kindRDB || explicit:
		e.ins = append(e.ins, in)
	default:
		e.files = e.files[:len(e.files)-1]
		return false
	}
	return true
}

// errNoDumps is a tar archive without dumps.
var errNoDumps = errors.New("tar archive contains no RDB dumps")

// dir adds the dumps directly inside dir, links followed. Subdirectories
// are not entered, and FIFOs, devices and sockets are not opened (a FIFO
// would wait for a writer); a broken link, or a file that cannot be read,
// is a node that fails, naming it.
func (e *expander) dir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return inputErr(dir, err)
	}
	// A file with several names is the node of the first: files before
	// links to them, then in name order.
	sort.SliceStable(ents, func(i, j int) bool {
		li, lj := ents[i].Type()&fs.ModeSymlink != 0, ents[j].Type()&fs.ModeSymlink != 0
		if li != lj {
			return lj
		}
		return ents[i].Name() < ents[j].Name()
	})
	found := false
	for _, ent := range ents {
		p := filepath.Join(dir, ent.Name())
		st, err := os.Stat(p)
		switch {
		case err != nil:
			e.ins = append(e.ins, failing(Input{Name: nodeName(p), Ref: Ref{Path: p}}, linkErr(p, err)))
			found = true
		case st.Mode().IsRegular():
			found = e.file(p, st, false) || found
		}
	}
	if !found {
		return fmt.Errorf("%s: directory contains no RDB dumps (nor compressed dumps or tar archives of dumps)", dir)
	}
	return nil
}

// linkErr says why a directory entry cannot be opened.
func linkErr(p string, err error) error {
	if fi, lerr := os.Lstat(p); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("broken symbolic link")
		}
		return fmt.Errorf("symbolic link cannot be followed: %w", unwrapPathErr(err))
	}
	return unwrapPathErr(err)
}

// unwrapPathErr drops the *fs.PathError around err: messages name the
// path once.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openTar opens an archive and returns its tar reader and done to close
// it. For an uncompressed archive it also returns the reader under the
// tar reader, whose position says where each member's data starts.
func openTar(path string) (*tar.Reader, *offsetReader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	kind := sniffCompression(magic[:n])
	if kind == "" {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			or := &offsetReader{f: f}
			return tar.NewReader(or), or, func() { f.Close() }, nil
		}
	}
	raw := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(magic[:n]), f), 64<<10)
	dr, closeDec, err := decompress(raw, kind)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return tar.NewReader(dr), nil, func() { closeDec(); f.Close() }, nil
}

func expandTar(path string) ([]Input, error) {
	tr, or, done, err := openTar(path)
	if err != nil {
		return nil, unwrapPathErr(err)
	}
	defer done()
	return listTar(path, tr, or)
}

// openTarStream reads an archive, compressed or not, from rc, which done
// closes.
func openTarStream(rc io.ReadCloser) (*tar.Reader, func(), error) {
	raw := bufio.NewReaderSize(rc, 64<<10)
	magic, _ := raw.Peek(4)
	dr, closeDec, err := decompress(raw, sniffCompression(magic))
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return tar.NewReader(dr), func() { closeDec(); rc.Close() }, nil
}

// listTar lists the dumps in the archive at path that tr reads; or, when
// not nil, is the uncompressed archive's file under tr.
func listTar(path string, tr *tar.Reader, or *offsetReader) ([]Input, error) {
	var ins []Input
	for idx := 0; ; idx++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(ins) > 0 {
				// A truncated archive: the members listed so far are
				// still nodes, and the one that was cut fails when it is
				// parsed, naming the archive, so the run goes on.
				break
			}
			return nil, fmt.Errorf("reading tar archive: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		ref := Ref{Path: path, Member: hdr.Name, Index: idx, Size: hdr.Size}
		if or != nil && plainMember(hdr) && regularHeaderAt(or.f, or.off) {
			ref.Offset = or.off
		}
		isDump := strings.Contains(strings.ToLower(filepath.Base(hdr.Name))+".", ".rdb.")
		if !isDump {
			if kind, _ := sniff(tr); kind != kindRDB {
				continue
			}
		}
		ins = append(ins, Input{Name: nodeName(hdr.Name), Ref: ref})
	}
	if len(ins) == 0 {
		return nil, errNoDumps
	}
	return ins, nil
}

// applyNames applies --name NAME=PATH overrides. PATH is matched against
// the input's path, or path:member for archive members.
func applyNames(ins []Input, names map[string]string) error {
	for name, p := range names {
		matched := -1
		for i, in := range ins {
			if in.Path == "-" && p == "-" ||
				in.Member == "" && filepath.Clean(in.Path) == filepath.Clean(p) ||
				in.Member != "" && (filepath.Clean(in.Path)+":"+in.Member == p || in.Member == p ||
					filepath.Clean(in.Path) == filepath.Clean(p)) {
				if matched >= 0 {
					return fmt.Errorf("--name %s=%s: %s holds several dumps; name a member as ARCHIVE:MEMBER", name, p, p)
				}
				matched = i
			}
		}
		if matched < 0 {
			return fmt.Errorf("--name %s=%s: no input has path %s", name, p, p)
		}
		ins[matched].Name = name
	}
	return nil
}
