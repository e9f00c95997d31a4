package worker

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// These flags profile the parser process on a dump of one's choice, for
// performance work (docs/performance.md):
//
//	go test ./internal/worker -run TestParserCPUProfile -args -profile-dump big.rdb -profile-out /tmp/parser.prof
//	go tool pprof -top /tmp/parser.prof.0
var (
	profileDump = flag.String("profile-dump", "", "dump whose parser process TestParserCPUProfile profiles (default: a sample dump)")
	profileOut  = flag.String("profile-out", "", "path of the parser process's CPU profile, followed by .0 (default: a temporary file)")
)

// A parser process writes a CPU profile of its scan when asked, and the
// node is the same.
func TestParserCPUProfile(t *testing.T) {
	dump, out := *profileDump, *profileOut
	if dump == "" {
		dump = filepath.Join(sampleDir, "node-7201.rdb")
	}
	if out == "" {
		out = filepath.Join(t.TempDir(), "parser.prof")
	}
	inputs, err := parse.Expand([]string{dump}, nil)
	require.NoError(t, err)
	require.Len(t, inputs, 1)
	cfg := Config{Jobs: 1, Isolate: true, Profile: fixedNow(), Scan: scan.Options{}, ParserCPUProfile: out}
	nodes := Nodes(context.Background(), inputs, cfg)
	require.Len(t, nodes, 1)
	assert.True(t, nodes[0].Complete, nodes[0].Error)
	prof, err := os.ReadFile(out + ".0")
	require.NoError(t, err)
	// A profile is gzipped.
	assert.True(t, bytes.HasPrefix(prof, []byte{0x1f, 0x8b}), "not a profile")
	if *profileDump == "" {
		cfg.ParserCPUProfile = ""
		assert.Equal(t, nodeJSON(t, nodes[0]), nodeJSON(t, Nodes(context.Background(), inputs, cfg)[0]))
	}
}
