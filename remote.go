package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/objstore"
	"github.com/rdbscope/rdbscope/parse"
)

// objectStore is the parse.Store of the commands: dumps and profiles in
// S3, Cloud Storage and Azure Blob Storage, read through internal/objstore.
// The parent process reads every object (a parser child gets its bytes on
// a pipe, as it gets standard input), so that retries are reported and
// counted in one place and children need no credentials.
type objectStore struct {
	mu sync.Mutex
	w  io.Writer // where retries are reported: stderr, or above the progress bars
}

func newObjectStore(stderr io.Writer) *objectStore { return &objectStore{w: stderr} }

// report sets where retries are reported from now on.
func (s *objectStore) report(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

func (s *objectStore) retried(r objstore.Retry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "rdbscope: %s\n", r)
}

// IsURL implements parse.Store.
func (s *objectStore) IsURL(arg string) bool { return objstore.IsURL(arg) }

// List implements parse.Store.
func (s *objectStore) List(ctx context.Context, arg string) ([]parse.Object, error) {
	objs, err := objstore.List(ctx, arg)
	if err != nil {
		return nil, err
	}
	out := make([]parse.Object, len(objs))
	for i, o := range objs {
		out[i] = parse.Object{URL: o.URL, Key: o.Key, Size: o.Size}
	}
	return out, nil
}

// Open implements parse.Store: the read resumes after a dropped
// connection, saying so on stderr.
func (s *objectStore) Open(ctx context.Context, url string) (io.ReadCloser, error) {
	r, err := objstore.Open(ctx, url, &objstore.Options{OnRetry: s.retried})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Head implements parse.Store.
func (s *objectStore) Head(ctx context.Context, url string, n int64) ([]byte, error) {
	return objstore.ReadHead(ctx, url, n)
}

// expandInputs resolves a command's dump arguments into nodes: files,
// directories, tar archives, "-", and object URLs (see
// parse.ExpandContext). Node names come from file, object and archive
// member names: they are escaped as key names are (aggregate.EscapeKey),
// so that no control character or invalid UTF-8 of a name reaches a
// terminal, a progress bar or a report.
func expandInputs(ctx context.Context, args []string, names map[string]string, store *objectStore) ([]parse.Input, error) {
	inputs, err := parse.ExpandContext(ctx, args, names, store)
	if err != nil {
		return nil, err
	}
	for i := range inputs {
		inputs[i].Name = aggregate.EscapeKey(inputs[i].Name)
	}
	return inputs, nil
}

// openProfile opens a file a command reads whole (a JSON profile), or
// the object a URL names; retries of an object are reported on stderr.
func openProfile(ctx context.Context, arg string) (io.ReadCloser, error) {
	if objstore.IsURL(arg) {
		return newObjectStore(os.Stderr).Open(ctx, arg)
	}
	return os.Open(arg)
}

// profileArgs expands the object prefixes and globs among report's
// arguments into the objects they name (a prefix: its *.json objects, as
// `dir/*.json` would in a shell); other arguments stay as they are.
func profileArgs(ctx context.Context, args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		if !objectSet(arg) {
			out = append(out, arg)
			continue
		}
		prefix := strings.HasSuffix(objectKey(arg), "/")
		objs, err := objstore.List(ctx, arg)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, o := range objs {
			if !prefix || strings.HasSuffix(o.Key, ".json") {
				out = append(out, o.URL)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no JSON profile (*.json) under this prefix", arg)
		}
	}
	return out, nil
}

// objectKey is an object URL without its query, whose extension is the
// object's; other names are returned as they are.
func objectKey(name string) string {
	if !objstore.IsURL(name) {
		return name
	}
	key, _, _ := strings.Cut(name, "?")
	return key
}

// objectSet reports whether arg is an object URL that names several
// objects, as a directory names files: a prefix ending in "/", the bare
// bucket, or a glob.
func objectSet(arg string) bool {
	if !objstore.IsURL(arg) {
		return false
	}
	key := objectKey(arg)
	i := strings.Index(key, "://")
	rest := key[i+3:]
	return !strings.Contains(rest, "/") || strings.HasSuffix(rest, "/") || strings.ContainsAny(rest, "*[")
}
