package parse

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// Input is one node's dump, resolved from the command line by Expand.
type Input struct {
	Name string // node name: file or member name without extension, or the --name override
	Ref         // where its stored bytes are
	// Warnings are about how the input was found, e.g. that another path
	// named the same file, which is analyzed once.
	Warnings []string

	open func() (io.ReadCloser, error) // nil: Ref.Open
	// archive opens the whole archive the input is a member of, when it
	// is not a local file (an object); nil: openTar(Path).
	archive func() (io.ReadCloser, error)
}

// Open opens the input's stored bytes (still compressed).
func (in Input) Open() (io.ReadCloser, error) {
	return in.OpenContext(context.Background())
}

// OpenContext opens the input's stored bytes (still compressed). Opening
// a FIFO waits for its writer, and reading it for data: both end when
// ctx does.
func (in Input) OpenContext(ctx context.Context) (io.ReadCloser, error) {
	if in.open != nil {
		return in.open()
	}
	return in.Ref.open(ctx)
}

// Direct reports whether another process can reach the input's stored
// bytes from its Ref alone (see Ref.Direct): not when it was found to be
// unreadable, nor when it is streamed.
func (in Input) Direct() bool { return in.open == nil && in.Ref.Direct() }

// Ref says where one input's stored bytes are. It survives a trip through
// JSON, so that another process (a parser child) can open the same bytes
// without expanding the command line again.
type Ref struct {
	Path   string `json:"path"`             // file as given by the user; "-" for standard input
	Member string `json:"member,omitempty"` // tar member name, if the dump is inside an archive
	// Index is the member's position among the archive's headers
	// (0-based), which tells apart members of the same name.
	Index int `json:"index,omitempty"`
	// Offset is where the member's bytes start in Path when the archive
	// is not compressed (so the member can be read in place), else 0.
	Offset int64 `json:"offset,omitempty"`
	Size   int64 `json:"size,omitempty"` // stored size if known, else 0
	// Remote says that Path is an object URL (s3://, gs://, azblob://),
	// which only the Input that ExpandContext made can open: another
	// process gets its bytes as a stream.
	Remote bool `json:"remote,omitempty"`
	// Pipe says that Path is not a regular file but a FIFO, a pipe
	// (/dev/stdin, /dev/fd/N of "<(zcat dump.gz)") or a device: it can
	// be read once, from its start, and is never opened to look at it.
	Pipe bool `json:"pipe,omitempty"`
}

// Input returns the input r refers to, named name, which Parse opens with
// r.Open.
func (r Ref) Input(name string) Input { return Input{Name: name, Ref: r} }

// Stream returns the input r refers to, named name, whose stored bytes
// (what r.Open would return) are read from rc instead. It is for inputs
// that are best read only once: standard input or a pipe, and members of
// compressed archives, which can only be reached by decompressing what
// precedes them. A process that has opened such an input can hand the
// stream to another (a parser child) as a file descriptor. The Input can
// be parsed once; Parse closes rc.
func (r Ref) Stream(name string, rc io.ReadCloser) Input {
	var used atomic.Bool
	return Input{Name: name, Ref: r, open: func() (io.ReadCloser, error) {
		if used.Swap(true) {
			return nil, errors.New("input stream already read")
		}
		return rc, nil
	}}
}

// Direct reports whether Open reaches the stored bytes without reading
// anything before them: a file, or a member of an uncompressed archive
// whose offset is known. Other inputs are best opened once and passed on
// as a stream (see Stream).
func (r Ref) Direct() bool {
	return r.Path != "-" && !r.Remote && !r.Pipe && (r.Member == "" || r.Offset > 0)
}

// Open opens the stored (possibly compressed) bytes r refers to: standard
// input, a file, or a tar member — read in place when its offset is
// known, else found by reading the archive up to it.
func (r Ref) Open() (io.ReadCloser, error) { return r.open(context.Background()) }

func (r Ref) open(ctx context.Context) (io.ReadCloser, error) {
	switch {
	case r.Remote:
		return nil, fmt.Errorf("%s: %w", r.label(), errNoStore)
	case r.Path == "-":
		return io.NopCloser(os.Stdin), nil
	case r.Member == "":
		return openFile(ctx, r.Path)
	case r.Offset > 0:
		return openMemberAt(r)
	}
	return openMemberAtIndex(r.Path, r.Member, r.Index)
}

// label names the input in messages: the path, and the member after a
// colon.
func (r Ref) label() string {
	if r.Member != "" {
		return r.Path + ":" + r.Member
	}
	return r.Path
}

// memberReader reads a tar member; Close releases the archive.
type memberReader struct {
	io.Reader
	done func()
}

func (m memberReader) Close() error { m.done(); return nil }

// openMemberAt reads the member of an uncompressed archive in place.
func openMemberAt(r Ref) (io.ReadCloser, error) {
	f, err := os.Open(r.Path)
	if err != nil {
		return nil, err
	}
	if !regularHeaderAt(f, r.Offset) {
		f.Close()
		return nil, fmt.Errorf("member %s not found at byte %d of %s: the archive changed since it was listed", r.Member, r.Offset, r.Path)
	}
	return memberReader{Reader: io.NewSectionReader(f, r.Offset, r.Size), done: func() { f.Close() }}, nil
}

// regularHeaderAt reports whether the 512 bytes before off in f are the
// ustar header of a regular file, as they are before a member's data.
// (PAX and GNU long-name entries come before that header, not between it
// and the data.)
func regularHeaderAt(f *os.File, off int64) bool {
	if off < 512 {
		return false
	}
	var blk [512]byte
	if _, err := f.ReadAt(blk[:], off-512); err != nil {
		return false
	}
	return isTar(blk[:]) && (blk[156] == tar.TypeReg || blk[156] == 0)
}

// plainMember reports whether a member's bytes are stored as they are
// (not a sparse file, whose holes are not stored).
func plainMember(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return false
		}
	}
	return hdr.Typeflag == tar.TypeReg
}

// openMemberAtIndex opens the archive and reads it up to member number
// idx, which must be named name.
func openMemberAtIndex(path, name string, idx int) (io.ReadCloser, error) {
	tr, _, done, err := openTar(path)
	if err != nil {
		return nil, err
	}
	return seekMember(tr, done, path, name, idx)
}

// seekMember reads tr up to member number idx, which must be named name;
// done releases the archive.
func seekMember(tr *tar.Reader, done func(), path, name string, idx int) (io.ReadCloser, error) {
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err != nil {
			done()
			if err == io.EOF {
				return nil, fmt.Errorf("member %s not found in %s", name, path)
			}
			return nil, err
		}
		if i == idx && hdr.Name == name {
			return memberReader{Reader: tr, done: done}, nil
		}
	}
}

// offsetReader is an uncompressed archive being listed: it knows its
// position, which is where a member's data starts once tar.Reader.Next
// has returned its header, and it lets the tar reader seek over member
// data instead of reading it.
type offsetReader struct {
	f   *os.File
	off int64
}

func (r *offsetReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.off += int64(n)
	return n, err
}

func (r *offsetReader) Seek(offset int64, whence int) (int64, error) {
	n, err := r.f.Seek(offset, whence)
	if err == nil {
		r.off = n
	}
	return n, err
}
