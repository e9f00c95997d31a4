// Package worker scans nodes in child processes of the running binary,
// several at a time.
//
// The decoder rdbscope uses materializes whole values and, on a corrupt
// length field, can ask the Go runtime for more memory than the machine
// has; the runtime then dies with a fatal error that no recover can catch.
// In a child, such a death costs one node (reported incomplete, with
// everything received before it) instead of the whole run.
//
// The parent hands the child its input: a parse.Ref that the child opens
// itself when that reaches the stored bytes directly (a file, a member of
// an uncompressed tar), else the stored bytes through a pipe (standard
// input, members of compressed archives, which the parent reads once for
// all their members, and objects in S3, Cloud Storage or Azure Blob,
// which the parent reads with their retries and credentials). The child runs scan.Run with a Sink that writes
// frames to another pipe (see frame.go); the parent reads them into the
// node's own Sink. The child's standard output goes nowhere, so nothing
// the decoder prints can reach the parent's.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// Command is the first argument that makes the binary a parser child: a
// main package calls Main when it sees it.
const Command = "__worker"

// specEnv carries the spec to the child.
const specEnv = "RDBSCOPE_WORKER_SPEC"

// The child's extra files: results out, and the input in when it is
// streamed.
const (
	resultsFD = 3
	inputFD   = 4
)

// spec tells a child what to scan.
type spec struct {
	Name string    `json:"name"`
	Ref  parse.Ref `json:"ref"`
	// Stream says that the stored bytes come on inputFD (see
	// writeInput) rather than from Ref.Open.
	Stream    bool         `json:"stream,omitempty"`
	Scan      scan.Options `json:"scan"`
	MaxMemory int64        `json:"max_memory,omitempty"` // address space the child may add; 0 = no limit
	// CPUProfile, if set, is a file the child writes a Go CPU profile of
	// its scan to (Config.ParserCPUProfile).
	CPUProfile string `json:"cpu_profile,omitempty"`
}

// child is how Run starts a node's parser processes.
type child struct {
	maxMemory  int64  // see Run
	cpuProfile string // see Config.ParserCPUProfile: the first process's file
}

