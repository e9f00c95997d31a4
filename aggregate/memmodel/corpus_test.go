package memmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/parse"
)

const corpusDir = "../../../shared/corpus/generated"

type truthKey = testutil.TruthKey

type dbKey struct {
	db  int
	key string
}

func readTruth(t testing.TB, base string) map[dbKey]truthKey {
	keys, ok := testutil.TruthKeys(t, base)
	if !ok {
		t.Fatalf("no truth for %s", base)
	}
	out := make(map[dbKey]truthKey, len(keys))
	for _, k := range keys {
		out[dbKey{k.DB, k.Key}] = k
	}
	return out
}

type summaryFile struct {
	InfoMemory   map[string]any            `json:"info_memory"`
	InfoKeyspace map[string]map[string]any `json:"info_keyspace"`
}

// loadDump parses a dump, calling fn for every record.
func loadDump(t testing.TB, path string, fn func(src *parse.Source, r *parse.Record)) *parse.Source {
	ins, err := parse.Expand([]string{path}, nil)
	if err != nil || len(ins) != 1 {
		t.Fatalf("expand %s: %v", path, err)
	}
	var src *parse.Source
	got, err := parse.Parse(context.Background(), ins[0], parse.Options{OnSource: func(s *parse.Source) error { src = s; return nil }},
		func(r *parse.Record) error { fn(src, r); return nil })
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return got
}

type cell struct {
	n        int
	errs     []float64
	est, tru int64
	encMiss  int
	worstKey string
	worst    float64
}

func (c *cell) add(key string, est, tru int64, encOK bool) {
	c.n++
	c.est += est
	c.tru += tru
	e := 0.0
	if tru > 0 {
		e = float64(est-tru) / float64(tru)
	}
	c.errs = append(c.errs, math.Abs(e))
	if math.Abs(e) > math.Abs(c.worst) || c.worstKey == "" {
		c.worst, c.worstKey = e, strings.Clone(key)
	}
	if !encOK {
		c.encMiss++
	}
}

func (c *cell) stats() (med, p95 float64) {
	s := append([]float64(nil), c.errs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0, 0
	}
	return s[len(s)/2], s[int(math.Ceil(0.95*float64(len(s))))-1]
}

type accuracy struct {
	cells            map[string]*cell
	sumEst, sumTruth int64
	missing          int
	keysPerDB        map[int]int64
	expiresPerDB     map[int]int64
	slotKeys         map[int]int64
	nodeExtra        int64
}

func (a *accuracy) table() string {
	var b strings.Builder
	names := make([]string, 0, len(a.cells))
	for k := range a.cells {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "| type/encoding | keys | median err | p95 err | worst | sum ratio | enc miss |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range names {
		c := a.cells[k]
		med, p95 := c.stats()
		fmt.Fprintf(&b, "| %s | %d | %.2f%% | %.2f%% | %+.2f%% | %.4f | %d |\n", k, c.n, 100*med, 100*p95, 100*c.worst, float64(c.est)/float64(c.tru), c.encMiss)
	}
	return b.String()
}

// undecodedMode (MEMMODEL_UNDECODED=1) measures the estimates made
// without the decoded value and blob sizes, as for keys over
// --max-key-memory.
var undecodedMode = os.Getenv("MEMMODEL_UNDECODED") != ""

func measure(t testing.TB, rdb string, override string, cluster bool) (*accuracy, *Model, *parse.Source) {
	base := strings.TrimSuffix(rdb, ".rdb")
	truth := readTruth(t, base)
	a := &accuracy{cells: map[string]*cell{}, keysPerDB: map[int]int64{}, expiresPerDB: map[int]int64{}, slotKeys: map[int]int64{}}
	var m *Model
	src := loadDump(t, rdb, func(src *parse.Source, r *parse.Record) {
		if m == nil {
			m, _ = ForSource(src, override)
			m = m.WithCluster(m.cluster || cluster)
		}
		if undecodedMode {
			// as the parser delivers keys over --max-key-memory
			r.Value, r.Blobs = nil, nil
		}
		est, enc := m.Estimate(r)
		a.nodeExtra += m.NodeExtra(r, enc)
		a.keysPerDB[r.DB]++
		a.slotKeys[aggregate.Slot(r.Key)]++
		if r.ExpiresAt > 0 {
			a.expiresPerDB[r.DB]++
		}
		tk, ok := truth[dbKey{r.DB, r.Key}]
		if !ok {
			a.missing++
			return
		}
		name := tk.Type + "/" + tk.Encoding
		if name == "hash/hashtable" && m.seedDependent(r) {
			name += " (seed-dependent)"
		}
		c := a.cells[name]
		if c == nil {
			c = &cell{}
			a.cells[name] = c
		}
		c.add(r.Key, est, tk.MemoryUsage, enc == tk.Encoding)
		a.sumEst += est
		a.sumTruth += tk.MemoryUsage
	})
	if m == nil {
		m, _ = ForSource(src, override)
	}
	return a, m, src
}

