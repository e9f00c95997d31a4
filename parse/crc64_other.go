//go:build !amd64

package parse

// crc64Update adds p to the CRC64 state crc: with the tables only, as
// the folding kernel is amd64 assembly.
func crc64Update(crc uint64, p []byte) uint64 { return crc64Table(crc, p) }
