package parse

import (
	"bufio"
	"context"
)

// The framer reads the RDB stream once, frames every top-level item itself
// and forwards only complete, validated items to the decoder (see
// decoderJoin). Items are accumulated in a chunkBuffer, so a corrupt
// count can only make the framer read to the end of the file: nothing is
// allocated from a length field, and the decoder only ever sees bytes that
// are really there.
//
// Its code is cut by concern:
//
//	reader.go    bytes in, CRC64, lengths and strings
//	skip.go      records over Options.MaxKeyBytes, and those framed only
//	             (Options.SkipRecords, FrameOnly)
//	opcodes.go   the item loop: header, opcodes, aux fields, trailer
//	values.go    one key record: each value type and its packed blobs
//	walk.go      compressed listpacks: checked as servers load them, walked if decoded
//	module.go    module data (values, MODULE_AUX, KEY_META); vector sets
//	lzfsize.go   LZF lengths of list nodes as the servers compress them
//	lzf.go       LZF decompressed, checked, measured (the filler's too)
//	compat.go    what exists only for the decoder, hdt3213/rdb v1.3.2
//	messages.go  error messages

// framer frames one dump. It runs in the goroutine that called Parse.
type framer struct {
	ctx  context.Context
	br   *bufio.Reader // the decompressed RDB stream
	path string        // file (and member) name, for messages
	src  *Source       // filled as the dump describes itself

	onSource   func() error // called once before the first key (or at the end); nil if none
	skipDecode func(typ, enc string, elements int64) bool
	longLimit  int64 // see Options.LongElemLimit
	lzfSizes   bool  // see Options.LZFSizes

	buf  chunkBuffer // bytes read, checksummed, forwarded in chunks
	dump dumpState   // what the dump has said so far
	rec  recordState // the item being framed
	skip skipState   // a record over Options.MaxKeyBytes

	caughtUp func() // waits until the records framed so far are delivered; nil if none

	lzf     []byte   // decompression scratch, reused
	scratch [32]byte // decimal form of an integer-encoded string
}

// dumpState is what the dump has said about itself so far.
type dumpState struct {
	valkey     bool
	version    int
	db         int  // from the last SELECTDB
	sourceSent bool // OnSource has been called
	ramLRU     bool // a Redis Enterprise RAM_LRU opcode was seen
	auxBytes   int  // bytes kept in Source.Aux
	auxDropped bool // AUX fields were ignored for maxAuxBytes
	inTrailer  bool // reading the checksum trailer
	storedCRC  uint64
	decHeader  [9]byte // the header as the decoder is shown it (compat.go)
}

// recordState is the item being framed, and for a key record what has
// been learned about it.
type recordState struct {
	unitStart int   // index in buf.out of the current item's first byte
	start     int   // index in buf.out of the current record's first byte (its expire/LRU/LFU opcode if any)
	startOff  int64 // stream offset of that byte
	inflated  int64 // what the item's LZF strings add once decompressed
	inRec     bool  // inside a key record (the MaxKeyBytes limit applies)

	// Expire, LRU and LFU opcodes seen for the next key.
	expires    int64
	idle, freq int64
	pending    bool

	key       []byte // the key, once read
	inKey     bool   // key is the current record's (for messages)
	blobs     []Blob
	warnings  []string
	saturated bool           // a listpack header count was 65535
	plain     []plainNode    // PLAIN quicklist nodes (see compat.go)
	walks     []deferredWalk // compressed listpacks to walk if the record is decoded
	strBlob   Blob           // the last string value framed (see tooLarge)
	typeAt    int            // index in buf.out of the record's type byte
	valAt     int            // index in buf.out of the record's value (after its key)
	idmpAt    int            // index in buf.out of a type 26 stream's IDMP section; -1 if none
}

// meta is what the framer learned about one key. Its key and blobs are
// in its chunk's arenas; its bytes, when a decoding goroutine needs them,
// are in the chunk's data.
type meta struct {
	db       int
	keyAt    int // the key is chunk.keys[keyAt:keyAt+keyLen]
	keyLen   int
	blobAt   int // the blobs are chunk.blobs[blobAt:blobAt+blobN]
	blobN    int
	at       int // the record is chunk.data[at:end], its value from valAt; at is -1 when its bytes were not kept
	valAt    int
	end      int
	typ      byte
	expires  int64
	idle     int64
	freq     int64
	offset   int64
	size     int64
	elements int64
	longElem int64  // see Record.LongElem
	blobs    []Blob // while framing; then in the chunk's arena
	warnings []string

	// undecoded records (module values, keys too large or not needed
	// decoded) keep no bytes: the Record is built from meta alone.
	undecoded bool
	module    string // module type name, for module values
	value     *Value // what the framer decoded itself (vector sets), for an undecoded record

	saturated bool // a listpack header count was 65535
}

func newFramer(ctx context.Context, br *bufio.Reader, path string, src *Source, opts Options, send func(*chunk) error, fresh func() *chunk) *framer {
	f := &framer{
		ctx: ctx, br: br, path: path, src: src,
		skipDecode: opts.SkipDecode,
		longLimit:  defaultLongElem,
		lzfSizes:   opts.LZFSizes,
		buf:        newChunkBuffer(send, fresh),
		skip: skipState{maxKey: opts.MaxKeyBytes, maxKeyName: opts.MaxKeyName,
			skipRecords: opts.SkipRecords, frameOnlyAt: opts.FrameOnly, onBig: opts.OnBigRecord},
	}
	if opts.OnBigRecord != nil {
		f.buf.onBig = f.announceBig
	}
	if opts.LongElemLimit > 0 {
		f.longLimit = opts.LongElemLimit
	}
	return f
}

// run frames the whole stream. It returns after the EOF opcode and the
// checksum trailer (the caller handles what follows); on error, the chunk
// being built keeps only the complete items before the failure, for
// flush to deliver.
func (f *framer) run() error {
	if err := f.header(); err != nil {
		return err
	}
	err := f.items()
	if err != nil {
		f.buf.cut(f.rec.start)
	}
	return err
}

// sourceReady calls OnSource once, before the first key or at the end of
// a dump without keys.
func (f *framer) sourceReady() error {
	if f.dump.sourceSent {
		return nil
	}
	f.dump.sourceSent = true
	if f.onSource != nil {
		return f.onSource()
	}
	return nil
}
