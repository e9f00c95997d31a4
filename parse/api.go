package parse

import (
	"context"
	"strconv"
)

// Checksum states of a dump's CRC64 trailer.
const (
	ChecksumOK       = "ok"       // trailer present and equal to the CRC64 of the stream
	ChecksumMismatch = "mismatch" // trailer present and different: the dump is corrupt
	ChecksumAbsent   = "absent"   // RDB < 5, or written with rdbchecksum no (all zero)
	ChecksumUnknown  = "unknown"  // parsing stopped before the trailer
)

// Source is what a dump says about itself, plus where it came from.
type Source struct {
	Path        string // file as given by the user (tar path for archive members)
	Member      string // tar member name, if any
	Bytes       int64  // size of the file (or member) as stored, before decompression
	StreamBytes int64  // bytes of decompressed RDB stream read
	SHA256      string // hex SHA-256 of the bytes as stored; empty if not read to the end
	Compression string // "", "gzip", "zstd", "lz4"

	Magic      string // "REDIS" or "VALKEY"
	RDBVersion int    // from the 9-byte header

	RedisVersion string // aux redis-ver
	RedisBits    int    // aux redis-bits
	CTime        int64  // aux ctime, Unix seconds; 0 if absent
	UsedMem      int64  // aux used-mem, bytes; 0 if absent
	AOFBase      bool   // aux aof-base
	ReplID       string // aux repl-id
	ReplOffset   int64  // aux repl-offset
	Aux          map[string]string

	DBSizes   []DBSize // RESIZEDB hints in file order
	SlotInfos int      // slots described by SLOT_INFO opcodes (Redis 7.4+) or slot-info aux fields (Valkey 8+): only cluster nodes write them
	KeyMetas  int      // keys preceded by a KEY_META opcode (Redis 8.6+ module key metadata, skipped)
	Functions int      // function libraries (FUNCTION aux/opcode) seen

	Checksum string // one of the Checksum* constants

	// Paths counts, per "type/encoding" as serialized (Record.Type and
	// RDBEncoding), the keys decoded and their serialized bytes by the
	// way their value was described: from the framer's counts only,
	// filled from the record's bytes, or decoded. For performance work:
	// reports do not depend on it. Set when parsing ends.
	Paths map[string]Paths

	// Warnings are problems with the dump as a whole that did not stop
	// parsing, e.g. trailing bytes after the checksum trailer.
	Warnings []string
}

// DBSize is a RESIZEDB hint: the key and expire counts the server had for a db.
type DBSize struct {
	DB      int   `json:"db"`
	Keys    int64 `json:"keys"`
	Expires int64 `json:"expires"`
}

// Options tune parsing.
type Options struct {
	// NoVerify skips the CRC64 check's failure (a mismatch is still reported in Source.Checksum).
	NoVerify bool
	// OnSource, if set, is called once the header and the aux fields before
	// the first key have been read (and before the first Record), so that
	// the caller can choose a memory model for the server version.
	OnSource func(*Source) error
	// Progress, if set, is called from time to time with stored bytes read so far.
	Progress func(storedBytesRead int64)
	// MaxKeyBytes, if > 0, bounds the memory one key may take: a record
	// whose serialized size exceeds it is still framed and checksummed but
	// neither held in memory nor decoded. It is delivered as a Record with
	// Value nil, no Blobs, its Type, RDBEncoding, Elements and RDBBytes,
	// and a warning saying its memory is estimated from its serialized size.
	MaxKeyBytes int64
	// MaxKeyName is how the warning on a key over MaxKeyBytes names the
	// limit, e.g. "--max-key-memory 16mb" (default: the byte count).
	MaxKeyName string
	// SkipDecode, if set, is asked for every key once it is framed (its
	// type, serialized encoding and element count known) whether the
	// caller can do without the decoded value. Such keys are framed,
	// validated and measured (Blobs, Elements, LongElem) but not handed to
	// the decoder: Record.Value is nil. Decoding a packed container whose
	// size the framer already knows is most of the decoder's work.
	SkipDecode func(typ, enc string, elements int64) bool
	// LongElemLimit is the element length above which Record.LongElem
	// counts an element as long: the hash-max-listpack-value of the
	// server the dump is meant to be loaded by. 0 means its default, 64.
	LongElemLimit int64
	// LZFSizes asks for Blob.LZFLen of quicklist nodes: what a server
	// compressing list nodes (list-compress-depth) makes of them. It costs
	// a compression (and decompression) of every list node.
	LZFSizes bool
	// OnBigRecord, if set, is called from the framing goroutine when a key
	// record outgrows a chunk of the pipeline, long before it is decoded,
	// with its index among the dump's key records (from 0) and the stream
	// offset of its first byte (Record.Offset): a process that may die
	// decoding it (a parser child over its memory limit) can tell another
	// where to resume (SkipRecords, FrameOnly).
	OnBigRecord func(index, offset int64)
	// SkipRecords is how many key records, from the first, are framed and
	// checksummed but neither held nor decoded: a parse resuming a dump
	// whose records an earlier parse delivered before it died. They are
	// still delivered, with Value nil, for the caller to count.
	SkipRecords int64
	// FrameOnly holds the stream offsets (Record.Offset) of key records
	// that are framed and checksummed but neither held nor decoded: the
	// records an earlier parse died decoding. Each is delivered as a key
	// over MaxKeyBytes is (Value nil, its Type, RDBEncoding, Elements and
	// RDBBytes), without that warning.
	FrameOnly []int64
}

// Error is a parse failure at a known place of a dump.
type Error struct {
	Path   string // file (and member) name
	Offset int64  // byte offset in the decompressed RDB stream; -1 if unknown
	Msg    string // what was wrong or expected
	Err    error  // underlying error, if any
}

// Error puts the place first, so that messages about many files line up.
func (e *Error) Error() string {
	s := e.Path
	if e.Offset >= 0 {
		s += ": at byte " + strconv.FormatInt(e.Offset, 10)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap lets errors.Is see the cause (context.Canceled, I/O errors).
func (e *Error) Unwrap() error { return e.Err }

// ensure the signature below stays in sync with the implementation.
var _ = Parse

// Parse streams one dump: it calls fn for every key in file order and
// returns what the dump said about itself. On error, the returned Source
// holds everything read before the failure and the error is an *Error.
// fn returning an error stops parsing with that error.
//
// OnSource receives a snapshot of the Source, which parsing keeps filling.
func Parse(ctx context.Context, in Input, opts Options, fn func(*Record) error) (*Source, error) {
	return parse(ctx, in, opts, 1, nil, func(r *Record, _ *struct{}) error { return fn(r) })
}

// ParseWith is Parse for a caller whose work on each key can run on
// several cores: prep runs on each record, in one of workers goroutines,
// in no particular order, and fills the caller's result for it; fn then
// receives each record with its result, in file order, in one goroutine.
// Record.Value is set during prep only (nil in fn, except with one
// worker); everything else of the Record is valid during both calls.
// prep may be nil. With workers <= 1 both run in one goroutine, record
// after record. The result is the same whatever workers is.
func ParseWith[T any](ctx context.Context, in Input, opts Options, workers int, prep func(*Record, *T), fn func(*Record, *T) error) (*Source, error) {
	return parse(ctx, in, opts, workers, prep, fn)
}

// Expand resolves command-line arguments (files, directories, tar archives,
// "-") into node inputs. names maps a node name to a path (--name NAME=PATH).
func Expand(args []string, names map[string]string) ([]Input, error) {
	return expand(args, names)
}
