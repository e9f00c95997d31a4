package history

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Store is where a history is kept: a local directory (Dir), or, in the
// commands, the objects under a bucket prefix. The package needs no more
// than to list a "directory", read a small file whole and write one
// partition, so that a store of objects fits as well as a file system.
//
// Names are slash-separated and relative to the history's root, "." being
// the root itself, as in io/fs; ReadDir and ReadFile have the signatures
// of fs.ReadDirFS and fs.ReadFileFS.
type Store interface {
	// ReadDir lists the entries directly under the directory name,
	// sorted by name. A directory that does not exist (for objects: a
	// prefix with nothing under it) is an error wrapping fs.ErrNotExist.
	ReadDir(name string) ([]fs.DirEntry, error)
	// ReadFile returns the whole file. It refuses a file bigger than
	// MaxFileSize without reading it.
	ReadFile(name string) ([]byte, error)
	// WritePartition makes files the content of the partition directory
	// dir, in place of any partition there; files other than these that
	// the old partition held may remain. How much of it a reader can see
	// while it is written depends on the store: Dir writes it whole or
	// not at all; a store of objects commits one file after the other in
	// the order given (see Append).
	WritePartition(dir string, files []File) error
	// Where names a path of the store for messages and Snapshot.Source:
	// a local path, an object URL.
	Where(name string) string
}

// File is one file of a partition being written.
type File struct {
	Name string
	Data []byte
}

// MaxFileSize bounds a file of a partition, which Read takes into memory
// whole: a night of 300 nodes takes about 110 kB (docs/history.md), so 64
// MiB is a fleet of some 150,000 nodes, and a file bigger than that is not
// one this package wrote.
const MaxFileSize = 64 << 20

// Dir is the Store of a history in a local directory. A partition is
// written beside the others and renamed into place, so that a reader sees
// it whole or not at all.
type Dir string

func (d Dir) path(name string) string {
	if name == "." {
		return string(d)
	}
	return filepath.Join(string(d), filepath.FromSlash(name))
}

// Where implements Store: the local path.
func (d Dir) Where(name string) string { return d.path(name) }

// ReadDir implements Store.
func (d Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	return os.ReadDir(d.path(name))
}

// ReadFile implements Store.
func (d Dir) ReadFile(name string) ([]byte, error) {
	f, err := os.Open(d.path(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, more than a history file can be (%d)", d.path(name), st.Size(), MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// WritePartition implements Store: the partition is written in a
// temporary directory beside it, each file synced, and renamed into
// place; the partition it replaces steps aside for the rename and is
// removed after it.
func (d Dir) WritePartition(dir string, files []File) error {
	final := d.path(dir)
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	// The name starts with a dot and not with "date=": readers skip it.
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(final)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		if err := writeSynced(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	// A directory cannot be renamed over a non-empty one: the old
	// partition steps aside first, and comes back if the new one cannot
	// take its place.
	var old string
	if _, err := os.Stat(final); err == nil {
		old = tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			_ = os.Rename(old, final)
		}
		return err
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("partition written, but the one it replaced is left in %s: %w", old, err)
		}
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
