package render

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
)

// KeysFormat returns the per-key export format for a file name: "csv" or
// "jsonl", from its extension.
func KeysFormat(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	}
	return "", fmt.Errorf("--keys %s: unknown extension, want .csv or .jsonl", name)
}

// KeysHeader is the column order of the per-key export. allocated is what
// the server allocates for the key (memory where MEMORY USAGE counts it
// all), family the key's family with its node's separators (as the
// profile's families), slot its Redis Cluster hash slot (whether or not
// the node runs in cluster mode).
var KeysHeader = []string{"node", "db", "key", "type", "encoding", "memory", "rdb_bytes", "elements", "expires_at",
	"allocated", "family", "slot"}

// KeysWriter writes one row per key, from any number of goroutines.
//
// Key names are written with aggregate.EscapeKey (`\\` and `\xNN`), so the
// file is valid UTF-8 and no byte of a key is lost. In CSV, a key whose
// escaped form starts with = + - @ ' or a tab/CR gets one extra leading `'`
// so that spreadsheets do not run it as a formula; strip one leading `'`
// before unescaping.
type KeysWriter struct {
	mu     sync.Mutex
	bw     *bufio.Writer
	csv    *csv.Writer
	buf    []byte
	record []string
}

// NewKeysWriter writes the export in format ("csv" or "jsonl") to w.
func NewKeysWriter(w io.Writer, format string) (*KeysWriter, error) {
	kw := &KeysWriter{bw: bufio.NewWriterSize(w, 256<<10)}
	switch format {
	case "csv":
		kw.csv = csv.NewWriter(kw.bw)
		kw.record = make([]string, len(KeysHeader))
		if err := kw.csv.Write(KeysHeader); err != nil {
			return nil, err
		}
	case "jsonl":
	default:
		return nil, fmt.Errorf("unknown keys format %q", format)
	}
	return kw, nil
}

// Write writes the row of a key found on node, whose family is family
// (see aggregate.FamilyNamer).
func (kw *KeysWriter) Write(node string, k *aggregate.Key, family []byte) error {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	if kw.csv != nil {
		kw.record[0] = csvName(node)
		keyColumns(kw.record[1:], k.DB, k.Key, k.Type, k.Encoding, k.Memory, k.RDBBytes, k.Elements, k.ExpiresAt)
		extraColumns(kw.record[9:], keyAlloc(k), string(family), aggregate.Slot(k.Key))
		return kw.csv.Write(kw.record)
	}
	b := kw.buf[:0]
	b = append(b, `{"node":`...)
	b = appendJSONString(b, aggregate.CleanText(node))
	b = append(b, `,"db":`...)
	b = strconv.AppendInt(b, int64(k.DB), 10)
	b = append(b, `,"key":`...)
	b = appendJSONString(b, aggregate.EscapeKey(k.Key))
	b = append(b, `,"type":`...)
	b = appendJSONString(b, k.Type)
	b = append(b, `,"encoding":`...)
	b = appendJSONString(b, k.Encoding)
	b = append(b, `,"memory":`...)
	b = strconv.AppendInt(b, k.Memory, 10)
	b = append(b, `,"rdb_bytes":`...)
	b = strconv.AppendInt(b, k.RDBBytes, 10)
	b = append(b, `,"elements":`...)
	b = strconv.AppendInt(b, k.Elements, 10)
	b = append(b, `,"expires_at":`...)
	if k.ExpiresAt != 0 {
		b = strconv.AppendInt(b, k.ExpiresAt, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"allocated":`...)
	b = strconv.AppendInt(b, keyAlloc(k), 10)
	b = append(b, `,"family":`...)
	b = appendJSONString(b, aggregate.EscapeKey(string(family)))
	b = append(b, `,"slot":`...)
	b = strconv.AppendInt(b, int64(aggregate.Slot(k.Key)), 10)
	b = append(b, "}\n"...)
	kw.buf = b
	_, err := kw.bw.Write(b)
	return err
}

// Close flushes buffered rows; it does not close the underlying writer.
func (kw *KeysWriter) Close() error {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	if kw.csv != nil {
		kw.csv.Flush()
		if err := kw.csv.Error(); err != nil {
			return err
		}
	}
	return kw.bw.Flush()
}

// keyColumns fills the eight CSV columns db, key, type, encoding, memory,
// rdb_bytes, elements, expires_at that every key export shares.
func keyColumns(r []string, db int, key, typ, enc string, memory, rdbBytes, elements, expiresAt int64) {
	r[0] = strconv.Itoa(db)
	r[1] = csvSafe(aggregate.EscapeKey(key))
	r[2] = typ
	r[3] = enc
	r[4] = strconv.FormatInt(memory, 10)
	r[5] = strconv.FormatInt(rdbBytes, 10)
	r[6] = strconv.FormatInt(elements, 10)
	r[7] = ""
	if expiresAt != 0 {
		r[7] = strconv.FormatInt(expiresAt, 10)
	}
}

// extraColumns fills the columns allocated, family and slot that the
// exports added after the first eight; slot < 0 leaves it empty (a key the
// profile holds cut, whose slot its first bytes do not tell).
func extraColumns(r []string, alloc int64, family string, slot int) {
	r[0] = strconv.FormatInt(alloc, 10)
	r[1] = csvSafe(aggregate.EscapeKey(family))
	r[2] = ""
	if slot >= 0 {
		r[2] = strconv.Itoa(slot)
	}
}

// keyAlloc is what the server allocates for k.
func keyAlloc(k *aggregate.Key) int64 {
	if k.Alloc > 0 {
		return k.Alloc
	}
	return k.Memory
}

func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\'', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvName is a node name as a CSV cell: node names come from file and
// archive member names, as untrusted as keys.
func csvName(s string) string { return csvSafe(aggregate.CleanText(s)) }

// appendJSONString appends s as a JSON string. Names are already escaped
// to valid, printable UTF-8, so the fast path is a plain copy.
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}
