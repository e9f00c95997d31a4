// Package output writes the files a run produces — reports, exports,
// profiles — so that nothing a user gave is ever destroyed.
//
// A command lists its outputs and its inputs in a Set, and opens the Set
// before it reads any input: every destination is checked then (its
// directory exists and is writable, it is not an input, not a file inside
// an input directory, not another output, and stdout is taken once), so a
// mistake costs nothing but a message. A regular destination is written
// to a temporary file beside it and renamed into place by Commit, once
// every output is complete: a run writes all its files or none, and a
// failed or interrupted run leaves the previous ones intact. A
// destination that exists and is not a regular file — a pipe, a FIFO, a
// terminal, /dev/null, a /dev/fd/N descriptor — is written in place,
// never replaced, like stdout; a symbolic link is followed.
//
// A destination that is an object URL (s3://, gs://, azblob://) is
// uploaded as it is written (internal/objstore): Open checks that its
// bucket exists, and the object becomes visible only when Commit closes
// it; Abort discards it, leaving the previous object as it was. Objects
// are committed one by one, after every file is written and before any
// is renamed into place: a failure while committing them stops the run
// with the files untouched, but the objects committed before it stay.
package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdbscope/rdbscope/internal/objstore"
)

// ErrConflict marks a plan that would write over an input, or two
// outputs over one file: an error in how the command was called.
var ErrConflict = errors.New("conflicting outputs")

// conflict is an error that is ErrConflict, with its own message.
type conflict struct{ msg string }

func (e *conflict) Error() string        { return e.msg }
func (e *conflict) Is(target error) bool { return target == ErrConflict }

func conflictf(format string, args ...any) error {
	return &conflict{fmt.Sprintf(format, args...)}
}

// Set is the outputs of one run. Its zero value is not usable: see New.
type Set struct {
	stdout io.Writer
	outs   []*file
	inputs []string
	stdin  io.Reader
	opened bool
}

// how a destination is written.
type kind int

const (
	toStdout kind = iota // "-": the command's stdout
	viaTemp              // a regular file (or a new one): temporary file, renamed by Commit
	inPlace              // exists and is not a regular file, or is a descriptor: written where it is
	toObject             // an object URL: uploaded as written, visible once Commit closes it
)

// file is one output.
type file struct {
	flag, path string // as the user gave them
	kind       kind
	dest       string      // where it is written, symbolic links followed
	fi         os.FileInfo // the existing destination, nil if new
	key        string      // a new file's identity: real directory and name
	perm       fs.FileMode // permissions of the file that Commit puts in place
	f          *os.File    // temporary file or destination opened in place
	obj        *objstore.Writer
}

// New returns an empty Set whose "-" outputs go to stdout.
func New(stdout io.Writer) *Set { return &Set{stdout: stdout} }

// Add registers the output of flag (named so in messages, e.g. "--json")
// at path: "" means not wanted, "-" stdout. Add before Open.
func (s *Set) Add(flag, path string) {
	if path == "" {
		return
	}
	s.outs = append(s.outs, &file{flag: flag, path: path})
}

// Input registers paths the run reads (files, directories, "-" for
// standard input, given with Stdin): no output may be one of them or a
// file directly inside one of the directories.
func (s *Set) Input(paths ...string) { s.inputs = append(s.inputs, paths...) }

// Stdin registers the run's standard input: when it is a regular file
// ("rdbscope analyze - < dump.rdb"), no output may be that file.
func (s *Set) Stdin(r io.Reader) { s.stdin = r }

// Open checks every output against the inputs and the other outputs and
// makes it ready to be written: it creates the temporary files and opens
// the destinations written in place (waiting, until ctx is done, for the
// reader of a FIFO). Call it before reading any input. Errors wrapping
// ErrConflict are errors in the command line.
func (s *Set) Open(ctx context.Context) error {
	if s.opened {
		return errors.New("output: Set opened twice")
	}
	s.opened = true
	for _, o := range s.outs {
		if err := o.resolve(); err != nil {
			return err
		}
	}
	if err := s.checkOutputs(); err != nil {
		return err
	}
	if err := s.checkInputs(); err != nil {
		return err
	}
	for _, o := range s.outs {
		if err := o.open(ctx); err != nil {
			s.Abort()
			return err
		}
	}
	return nil
}

