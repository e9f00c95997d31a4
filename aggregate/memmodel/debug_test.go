package memmodel

import (
	"os"
	"strings"
	"testing"

	"github.com/rdbscope/rdbscope/internal/redisconf"
	"github.com/rdbscope/rdbscope/parse"
)

func TestDebugKeys(t *testing.T) {
	rdb := os.Getenv("MEMMODEL_DEBUG")
	if rdb == "" {
		t.Skip()
	}
	enc := os.Getenv("MEMMODEL_ENC")
	truth := readTruth(t, strings.TrimSuffix(rdb, ".rdb"))
	var m *Model
	var cfg Config
	if p := os.Getenv("MEMMODEL_CONF"); p != "" {
		f, err := redisconf.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err = ConfigFrom(f.Get); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	loadDump(t, rdb, func(src *parse.Source, r *parse.Record) {
		if m == nil {
			m, _ = ForSource(src, os.Getenv("MEMMODEL_OVERRIDE"))
			m = m.WithConfig(cfg)
		}
		est, e := m.Estimate(r)
		tk := truth[dbKey{r.DB, r.Key}]
		if tk.Type+"/"+tk.Encoding != enc || est == tk.MemoryUsage || n > 25 {
			return
		}
		n++
		nb := len(r.Blobs)
		var bl int64
		if nb > 0 {
			bl = r.Blobs[0].Len
		}
		t.Logf("%s %s rdbenc=%s long=%d elems=%d blobs=%d blob0=%d est=%d truth=%d diff=%d", r.Key, e, r.RDBEncoding, r.LongElem, r.Elements, nb, bl, est, tk.MemoryUsage, est-tk.MemoryUsage)
		if os.Getenv("MEMMODEL_BLOBS") != "" {
			for i, b := range r.Blobs {
				t.Logf("  blob %d: %+v", i, b)
			}
		}
		_ = 0
	})
}
