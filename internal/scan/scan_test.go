package scan

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/parse"
)

// A node of the sample cluster: Redis 7.0, where cluster mode adds to
// every key's MEMORY USAGE, and no SLOT_INFO to say so. It has fewer keys
// than the sample that decides cluster mode; mixedDump has more, from a
// standalone server.
const (
	sampleNode = "../../testdata/sample/node-7200.rdb"
	mixedDump  = "../../../shared/corpus/generated/redis-7.0.15/mixed.rdb"
)

// recorder is a Sink that keeps everything.
type recorder struct {
	header   *Header
	keys     []aggregate.Key
	end      *Summary
	progress int64
	calls    []string
}

func (r *recorder) Start(h *Header) error {
	r.header = h
	r.calls = append(r.calls, "start")
	return nil
}

func (r *recorder) Key(k *aggregate.Key) error {
	if len(r.calls) == 0 || r.calls[len(r.calls)-1] != "key" {
		r.calls = append(r.calls, "key")
	}
	c := *k
	c.Key = strings.Clone(k.Key) // valid only during the call
	r.keys = append(r.keys, c)
	return nil
}

func (r *recorder) Progress(n int64) { r.progress = n }

func (r *recorder) End(s *Summary) error {
	r.end = s
	r.calls = append(r.calls, "end")
	return nil
}

// estimates parses path on its own and estimates every key with the
// model of its header, in cluster mode or not.
func estimates(t *testing.T, path string, cluster bool) ([]aggregate.Key, string) {
	t.Helper()
	var m *memmodel.Model
	var ks []aggregate.Key
	_, err := parse.Parse(context.Background(), parse.Ref{Path: path}.Input("n"), parse.Options{
		OnSource: func(src *parse.Source) error {
			m, _ = memmodel.ForSource(src, "")
			m = m.WithCluster(cluster)
			return nil
		},
	}, func(r *parse.Record) error {
		sz := m.Size(r)
		ks = append(ks, aggregate.Key{DB: r.DB, Key: strings.Clone(r.Key), Type: r.Type, Encoding: sz.Encoding, Memory: sz.Memory,
			Alloc: sz.Allocated, RDBBytes: r.RDBBytes, Elements: r.Elements, ExpiresAt: r.ExpiresAt})
		return nil
	})
	require.NoError(t, err)
	return ks, m.Name()
}

// Every key is estimated once, with the model of the mode the node ends
// up in, and reaches the sink in dump order, whether it was held for the
// decision or not.
func TestRunEstimatesWithTheDecidedModel(t *testing.T) {
	cases := []struct {
		name    string
		path    string
		mode    ClusterMode
		cluster bool
		note    string
	}{
		{"auto detects a cluster node", sampleNode, ClusterAuto, true, "cluster mode (detected: the keys fall in part of the hash slot space; --cluster no to override)"},
		{"on", sampleNode, ClusterOn, true, "cluster mode (--cluster yes)"},
		{"off", sampleNode, ClusterOff, false, "standalone (--cluster no)"},
		{"auto detects a standalone server", mixedDump, ClusterAuto, false, "standalone (detected; --cluster yes to override)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skip("corpus not found: " + c.path)
			}
			want, model := estimates(t, c.path, c.cluster)
			var rec recorder
			err := Run(context.Background(), parse.Ref{Path: c.path}.Input("n"), Options{Cluster: c.mode}, &rec)
			require.NoError(t, err)
			assert.Equal(t, []string{"start", "key", "end"}, rec.calls)
			require.Len(t, rec.keys, len(want))
			for i := range want {
				if !assert.Equal(t, want[i], rec.keys[i], "key %d", i) {
					break
				}
			}
			assert.Equal(t, model, rec.header.Model)
			assert.Equal(t, c.note, rec.end.ModelNote)
			assert.Equal(t, "7.0.15", rec.end.Source.RedisVersion)
			assert.Empty(t, rec.end.Warnings)
			assert.Equal(t, parse.ChecksumOK, rec.end.Source.Checksum)
			assert.Positive(t, rec.end.Overhead)
			assert.Positive(t, rec.progress)
		})
	}
}

// Cluster mode adds 16 bytes to every key on Redis 7.0: the detected
// cluster node's keys cost exactly that more than as standalone.
func TestRunClusterKeysCostMore(t *testing.T) {
	var on, off recorder
	require.NoError(t, Run(context.Background(), parse.Ref{Path: sampleNode}.Input("n"), Options{}, &on))
	require.NoError(t, Run(context.Background(), parse.Ref{Path: sampleNode}.Input("n"), Options{Cluster: ClusterOff}, &off))
	require.Equal(t, len(on.keys), len(off.keys))
	for i := range on.keys {
		require.Equal(t, off.keys[i].Memory+16, on.keys[i].Memory, on.keys[i].Key)
	}
}

