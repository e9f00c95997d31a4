package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A dump of RDB 5 or later without a CRC64 (a zeroed trailer, as
// rdbchecksum no writes it, or as a corruption leaves it) is not passed
// as verified: exit 3 with a message naming the node, unless --no-verify
// says the user knows (issue 12, item 8).
func TestMissingChecksumIsNotVerified(t *testing.T) {
	raw, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	zeroed := append([]byte(nil), raw...)
	copy(zeroed[len(zeroed)-8:], make([]byte, 8))
	dir := t.TempDir()
	dump := filepath.Join(dir, "node-7201.rdb")
	require.NoError(t, os.WriteFile(dump, zeroed, 0o644))

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"intact", []string{"analyze", "-q", "testdata/sample/node-7201.rdb"}, exitOK, ""},
		{"zeroed", []string{"analyze", "-q", dump}, exitIncomplete, "node-7201: no CRC64 checksum"},
		{"zeroed --no-verify", []string{"analyze", "-q", "--no-verify", dump}, exitOK, ""},
		{"diff intact", []string{"diff", "-q", "testdata/sample/node-7201.rdb", "testdata/sample/node-7201.rdb"}, exitOK, ""},
		{"diff zeroed NEW", []string{"diff", "-q", "testdata/sample/node-7201.rdb", dump}, exitIncomplete, "node-7201: no CRC64 checksum"},
		{"diff zeroed OLD", []string{"diff", "-q", dump, "testdata/sample/node-7201.rdb"}, exitIncomplete, "node-7201: no CRC64 checksum"},
		{"diff zeroed --no-verify", []string{"diff", "-q", "--no-verify", dump, dump}, exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			if tc.msg != "" {
				assert.Contains(t, stderr, tc.msg)
				assert.Contains(t, stderr, "--no-verify")
			} else {
				assert.NotContains(t, stderr, "no CRC64 checksum")
			}
		})
	}
}

// diff shows progress while it reads dumps, as analyze does, and none
// with --progress never.
func TestDiffProgress(t *testing.T) {
	tests := []struct {
		mode string
		want bool
	}{{"always", true}, {"never", false}}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			code, _, stderr := runCLI(t, "diff", "-q", "--progress", tc.mode, "testdata/sample/node-7201.rdb", "testdata/sample/node-7202.rdb")
			require.Equal(t, exitOK, code, stderr)
			if tc.want {
				assert.Contains(t, stderr, "node-7201: done,")
				assert.Contains(t, stderr, "node-7202: done,")
			} else {
				assert.NotContains(t, stderr, "done,")
			}
		})
	}
	code, _, stderr := runCLI(t, "diff", "-q", "--progress", "sometimes", "testdata/sample/node-7201.rdb", "testdata/sample/node-7202.rdb")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "want auto, always or never")
}