// Main is the child side: it scans the node its spec names and writes the
// results as frames on its results descriptor. Its error is for the
// child's exit status; the node's own error travels in the frames.
func Main(ctx context.Context) error {
	var sp spec
	if err := json.Unmarshal([]byte(os.Getenv(specEnv)), &sp); err != nil {
		return fmt.Errorf("worker: bad spec: %w", err)
	}
	if sp.MaxMemory > 0 {
		// The collector works harder as the heap nears the limit, rather
		// than letting GOGC's growth run into it: whether a node fits
		// then depends on what it holds, not on when the last cycle ran,
		// so a larger limit never fails where a smaller one passed.
		debug.SetMemoryLimit(sp.MaxMemory)
		if err := limitMemory(sp.MaxMemory); err != nil {
			return fmt.Errorf("worker: --parser-memory-limit: %w", err)
		}
	}
	out := os.NewFile(resultsFD, "results")
	if out == nil {
		return errors.New("worker: no results descriptor")
	}
	in := sp.Ref.Input(sp.Name)
	if sp.Stream {
		f := os.NewFile(inputFD, "input")
		if f == nil {
			return errors.New("worker: no input descriptor")
		}
		in = sp.Ref.Stream(sp.Name, newInputReader(f))
	}
	if sp.CPUProfile != "" {
		stop, err := startCPUProfile(sp.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	fw := newFrameWriter(out)
	err := scan.Run(ctx, in, sp.Scan, fw)
	return fw.done(err)
}

// startCPUProfile starts a CPU profile of this process into path; stop
// ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("worker: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("worker: CPU profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// Run scans in in a child process and feeds sink, as scan.Run does in
// this process. maxMemory bounds the address space the child may add (0:
// no limit; Linux only). The error is the node's, which includes the
// child dying.
//
// A child that runs out of memory decoding a record it announced as big
// (scan.BigRecorder) is followed, when it could open its input itself, by
// another that reads the dump again past the keys received and frames
// that record without decoding it (scan.Resume): the node keeps the keys
// after it, and is still incomplete, its error at that record.
func Run(ctx context.Context, in parse.Input, opts scan.Options, maxMemory int64, sink scan.Sink) error {
	return child{maxMemory: maxMemory}.run(ctx, in, opts, sink)
}

// run is Run with c's parser processes.
func (c child) run(ctx context.Context, in parse.Input, opts scan.Options, sink scan.Sink) error {
	maxMemory := c.maxMemory
	exe, err := os.Executable()
	if err != nil {
		return setupErr(in, "cannot find own executable to isolate the parser", err)
	}
	sp := spec{Name: in.Name, Ref: in.Ref, Stream: !in.Direct(), Scan: opts, MaxMemory: maxMemory, CPUProfile: c.cpuProfile}
	var input io.ReadCloser
	if sp.Stream {
		// Opened here, once: the child gets the stored bytes.
		if input, err = in.OpenContext(ctx); err != nil {
			// Nothing to parse, so nothing to isolate: the scan says why
			// here as it would have in the child.
			return scan.Run(ctx, in, opts, sink)
		}
	}
	fr := &frameReader{sink: sink}
	var first os.FileInfo // the dump as the first child opened it, to resume on the same
	if !sp.Stream {
		first, _ = os.Stat(in.Ref.Path)
	}
	var died *parse.Error // the first death a child resumed
	for resumes := 0; ; resumes++ {
		done, death, nodeErr := runChild(ctx, exe, in, sp, input, fr)
		switch {
		case done && died != nil && nodeErr == nil:
			return died
		case done:
			return nodeErr
		case death == "":
			return nodeErr // not started
		}
		oom := strings.Contains(death, "out of memory") || strings.Contains(death, "failed to allocate")
		if maxMemory > 0 && oom {
			death += fmt.Sprintf(" (the node needs more than --parser-memory-limit %d bytes: its biggest key is too large to analyze within the limit)", maxMemory)
		}
		if ctx.Err() != nil {
			death = "interrupted"
		}
		// Only a death of memory in a record announced as big is worth
		// another child: any other would die again where this one did.
		lost, ok := fr.resumeAt()
		if ok && oom && !sp.Stream && !sameDump(first, in.Ref.Path) {
			// A new child reads the dump again from its start: a dump
			// replaced meanwhile (a BGSAVE renames its new file over
			// the old) would mix two dumps in one node.
			ok = false
			death += "; the dump changed since it was opened, so no new parser process read the keys after that one"
		}
		if !ok || !oom || nodeErr != nil || sp.Stream || resumes >= maxResumes || ctx.Err() != nil {
			if nodeErr == nil {
				// The child died before it decided cluster mode: the
				// keys it held are decided and kept here. A sink failing
				// on them fails a node that its child's death fails
				// anyway.
				_ = fr.settleHeld()
			}
			if died != nil && ctx.Err() == nil {
				// The first death says more; this one follows it.
				died.Msg += "; the new parser process died too: " + death
				return died
			}
			return &parse.Error{Path: label(in), Offset: -1, Msg: death}
		}
		if died == nil {
			died = &parse.Error{Path: label(in), Offset: lost, Msg: "the key that starts here was not analyzed: " + death + "; a new parser process read the keys after it"}
		}
		// The new child sends the held keys again, decided on the same
		// sample as this one would have.
		fr.resume()
		r := &scan.Resume{Keys: fr.keys, Extra: fr.extra, Lost: []int64{lost}}
		if prev := sp.Scan.Resume; prev != nil {
			r.Lost = append(slices.Clone(prev.Lost), lost)
		}
		sp.Scan.Resume = r
		if c.cpuProfile != "" {
			sp.CPUProfile = fmt.Sprintf("%s.resume%d", c.cpuProfile, resumes+1)
		}
	}
}

// sameDump says whether path is still the file first was: same file
// (device and inode), size and modification time.
func sameDump(first os.FileInfo, path string) bool {
	if first == nil {
		return false
	}
	now, err := os.Stat(path)
	return err == nil && os.SameFile(first, now) && now.Size() == first.Size() && now.ModTime().Equal(first.ModTime())
}

// maxResumes bounds the parser processes that follow one that died on a
// node: each skips one more record, so a dump of several huge keys needs
// several.
const maxResumes = 16

// runChild runs one parser process for in, feeding fr. done says whether
// it finished its scan; death, when the child died, what its exit and
// standard error say; nodeErr is the node's error as the frames tell it,
// or why the process could not be started.
func runChild(ctx context.Context, exe string, in parse.Input, sp spec, input io.ReadCloser, fr *frameReader) (done bool, death string, nodeErr error) {
	specJSON, err := json.Marshal(sp)
	if err != nil {
		return false, "", setupErr(in, "cannot describe the node to its parser process", err)
	}
	results, resultsW, err := os.Pipe()
	if err != nil {
		if input != nil {
			input.Close()
		}
		return false, "", setupErr(in, "cannot start its parser process", err)
	}
	defer results.Close()
	growPipe(results)
	cmd := exec.CommandContext(ctx, exe, Command)
	cmd.Env = append(os.Environ(), specEnv+"="+string(specJSON))
	cmd.ExtraFiles = []*os.File{resultsW}
	var inputR, inputW *os.File
	if input != nil {
		defer input.Close()
		if inputR, inputW, err = os.Pipe(); err != nil {
			resultsW.Close()
			return false, "", setupErr(in, "cannot start its parser process", err)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, inputR)
	}
	var tail tailBuffer
	cmd.Stderr = &tail
	err = cmd.Start()
	resultsW.Close()
	if inputR != nil {
		inputR.Close()
	}
	if err != nil {
		if inputW != nil {
			inputW.Close()
		}
		return false, "", setupErr(in, "cannot start its parser process", err)
	}
	copied := make(chan struct{})
	if inputW != nil {
		go func() {
			defer close(copied)
			// A child that stopped reading closes its end: the write
			// error that follows is not the node's.
			_ = writeInput(inputW, input)
			inputW.Close()
		}()
	} else {
		close(copied)
	}

	done, nodeErr = fr.read(results)
	if !done && nodeErr != nil {
		// We stopped reading on a malformed frame: a child still writing
		// would block forever on the full pipe.
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if in.Path == "-" || in.Pipe {
		// Standard input or a pipe may block for ever: do not wait for
		// it once interrupted.
		select {
		case <-copied:
		case <-ctx.Done():
		}
	} else {
		// The input may be a member of an archive whose next member is
		// read once this one is done with.
		<-copied
	}
	if done {
		return done, "", nodeErr
	}
	death = "parser process died"
	if werr != nil {
		death += " (" + werr.Error() + ")"
	}
	if t := tail.message(); t != "" {
		death += ": " + t
	}
	return false, death, nil
}

// label names an input in messages as parse does: the path, and the
// member after a colon.
func label(in parse.Input) string {
	if in.Member != "" {
		return in.Path + ":" + in.Member
	}
	return in.Path
}

// tailBuffer keeps what a child wrote to stderr that explains its death:
// the first Go fatal error or panic line (e.g. "fatal error: runtime: out
// of memory"), which comes before a long goroutine dump, and the last
// line.
type tailBuffer struct {
	fatal string
	line  []byte // the line being written
	last  string
}

const lineMax = 1 << 10

// Write is called by exec's copying goroutine only.
func (t *tailBuffer) Write(p []byte) (int, error) {
	for _, c := range p {
		if c != '\n' {
			if len(t.line) < lineMax {
				t.line = append(t.line, c)
			}
			continue
		}
		l := strings.TrimSpace(string(t.line))
		t.line = t.line[:0]
		if l == "" {
			continue
		}
		if t.fatal == "" && (strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime: out of memory")) {
			t.fatal = l
		}
		t.last = l
	}
	return len(p), nil
}

// message returns the most telling line; call it after cmd.Wait.
func (t *tailBuffer) message() string {
	if t.fatal != "" {
		return t.fatal
	}
	if l := strings.TrimSpace(string(t.line)); l != "" {
		return l
	}
	return t.last
}

// setupErr is a failure to set up the parser process of in (too many open
// files, fork refused): the node's error, naming its dump like any other.
func setupErr(in parse.Input, msg string, err error) error {
	return &parse.Error{Path: label(in), Offset: -1, Msg: msg, Err: err}
}