// corpusDumps lists the dumps of the shared corpus, plus those under the
// comma-separated directories of MEMMODEL_EXTRA (mkdump output dirs, e.g.
// MEMMODEL_EXTRA=/tmp/mm/s5,/tmp/mm/inc13), named dir/dump.
func corpusDumps() []string {
	var dumps []string
	servers, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	for _, dir := range servers {
		d, _ := filepath.Glob(filepath.Join(dir, "*.rdb"))
		dumps = append(dumps, d...)
	}
	for _, dir := range strings.Split(os.Getenv("MEMMODEL_EXTRA"), ",") {
		if dir = strings.TrimSpace(dir); dir != "" {
			d, _ := filepath.Glob(filepath.Join(dir, "*.rdb"))
			dumps = append(dumps, d...)
		}
	}
	return dumps
}

func TestCorpusAccuracy(t *testing.T) {
	dumps := corpusDumps()
	if len(dumps) == 0 {
		t.Skip("corpus not found at " + corpusDir + " and no MEMMODEL_EXTRA")
	}
	for _, rdb := range dumps {
		{
			name := filepath.Base(filepath.Dir(rdb)) + "/" + filepath.Base(rdb)
			if os.Getenv("MEMMODEL_ONLY") != "" && !strings.Contains(name, os.Getenv("MEMMODEL_ONLY")) {
				continue
			}
			t.Run(name, func(t *testing.T) {
				a, m, _ := measure(t, rdb, "", isClusterDump(rdb))
				t.Logf("model %s\n%s", m.Name(), a.table())
				ratio := float64(a.sumEst) / float64(a.sumTruth)
				t.Logf("sum est %d truth %d ratio %.4f missing %d", a.sumEst, a.sumTruth, ratio, a.missing)
				if ratio < 0.99 || ratio > 1.01 {
					t.Errorf("sum ratio %.4f outside 1%%", ratio)
				}
				checkCells(t, a, m)
				var sum summaryFile
				if b, err := os.ReadFile(strings.TrimSuffix(rdb, ".rdb") + ".summary.json"); err == nil && json.Unmarshal(b, &sum) == nil {
					used, _ := sum.InfoMemory["used_memory"].(float64)
					node := a.sumEst + m.NodeOverhead(a.keysPerDB, a.expiresPerDB, a.slotCounts())
					nodeX := node + a.nodeExtra
					t.Logf("node total %d used_memory %.0f ratio %.4f (startup %v overhead %v); with NodeExtra %d: ratio %.4f", node, used, float64(node)/used,
						sum.InfoMemory["used_memory_startup"], sum.InfoMemory["used_memory_overhead"], a.nodeExtra, float64(node+a.nodeExtra)/used)
					if used > 10<<20 && math.Abs(float64(nodeX)/used-1) > 0.05 {
						t.Errorf("node total %d (with NodeExtra) vs used_memory %.0f: off by more than 5%%", nodeX, used)
					}
				}
			})
		}
	}
}

// checkCells asserts the per type/encoding bounds. Targets: median <= 1%,
// p95 <= 5%. Looser, documented bounds where the layout depends on
// randomness the dump does not hold:
//   - zset/skiplist: node levels are random (p = 1/4): median 3%, p95 6%;
//   - set/hashtable on Valkey 8: members share buckets at random (16-byte
//     entries only for chained members): median 3%, p95 6%;
//   - hash/hashtable (seed-dependent): plain RDB hashes whose load ends
//     while the dict may or may not still be rehashing, depending on the
//     loading server's hash seed; all hashes with the same field names go
//     the same way. The model picks the likelier outcome, so the error is
//     0 or the old table's share of the hash: bound 8%.
//   - hash/hashtable on Valkey 8.1+: a bucket that gets more than 7
//     entries chains a 64-byte child bucket, which depends on the hash
//     seed; the model counts the expected number, so a small hash is off
//     by a fraction of 64 bytes either way: median 3%, p95 8%.
func checkCells(t *testing.T, a *accuracy, m *Model) {
	t.Helper()
	for name, c := range a.cells {
		med, p95 := c.stats()
		medMax, p95Max := 0.01, 0.05
		switch {
		case name == "hash/hashtable" && m.embedKey:
			medMax, p95Max = 0.03, 0.08
		case name == "zset/skiplist", name == "set/hashtable":
			medMax, p95Max = 0.03, 0.06
		case strings.HasSuffix(name, "(seed-dependent)"):
			medMax, p95Max = 0.08, 0.08
		}
		if c.n < 5 {
			medMax, p95Max = max(medMax, 0.05), max(p95Max, 0.12) // a handful of keys: one key decides
		}
		if med > medMax || p95 > p95Max {
			t.Errorf("%s: median %.2f%% p95 %.2f%% (worst %s %+.2f%%)", name, 100*med, 100*p95, c.worstKey, 100*c.worst)
		}
		if c.encMiss > 0 {
			t.Errorf("%s: %d encodings predicted wrong", name, c.encMiss)
		}
	}
}

func (a *accuracy) slotCounts() []int64 {
	out := make([]int64, 0, len(a.slotKeys))
	for _, n := range a.slotKeys {
		out = append(out, n)
	}
	return out
}

// isClusterDump: mkdump's incident preset writes incident.cluster.json
// beside the nodes' dumps.
func isClusterDump(rdb string) bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(rdb), "incident.cluster.json"))
	return err == nil || strings.Contains(rdb, "incident")
}
