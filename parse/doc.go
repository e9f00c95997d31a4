// Package parse turns RDB dump files into a stream of key records.
//
// It resolves command-line arguments into inputs (Expand: plain files,
// gzip/zstd/lz4 streams, tar archives, directories, stdin), frames the RDB
// byte stream itself so that every key gets an exact byte offset,
// serialized size and the layout of its packed blobs, verifies the CRC64
// trailer, and has each value decoded into a Value, which describes what
// a memory model needs (element lengths, integer-ness, scores, stream
// IDs) whatever decoded it. Nothing here estimates memory or aggregates:
// that is package aggregate's job.
//
// Values are decoded by github.com/hdt3213/rdb; no other package of the
// module depends on it. Files:
//
//	api.go, record.go, value.go  the public types: Source, Options, Error, Record, Blob, Value
//	input.go, expand.go          Input and Ref; resolving arguments, tar members
//	open.go                      opening an input: compression, counting, hashing
//	parse.go                     one Parse call: framer, decoder, outcome
//	framer.go and its parts      reading the RDB grammar (see framer.go)
//	blob.go                      packed containers: LZF, listpack, ziplist, intset, zipmap
//	decoder.go                   the decoder, joined to the framer's records
package parse
