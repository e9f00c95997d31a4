package parse

import "encoding/binary"

// Redis's CRC64 is the Jones polynomial, reflected, initial value 0, no
// final xor. Every stream byte goes through it. crc64Update (one per
// architecture: crc64_amd64.go, crc64_other.go) folds long inputs with
// carry-less multiplication where the CPU has it (crc64_fold.go) and
// leaves the rest to crc64Table, which runs 16 bytes per step with 16
// tables (slicing-by-16: 32 KiB of tables, built once), several times
// faster than the standard library's table for a custom polynomial,
// which works a byte at a time below 2 KiB and rebuilds its larger table
// on every call above.

// crcPoly is the Jones polynomial in reflected form.
const crcPoly = 0x95AC9329AC4BC9B5

var crcTables = func() *[16][256]uint64 {
	t := new([16][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ crcPoly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 16; k++ {
		for i := range 256 {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][c&0xff]
		}
	}
	return t
}()

// crc64Table adds p to the CRC64 state crc with the tables.
func crc64Table(crc uint64, p []byte) uint64 {
	t := crcTables
	for len(p) >= 16 {
		a := crc ^ binary.LittleEndian.Uint64(p)
		b := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][a&0xff] ^ t[14][a>>8&0xff] ^ t[13][a>>16&0xff] ^ t[12][a>>24&0xff] ^
			t[11][a>>32&0xff] ^ t[10][a>>40&0xff] ^ t[9][a>>48&0xff] ^ t[8][a>>56] ^
			t[7][b&0xff] ^ t[6][b>>8&0xff] ^ t[5][b>>16&0xff] ^ t[4][b>>24&0xff] ^
			t[3][b>>32&0xff] ^ t[2][b>>40&0xff] ^ t[1][b>>48&0xff] ^ t[0][b>>56]
		p = p[16:]
	}
	for _, c := range p {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}

// crc64Redis returns Redis's CRC64 of b.
func crc64Redis(b []byte) uint64 { return crc64Update(0, b) }