// keyInPart returns a key name whose slot falls in eighth p of the slot
// space.
func keyInPart(i, p int) string {
	for j := 0; ; j++ {
		k := "k:" + strconv.Itoa(i) + ":" + strconv.Itoa(j)
		if aggregate.Slot(k)*8/aggregate.NumSlots == p {
			return k
		}
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		parts int // eighths of the slot space the keys fall in
		db    int
		on    bool
	}{
		{"a third of the slots", 300, 3, 0, true},
		{"six eighths", 64, 6, 0, true},
		{"seven eighths", 64, 7, 0, false},
		{"everywhere", 1024, 8, 0, false},
		{"too few keys to tell", 31, 1, 0, false},
		{"just enough keys", 32, 1, 0, true},
		{"a db other than 0", 100, 2, 3, false},
		{"no keys", 0, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cs clusterState
			for i := range c.n {
				db := 0
				if i == c.n-1 {
					db = c.db
				}
				cs.sample.Add(db, keyInPart(i, i%c.parts))
			}
			cs.decide()
			assert.True(t, cs.decided)
			assert.Equal(t, c.on, cs.on)
			assert.NotEmpty(t, cs.why)
		})
	}
}

// Keys held for the decision are copies: the parser reuses its records.
// Past the budget, nothing more is held.
func TestHoldCopiesWithinBudget(t *testing.T) {
	name := []byte("user:1")
	k := &aggregate.Key{Key: string(name), Type: parse.TypeHash}
	e := &estimate{size: memmodel.Size{Memory: 10}, cluster: memmodel.Size{Memory: 26}, both: true}
	var cs clusterState
	require.True(t, cs.hold(k, e))
	name[0] = 'X'
	k.Key = "other"
	require.Len(t, cs.held, 1)
	h := cs.held[0]
	assert.Equal(t, "user:1", h.key.Key)
	assert.Equal(t, *e, h.est)

	big := &aggregate.Key{Key: strings.Repeat("k", maxHeldBytes)}
	assert.False(t, cs.hold(big, e))
	assert.Len(t, cs.held, 1)
}

func TestClusterModeText(t *testing.T) {
	for _, m := range []ClusterMode{ClusterAuto, ClusterOn, ClusterOff} {
		b, err := json.Marshal(Options{Cluster: m})
		require.NoError(t, err)
		var o Options
		require.NoError(t, json.Unmarshal(b, &o))
		assert.Equal(t, m, o.Cluster)
	}
	var o Options
	assert.Error(t, json.Unmarshal([]byte(`{"cluster":"yes"}`), &o))
	_, err := json.Marshal(Options{Cluster: 7})
	assert.Error(t, err)
	assert.Equal(t, "ClusterMode(7)", ClusterMode(7).String())
}

// A dump that cannot be read still gets an End, and its error names the
// file.
func TestRunUnreadable(t *testing.T) {
	path := t.TempDir() + "/empty.rdb"
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	var rec recorder
	err := Run(context.Background(), parse.Ref{Path: path}.Input("n"), Options{}, &rec)
	var pe *parse.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, path, pe.Path)
	assert.Nil(t, rec.header)
	assert.Equal(t, []string{"end"}, rec.calls)
	require.NotNil(t, rec.end.Source)
	assert.Equal(t, path, rec.end.Source.Path)
}

// A sink's error stops the scan and is the node's error.
func TestRunSinkError(t *testing.T) {
	boom := errors.New("boom")
	err := Run(context.Background(), parse.Ref{Path: sampleNode}.Input("n"), Options{Cluster: ClusterOff}, failingSink{boom})
	assert.ErrorIs(t, err, boom)
}

type failingSink struct{ err error }

func (f failingSink) Start(*Header) error      { return nil }
func (f failingSink) Key(*aggregate.Key) error { return f.err }
func (f failingSink) Progress(int64)           {}
func (f failingSink) End(*Summary) error       { return nil }

