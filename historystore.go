package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/rdbscope/rdbscope/aggregate/history"
	"github.com/rdbscope/rdbscope/internal/objstore"
)

// openHistory returns the history at arg: a local directory, or the
// objects under a bucket prefix (s3://, gs://, azblob://). Reads of
// objects resume after a dropped connection, saying so on stderr.
func openHistory(ctx context.Context, arg string, stderr io.Writer) (*history.History, error) {
	if !objstore.IsURL(arg) {
		return history.New(history.Dir(arg)), nil
	}
	st, err := newObjectHistory(ctx, arg, stderr)
	if err != nil {
		return nil, err
	}
	return history.New(st), nil
}

// objectHistory is the history.Store of a history kept under a bucket
// prefix: a partition's files are the objects
// PREFIX/cluster=C/date=D/nodes.parquet and families.parquet, the layout of
// the local directory.
//
// It holds the command's context because history.Store, like io/fs, has
// none: one objectHistory serves one command.
type objectHistory struct {
	ctx    context.Context
	prefix string // the URL up to and including the prefix's final "/", without the query
	query  string // "?" and the URL's query, or ""
	stderr io.Writer
}

func newObjectHistory(ctx context.Context, raw string, stderr io.Writer) (*objectHistory, error) {
	prefix, query, err := historyPrefix(raw)
	if err != nil {
		return nil, err
	}
	return &objectHistory{ctx: ctx, prefix: prefix, query: query, stderr: stderr}, nil
}

// historyPrefix splits a history URL into its prefix, ending in "/" with
// or without it in the URL (a history is always a prefix), and its query
// ("?..." or ""). A glob is a usage error.
func historyPrefix(raw string) (prefix, query string, err error) {
	prefix, query, _ = strings.Cut(raw, "?")
	if _, key, _ := strings.Cut(prefix, "://"); strings.ContainsAny(key, "*[") {
		return "", "", usageError{fmt.Sprintf("--history %s: a history is a prefix (s3://BUCKET/PREFIX/), not a glob", raw)}
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if query != "" {
		query = "?" + query
	}
	return prefix, query, nil
}

// url is the URL of name; a directory's ends in "/".
func (h *objectHistory) url(name string, dir bool) string {
	if name == "." {
		return h.prefix + h.query
	}
	if dir {
		name += "/"
	}
	return h.prefix + name + h.query
}

// Where implements history.Store: the object's URL, with the history's
// query (endpoint, region...), so that it can be pasted.
func (h *objectHistory) Where(name string) string { return h.url(name, false) }

// ReadDir implements history.Store over one level of listing.
func (h *objectHistory) ReadDir(name string) ([]fs.DirEntry, error) {
	objs, dirs, err := objstore.ListDir(h.ctx, h.url(name, true))
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 && len(dirs) == 0 {
		return nil, fmt.Errorf("%s: no history here: no object under this prefix (%w)", h.url(name, true), fs.ErrNotExist)
	}
	ents := make([]fs.DirEntry, 0, len(objs)+len(dirs))
	for _, d := range dirs {
		ents = append(ents, objectEntry{name: d, dir: true})
	}
	for _, o := range objs {
		ents = append(ents, objectEntry{name: o.Name(), size: o.Size, mod: o.ModTime})
	}
	return ents, nil
}

// ReadFile implements history.Store: a file of a partition is small
// (about 8 kB a night of 3 nodes, 110 kB of 300), so it is read into
// memory, bounded by history.MaxFileSize, rather than with ranged reads.
func (h *objectHistory) ReadFile(name string) ([]byte, error) {
	u := h.url(name, false)
	r, err := objstore.Open(h.ctx, u, &objstore.Options{OnRetry: func(r objstore.Retry) {
		fmt.Fprintf(h.stderr, "rdbscope: %s\n", r)
	}})
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, fmt.Errorf("%w (%w)", err, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() > history.MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, more than a history file can be (%d)", u, r.Size(), history.MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(r, history.MaxFileSize+1))
}

// WritePartition implements history.Store: each file is uploaded whole
// and becomes visible when its upload completes, one after the other in
// the order given. Objects cannot be renamed into place together: a run
// that stops between two files leaves the partition torn, which
// history.Read notices (see history.History.Append).
func (h *objectHistory) WritePartition(dir string, files []history.File) error {
	for i, f := range files {
		if err := h.put(dir+"/"+f.Name, f.Data); err != nil {
			if i > 0 {
				return fmt.Errorf("%w; %s was written before it, so the partition is torn until the night is run again", err, files[i-1].Name)
			}
			return err
		}
	}
	return nil
}

func (h *objectHistory) put(name string, data []byte) error {
	w, err := objstore.Create(h.ctx, h.url(name, false))
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// objectEntry is an object or a "directory" of a listing as an
// fs.DirEntry.
type objectEntry struct {
	name string
	dir  bool
	size int64
	mod  time.Time
}

func (e objectEntry) Name() string               { return e.name }
func (e objectEntry) IsDir() bool                { return e.dir }
func (e objectEntry) Type() fs.FileMode          { return e.Mode().Type() }
func (e objectEntry) Info() (fs.FileInfo, error) { return e, nil }
func (e objectEntry) Size() int64                { return e.size }
func (e objectEntry) ModTime() time.Time         { return e.mod }
func (e objectEntry) Sys() any                   { return nil }

func (e objectEntry) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
