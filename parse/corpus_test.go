package parse

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/testutil"
)

const corpusDir = "../../shared/corpus"

func needCorpus(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, "MANIFEST.tsv")); err != nil {
		t.Skip("corpus absent: " + err.Error())
	}
}

// truthKey is one line of mkdump's NAME.keys.jsonl.
type truthKey = testutil.TruthKey

// loadTruth reads the ground truth beside an .rdb, if there is one.
func loadTruth(t *testing.T, rdb string) map[string]truthKey {
	keys, ok := testutil.TruthKeys(t, strings.TrimSuffix(rdb, ".rdb"))
	if !ok {
		return nil
	}
	truth := map[string]truthKey{}
	for _, k := range keys {
		truth[truthID(k.DB, k.Key)] = k
	}
	return truth
}

func truthID(db int, key string) string { return string(rune('0'+db)) + "\x00" + key }

// expectedErrors lists corpus files that must fail, with a substring of
// the error. The path is relative to the corpus.
var expectedErrors = map[string]string{
	"keydb/corrupt_ziplist.rdb":    "ziplist of 5 bytes is too short",
	"redis/corrupt_ziplist.rdb":    "ziplist of 5 bytes is too short",
	"valkey/corrupt_ziplist.rdb":   "ziplist of 5 bytes is too short",
	"librdb/future_v19.rdb":        "REDIS0099: unknown future RDB version 99",
	"librdb/invalid_chksum_v8.rdb": "checksum mismatch: stored b477e446e98e5402, computed a609bb6465990fe1",
	"redis-replicator/module.rdb":  "module value type 6",
}

func corpusFiles(t *testing.T) []string {
	var files []string
	err := filepath.Walk(corpusDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".rdb") {
			files = append(files, p)
		}
		return err
	})
	require.NoError(t, err)
	sort.Strings(files)
	return files
}

func TestCorpus(t *testing.T) {
	needCorpus(t)
	for _, path := range corpusFiles(t) {
		rel, _ := filepath.Rel(corpusDir, path)
		t.Run(rel, func(t *testing.T) {
			if testing.Short() && strings.Contains(rel, "mixed") {
				t.Skip("short")
			}
			ins, err := Expand([]string{path}, nil)
			require.NoError(t, err)
			require.Len(t, ins, 1)
			truth := loadTruth(t, path)
			seen := map[string]bool{}
			var prevEnd int64
			n := 0
			src, err := Parse(context.Background(), ins[0], Options{}, func(r *Record) error {
				n++
				assert.GreaterOrEqual(t, r.Offset, prevEnd, "records in file order, not overlapping")
				prevEnd = r.Offset + r.RDBBytes
				assert.Positive(t, r.RDBBytes)
				if truth == nil {
					return nil
				}
				id := truthID(r.DB, r.Key)
				want, ok := truth[id]
				if !assert.True(t, ok, "key %q db %d not in truth", r.Key, r.DB) {
					return nil
				}
				seen[id] = true
				if r.Type == TypeModule {
					// TYPE names a module type by its own name.
					assert.Equal(t, want.Type, r.Module, "module type of %q", r.Key)
				} else {
					assert.Equal(t, want.Type, r.Type, "type of %q", r.Key)
				}
				assert.Equal(t, want.Elements, r.Elements, "elements of %q (%s)", r.Key, r.RDBEncoding)
				if want.PExpireTime > 0 {
					assert.Equal(t, want.PExpireTime, r.ExpiresAt, "expiry of %q", r.Key)
				} else {
					assert.Zero(t, r.ExpiresAt, "expiry of %q", r.Key)
				}
				if r.Module == "vectorset" {
					assert.NotNil(t, r.Value, "vector sets are read by the framer")
				}
				if r.Type != TypeModule {
					assert.NotNil(t, r.Value)
					if r.Value != nil && len(r.Warnings) == 0 && r.Type != TypeStream && r.Type != TypeString {
						assert.EqualValues(t, r.Elements, valueLen(r.Value), "decoder count of %q", r.Key)
					}
				}
				return nil
			})
			if want, bad := expectedErrors[filepath.ToSlash(rel)]; bad {
				require.Error(t, err)
				assert.Contains(t, err.Error(), want)
				assert.Contains(t, err.Error(), path, "error names the file")
				var pe *Error
				assert.ErrorAs(t, err, &pe)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, src)
			assert.Contains(t, []string{ChecksumOK, ChecksumAbsent}, src.Checksum)
			assert.Len(t, src.SHA256, 64)
			if truth != nil {
				assert.Equal(t, len(truth), n, "key count")
				assert.Equal(t, len(truth), len(seen))
			}
			if strings.Contains(rel, "incident-redis-7.4.1") {
				assert.Positive(t, src.SlotInfos, "7.4 cluster dumps carry SLOT_INFO")
				assert.Equal(t, "REDIS", src.Magic)
			}
		})
	}
}
