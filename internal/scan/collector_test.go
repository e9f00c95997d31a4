package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/parse"
)

type keyLog struct{ rows []string }

func (l *keyLog) Write(node string, k *aggregate.Key) error {
	l.rows = append(l.rows, node+"/"+k.Key)
	return nil
}

func TestCollectorNode(t *testing.T) {
	in := parse.Ref{Path: "dump.tar", Member: "a.rdb"}.Input("a")
	src := &aggregate.Source{Path: "dump.tar", Member: "a.rdb", UsedMem: 2000, Checksum: parse.ChecksumOK}
	cases := []struct {
		name string
		run  func(c *Collector)
		err  error
		want func(t *testing.T, n *aggregate.Node)
	}{
		{
			name: "complete",
			run: func(c *Collector) {
				require.NoError(t, c.Start(&Header{Source: &aggregate.Source{Path: "early"}, Model: "redis-7.2", ModelNote: "early note"}))
				require.NoError(t, c.Key(&aggregate.Key{Key: "x", Type: "string", Memory: 600}))
				require.NoError(t, c.Key(&aggregate.Key{Key: "y", Type: "string", Memory: 400}))
				require.NoError(t, c.End(&Summary{Source: src, ModelNote: "final note", Warnings: []string{"w"}, Overhead: 500}))
			},
			want: func(t *testing.T, n *aggregate.Node) {
				assert.True(t, n.Complete)
				assert.Equal(t, int64(-1), n.ErrorOffset)
				assert.Equal(t, src, n.Source)
				assert.Equal(t, "redis-7.2", n.Model)
				assert.Equal(t, "final note", n.ModelNote)
				assert.Equal(t, []string{"w"}, n.Warnings)
				assert.Equal(t, int64(2), n.Keys)
				assert.Equal(t, int64(1500), n.EstimatedUsedMemory)
				assert.Equal(t, int64(2000), n.UsedMem)
				assert.InDelta(t, 0.75, n.UsedMemRatio, 1e-9)
			},
		},
		{
			name: "the parser process died after the header",
			run: func(c *Collector) {
				require.NoError(t, c.Start(&Header{Source: src, Model: "redis-7.2", ModelNote: "early note"}))
				require.NoError(t, c.Key(&aggregate.Key{Key: "x", Type: "string", Memory: 600}))
			},
			err: &parse.Error{Path: "dump.tar:a.rdb", Offset: -1, Msg: "parser process died"},
			want: func(t *testing.T, n *aggregate.Node) {
				assert.False(t, n.Complete)
				assert.Equal(t, "dump.tar:a.rdb: parser process died", n.Error)
				assert.Equal(t, src, n.Source)
				assert.Equal(t, "early note", n.ModelNote)
				assert.Equal(t, int64(1), n.Keys, "the keys received are kept")
				assert.Zero(t, n.Overhead, "unknown without the scan's end")
				assert.Equal(t, int64(600), n.EstimatedUsedMemory)
				assert.Equal(t, []string{}, n.Warnings)
			},
		},
		{
			name: "nothing readable",
			run:  func(c *Collector) {},
			err:  &parse.Error{Path: "dump.tar:a.rdb", Offset: 42, Msg: "bad"},
			want: func(t *testing.T, n *aggregate.Node) {
				assert.Equal(t, &aggregate.Source{Path: "dump.tar", Member: "a.rdb", Checksum: parse.ChecksumUnknown}, n.Source)
				assert.Equal(t, int64(42), n.ErrorOffset)
				assert.Empty(t, n.Model)
			},
		},
		{
			name: "not a parse error",
			run:  func(c *Collector) {},
			err:  errors.New("cannot start"),
			want: func(t *testing.T, n *aggregate.Node) {
				assert.Equal(t, "cannot start", n.Error)
				assert.Equal(t, int64(-1), n.ErrorOffset)
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var keys keyLog
			var progress int64
			col := NewCollector(in, aggregate.DefaultOptions(), &keys, func(n int64) { progress = n })
			col.Progress(7)
			c.run(col)
			n := col.Node(c.err)
			assert.Equal(t, "a", n.Name)
			assert.Equal(t, int64(7), progress)
			assert.Len(t, keys.rows, int(n.Keys))
			c.want(t, n)
		})
	}
}

// A scan folds the same profile whether the builder feeds its tables
// serially or in groups.
func TestCollectorParallelTables(t *testing.T) {
	if _, err := os.Stat(mixedDump); err != nil {
		t.Skip("corpus not found: " + mixedDump)
	}
	in := parse.Ref{Path: mixedDump}.Input("n")
	profile := func(workers int) *aggregate.Node {
		opts := aggregate.DefaultOptions()
		opts.Workers = workers
		c := NewCollector(in, opts, nil, nil)
		err := Run(context.Background(), in, Options{}, c)
		require.NoError(t, err)
		return c.Node(err)
	}
	want := profile(1)
	require.Greater(t, want.Keys, int64(20000))
	for _, w := range []int{2, 4} {
		assert.Equal(t, want, profile(w), "workers %d", w)
	}
}

// A scan given up midway (cancelled: its keys stop coming) leaves no
// goroutine behind once its node is made, and the node has every key
// received. The keys are sent here rather than by a Run cancelled
// midway, which can block in parse's pipeline (a chunk queued for
// delivery but not for decoding when the context ends): not this
// test's subject.
func TestCollectorCancelledNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	opts := aggregate.DefaultOptions()
	opts.Workers = 4
	c := NewCollector(parse.Ref{Path: "x.rdb"}.Input("x"), opts, nil, nil)
	require.NoError(t, c.Start(&Header{Source: &aggregate.Source{Path: "x.rdb"}}))
	name := make([]byte, 0, 32)
	for i := range 50_000 {
		name = fmt.Appendf(name[:0], "user:%d:{%d}", i, i%77)
		require.NoError(t, c.Key(&aggregate.Key{Key: string(name), Type: "string", Memory: int64(i % 1000)}))
	}
	n := c.Node(context.Canceled)
	assert.False(t, n.Complete)
	assert.Equal(t, int64(50_000), n.Keys)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left behind")
}
