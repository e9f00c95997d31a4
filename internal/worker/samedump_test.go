package worker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A parser process resumes a node only on the dump the first one read:
// a dump renamed over it (as BGSAVE does) or grown is another dump.
func TestSameDump(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	write := func(p, s string) {
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
	}
	tests := []struct {
		name   string
		change func()
		same   bool
	}{
		{"unchanged", func() {}, true},
		{"renamed over", func() {
			other := filepath.Join(dir, "temp-1.rdb")
			write(other, "REDIS0011")
			require.NoError(t, os.Rename(other, path))
		}, false},
		{"grown", func() {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("more")
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, false},
		{"touched", func() {
			later := time.Now().Add(time.Hour)
			require.NoError(t, os.Chtimes(path, later, later))
		}, false},
		{"removed", func() { require.NoError(t, os.Remove(path)) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write(path, "REDIS0011")
			first, err := os.Stat(path)
			require.NoError(t, err)
			tc.change()
			assert.Equal(t, tc.same, sameDump(first, path))
		})
	}
	assert.False(t, sameDump(nil, path), "not known when the first child started")
}
