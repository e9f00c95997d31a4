package parse

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Messages say what was met, where, and what it probably means, in one
// line that starts with the file name (see Error.Error). The framer's
// messages name the key being read when there is one.

var (
	errChecksum = errors.New("CRC64 mismatch")
	errInternal = errors.New("internal error")
)

func (f *framer) errAt(off int64, format string, args ...any) *Error {
	return &Error{Path: f.path, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// keyDesc names the key being read, for error messages.
func (f *framer) keyDesc() string {
	if !f.rec.inKey {
		return ""
	}
	return " of key " + quoteKey(f.rec.key)
}

func quoteKey(k []byte) string {
	if len(k) > 200 {
		return strconv.Quote(string(k[:200])) + "..."
	}
	return strconv.Quote(string(k))
}

// ioErr describes a failed read of what.
func (f *framer) ioErr(err error, what string) error {
	if ctxErr := f.ctx.Err(); ctxErr != nil {
		return &Error{Path: f.path, Offset: f.pos(), Msg: msgCanceled, Err: ctxErr}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return f.errAt(f.pos(), "%s", f.truncated(what))
	}
	return &Error{Path: f.path, Offset: f.pos(), Msg: "read error while reading " + what + f.keyDesc(), Err: err}
}

// truncated says where a stream that ends too early stopped. A dump that
// ends between two items is usually being written (or copied) still.
func (f *framer) truncated(what string) string {
	const why = " — the dump may still be being written or was cut in transit"
	switch {
	case f.dump.inTrailer:
		return fmt.Sprintf("truncated: ends at byte %d inside the CRC64 trailer after the EOF marker%s", f.pos(), why)
	case what == whatNext:
		return fmt.Sprintf("truncated: ends at byte %d without the EOF marker%s", f.pos(), why)
	}
	// Inside an item, a corrupt length that points past the end is as likely.
	return fmt.Sprintf("truncated: ends at byte %d without the EOF marker, inside %s%s%s, or a length before it is corrupt",
		f.pos(), what, f.keyDesc(), why)
}

func (f *framer) blobErr(what string, err error) error {
	return f.blobErrAt(f.pos(), what, err)
}

// blobErrAt is blobErr for a container that ends at stream offset at.
func (f *framer) blobErrAt(at int64, what string, err error) error {
	return &Error{Path: f.path, Offset: at, Msg: fmt.Sprintf("corrupt %s%s: %v", what, f.keyDesc(), err)}
}

// describeNonRDB says what a stream that is not an RDB looks like, from
// its first bytes (after decompression, compression naming the layer).
func describeNonRDB(h []byte, compression string) string {
	if len(h) == 0 {
		if compression != "" {
			return "not an RDB file (the " + compression + " data decompresses to nothing)"
		}
		return "not an RDB file (empty file)"
	}
	q := strconv.Quote(string(h[:min(len(h), 8)]))
	s := string(h)
	var like string
	switch {
	case h[0] == '*' && len(h) > 1 && h[1] >= '0' && h[1] <= '9':
		like = " — looks like an AOF (Redis commands), not a snapshot"
	case strings.HasPrefix(s, "file ") && strings.Contains(s, " seq ") && strings.Contains(s, " type "):
		like = " — looks like a multi-part AOF manifest; the snapshot, if any, is the *.base.rdb file it names"
	case h[0] == '{' || h[0] == '[':
		like = " — looks like JSON"
	case strings.HasPrefix(s, "REDIS") || strings.HasPrefix(s, "VALKEY"):
		like = " — truncated header"
	case h[0] == '<':
		like = " — looks like HTML or XML"
	case len(h) >= 4 && string(h[:4]) == "\x89PNG":
		like = " — looks like a PNG image"
	case len(h) >= 2 && string(h[:2]) == "PK":
		like = " — looks like a zip archive"
	}
	if compression != "" {
		return "not an RDB file (" + compression + " data that starts with " + q + " once decompressed" + like + ")"
	}
	return "not an RDB file (starts with " + q + like + ")"
}

// unknownType explains a value type byte the framer cannot frame.
func unknownType(t byte) string {
	switch t {
	case 8:
		return "type 8 is unused by Redis"
	case 26:
		return "type 26 is the stream type of RDB 13 (Redis 8.6+), which a dump of this version cannot hold: corrupt data"
	case 242, 241, 240:
		return "an opcode of a newer Redis, Redis Enterprise or another fork"
	}
	if t > 26 && t < 240 {
		return "a value type of a newer Redis or of a fork, or corrupt data"
	}
	return "corrupt data"
}

// Messages of Parse as a whole (see parser.failure).
const (
	msgCanceled = "parsing canceled"
	msgTar      = "is a tar archive: give it as a file argument so that each dump inside becomes a node"
	msgInternal = "internal error"
)

// checksumMsg reports a CRC64 mismatch.
func checksumMsg(stored, computed uint64) string {
	return fmt.Sprintf("checksum mismatch: stored %016x, computed %016x — the dump is corrupt (use --no-verify to analyze anyway)", stored, computed)
}
