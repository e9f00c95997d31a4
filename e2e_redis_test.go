package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/internal/testutil"
)

// Issue 4's scenarios on real servers: throw-away standalone redis-server
// processes are filled with the shape of a known problem, their dumps are
// analyzed, and the findings must name the culprit. The per-key memory
// estimates are checked against MEMORY USAGE on the same servers.

// snapshot reloads the dataset from its own dump (so that every key is
// laid out as after loading an RDB, as rdbscope estimates it), reads
// MEMORY USAGE of every key, saves, and copies the dump to dst. It returns
// the server's used_memory and the memory usage per key.
func snapshot(t *testing.T, s *testutil.Redis, dst string) (int64, map[string]int64) {
	t.Helper()
	s.Must(t, "DEBUG", "RELOAD")
	var keys []string
	cursor := "0"
	for range 100000 { // bounded SCAN
		v := s.Must(t, "SCAN", cursor, "COUNT", "5000").([]any)
		cursor = v[0].(string)
		for _, k := range v[1].([]any) {
			keys = append(keys, k.(string))
		}
		if cursor == "0" {
			break
		}
	}
	sort.Strings(keys)
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"MEMORY", "USAGE", k, "SAMPLES", "0"}
	}
	usage := map[string]int64{}
	for i, v := range s.Pipe(t, cmds) {
		usage[keys[i]] = v.(int64)
	}
	used, err := strconv.ParseInt(s.Info(t, "memory", "used_memory"), 10, 64)
	require.NoError(t, err)
	saveTo(t, s, dst)
	return used, usage
}