// Writer returns where the output of flag is written: nil when it was
// not asked for. Call it after Open.
func (s *Set) Writer(flag string) io.Writer {
	for _, o := range s.outs {
		if o.flag != flag {
			continue
		}
		if o.kind == toStdout {
			return s.stdout
		}
		if o.kind == toObject {
			if o.obj == nil {
				return nil
			}
			return o.obj
		}
		if o.f == nil {
			return nil // Open failed or was not called
		}
		return o.f
	}
	return nil
}

// Commit puts every output in place: the temporary files are synced, the
// uploads to objects completed, then the temporary files renamed over
// their destinations, the files written in place closed. On error the
// outputs not yet renamed or completed are removed; objects completed
// before the error stay (several objects are not committed at once).
func (s *Set) Commit() error {
	// Close everything first: a write error that only shows at close
	// (a full disk, NFS) must stop the run before any rename.
	for _, o := range s.outs {
		if o.f == nil {
			continue
		}
		var err error
		if o.kind == viaTemp {
			err = o.f.Sync()
			if err == nil {
				err = o.f.Chmod(o.perm)
			}
		}
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			s.Abort()
			return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		if o.kind == inPlace {
			o.f = nil
		}
	}
	// Objects next: an upload is the likeliest to fail, and until the
	// renames below no file has changed.
	for _, o := range s.outs {
		if o.obj == nil {
			continue
		}
		err := o.obj.Close()
		o.obj = nil
		if err != nil {
			s.Abort()
			return fmt.Errorf("%s: %w", o.flag, err)
		}
	}
	for _, o := range s.outs {
		if o.kind != viaTemp || o.f == nil {
			continue
		}
		if err := os.Rename(o.f.Name(), o.dest); err != nil {
			s.Abort()
			return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		o.f = nil
	}
	return nil
}

// Abort removes the temporary files of the outputs not committed and
// closes the destinations written in place. The previous files stay as
// they were.
func (s *Set) Abort() {
	for _, o := range s.outs {
		if o.obj != nil {
			_ = o.obj.Abort()
			o.obj = nil
		}
		if o.f == nil {
			continue
		}
		o.f.Close()
		if o.kind == viaTemp {
			os.Remove(o.f.Name())
		}
		o.f = nil
	}
}

// ToStdout reports whether an output goes to the command's stdout ("-",
// or a path that is stdout, such as /dev/stdout), in which case a
// terminal summary belongs on stderr.
func (s *Set) ToStdout() bool {
	for _, o := range s.outs {
		if o.kind == toStdout || o.fi != nil && sameAsStdout(o.fi, s.stdout) {
			return true
		}
	}
	return false
}

// Written maps the flag of each output written to a file (not stdout) to
// its path as the user gave it.
func (s *Set) Written() map[string]string {
	m := map[string]string{}
	for _, o := range s.outs {
		if o.kind != toStdout && !(o.fi != nil && sameAsStdout(o.fi, s.stdout)) {
			m[o.flag] = o.path
		}
	}
	return m
}

func sameAsStdout(fi os.FileInfo, stdout io.Writer) bool {
	f, ok := stdout.(*os.File)
	if !ok {
		return false
	}
	sfi, err := f.Stat()
	return err == nil && os.SameFile(fi, sfi)
}

// maxLinks bounds the symbolic links followed to a destination.
const maxLinks = 40

// resolve follows the destination's links and decides how to write it.
func (o *file) resolve() error {
	if o.path == "-" {
		o.kind = toStdout
		return nil
	}
	if objstore.IsURL(o.path) {
		// Nothing to stat: Open checks the bucket. Two URLs that differ
		// only in their options (the query) name one object.
		o.kind, o.key = toObject, objectName(o.path)
		return nil
	}
	p := o.path
	for i := 0; ; i++ {
		if isDescriptor(p) {
			// /dev/stdout, /dev/fd/N, /proc/self/fd/N: what the shell
			// opened for us (a pipe of ">(cmd)", a redirected file) is
			// written through, never replaced.
			fi, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("%s %s: %w", o.flag, o.path, unwrapPath(err))
			}
			o.kind, o.dest, o.fi = inPlace, p, fi
			return nil
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return o.newFile(p)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.flag, o.path, unwrapPath(err))
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return o.existing(p, fi)
		}
		if i == maxLinks {
			return fmt.Errorf("%s %s: too many levels of symbolic links", o.flag, o.path)
		}
		t, err := os.Readlink(p)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.flag, o.path, unwrapPath(err))
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
}

