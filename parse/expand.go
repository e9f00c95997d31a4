package parse

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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

// sniff classifies a stream by its (decompressed) first bytes.
func sniff(r io.Reader) int {
	raw := bufio.NewReaderSize(r, 4096)
	h, _ := raw.Peek(4)
	dr, closeDec, err := decompress(raw, sniffCompression(h))
	if err != nil {
		return kindOther
	}
	defer closeDec()
	br := bufio.NewReaderSize(dr, 4096)
	p, _ := br.Peek(512)
	switch {
	case isTar(p):
		return kindTar
	case strings.HasPrefix(string(p), "REDIS") || strings.HasPrefix(string(p), "VALKEY"):
		return kindRDB
	}
	return kindOther
}

func sniffFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return kindOther, err
	}
	defer f.Close()
	return sniff(f), nil
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

func expand(args []string, names map[string]string) ([]Input, error) {
	ins, err := expandLocal(args)
	if err != nil {
		return nil, err
	}
	return checkNames(ins, names)
}

// expandLocal resolves local paths and "-" into inputs.
func expandLocal(args []string) ([]Input, error) {
	var ins []Input
	for _, arg := range args {
		if arg == "-" {
			ins = append(ins, Input{Name: "stdin", Ref: Ref{Path: "-"}})
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			return nil, inputErr(arg, err)
		}
		if st.IsDir() {
			found, err := expandDir(arg)
			if err != nil {
				return nil, err
			}
			ins = append(ins, found...)
			continue
		}
		found, err := expandFile(arg, st.Size(), true)
		if err != nil {
			return nil, err
		}
		ins = append(ins, found...)
	}
	return ins, nil
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

// expandFile turns one stored file into nodes: a tar archive gives one
// node per dump inside, anything else is one node (a file named
// explicitly is always tried, so that Parse can say what is wrong with it).
func expandFile(path string, size int64, explicit bool) ([]Input, error) {
	kind, err := sniffFile(path)
	if err != nil {
		return nil, inputErr(path, err)
	}
	switch kind {
	case kindTar:
		return expandTar(path)
	case kindRDB:
	default:
		if !explicit {
			return nil, nil
		}
	}
	return []Input{{Name: nodeName(path), Ref: Ref{Path: path, Size: size}}}, nil
}

func expandDir(dir string) ([]Input, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, inputErr(dir, err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var ins []Input
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			return nil, inputErr(p, err)
		}
		found, err := expandFile(p, info.Size(), false)
		if err != nil {
			return nil, err
		}
		ins = append(ins, found...)
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%s: directory contains no RDB dumps (nor compressed dumps or tar archives of dumps)", dir)
	}
	return ins, nil
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
		return nil, inputErr(path, err)
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
			return nil, fmt.Errorf("%s: reading tar archive: %w", path, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		ref := Ref{Path: path, Member: hdr.Name, Index: idx, Size: hdr.Size}
		if or != nil && plainMember(hdr) && regularHeaderAt(or.f, or.off) {
			ref.Offset = or.off
		}
		isDump := strings.Contains(strings.ToLower(filepath.Base(hdr.Name))+".", ".rdb.")
		if !isDump && sniff(tr) != kindRDB {
			continue
		}
		ins = append(ins, Input{Name: nodeName(hdr.Name), Ref: ref})
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%s: tar archive contains no RDB dumps", path)
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
