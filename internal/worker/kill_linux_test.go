package worker

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// rdbString appends an RDB string of s.
func rdbString(b []byte, s string) []byte {
	b = rdbLength(b, len(s))
	return append(b, s...)
}

// rdbLength appends an RDB length.
func rdbLength(b []byte, n int) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
}

// hugeHashDump is a dump of Redis 7.0 (where cluster mode changes every
// key's figures, so that the first keys are held until it is decided)
// with the string keys before, then a hash of fields fields in the plain
// encoding (the decoder builds it whole), then the string keys after.
func hugeHashDump(before, after []string, fields int) []byte {
	b := []byte("REDIS0010")
	for _, aux := range [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}} {
		b = rdbString(append(b, 0xfa), aux[0])
		b = rdbString(b, aux[1])
	}
	b = append(b, 0xfe, 0)
	for _, k := range before {
		b = rdbString(rdbString(append(b, 0), k), "value of "+k)
	}
	b = rdbLength(rdbString(append(b, 4), "huge"), fields)
	for i := range fields {
		f := strconv.Itoa(i)
		b = rdbString(rdbString(b, "field:"+f), "value:"+f)
	}
	for _, k := range after {
		b = rdbString(rdbString(append(b, 0), k), "value of "+k)
	}
	b = append(b, 0xff)
	sum := ^crc64.Update(^uint64(0), crc64.MakeTable(0x95AC9329AC4BC9B5), b)
	return binary.LittleEndian.AppendUint64(b, sum)
}

// keysIn returns n key names that fall in the first parts eighths of the
// hash slot space (8: anywhere).
func keysIn(prefix string, n, parts int) []string {
	var ks []string
	for i := 0; len(ks) < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		if aggregate.Slot(k)*8/aggregate.NumSlots < parts {
			ks = append(ks, k)
		}
	}
	return ks
}

// A parser child killed by memory in a huge key keeps, under --cluster
// auto, the keys before it, with the figures a complete run gives them:
// it holds them while it decides cluster mode, but has sent them to the
// parent with both figures, and the parent decides on them (issue 13).
// Before, such a node kept no key at all. The keys after the huge one are
// still lost.
func TestChildKilledByMemoryKeepsHeldKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 40 MB dump and parses it twice")
	}
	const limit = 64 << 20
	for _, c := range []struct {
		name  string
		parts int
		mode  scan.ClusterMode
		note  string
	}{
		{"standalone server", 8, scan.ClusterAuto, "standalone (detected; --cluster yes to override), decided on the 100 keys read before the parser process died"},
		{"cluster node", 3, scan.ClusterAuto, "cluster mode (detected: the keys fall in part of the hash slot space; --cluster no to override), decided on the 100 keys read before the parser process died"},
		{"--cluster no", 8, scan.ClusterOff, "standalone (--cluster no)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "huge.rdb")
			before, after := keysIn("before", 100, c.parts), keysIn("after", 50, c.parts)
			require.NoError(t, os.WriteFile(path, hugeHashDump(before, after, 2_000_000), 0o644))
			in := parse.Ref{Path: path}.Input("n")

			// A complete run, the huge key estimated rather than decoded.
			var whole recorder
			opts := scan.Options{Cluster: c.mode, MaxKeyBytes: 1 << 20}
			require.NoError(t, scan.Run(context.Background(), in, opts, &whole))
			require.Len(t, whole.keys, 151)

			var rec recorder
			opts.MaxKeyBytes = 0
			err := Run(context.Background(), in, opts, limit, &rec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "parser process died")
			assert.Contains(t, err.Error(), "--parser-memory-limit")
			require.Len(t, rec.keys, len(before), "the keys before the huge one")
			assert.Equal(t, whole.keys[:len(before)], rec.keys)
			if c.mode == scan.ClusterAuto {
				require.NotNil(t, rec.end)
				assert.Equal(t, c.note, rec.end.ModelNote)
			} else {
				assert.Nil(t, rec.end, "the child's own mode: no note to add")
				assert.Equal(t, c.note, rec.header.ModelNote)
			}
		})
	}
}