// newFile is a destination that does not exist yet: its directory must.
func (o *file) newFile(p string) error {
	dir := filepath.Dir(p)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s: directory %s: %w", o.flag, o.path, dir, unwrapPath(err))
	case !fi.IsDir():
		return fmt.Errorf("%s %s: %s is not a directory", o.flag, o.path, dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", o.flag, o.path, unwrapPath(err))
	}
	abs, err := filepath.Abs(real)
	if err != nil {
		return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
	}
	o.kind, o.dest, o.perm = viaTemp, p, 0o644
	o.key = filepath.Join(abs, filepath.Base(p))
	return nil
}

// existing is a destination that exists (links followed) at p.
func (o *file) existing(p string, fi os.FileInfo) error {
	o.dest, o.fi = p, fi
	m := fi.Mode()
	switch {
	case m.IsRegular():
		if m.Perm()&0o222 == 0 {
			return fmt.Errorf("%s %s: the file is read-only: refusing to replace it", o.flag, o.path)
		}
		o.kind, o.perm = viaTemp, m.Perm()
	case m.IsDir():
		return fmt.Errorf("%s %s: is a directory", o.flag, o.path)
	case m&fs.ModeNamedPipe != 0 || m&fs.ModeCharDevice != 0:
		o.kind = inPlace
	default:
		// A block device or a socket: writing a report onto a disk is
		// never what was meant.
		return fmt.Errorf("%s %s: is a %s, not a file: refusing to write to it", o.flag, o.path, modeName(m))
	}
	return nil
}

func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// isDescriptor reports whether p names one of the process's open file
// descriptors rather than a file.
func isDescriptor(p string) bool {
	p = filepath.Clean(p)
	switch p {
	case "/dev/stdout", "/dev/stderr", "/dev/stdin":
		return true
	}
	if strings.HasPrefix(p, "/dev/fd/") {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok {
		parts := strings.Split(rest, "/")
		return len(parts) == 3 && parts[1] == "fd"
	}
	return false
}

// unwrapPath drops the *fs.PathError around err: messages name the path
// as the user gave it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sharable reports whether several outputs may go to one destination:
// a character device such as /dev/null takes them all without mixing
// anything up.
func (o *file) sharable() bool {
	return o.fi != nil && o.fi.Mode()&fs.ModeCharDevice != 0
}

// checkOutputs refuses two outputs on one destination.
func (s *Set) checkOutputs() error {
	stdout := ""
	for i, o := range s.outs {
		if o.kind == toStdout || o.fi != nil && sameAsStdout(o.fi, s.stdout) {
			if stdout != "" {
				return conflictf("%s and %s both write to stdout (-); only one output can", stdout, o.flag)
			}
			stdout = o.flag
		}
		for _, prev := range s.outs[:i] {
			if o.kind == toStdout || prev.kind == toStdout || o.sharable() && prev.sharable() {
				continue
			}
			same := o.fi != nil && prev.fi != nil && os.SameFile(o.fi, prev.fi) ||
				o.key != "" && o.key == prev.key
			if same {
				return conflictf("%s and %s write to the same file %s", prev.flag, o.flag, o.path)
			}
		}
	}
	return nil
}

// checkInputs refuses an output that is an input or a file directly
// inside an input directory (which the run reads to tell what it holds),
// whatever links lead to either.
func (s *Set) checkInputs() error {
	if err := s.checkObjectInputs(); err != nil {
		return err
	}
	ins, err := s.inputFiles()
	if err != nil {
		return err
	}
	for _, o := range s.outs {
		if o.fi == nil || o.sharable() {
			continue // a new file, stdout, a terminal or /dev/null
		}
		for _, in := range ins {
			if !os.SameFile(o.fi, in.fi) {
				continue
			}
			if in.dir != "" {
				return conflictf("%s %s: refusing to overwrite an input: it is a file inside input directory %s", o.flag, o.path, in.dir)
			}
			return conflictf("%s %s: refusing to overwrite an input (%s)", o.flag, o.path, in.name)
		}
	}
	return nil
}

// inputFile is one file the run reads.
type inputFile struct {
	fi   os.FileInfo
	name string // as the user gave it
	dir  string // the input directory it is in, if it was found in one
}

// inputFiles lists the files the run reads: the inputs given and, for a
// directory, the files directly inside it (links followed), as
// parse.Expand reads them. It reads no file's content.
func (s *Set) inputFiles() ([]inputFile, error) {
	var ins []inputFile
	if f, ok := s.stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && !fi.Mode().IsDir() {
			ins = append(ins, inputFile{fi: fi, name: "standard input"})
		}
	}
	for _, p := range s.inputs {
		if p == "-" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue // the run says what is wrong with it when it reads it
		}
		if !fi.IsDir() {
			ins = append(ins, inputFile{fi: fi, name: p})
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, e := range ents {
			efi, err := os.Stat(filepath.Join(p, e.Name()))
			if err == nil && !efi.IsDir() {
				ins = append(ins, inputFile{fi: efi, name: filepath.Join(p, e.Name()), dir: p})
			}
		}
	}
	return ins, nil
}