// Keys too big to hold end the sample early: cluster mode is decided on
// the keys before, and every key still reaches the sink once, in order,
// with the figures of the mode decided.
func TestRecordBudgetEndsTheSample(t *testing.T) {
	var rec recorder
	s := &scanner{sink: &rec, keysPerDB: map[int]int64{}, expiresPerDB: map[int]int64{}}
	require.NoError(t, s.start(&parse.Source{Magic: "REDIS", RDBVersion: 10, RedisVersion: "7.0.15"}))
	require.False(t, s.cluster.decided)
	require.NotZero(t, s.model.ClusterKeyBytes(), "a server whose keys cost more in cluster mode")
	send := func(r *parse.Record) {
		var e estimate
		s.estimate(r, &e)
		require.NoError(t, s.record(r, &e))
	}
	str := func(k string) *parse.Record {
		return &parse.Record{Key: k, Type: parse.TypeString, RDBEncoding: parse.EncString, RDBBytes: 20, Elements: 1,
			Value: &parse.Value{String: parse.Elem{Len: 10}}}
	}
	for i := range 40 {
		send(str(keyInPart(i, 0)))
	}
	assert.Empty(t, rec.keys, "held until decided")
	big := str(keyInPart(99, 0) + ":" + strings.Repeat("x", maxHeldBytes))
	for aggregate.Slot(big.Key)*8/aggregate.NumSlots != 0 {
		big.Key += "x"
	}
	send(big)
	assert.True(t, s.cluster.decided)
	assert.True(t, s.cluster.on, "41 keys in one eighth of the slots")
	require.Len(t, rec.keys, 41)
	for i := range 40 {
		assert.Equal(t, keyInPart(i, 0), rec.keys[i].Key)
	}
	assert.Equal(t, big.Key, rec.keys[40].Key)
	memOff, _ := s.model.WithCluster(false).Estimate(str(keyInPart(0, 0)))
	assert.Equal(t, memOff+16, rec.keys[0].Memory, "held keys are estimated as a cluster node's")
	assert.Equal(t, memOff+16, rec.keys[39].Memory)
	send(str("after"))
	assert.Len(t, rec.keys, 42)
	assert.Equal(t, memOff+16, rec.keys[41].Memory, "and the keys after")
}

// benchDump, when set, is the dump BenchmarkRun reads instead of the
// corpus's mixed dump: go test ./internal/scan -run '^$' -bench Run -args -dump big.rdb
var benchDump = flag.String("dump", "", "dump for BenchmarkRun")

// nullSink counts keys and keeps the summary.
type nullSink struct {
	keys int64
	end  *Summary
}

func (*nullSink) Start(*Header) error        { return nil }
func (s *nullSink) Key(*aggregate.Key) error { s.keys++; return nil }
func (*nullSink) Progress(int64)             {}
func (s *nullSink) End(sum *Summary) error   { s.end = sum; return nil }

// BenchmarkRun is the production path of one node up to the profile:
// framing, CRC64 and SHA-256, values described or decoded where the model
// needs them, estimates, on 1 and 2 workers. It reports the share of keys
// and of bytes the decoder still saw (Summary.Paths).
func BenchmarkRun(b *testing.B) {
	path := *benchDump
	if path == "" {
		path = mixedDump
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Skip("no dump: " + err.Error())
	}
	for _, workers := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			var sink nullSink
			for b.Loop() {
				sink = nullSink{}
				if err := Run(context.Background(), parse.Ref{Path: path}.Input("n"), Options{Workers: workers}, &sink); err != nil {
					b.Fatal(err)
				}
			}
			var keys, filled, decoded, bytes, decBytes int64
			for _, p := range sink.end.Paths {
				keys += p.Framed.Keys + p.Filled.Keys + p.Decoded.Keys
				bytes += p.Framed.Bytes + p.Filled.Bytes + p.Decoded.Bytes
				filled += p.Filled.Keys
				decoded += p.Decoded.Keys
				decBytes += p.Decoded.Bytes
			}
			if *benchDump != "" && workers == 1 {
				for _, k := range slices.Sorted(maps.Keys(sink.end.Paths)) {
					p := sink.end.Paths[k]
					b.Logf("%-22s framed %9d keys %13d B | filled %9d keys %13d B | decoded %9d keys %13d B", k,
						p.Framed.Keys, p.Framed.Bytes, p.Filled.Keys, p.Filled.Bytes, p.Decoded.Keys, p.Decoded.Bytes)
				}
			}
			b.ReportMetric(float64(sink.keys), "keys")
			b.ReportMetric(100*float64(filled)/float64(max(keys, 1)), "%filled")
			b.ReportMetric(100*float64(decoded)/float64(max(keys, 1)), "%decoded")
			b.ReportMetric(100*float64(decBytes)/float64(max(bytes, 1)), "%decoded-bytes")
		})
	}
}
