package render

import (
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/rdbscope/rdbscope/aggregate"
)

// ParquetKey is one row of the Parquet per-key export. The key is the raw
// bytes as a BYTE_ARRAY without a string annotation: Parquet needs no
// escaping, and a reader gets back exactly what Redis stored. ExpiresAt is
// a nullable millisecond timestamp (UTC), null for keys without a TTL.
type ParquetKey struct {
	Node      string `parquet:"node,dict"`
	DB        int64  `parquet:"db"`
	Key       []byte `parquet:"key"`
	Type      string `parquet:"type,dict"`
	Encoding  string `parquet:"encoding,dict"`
	Memory    int64  `parquet:"memory"`
	RDBBytes  int64  `parquet:"rdb_bytes"`
	Elements  int64  `parquet:"elements"`
	ExpiresAt *int64 `parquet:"expires_at,optional,timestamp(millisecond)"`
	Allocated int64  `parquet:"allocated"`
	Family    []byte `parquet:"family"`
	Slot      int32  `parquet:"slot"`
}

// Rows are handed to the Parquet writer in batches (one call per batch
// rather than per key), and a row group is cut every parquetRowGroup rows so
// that memory stays bounded however many keys a fleet has.
const (
	parquetBatch    = 4096
	parquetRowGroup = 1 << 20
)

// ParquetKeysWriter writes the per-key export as a zstd-compressed Parquet
// file, from any number of goroutines. It has the columns of the CSV
// export (KeysHeader) in the same order.
type ParquetKeysWriter struct {
	mu    sync.Mutex
	w     *parquet.GenericWriter[ParquetKey]
	batch []ParquetKey
	err   error
}

// NewParquetKeysWriter starts a Parquet export to w.
func NewParquetKeysWriter(w io.Writer) (pw *ParquetKeysWriter, err error) {
	// The schema comes from struct tags, which parquet-go checks with a
	// panic; the tags are fixed, but a library bug must still not take the
	// whole run down.
	defer func() {
		if r := recover(); r != nil {
			pw, err = nil, fmt.Errorf("parquet: %v", r)
		}
	}()
	gw := parquet.NewGenericWriter[ParquetKey](w,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(parquetRowGroup),
		parquet.CreatedBy("rdbscope", "", ""),
	)
	return &ParquetKeysWriter{w: gw, batch: make([]ParquetKey, 0, parquetBatch)}, nil
}

// Write adds the row of a key found on node, whose family is family (see
// aggregate.FamilyNamer).
func (pw *ParquetKeysWriter) Write(node string, k *aggregate.Key, family []byte) error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.err != nil {
		return pw.err
	}
	row := ParquetKey{Node: node, DB: int64(k.DB), Key: []byte(k.Key), Type: k.Type, Encoding: k.Encoding,
		Memory: k.Memory, RDBBytes: k.RDBBytes, Elements: k.Elements,
		Allocated: keyAlloc(k), Family: []byte(string(family)), Slot: int32(aggregate.Slot(k.Key))}
	if k.ExpiresAt != 0 {
		e := k.ExpiresAt
		row.ExpiresAt = &e
	}
	pw.batch = append(pw.batch, row)
	if len(pw.batch) == cap(pw.batch) {
		pw.flush()
	}
	return pw.err
}

func (pw *ParquetKeysWriter) flush() {
	if len(pw.batch) == 0 || pw.err != nil {
		return
	}
	if _, err := pw.w.Write(pw.batch); err != nil {
		pw.err = fmt.Errorf("parquet: %w", err)
	}
	clear(pw.batch) // drop references to key bytes
	pw.batch = pw.batch[:0]
}

// Close writes the remaining rows and the file footer; it does not close
// the underlying writer. A Parquet file is only readable once closed.
func (pw *ParquetKeysWriter) Close() error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.flush()
	if pw.err != nil {
		return pw.err
	}
	if err := pw.w.Close(); err != nil {
		pw.err = fmt.Errorf("parquet: %w", err)
	}
	return pw.err
}
