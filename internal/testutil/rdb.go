package testutil

import (
	"encoding/binary"
	"hash/crc64"
	"strconv"
)

// RDBItem is one key of a dump written by RDB70: a string when Fields is
// 0, else a hash of that many fields in the plain encoding
// (RDB_TYPE_HASH), which the decoder builds whole: a hash of 2,000,000
// fields (54 MB serialized) kills a parser process limited to 128 MB.
type RDBItem struct {
	Key    string
	Fields int
}

// RDB70 writes a dump of Redis 7.0.15 (RDB 10, with its checksum) holding
// items in db 0, in order, and returns it with the offset of each item's
// record.
func RDB70(items []RDBItem) ([]byte, []int64) {
	b := []byte("REDIS0010")
	for _, aux := range [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}} {
		b = rdbString(append(b, 0xfa), aux[0])
		b = rdbString(b, aux[1])
	}
	b = append(b, 0xfe, 0)
	offsets := make([]int64, len(items))
	for i, it := range items {
		offsets[i] = int64(len(b))
		if it.Fields == 0 {
			b = rdbString(rdbString(append(b, 0), it.Key), "value of "+it.Key)
			continue
		}
		b = rdbLength(rdbString(append(b, 4), it.Key), it.Fields)
		for f := range it.Fields {
			n := strconv.Itoa(f)
			b = rdbString(rdbString(b, "field:"+n), "value:"+n)
		}
	}
	b = append(b, 0xff)
	sum := ^crc64.Update(^uint64(0), crc64.MakeTable(jones), b)
	return binary.LittleEndian.AppendUint64(b, sum), offsets
}

// jones is the CRC-64 polynomial of Redis dumps (Jones, reflected).
const jones = 0x95AC9329AC4BC9B5

// rdbString appends an RDB string.
func rdbString(b []byte, s string) []byte {
	return append(rdbLength(b, len(s)), s...)
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
