package parse

// Data types as Redis's TYPE command names them. Module values use
// TypeModule with Record.Module holding the 9-character module type name.
const (
	TypeString = "string"
	TypeList   = "list"
	TypeSet    = "set"
	TypeZSet   = "zset"
	TypeHash   = "hash"
	TypeStream = "stream"
	TypeModule = "module"
)

// Encodings as they are serialized in the dump (not as Redis will hold
// them once loaded: that depends on the server's version and config and is
// decided by the memory model).
const (
	EncString     = "string"     // RDB_TYPE_STRING (int, compressed or raw)
	EncList       = "list"       // RDB_TYPE_LIST: plain linked list of strings
	EncSet        = "set"        // RDB_TYPE_SET: plain set of strings
	EncZSet       = "zset"       // RDB_TYPE_ZSET: scores as strings
	EncZSet2      = "zset2"      // RDB_TYPE_ZSET_2: binary double scores
	EncHash       = "hash"       // RDB_TYPE_HASH: plain field/value pairs
	EncHashEx     = "hashex"     // RDB_TYPE_HASH_METADATA(_PRE_GA): hash with field TTLs
	EncZipmap     = "zipmap"     // RDB_TYPE_HASH_ZIPMAP
	EncZiplist    = "ziplist"    // list, zset or hash ziplist blob
	EncIntset     = "intset"     // RDB_TYPE_SET_INTSET
	EncListpack   = "listpack"   // set, zset or hash listpack blob
	EncListpackEx = "listpackex" // RDB_TYPE_HASH_LISTPACK_EX(_PRE_GA)
	EncQuicklist  = "quicklist"  // RDB_TYPE_LIST_QUICKLIST: nodes are ziplists
	EncQuicklist2 = "quicklist2" // RDB_TYPE_LIST_QUICKLIST_2: nodes are listpacks or plain
	EncStream     = "stream"     // RDB_TYPE_STREAM_LISTPACKS(_2,_3,_4)
	EncModule     = "module"     // RDB_TYPE_MODULE_2
)

// Record describes one key of a dump. Records are delivered in file order
// to a callback; a Record and everything it points to (Key and Value in
// particular: they point into reused buffers) is valid only during that
// callback and must not be kept.
type Record struct {
	DB  int
	Key string // raw key bytes; may hold any byte, including invalid UTF-8

	RDBType     byte   // the RDB value type byte
	Type        string // one of the Type* constants
	Module      string // module type name when Type == TypeModule
	RDBEncoding string // one of the Enc* constants

	ExpiresAt int64 // absolute expiry in Unix milliseconds; 0 = no TTL
	Idle      int64 // LRU idle seconds from the dump; -1 if absent
	Freq      int64 // LFU counter from the dump; -1 if absent

	Offset   int64 // offset of the record's first byte (its expire/LRU/LFU opcode if any) in the decompressed RDB stream
	RDBBytes int64 // serialized size of the whole record: opcodes, type, key and value
	Elements int64 // elements (list items, members, fields, stream entries); 1 for strings

	// LongElem is, for the plain encodings (RDB_TYPE_LIST, _SET, _ZSET,
	// _ZSET_2, _HASH and hashes with field TTLs), the 0-based index in
	// dump order of the first element longer than 64 bytes
	// (Options.LongElemLimit) (for hashes,
	// the index of the field/value pair whose field or value is; for
	// zsets, of the member); -1 if there is none or the encoding is not
	// plain. Redis loads such a value as a listpack and converts it to a
	// hashtable (or linked list) when it meets that element, which the
	// memory model needs to know.
	LongElem int64

	// Value is the decoded value. It is nil for values that are framed
	// but not decoded: module values (except vector sets, which the
	// framer reads itself into Value.VectorSet), keys over
	// Options.MaxKeyBytes and keys Options.SkipDecode said the caller
	// does without.
	Value *Value

	// Blobs describes the packed containers of the value as the framer saw
	// them: one entry for a ziplist, listpack, intset or zipmap value, one
	// per node for quicklists, one per listpack node for streams. Empty for
	// plain encodings.
	Blobs []Blob

	// Warnings are problems with this key that did not stop parsing, e.g. a
	// count the decoder got wrong and the framer corrected.
	Warnings []string
}

// Blob is one packed container inside a value.
type Blob struct {
	Len        int64 // size in bytes once decompressed (what Redis allocates)
	StoredLen  int64 // size in the dump (LZF-compressed size if Compressed)
	Compressed bool  // stored LZF-compressed in the dump
	Plain      bool  // quicklist2 PLAIN node: a single large element, not a listpack
	Count      int64 // entries in the container, counted by the framer; -1 if unknown
	// LZFLen is, for quicklist nodes with Options.LZFSizes, the size of
	// the container compressed with LZF as a server compressing list nodes
	// compresses it (from an empty table); -1 when it does not compress,
	// 0 when it was not measured.
	LZFLen int64
}
