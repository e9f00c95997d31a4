package worker

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failAfter reads data, then fails with err.
type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

// An input streamed to a child reads there as it read here, up to how it
// ended: the child's parser can tell a dump cut short from an unreadable
// one.
func TestInputStream(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	cases := []struct {
		name string
		end  error
	}{
		{"complete", io.EOF},
		{"cut short", io.ErrUnexpectedEOF},
		{"unreadable", errors.New("zstd: corrupt block")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pipe bytes.Buffer
			src := &failAfter{r: iotest.HalfReader(bytes.NewReader(data)), err: c.end}
			require.NoError(t, writeInput(&pipe, src))
			got, err := io.ReadAll(iotest.OneByteReader(newInputReader(io.NopCloser(&pipe))))
			assert.Equal(t, data, got)
			if c.end == io.EOF {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.end.Error())
				if c.end == io.ErrUnexpectedEOF {
					assert.Same(t, io.ErrUnexpectedEOF, err, "the sentinel itself")
				}
			}
		})
	}
}

// A parent that goes away mid-stream leaves the child with a dump cut
// short.
func TestInputStreamParentGone(t *testing.T) {
	var pipe bytes.Buffer
	require.NoError(t, writeInput(&pipe, strings.NewReader(strings.Repeat("x", 1000))))
	for _, cut := range []int{0, 1, 2, 500, pipe.Len() - 1} {
		r := newInputReader(io.NopCloser(bytes.NewReader(pipe.Bytes()[:cut])))
		_, err := io.ReadAll(r)
		assert.Same(t, io.ErrUnexpectedEOF, err, "cut at %d", cut)
	}
}
