package parse

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sweepAll = flag.Bool("sweep", false, "TestFlipCutSweep: every byte of every corpus file with a checksum, without a time bound")

// figures is what a report is made of, for one parse.
func figures(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%d %q %s %s %d %d %d %d %d %v\n", r.DB, r.Key, r.Type, r.RDBEncoding, r.Offset, r.RDBBytes, r.Elements, r.ExpiresAt, r.LongElem, r.Blobs)
	}
	return b.String()
}

// TestFlipCutSweep changes every byte (three ways) of the corpus files that
// carry a checksum, and cuts them at every offset: no outcome may be a
// success with figures other than the original's (issue 12, "done
// when"). go test sweeps the 16 smallest such files whole (-short: three);
// -sweep sweeps every file. The count is fixed, not a time budget, so the
// test checks the same dumps on a loaded machine.
func TestFlipCutSweep(t *testing.T) {
	needCorpus(t)
	want := 16
	if testing.Short() {
		want = 3
	}
	if *sweepAll {
		want = math.MaxInt
	}
	type file struct {
		rel string
		b   []byte
	}
	var files []file
	for _, path := range corpusFiles(t) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		rel, _ := filepath.Rel(corpusDir, path)
		files = append(files, file{rel, b})
	}
	// Smallest first, so that the bounded run covers many files whole.
	slices.SortStableFunc(files, func(a, b file) int { return len(a.b) - len(b.b) })
	var checked, succeeded, swept int
	for _, f := range files {
		if swept == want {
			break
		}
		recs, src, err := parseAll(t, f.b, Options{})
		if err != nil || src.Checksum != ChecksumOK {
			continue
		}
		want := figures(recs)
		swept++
		try := func(what string, c []byte) {
			checked++
			got, _, err := parseAll(t, c, Options{})
			if err == nil {
				succeeded++
				assert.Equal(t, want, figures(got), "%s: %s succeeded with other figures", f.rel, what)
			}
		}
		for off := 0; off < len(f.b); off++ {
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				c := append([]byte(nil), f.b...)
				c[off] ^= x
				try(fmt.Sprintf("byte %d ^ %#x", off, x), c)
			}
			try(fmt.Sprintf("cut at %d", off), f.b[:off])
		}
	}
	t.Logf("%d files with a checksum swept, %d changed dumps, %d parsed without error (all with the original figures)", swept, checked, succeeded)
	if *sweepAll {
		assert.Positive(t, swept, "no corpus file with a checksum")
	} else {
		assert.Equal(t, want, swept, "corpus files with a checksum swept")
	}
}
