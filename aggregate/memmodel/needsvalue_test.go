package memmodel

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rdbscope/rdbscope/parse"
)

// Where NeedsValue says the value is not needed, the estimate without it
// must be exactly the estimate with it: the parser then skips decoding.
func TestNeedsValueHonest(t *testing.T) {
	dumps := corpusDumps()
	if len(dumps) == 0 {
		t.Skip("corpus absent: " + corpusDir)
	}
	checked := map[string]int{}
	for _, path := range dumps {
		if fi, err := os.Stat(path); err != nil || fi.Size() > 16<<20 {
			continue
		}
		var m *Model
		loadDump(t, path, func(src *parse.Source, r *parse.Record) {
			if m == nil {
				m, _ = ForSource(src, "")
			}
			if m.NeedsValue(r.Type, r.RDBEncoding, r.Elements) {
				return
			}
			want, wantEnc := m.Estimate(r)
			bare := *r
			bare.Value = nil
			got, gotEnc := m.Estimate(&bare)
			if !assert.Equal(t, want, got, "%s: key %q (%s/%s)", path, r.Key, r.Type, r.RDBEncoding) {
				return
			}
			assert.Equal(t, wantEnc, gotEnc, "%s: key %q", path, r.Key)
			wx, gx := m.NodeExtra(r, wantEnc), m.NodeExtra(&bare, gotEnc)
			assert.Equal(t, wx, gx, "%s: key %q node extra", path, r.Key)
			checked[r.Type+"/"+r.RDBEncoding]++
		})
	}
	t.Logf("keys checked without their value: %v", checked)
	assert.NotEmpty(t, checked)
}
