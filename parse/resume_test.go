package parse

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeRec is what TestResumeFramesOnly compares of a Record.
type resumeRec struct {
	key                    string
	offset, size, elements int64
	typ, enc               string
	decoded                bool
}

func parseResume(t *testing.T, data []byte, opts Options, workers int) ([]resumeRec, *Source) {
	t.Helper()
	in := Input{Name: "resume", Ref: Ref{Path: "resume.rdb", Size: int64(len(data))}, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	var recs []resumeRec
	src, err := ParseWith(context.Background(), in, opts, workers, nil, func(r *Record, _ *struct{}) error {
		recs = append(recs, resumeRec{strings.Clone(r.Key), r.Offset, r.RDBBytes, r.Elements, r.Type, r.RDBEncoding, r.Value != nil})
		return nil
	})
	require.NoError(t, err)
	return recs, src
}

// A parse resuming after one that died (a parser child killed by memory
// while decoding a huge record) frames every record again, so that the
// checksum covers the whole dump, but decodes neither the records the
// first one delivered (SkipRecords) nor the one it died in (FrameOnly),
// which it learned from OnBigRecord: the records that outgrow a chunk are
// announced, with their index and offset, before they are decoded.
func TestResumeFramesOnly(t *testing.T) {
	data := bigDump(8<<20, 20000)
	for _, workers := range []int{1, 2} {
		type big struct{ index, offset int64 }
		var bigs []big
		all, src := parseResume(t, data, Options{OnBigRecord: func(i, off int64) { bigs = append(bigs, big{i, off}) }}, workers)
		require.Equal(t, ChecksumOK, src.Checksum)
		require.Len(t, all, 7)
		// bigstring, biglist and quick outgrow a chunk; first, middle,
		// lzfstring (stored small) and last do not.
		require.Equal(t, []big{{1, all[1].offset}, {3, all[3].offset}, {4, all[4].offset}}, bigs)

		resumed, src := parseResume(t, data, Options{SkipRecords: 2, FrameOnly: []int64{all[3].offset}}, workers)
		assert.Equal(t, ChecksumOK, src.Checksum)
		require.Len(t, resumed, len(all))
		for i := range all {
			want := all[i]
			if i < 2 || i == 3 {
				want.decoded = false
			}
			assert.Equal(t, want, resumed[i], "record %d", i)
		}
	}
}

// Records received before a resume point keep the warning a whole run
// gives a key over MaxKeyBytes: the resumed parse frames them without
// holding them, but still says they were too large.
func TestResumeKeepsTooLargeWarnings(t *testing.T) {
	data := bigDump(8<<20, 20000)
	warnings := func(opts Options) []string {
		in := Input{Name: "resume", Ref: Ref{Path: "resume.rdb", Size: int64(len(data))}, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
		var ws []string
		_, err := Parse(context.Background(), in, opts, func(r *Record) error {
			for _, w := range r.Warnings {
				ws = append(ws, r.Key+": "+w)
			}
			return nil
		})
		require.NoError(t, err)
		return ws
	}
	whole := warnings(Options{MaxKeyBytes: 1 << 20})
	require.NotEmpty(t, whole, "the dump has keys over 1 MiB")
	for _, skip := range []int64{2, 5, 7} {
		assert.Equal(t, whole, warnings(Options{MaxKeyBytes: 1 << 20, SkipRecords: skip}), "SkipRecords %d", skip)
	}
}
