// Package testutil holds what tests of several packages share. It is for
// tests only: no command or library code imports it. It imports aggregate,
// so aggregate's own tests use it from the external test package
// (aggregate_test).
package testutil

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// TruthKey is one line of mkdump's NODE.keys.jsonl: what the server said
// of one key before it saved the dump.
type TruthKey struct {
	DB          int    `json:"db"`
	Key         string `json:"key"`
	Type        string `json:"type"`
	Encoding    string `json:"encoding"`
	MemoryUsage int64  `json:"memory_usage"` // MEMORY USAGE key SAMPLES 0
	PExpireTime int64  `json:"pexpiretime"`  // Unix ms; -1 or 0 when none
	Elements    int64  `json:"elements"`
	Slot        int    `json:"slot"`
}

// TruthSummary is what mkdump's NODE.summary.json says of the server.
type TruthSummary struct {
	SavedAtMs  int64 `json:"saved_at_ms"`
	InfoMemory struct {
		UsedMemory int64 `json:"used_memory"`
	} `json:"info_memory"`
}

// ReadTruth reads the keys and the summary mkdump wrote for node in dir.
func ReadTruth(t testing.TB, dir, node string) ([]TruthKey, TruthSummary) {
	t.Helper()
	var sum TruthSummary
	raw, err := os.ReadFile(filepath.Join(dir, node+".summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &sum))
	keys, ok := TruthKeys(t, filepath.Join(dir, node))
	require.True(t, ok, "no %s.keys.jsonl in %s", node, dir)
	return keys, sum
}

// TruthKeys reads mkdump's BASE.keys.jsonl, or BASE.keys.jsonl.gz; ok is
// false when there is neither.
func TruthKeys(t testing.TB, base string) (keys []TruthKey, ok bool) {
	t.Helper()
	var r io.Reader
	if f, err := os.Open(base + ".keys.jsonl"); err == nil {
		defer f.Close()
		r = f
	} else if f, err := os.Open(base + ".keys.jsonl.gz"); err == nil {
		defer f.Close()
		z, err := gzip.NewReader(f)
		require.NoError(t, err)
		r = z
	} else {
		return nil, false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var k TruthKey
		require.NoError(t, json.Unmarshal(sc.Bytes(), &k))
		keys = append(keys, k)
	}
	require.NoError(t, sc.Err())
	return keys, true
}

// TruthNode builds a node profile straight from mkdump's truth files in
// dir: the MEMORY USAGE of every key and the server's used_memory, so that
// what is drawn from a profile (tables, findings) is tested on a real
// node's figures whatever the state of the parser and the memory model.
// It checks that every key falls in the slot the server said.
func TruthNode(t testing.TB, dir, name string) *aggregate.Node {
	t.Helper()
	keys, sum := ReadTruth(t, dir, name)
	opts := aggregate.DefaultOptions()
	opts.Now = sum.SavedAtMs / 1000
	b := aggregate.NewBuilder(name, opts)
	for _, tk := range keys {
		k := aggregate.Key{DB: tk.DB, Key: tk.Key, Type: tk.Type, Encoding: tk.Encoding, Memory: tk.MemoryUsage, Elements: tk.Elements}
		if tk.PExpireTime > 0 {
			k.ExpiresAt = tk.PExpireTime
		}
		assert.Equal(t, tk.Slot, aggregate.Slot(tk.Key), tk.Key)
		b.Add(&k)
	}
	n := b.Node()
	n.Complete = true
	n.EstimatedUsedMemory = n.Memory
	n.UsedMem = sum.InfoMemory.UsedMemory
	return n
}
