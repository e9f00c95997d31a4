package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Object is one object of a bucket, as List found it.
type Object struct {
	// URL names the object with the query parameters of the URL it was
	// listed from: pass it to Open.
	URL string
	// Key is the object's key in its bucket.
	Key string
	// Size is the stored size in bytes.
	Size int64
	// ETag is the store's entity tag (quoted, as S3 sends it), or "".
	ETag string
	// Generation is the GCS object generation, or 0 on other stores.
	Generation int64
	// ModTime is the time of the last write.
	ModTime time.Time
}

// Name is the last element of the object's key, like a file's base name.
func (o Object) Name() string {
	return path.Base(o.Key)
}

// globMeta are the characters that make a key a glob. "?" is not one: in
// a URL it starts the query.
const globMeta = "*["

// List expands rawURL into the objects it names, sorted by key:
//
//   - s3://BUCKET/PREFIX/ (ending in "/", or the bare bucket): the objects
//     directly under the prefix, not those in deeper "directories",
//     as a local directory is read;
//   - s3://BUCKET/PREFIX/*.rdb: the objects whose key matches the glob,
//     with path.Match's syntax ("*" does not cross "/"; "[...]" classes);
//     "?" cannot be used, as it starts the URL's query;
//   - s3://BUCKET/KEY: that one object, or, if there is no such object
//     but KEY/ is a prefix, the objects under KEY/.
//
// The same forms apply to gs:// and azblob://. Matching nothing is an
// error wrapping ErrNotFound.
func List(ctx context.Context, rawURL string) ([]Object, error) {
	l, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	b, err := openBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	defer b.Close()

	var objs []Object
	switch {
	case strings.ContainsAny(l.key, globMeta):
		objs, err = listGlob(ctx, b, l)
	case l.isPrefix():
		objs, err = listPrefix(ctx, b, l, l.key)
	default:
		objs, err = listOne(ctx, b, l)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// listOne stats one object, or falls back to the prefix KEY/.
func listOne(ctx context.Context, b *blob.Bucket, l location) ([]Object, error) {
	a, err := b.Attributes(ctx, l.key)
	if err == nil {
		return []Object{newObject(l, l.key, attrsVersion(l.scheme, a))}, nil
	}
	if gcerrors.Code(err) != gcerrors.NotFound {
		return nil, l.classify("stat", err)
	}
	objs, perr := collect(ctx, b, l, l.key+"/", nil)
	if perr == nil && len(objs) > 0 {
		return objs, nil
	}
	return nil, notFound(ctx, b, l, "no such object")
}

// listPrefix lists the objects directly under prefix.
func listPrefix(ctx context.Context, b *blob.Bucket, l location, prefix string) ([]Object, error) {
	objs, err := collect(ctx, b, l, prefix, nil)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, notFound(ctx, b, l, "no objects under this prefix")
	}
	return objs, nil
}

// listGlob lists the objects matching the key as a glob. The listing
// starts at the literal part before the first wildcard, and goes into
// deeper "directories" only when the pattern has a "/" after it.
func listGlob(ctx context.Context, b *blob.Bucket, l location) ([]Object, error) {
	// A literal "?" or "\" in a key must not act as a wildcard or an
	// escape: neither can be one in our URLs.
	pattern := strings.NewReplacer(`\`, `\\`, `?`, `\?`).Replace(l.key)
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("%s: bad glob %q: %w", l.raw, l.key, err)
	}
	i := strings.IndexAny(l.key, globMeta)
	prefix := l.key[:i]
	deep := strings.Contains(l.key[i:], "/")
	match := func(key string) bool {
		ok, _ := path.Match(pattern, key)
		return ok
	}
	var (
		objs []Object
		err  error
	)
	if deep {
		objs, err = collectDeep(ctx, b, l, prefix, match)
	} else {
		objs, err = collect(ctx, b, l, prefix, match)
	}
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, notFound(ctx, b, l, "no objects match this glob")
	}
	return objs, nil
}

// collect lists one level under prefix, keeping the objects that match
// (all of them when match is nil). "Directory" entries and directory
// marker objects (a key ending in "/") are skipped.
func collect(ctx context.Context, b *blob.Bucket, l location, prefix string, match func(string) bool) ([]Object, error) {
	return iterate(ctx, b, l, &blob.ListOptions{Prefix: prefix, Delimiter: "/"}, match)
}

// collectDeep lists everything under prefix, at any depth.
func collectDeep(ctx context.Context, b *blob.Bucket, l location, prefix string, match func(string) bool) ([]Object, error) {
	return iterate(ctx, b, l, &blob.ListOptions{Prefix: prefix}, match)
}

func iterate(ctx context.Context, b *blob.Bucket, l location, opts *blob.ListOptions, match func(string) bool) ([]Object, error) {
	var objs []Object
	it := b.List(opts)
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, notFound(ctx, b, l, "no objects under this prefix")
		}
		if err != nil {
			return nil, l.classify("list", err)
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") {
			continue
		}
		if match != nil && !match(o.Key) {
			continue
		}
		objs = append(objs, newObject(l, o.Key, listVersion(l.scheme, o)))
	}
}

func newObject(l location, key string, v version) Object {
	return Object{
		URL:        l.objectURL(key),
		Key:        key,
		Size:       v.size,
		ETag:       v.etag,
		Generation: v.generation,
		ModTime:    v.modTime,
	}
}

// notFound words a "nothing there" error, telling a missing bucket from a
// missing object.
func notFound(ctx context.Context, b *blob.Bucket, l location, what string) error {
	if ok, err := b.IsAccessible(ctx); err == nil && !ok {
		return fmt.Errorf("%s: %w: no such %s %q (check the name)", l.raw, ErrNotFound, bucketWord(l.scheme), l.bucket)
	}
	return fmt.Errorf("%s: %w: %s in %s %q", l.raw, ErrNotFound, what, bucketWord(l.scheme), l.bucket)
}

// ListDir lists one level under the prefix rawURL names (a key ending in
// "/", or the bare bucket), as a directory is read: the objects directly
// under it, and the names of the "directories" below it (the next
// element of deeper keys, without its "/"), each sorted. Directory marker
// objects (a key ending in "/") are skipped. Unlike List, a prefix with
// nothing under it is no error: both lists are empty. A missing bucket is
// an error wrapping ErrNotFound.
func ListDir(ctx context.Context, rawURL string) (objs []Object, dirs []string, err error) {
	l, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if !l.isPrefix() || strings.ContainsAny(l.key, globMeta) {
		return nil, nil, fmt.Errorf("%s: not a prefix: the key must end in /", rawURL)
	}
	b, err := openBucket(ctx, l)
	if err != nil {
		return nil, nil, err
	}
	defer b.Close()
	it := b.List(&blob.ListOptions{Prefix: l.key, Delimiter: "/"})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, nil, notFound(ctx, b, l, "no objects under this prefix")
		}
		if err != nil {
			return nil, nil, l.classify("list", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(o.Key, l.key), "/")
		switch {
		case name == "":
		case o.IsDir:
			dirs = append(dirs, name)
		case !strings.HasSuffix(o.Key, "/"):
			objs = append(objs, newObject(l, o.Key, listVersion(l.scheme, o)))
		}
	}
	if len(objs) == 0 && len(dirs) == 0 {
		// An empty prefix, or no bucket at all: only the second is an
		// error.
		if ok, err := b.IsAccessible(ctx); err == nil && !ok {
			return nil, nil, notFound(ctx, b, l, "")
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	sort.Strings(dirs)
	return objs, dirs, nil
}
