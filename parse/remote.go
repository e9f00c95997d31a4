package parse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Store reaches inputs that are not local files: objects named by URL
// (s3://, gs://, azblob://). parse knows nothing of object storage; a
// command that accepts URLs passes a Store to ExpandContext.
type Store interface {
	// IsURL reports whether arg names something in the store rather than
	// a local path.
	IsURL(arg string) bool
	// List expands arg (one object, a prefix ending in "/", or a glob)
	// into objects, in order.
	List(ctx context.Context, arg string) ([]Object, error)
	// Open streams one object, as List named it, from its first byte.
	Open(ctx context.Context, url string) (io.ReadCloser, error)
	// Head returns the first n bytes of an object (all of it when it is
	// shorter).
	Head(ctx context.Context, url string, n int64) ([]byte, error)
}

// Object is one object a Store listed.
type Object struct {
	URL  string // what Store.Open takes
	Key  string // the object's key in its bucket: the node is named after its last element
	Size int64  // stored size in bytes
}

// ExpandContext is Expand for arguments that may also be object URLs,
// which store (if not nil) lists and opens; ctx bounds the listing and
// every later read of an object. An object is one node, or one per dump
// inside when it is a tar archive, as a file is; a prefix or glob is
// like a directory, except that objects that are not dumps are skipped
// by their first bytes only.
func ExpandContext(ctx context.Context, args []string, names map[string]string, store Store) ([]Input, error) {
	re := remoteExpander{ctx: ctx, store: store}
	e := &expander{}
	for _, arg := range args {
		if store == nil || !store.IsURL(arg) {
			if err := e.arg(arg); err != nil {
				return nil, err
			}
			continue
		}
		found, err := re.expand(arg)
		if err != nil {
			return nil, err
		}
		e.ins = append(e.ins, found...)
	}
	return checkNames(e.ins, names)
}

// remoteExpander expands object URLs.
type remoteExpander struct {
	ctx   context.Context
	store Store
}

func (e remoteExpander) expand(arg string) ([]Input, error) {
	objs, err := e.store.List(e.ctx, arg)
	if err != nil {
		return nil, err
	}
	// An object named on its own is always tried, as a file is, so that
	// Parse can say what is wrong with it; in a prefix or a glob, objects
	// that are not dumps are skipped, as in a directory.
	key, _, _ := strings.Cut(arg, "?")
	explicit := len(objs) == 1 && !strings.HasSuffix(key, "/") && !strings.ContainsAny(key, "*[")
	var ins []Input
	for _, o := range objs {
		found, err := e.object(o, explicit)
		if err != nil {
			return nil, err
		}
		ins = append(ins, found...)
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%s: no RDB dumps there (nor compressed dumps or tar archives of dumps)", arg)
	}
	return ins, nil
}

// sniffHead is how much of an object is read to tell its format: a
// ranged read, so that the store does not send the rest of a large
// object only for it to be dropped.
const sniffHead = 64 << 10

// object turns one object into nodes, sniffing its first bytes as
// expandFile does a file's.
func (e remoteExpander) object(o Object, explicit bool) ([]Input, error) {
	head, err := e.store.Head(e.ctx, o.URL, sniffHead)
	if err != nil {
		return nil, err
	}
	kind, _ := sniff(bytes.NewReader(head))
	if kind == kindOther && int64(len(head)) == sniffHead && sniffCompression(head) != "" {
		// A compressed stream whose first block is longer than the head
		// (lz4 frames have blocks of up to 4 MiB): read on as far as
		// needed.
		rc, err := e.store.Open(e.ctx, o.URL)
		if err != nil {
			return nil, err
		}
		kind, err = sniff(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.URL, err)
		}
	}
	ref := Ref{Path: o.URL, Remote: true, Size: o.Size}
	switch kind {
	case kindTar:
		return e.tar(ref)
	case kindRDB:
	default:
		if !explicit {
			return nil, nil
		}
	}
	return []Input{e.input(nodeName(path.Base(o.Key)), ref)}, nil
}

// input is the node ref names, opened through the store.
func (e remoteExpander) input(name string, ref Ref) Input {
	return Input{Name: name, Ref: ref, open: e.opener(ref.Path)}
}

func (e remoteExpander) opener(url string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return e.store.Open(e.ctx, url) }
}

// tar lists the dumps in an archive object. Its members are streamed
// later as the archive is read again, once, from its start (Members).
func (e remoteExpander) tar(obj Ref) ([]Input, error) {
	rc, err := e.store.Open(e.ctx, obj.Path)
	if err != nil {
		return nil, err
	}
	tr, done, err := openTarStream(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", obj.Path, err)
	}
	defer done()
	members, err := listTar(obj.Path, tr, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", obj.Path, err)
	}
	ins := make([]Input, len(members))
	for i, m := range members {
		m.Ref.Remote = true
		ins[i] = m
		ins[i].open = e.memberOpener(m.Ref)
		ins[i].archive = e.opener(obj.Path)
	}
	return ins, nil
}

// memberOpener reaches one member by reading the archive up to it: slow,
// used only when a member is opened alone rather than through Members.
func (e remoteExpander) memberOpener(r Ref) func() (io.ReadCloser, error) {
	archive := e.opener(r.Path)
	return func() (io.ReadCloser, error) {
		rc, err := archive()
		if err != nil {
			return nil, err
		}
		tr, done, err := openTarStream(rc)
		if err != nil {
			return nil, err
		}
		return seekMember(tr, done, r.Path, r.Member, r.Index)
	}
}

// errNoStore is Ref.Open's error for an object named without a Store.
var errNoStore = errors.New("an object URL can only be opened through the Input that Expand returned")
