package parse

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mutate applies one to three random corruptions to a copy of b: byte
// flips and overwrites, cuts, huge length fields, duplicated or dropped
// spans. The CRC is left wrong on purpose (NoVerify lets parsing go on).
func mutate(rng *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	for n := 1 + rng.Intn(3); n > 0 && len(b) > 0; n-- {
		i := rng.Intn(len(b))
		switch rng.Intn(7) {
		case 0:
			b[i] ^= 1 << rng.Intn(8)
		case 1:
			b[i] = byte(rng.Intn(256))
		case 2:
			b = b[:i]
		case 3: // a 32- or 64-bit length claiming gigabytes or more
			huge := []byte{0x80, 0xff, 0xff, 0xff, byte(rng.Intn(256))}
			if rng.Intn(2) == 0 {
				huge = binary.BigEndian.AppendUint64([]byte{0x81}, rng.Uint64()|1<<40)
			}
			if rng.Intn(2) == 0 {
				b = append(b[:i], append(huge, b[i:]...)...)
			} else {
				b = append(b[:i], append(huge, b[min(len(b), i+len(huge)):]...)...)
			}
		case 4: // a 14-bit length or an LZF/int encoding byte
			b[i] = []byte{0x7f, 0xc3, 0xc0, 0xc1, 0xc2, 0xff, 0x40}[rng.Intn(7)]
		case 5:
			j := min(len(b), i+1+rng.Intn(64))
			b = append(b[:j], append(bytes.Clone(b[i:j]), b[j:]...)...)
		case 6:
			j := min(len(b), i+1+rng.Intn(16))
			b = append(b[:i], b[j:]...)
		}
	}
	return b
}

// TestMutationsBounded parses a few thousand corrupted variants of the
// small fixtures: each must end (no hang), without a framer panic, with
// bounded allocation, whatever the corruption.
func TestMutationsBounded(t *testing.T) {
	rounds := 3000
	if testing.Short() {
		rounds = 500
	}
	var seeds [][]byte
	for _, name := range fuzzFixtures {
		seeds = append(seeds, fixture(t, name))
	}
	rng := rand.New(rand.NewSource(7))
	start := time.Now()
	decoderPanics := 0
	var ms runtime.MemStats
	for i := 0; i < rounds; i++ {
		seed := seeds[rng.Intn(len(seeds))]
		b := mutate(rng, seed)
		limit := int64(0)
		if rng.Intn(4) == 0 {
			limit = int64(rng.Intn(200))
		}
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		done := make(chan error, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		go func() {
			_, err := Parse(ctx, bytesInput("m.rdb", b), Options{NoVerify: true, MaxKeyBytes: limit}, func(r *Record) error {
				_ = valueLen(r.Value)
				return nil
			})
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			_ = os.WriteFile(filepath.Join(os.TempDir(), "rdbscope-hang.rdb"), b, 0o644)
			t.Fatalf("round %d: parse of a %d-byte mutation hangs (input in %s)", i, len(b), filepath.Join(os.TempDir(), "rdbscope-hang.rdb"))
		}
		cancel()
		runtime.ReadMemStats(&ms)
		require.Less(t, ms.TotalAlloc-before, uint64(64<<20), "round %d: allocation bounded", i)
		if err != nil {
			msg := err.Error()
			require.NotContains(t, msg, "framer panic", "round %d", i)
			require.True(t, strings.HasPrefix(msg, "m.rdb"), "round %d: error names the file: %s", i, msg)
			if strings.Contains(msg, "decoder panic") {
				decoderPanics++
				t.Logf("round %d: %s", i, msg)
			}
		}
	}
	t.Logf("%d mutations in %v; %d decoder panics recovered", rounds, time.Since(start), decoderPanics)
	require.Zero(t, decoderPanics, "the framer must reject what makes the decoder panic")
}
