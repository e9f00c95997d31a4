package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/parse"
	"github.com/rdbscope/rdbscope/render"
)

// recorder is a rowWriter that keeps the rows.
type recorder struct {
	mu     sync.Mutex
	rows   []string
	closed bool
}

func (r *recorder) Write(node string, k *aggregate.Key, family []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, fmt.Sprintf("%s %s %s %d %d", node, k.Key, family, k.Memory, k.Alloc))
	return nil
}

func (r *recorder) Close() error { r.closed = true; return nil }

// Rows come out node by node in input order, each node's keys in the
// order they were written, whichever node runs ahead and finishes first;
// a node's keys wait for its separators (here over SeparatorSample keys,
// so some flow after the decision) and are named with them.
func TestKeyExportOrder(t *testing.T) {
	inputs := []parse.Input{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}
	rec := &recorder{}
	e := newKeyExport(rec, inputs, nil, t.TempDir())
	counts := map[string]int{"a": 10, "b": aggregate.SeparatorSample + 500, "c": 3, "d": 0}
	key := func(node string, i int) *aggregate.Key {
		// b's keys use "/", the others ":".
		sep := ":"
		if node == "b" {
			sep = "/"
		}
		return &aggregate.Key{Key: fmt.Sprintf("%s%sitem%s%d", node, sep, sep, i), Type: "string", Memory: int64(i + 1), Alloc: int64(i + 2)}
	}
	// c finishes first, then b, d, and a last: everything but a spools.
	var wg sync.WaitGroup
	for _, node := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range counts[node] {
				require.NoError(t, e.Write(node, key(node, i)))
			}
		}()
	}
	wg.Wait()
	for _, i := range []int{2, 1, 3, 0} {
		e.Done(i)
	}
	require.NoError(t, e.Close())
	assert.True(t, rec.closed)

	var want []string
	for _, node := range []string{"a", "b", "c", "d"} {
		for i := range counts[node] {
			k := key(node, i)
			fam := node + ":item:*"
			if node == "b" {
				fam = "b/item/*"
			}
			want = append(want, fmt.Sprintf("%s %s %s %d %d", node, k.Key, fam, k.Memory, k.Alloc))
		}
	}
	assert.Equal(t, want, rec.rows)
	ents, err := os.ReadDir(e.dir)
	require.NoError(t, err)
	assert.Empty(t, ents, "no spool file is left behind")
}

// An interrupted run (nodes never done) still writes what it has, in
// order; a key of no known node is an error.
func TestKeyExportInterrupted(t *testing.T) {
	rec := &recorder{}
	e := newKeyExport(rec, []parse.Input{{Name: "a"}, {Name: "b"}}, []string{":"}, t.TempDir())
	require.NoError(t, e.Write("b", &aggregate.Key{Key: "b:1"}))
	require.NoError(t, e.Write("a", &aggregate.Key{Key: "a:1"}))
	require.Error(t, e.Write("zz", &aggregate.Key{Key: "z"}))
	require.NoError(t, e.Close())
	assert.Equal(t, []string{"a a:1 a:* 0 0", "b b:1 b:* 0 0"}, rec.rows)
}

// The keys export is the same bytes whatever --jobs and isolation; its
// rows follow the dumps (input order, then each dump's own order), every
// key's family is one of its node's families in the profile and its slot
// the key's hash slot.
func TestKeysExportDeterministic(t *testing.T) {
	dir := t.TempDir()
	var outs []string
	for i, args := range [][]string{{"-j", "2"}, {"-j", "2"}, {"-j", "1", "--isolate=false"}, {"-j", "3"}} {
		out := filepath.Join(dir, fmt.Sprintf("k%d.csv", i))
		code, _, stderr := runCLI(t, append(append([]string{"analyze", "-q", "--keys", out, "--json", out + ".json"}, args...), "testdata/sample")...)
		require.Equal(t, exitOK, code, stderr)
		raw, err := os.ReadFile(out)
		require.NoError(t, err)
		outs = append(outs, string(raw))
	}
	for i := 1; i < len(outs); i++ {
		assert.Equal(t, outs[0], outs[i], "run %d", i)
	}

	rows, err := csv.NewReader(strings.NewReader(outs[0])).ReadAll()
	require.NoError(t, err)
	rows = rows[1:]
	r := testutil.Report(t, filepath.Join(dir, "k0.csv.json"))
	byNode := map[string]*aggregate.Node{}
	for _, n := range r.Nodes {
		byNode[n.Name] = n
	}
	// Nodes one after the other, in input order (in-process with one job,
	// each dump is read in its own order: the runs above equal it).
	order := []string{"node-7200", "node-7201", "node-7202"}
	at := 0
	got := map[string]map[string]string{} // node -> key -> slot
	for _, row := range rows {
		for at < len(order) && row[0] != order[at] {
			at++
		}
		require.Less(t, at, len(order), "row %v out of node order", row)
		if got[row[0]] == nil {
			got[row[0]] = map[string]string{}
		}
		got[row[0]][row[2]] = row[11]
		fam := byNode[row[0]].Families
		assert.True(t, fam.Find(row[10]) != nil || fam.Other.Keys > 0, "family %q of %q is the node's", row[10], row[2])
	}
	for _, node := range order {
		truth, err := os.ReadFile("testdata/sample-truth/" + node + ".keys.jsonl")
		require.NoError(t, err)
		want := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(truth)), "\n") {
			var k struct {
				Key  string `json:"key"`
				Slot int    `json:"slot"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &k))
			want[k.Key] = strconv.Itoa(k.Slot)
		}
		assert.Equal(t, want, got[node], "%s: every key once, with its slot", node)
	}
}

// --keys - writes the CSV export to stdout and the summary to stderr.
func TestKeysToStdout(t *testing.T) {
	code, stdout, stderr := runCLI(t, "analyze", "--keys", "-", "testdata/sample/node-7201.rdb")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, strings.Join(render.KeysHeader, ",")+"\n"))
	assert.Equal(t, countLines(t, "testdata/sample-truth/node-7201.keys.jsonl")+1, strings.Count(stdout, "\n"))
	assert.Contains(t, stderr, "NODE")
	code, _, stderr = runCLI(t, "analyze", "--keys", "-", "--json", "-", "testdata/sample/node-7201.rdb")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--json and --keys both write to stdout")
}