// objectName is an object URL without its query (the bucket's options).
func objectName(url string) string {
	name, _, _ := strings.Cut(url, "?")
	return name
}

// checkObjectInputs refuses an output to an object that is an input, or
// directly under an input prefix (ending in "/"), whatever the URLs'
// options: a later run over that prefix would read it.
func (s *Set) checkObjectInputs() error {
	for _, o := range s.outs {
		if o.kind != toObject {
			continue
		}
		for _, in := range s.inputs {
			if !objstore.IsURL(in) {
				continue
			}
			name := objectName(in)
			if name == o.key {
				return conflictf("%s %s: refusing to overwrite an input (%s)", o.flag, o.path, in)
			}
			if rest, ok := strings.CutPrefix(o.key, name); ok && strings.HasSuffix(name, "/") && !strings.Contains(rest, "/") {
				return conflictf("%s %s: refusing to write an object under input prefix %s", o.flag, o.path, in)
			}
		}
	}
	return nil
}

// open makes the output ready to be written.
func (o *file) open(ctx context.Context) error {
	switch o.kind {
	case toObject:
		w, err := objstore.Create(ctx, o.path)
		if err != nil {
			return fmt.Errorf("%s: %w", o.flag, err)
		}
		o.obj = w
	case viaTemp:
		f, err := os.CreateTemp(filepath.Dir(o.dest), "."+filepath.Base(o.dest)+".tmp-*")
		if err != nil {
			return fmt.Errorf("%s %s: cannot write in its directory: %w", o.flag, o.path, unwrapPath(err))
		}
		o.f = f
	case inPlace:
		flag := os.O_WRONLY
		if o.fi.Mode().IsRegular() {
			// A file behind a descriptor (--json /dev/stdout > r.json):
			// add to what the shell opened, never truncate it.
			flag |= os.O_APPEND
		}
		f, err := openWait(ctx, o.dest, flag, o.fi)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.flag, o.path, unwrapPath(err))
		}
		o.f = f
	}
	return nil
}

// openWait opens path, which may be a FIFO: opening a FIFO for writing
// waits for a reader, and that wait ends when ctx does.
func openWait(ctx context.Context, path string, flag int, fi os.FileInfo) (*os.File, error) {
	if fi.Mode()&fs.ModeNamedPipe == 0 {
		return os.OpenFile(path, flag, 0)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		ch <- opened{f, err}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-ctx.Done():
	}
	// Become the reader the open waits for, so that it returns and its
	// goroutine ends, then close both ends.
	if r, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0); err == nil {
		if w := <-ch; w.f != nil {
			w.f.Close()
		}
		r.Close()
	}
	return nil, fmt.Errorf("waiting for a reader of the FIFO: %w", ctx.Err())
}
