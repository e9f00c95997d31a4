package scan

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/parse"
)

// holdRecorder is a recorder that is a Holder too.
type holdRecorder struct {
	recorder
	held    []aggregate.Key
	cluster []Figures
}

func (r *holdRecorder) Hold(k *aggregate.Key, cluster Figures) error {
	if r.calls[len(r.calls)-1] != "hold" {
		r.calls = append(r.calls, "hold")
	}
	c := *k
	c.Key = strings.Clone(k.Key)
	r.held = append(r.held, c)
	r.cluster = append(r.cluster, cluster)
	return nil
}

// A Holder is told of every key the scan holds, before the scan sends
// any, and HeldKeys decides on them as the scan did: the keys it releases
// are the scan's own, with the same figures, and the same note. That is
// what a parent process does with the keys of a parser child that died
// before it decided.
func TestHeldKeysDecideAsTheScan(t *testing.T) {
	for _, c := range []struct {
		name    string
		path    string
		all     bool // every key is held: the node has fewer than the sample
		cluster bool
	}{
		{"cluster node", sampleNode, true, true},
		{"standalone server", mixedDump, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skip("corpus not found: " + c.path)
			}
			var rec holdRecorder
			require.NoError(t, Run(context.Background(), parse.Ref{Path: c.path}.Input("n"), Options{}, &rec))
			assert.Equal(t, []string{"start", "hold", "key", "end"}, rec.calls)
			if c.all {
				require.Len(t, rec.held, len(rec.keys))
			} else {
				require.Len(t, rec.held, clusterSample-1) // the last key of the sample decides
			}
			standalone, _ := estimates(t, c.path, false)
			clustered, _ := estimates(t, c.path, true)
			var h HeldKeys
			for i := range rec.held {
				assert.Equal(t, standalone[i], rec.held[i], "held key %d: standalone figures", i)
				want := clustered[i]
				assert.Equal(t, Figures{Encoding: want.Encoding, Memory: want.Memory, Alloc: want.Alloc}, rec.cluster[i], "held key %d: cluster figures", i)
				require.NoError(t, h.Add(&rec.held[i], rec.cluster[i]))
			}
			rec.held[0].Key = "changed" // Add copies
			assert.Equal(t, len(rec.held), h.Len())

			var out recorder
			why, err := h.Release(&out)
			require.NoError(t, err)
			assert.Equal(t, 0, h.Len())
			assert.Equal(t, rec.keys[:len(out.keys)], out.keys)
			assert.Equal(t, rec.end.ModelNote, why)
			assert.Equal(t, c.cluster, strings.HasPrefix(why, "cluster mode"))
		})
	}
}

// A scan that decides from its header holds nothing; HeldKeys refuses more
// keys than a scan holds (a malformed stream from a parser process).
func TestHeldKeysBounds(t *testing.T) {
	var rec holdRecorder
	require.NoError(t, Run(context.Background(), parse.Ref{Path: sampleNode}.Input("n"), Options{Cluster: ClusterOff}, &rec))
	assert.Empty(t, rec.held)
	assert.NotEmpty(t, rec.keys)

	var h HeldKeys
	k := aggregate.Key{Key: "k"}
	for range clusterSample - 1 {
		require.NoError(t, h.Add(&k, Figures{}))
	}
	assert.Error(t, h.Add(&k, Figures{}))
	h.Reset()
	assert.Equal(t, 0, h.Len())
	big := aggregate.Key{Key: strings.Repeat("k", maxHeldBytes)}
	assert.Error(t, h.Add(&big, Figures{}))
}
