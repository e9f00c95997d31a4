package parse

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
// when"). Bounded to a few seconds in go test (the smallest files first);
// -sweep runs every file to the end.
func TestFlipCutSweep(t *testing.T) {
	needCorpus(t)
	budget := 5 * time.Second
	if testing.Short() {
		budget = time.Second
	}
	if *sweepAll {
		budget = 24 * time.Hour
	}
	deadline := time.Now().Add(budget)
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
		if time.Now().After(deadline) {
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
		for off := 0; off < len(f.b) && time.Now().Before(deadline); off++ {
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				c := append([]byte(nil), f.b...)
				c[off] ^= x
				try(fmt.Sprintf("byte %d ^ %#x", off, x), c)
			}
			try(fmt.Sprintf("cut at %d", off), f.b[:off])
		}
	}
	t.Logf("%d files with a checksum swept, %d changed dumps, %d parsed without error (all with the original figures)", swept, checked, succeeded)
	assert.Greater(t, swept, 5)
}