// saveTo writes the dataset with SAVE and copies the dump to dst.
func saveTo(t *testing.T, s *testutil.Redis, dst string) {
	t.Helper()
	s.Must(t, "SAVE")
	raw, err := os.ReadFile(filepath.Join(s.Dir, "dump.rdb"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.WriteFile(dst, raw, 0o644))
}

// fill writes n keys name(i) with SET, EX ttl seconds when ttl > 0.
func fill(n int, name func(i int) string, value func(i int) string, ttl int) [][]string {
	cmds := make([][]string, 0, n)
	for i := range n {
		c := []string{"SET", name(i), value(i)}
		if ttl > 0 {
			c = append(c, "EX", strconv.Itoa(ttl))
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// payload is a deterministic value of n bytes.
func payload(i, n int) string {
	s := strconv.Itoa(i) + ":"
	return s + strings.Repeat(string(rune('a'+i%26)), max(0, n-len(s)))
}

// analyzeDumps runs rdbscope on dumps with args and returns the report
// and the per-key memory estimates (from --keys .jsonl) by node and key.
func analyzeDumps(t *testing.T, dir string, args ...string) (*aggregate.Report, map[string]map[string]int64, string) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	keysPath := filepath.Join(t.TempDir(), "k.jsonl")
	all := append([]string{"analyze", "--json", jsonPath, "--keys", keysPath}, args...)
	code, stdout, stderr := runCLI(t, append(all, dir)...)
	require.Equal(t, exitOK, code, "stderr: %s\nstdout: %s", stderr, stdout)
	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var r aggregate.Report
	require.NoError(t, json.Unmarshal(raw, &r))
	for _, n := range r.Nodes {
		require.True(t, n.Complete, "%s: %s", n.Name, n.Error)
		require.Equal(t, "ok", n.Source.Checksum)
	}
	raw, err = os.ReadFile(keysPath)
	require.NoError(t, err)
	est := map[string]map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var row struct {
			Node   string `json:"node"`
			Key    string `json:"key"`
			Memory int64  `json:"memory"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &row))
		k, err := aggregate.UnescapeKey(row.Key)
		require.NoError(t, err)
		if est[row.Node] == nil {
			est[row.Node] = map[string]int64{}
		}
		est[row.Node][k] = row.Memory
	}
	for _, f := range r.Findings {
		t.Logf("finding: %s %s %s key=%q family=%q: %s", f.Severity, f.Node, f.Kind, f.Key, f.Family, f.Title)
	}
	return &r, est, stdout
}

// checkEstimates compares rdbscope's per-key estimates with MEMORY USAGE:
// every key within 5% (or 16 bytes), and the sum within 2%.
func checkEstimates(t *testing.T, node string, usage, est map[string]int64) {
	t.Helper()
	require.Len(t, est, len(usage), "%s: keys in the export", node)
	var sumU, sumE int64
	worst, worstKey := 0.0, ""
	bad := 0
	for k, u := range usage {
		e, ok := est[k]
		if !assert.True(t, ok, "%s: key %q not exported", node, k) {
			continue
		}
		sumU += u
		sumE += e
		d := math.Abs(float64(e-u)) / float64(u)
		if d > worst {
			worst, worstKey = d, k
		}
		if d > 0.05 && abs64(e-u) > 16 {
			if bad < 5 {
				t.Errorf("%s: key %q: estimate %d, MEMORY USAGE %d (%+.1f%%)", node, k, e, u, 100*float64(e-u)/float64(u))
			}
			bad++
		}
	}
	assert.Zero(t, bad, "%s: keys off by more than 5%%", node)
	t.Logf("%s: %d keys, MEMORY USAGE sum %d, estimate sum %d (%+.2f%%), worst %.2f%% (%.60q)",
		node, len(usage), sumU, sumE, 100*float64(sumE-sumU)/float64(sumU), 100*worst, worstKey)
	assert.InEpsilon(t, float64(sumU), float64(sumE), 0.02, "%s: sum of estimates", node)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// findingsOf returns the findings of a kind.
func findingsOf(r *aggregate.Report, kind string) []aggregate.Finding {
	var out []aggregate.Finding
	for _, f := range r.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// maxmemoryFor is a maxmemory at which used memory fills fill of it.
func maxmemoryFor(used int64, fill float64) string {
	return strconv.FormatInt(int64(float64(used)/fill), 10)
}

func TestE2ERedisScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a redis-server per scenario")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("no redis-server (apt-get install redis-server)")
	}
	start := time.Now()
	defer func() { t.Logf("scenarios took %v", time.Since(start)) }()

	// A small cache beside every culprit: keys with a TTL, spread over
	// the whole slot space.
	cache := fill(1500, func(i int) string { return "cache:" + strconv.Itoa(i) }, func(i int) string { return payload(i, 40) }, 3600)

	// (a) and (b): one big key without TTL fills a volatile-lru node.
	for _, c := range []struct {
		name, typ, key string
		build          func() [][]string
	}{
		{"big-zset", "zset", "leaderboard:global", func() [][]string {
			var cmds [][]string
			for i := 0; i < 30000; i += 500 {
				c := []string{"ZADD", "leaderboard:global"}
				for j := i; j < i+500; j++ {
					c = append(c, strconv.Itoa(j*7%30011), fmt.Sprintf("player:%07d", j))
				}
				cmds = append(cmds, c)
			}
			return cmds
		}},
		{"big-list", "list", "queue:jobs", func() [][]string {
			var cmds [][]string
			for i := 0; i < 60000; i += 500 {
				c := []string{"RPUSH", "queue:jobs"}
				for j := i; j < i+500; j++ {
					c = append(c, payload(j, 40))
				}
				cmds = append(cmds, c)
			}
			return cmds
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testutil.StartRedis(t, "")
			s.Pipe(t, cache)
			s.Pipe(t, c.build())
			dir := t.TempDir()
			used, usage := snapshot(t, s, filepath.Join(dir, "node-6379.rdb"))
			r, est, _ := analyzeDumps(t, dir, "--maxmemory", maxmemoryFor(used, 0.9), "--maxmemory-policy", "volatile-lru")
			checkEstimates(t, "node-6379", usage, est["node-6379"])

			require.NotEmpty(t, r.Findings)
			first := r.Findings[0]
			assert.Equal(t, diagnose.KindTTLStarvation, first.Kind, "the root cause comes first")
			assert.Equal(t, aggregate.SeverityCritical, first.Severity)
			assert.Equal(t, aggregate.KeyName(c.key), first.Key, "ttl-starvation names the %s", c.typ)
			assert.Contains(t, first.Explanation, c.key)
			assert.Contains(t, first.Explanation, "evicted almost immediately")
			bk := findingsOf(r, diagnose.KindBigKey)
			if assert.Len(t, bk, 1, "one big-key finding") {
				assert.Equal(t, aggregate.KeyName(c.key), bk[0].Key)
				assert.Equal(t, aggregate.SeverityCritical, bk[0].Severity, "the %s holds most of the node", c.typ)
				assert.Contains(t, bk[0].Title, c.typ)
			}
			assert.Empty(t, findingsOf(r, diagnose.KindBigHash))
			require.NotEmpty(t, r.Nodes[0].TopKeys)
			assert.Equal(t, aggregate.KeyName(c.key), r.Nodes[0].TopKeys[0].Key)
			assert.Equal(t, c.typ, r.Nodes[0].TopKeys[0].Type)
		})
	}

	// (c) A node full of small keys without TTL, none big: ttl-starvation
	// names the family, and nothing claims a big key.
	t.Run("many-small-keys", func(t *testing.T) {
		s := testutil.StartRedis(t, "")
		s.Pipe(t, cache)
		s.Pipe(t, fill(25000, func(i int) string { return fmt.Sprintf("user:%d:profile", 1000000+i*37) },
			func(i int) string { return payload(i, 60) }, 0))
		dir := t.TempDir()
		used, usage := snapshot(t, s, filepath.Join(dir, "node-6380.rdb"))
		r, est, stdout := analyzeDumps(t, dir, "--maxmemory", maxmemoryFor(used, 0.95), "--maxmemory-policy", "volatile-lru")
		checkEstimates(t, "node-6380", usage, est["node-6380"])

		require.NotEmpty(t, r.Findings)
		first := r.Findings[0]
		assert.Equal(t, diagnose.KindTTLStarvation, first.Kind)
		assert.Equal(t, aggregate.SeverityCritical, first.Severity)
		assert.Equal(t, "user:*:profile", first.Family, "ttl-starvation names the family")
		assert.Contains(t, first.Explanation, "no single key dominates")
		assert.Contains(t, first.Explanation, "user:*:profile")
		// What the on-call engineer reads first: the finding's row must
		// name the family, not one of its 25 000 equal keys.
		row := ""
		for _, line := range strings.Split(stdout, "\n") {
			if strings.Contains(line, "ttl-starvation") {
				row = line
				break
			}
		}
		assert.Contains(t, row, "user:*:profile", "the terminal names one arbitrary small key as what the finding is about")

		// The same dump against other limits: critical from 80% of
		// maxmemory ("near"), "is full" at or over it (and no separate
		// over-maxmemory), info below 80% since over 90% has no TTL.
		for _, c := range []struct {
			fill  float64
			sev   aggregate.Severity
			title string
		}{
			{0.82, aggregate.SeverityCritical, "will be evicted at once"},
			{1.10, aggregate.SeverityCritical, "is full"},
			{0.70, aggregate.SeverityInfo, "has no TTL"},
		} {
			r, _, _ := analyzeDumps(t, dir, "--maxmemory", maxmemoryFor(used, c.fill), "--maxmemory-policy", "volatile-lru")
			ts := findingsOf(r, diagnose.KindTTLStarvation)
			if assert.Len(t, ts, 1, "fill %.2f", c.fill) {
				assert.Equal(t, c.sev, ts[0].Severity, "fill %.2f", c.fill)
				assert.Contains(t, ts[0].Title, c.title, "fill %.2f", c.fill)
				assert.Equal(t, "user:*:profile", ts[0].Family)
			}
			assert.Empty(t, findingsOf(r, diagnose.KindOverMaxmemory), "fill %.2f: ttl-starvation carries the maxmemory figures", c.fill)
		}
		// allkeys-lru can evict everything: no starvation, and over
		// maxmemory is a warning (evicting is what the policy is for).
		r, _, _ = analyzeDumps(t, dir, "--maxmemory", maxmemoryFor(used, 1.10), "--maxmemory-policy", "allkeys-lru")
		assert.Empty(t, findingsOf(r, diagnose.KindTTLStarvation), "allkeys-lru")
		if om := findingsOf(r, diagnose.KindOverMaxmemory); assert.Len(t, om, 1, "allkeys-lru over maxmemory") {
			assert.Equal(t, aggregate.SeverityWarning, om[0].Severity)
		}
		assert.Empty(t, findingsOf(r, diagnose.KindBigKey), "no big key")
		assert.Empty(t, findingsOf(r, diagnose.KindBigHash), "no big hash")
	})

	// (d) Three "cluster" nodes, each a standalone server given the keys
	// of its third of the slot space; one also holds a hot hash tag.
	t.Run("hot-hashtag-skew", func(t *testing.T) {
		names := []string{"node-7000", "node-7001", "node-7002"}
		owner := func(key string) int { return aggregate.Slot(key) * 3 / aggregate.NumSlots }
		hot := owner("{hot}")
		cmds := make([][][]string, 3)
		for i := range 9000 {
			k := "item:" + strconv.Itoa(100000+i)
			cmds[owner(k)] = append(cmds[owner(k)], []string{"SET", k, payload(i, 80)})
		}
		for i := range 15000 {
			cmds[hot] = append(cmds[hot], []string{"SET", "events:{hot}:" + strconv.Itoa(i), payload(i, 100)})
		}
		dir := t.TempDir()
		// (No MEMORY USAGE comparison here: the dumps are analyzed as
		// cluster nodes, which costs Redis 7.0 more per key than these
		// standalone servers spend.)
		for n := range 3 {
			s := testutil.StartRedis(t, "")
			s.Pipe(t, cmds[n])
			snapshot(t, s, filepath.Join(dir, names[n]+".rdb"))
		}
		r, _, _ := analyzeDumps(t, dir)
		for _, n := range r.Nodes {
			assert.NotNil(t, n.Slots, "%s: keys placed in slots", n.Name)
			t.Logf("%s: %d keys, %d bytes of key memory", n.Name, n.Keys, n.Memory)
		}
		skew := findingsOf(r, diagnose.KindNodeSkew)
		if assert.Len(t, skew, 1, "one node-skew finding") {
			f := skew[0]
			assert.Equal(t, names[hot], f.Node, "the outlier is the node with the hot tag")
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Contains(t, f.Family, "hot", "the finding names the hot tag")
			assert.Contains(t, f.Explanation, "hot", "the explanation names the hot tag")
			assert.Contains(t, f.Explanation, "hash tag")
		}
	})

	// (e) A session family where most keys carry a TTL but some do not.
	t.Run("missing-ttl", func(t *testing.T) {
		s := testutil.StartRedis(t, "")
		s.Pipe(t, cache)
		var cmds [][]string
		for i := range 200 {
			c := []string{"SET", "session:" + strconv.Itoa(5000000+i*13), payload(i, 300)}
			if i%10 != 3 { // 180 with a TTL, 20 without
				c = append(c, "EX", "1800")
			}
			cmds = append(cmds, c)
		}
		// A few other types, for the memory comparison.
		cmds = append(cmds,
			[]string{"HSET", "user:42:settings", "theme", "dark", "lang", "en", "tz", "Europe/Paris"},
			[]string{"SADD", "tags:popular", "a", "b", "c", "redis", "go"},
			[]string{"SADD", "ids:recent", "1", "2", "3", "100000"},
			[]string{"ZADD", "scores:small", "1", "x", "2", "y"},
			[]string{"RPUSH", "list:small", "a", "b", "c"},
			[]string{"SET", "counter:visits", "123456"},
			[]string{"XADD", "audit:stream", "*", "who", "alice", "what", "login"},
		)
		for i := range 600 {
			cmds = append(cmds, []string{"HSET", "bighash:fields", "field:" + strconv.Itoa(i), payload(i, 20)})
		}
		s.Pipe(t, cmds)
		dir := t.TempDir()
		_, usage := snapshot(t, s, filepath.Join(dir, "node-6381.rdb"))
		r, est, _ := analyzeDumps(t, dir)
		checkEstimates(t, "node-6381", usage, est["node-6381"])

		var got *aggregate.Finding
		for i, f := range r.Findings {
			if f.Kind == diagnose.KindMissingTTL && f.Family == "session:*" {
				got = &r.Findings[i]
			}
		}
		if assert.NotNil(t, got, "no missing-ttl finding for session:*") {
			// 20 sessions of ~350 bytes are over 1% of this small node.
			assert.Equal(t, aggregate.SeverityWarning, got.Severity)
			noTTL, _ := got.Figures.Get("keys_without_ttl")
			keys, _ := got.Figures.Get("keys")
			assert.Equal(t, 20.0, noTTL.Value)
			assert.Equal(t, 200.0, keys.Value)
			assert.Contains(t, got.Title, "session:*")
			assert.Contains(t, got.Explanation, "session:*")
		}
		for _, f := range findingsOf(r, diagnose.KindMissingTTL) {
			assert.NotEqual(t, "cache:*", f.Family, "every cache key has a TTL")
		}
	})
}
