package worker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// recorder is a scan.Sink that keeps everything, copying key names as a
// Sink must.
type recorder struct {
	header   *scan.Header
	keys     []aggregate.Key
	progress []int64
	end      *scan.Summary
	keyErr   error
}

func (r *recorder) Start(h *scan.Header) error { r.header = h; return nil }
func (r *recorder) Key(k *aggregate.Key) error {
	c := *k
	c.Key = strings.Clone(k.Key)
	r.keys = append(r.keys, c)
	return r.keyErr
}
func (r *recorder) Progress(n int64)          { r.progress = append(r.progress, n) }
func (r *recorder) End(s *scan.Summary) error { r.end = s; return nil }

func testKeys(n int) []aggregate.Key {
	ks := make([]aggregate.Key, n)
	for i := range ks {
		ks[i] = aggregate.Key{DB: i % 3, Key: fmt.Sprintf("key:%d\x00\xff", i), Type: []string{"string", "hash"}[i%2],
			Encoding: "listpack", Memory: int64(i * 10), RDBBytes: int64(i), Elements: int64(i % 7), ExpiresAt: -int64(i)}
	}
	return ks
}

// What the child's scan sends arrives in the parent's Sink as it was
// sent: one frame kind per message, keys in batches.
func TestFramesRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		keys    int
		scanErr error
		wantErr string
	}{
		{"no keys", 0, nil, ""},
		{"several batches", 2*keyBatch + 7, nil, ""},
		{"a parse error", 3, &parse.Error{Path: "a.rdb", Offset: 12, Msg: "truncated", Err: io.ErrUnexpectedEOF}, "a.rdb: at byte 12: truncated: unexpected EOF"},
		{"another error", 1, errors.New("boom"), "boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			fw := newFrameWriter(&buf)
			h := &scan.Header{Source: &aggregate.Source{Path: "a.rdb", RedisVersion: "7.2.4"}, Model: "redis-7.2", ModelNote: "n"}
			require.NoError(t, fw.Start(h))
			ks := testKeys(c.keys)
			for i := range ks {
				require.NoError(t, fw.Key(&ks[i]))
				if i == 3 {
					fw.Progress(1234)
				}
			}
			sum := &scan.Summary{Source: h.Source, ModelNote: "m", Warnings: []string{"w"}, Overhead: 99}
			require.NoError(t, fw.End(sum))
			require.NoError(t, fw.done(c.scanErr))

			var rec recorder
			done, err := readFrames(&buf, &rec)
			assert.True(t, done)
			if c.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.wantErr)
			}
			assert.Equal(t, h, rec.header)
			assert.Equal(t, sum, rec.end)
			if c.keys > 0 {
				assert.Equal(t, ks, rec.keys)
			} else {
				assert.Empty(t, rec.keys)
			}
			if c.keys > 3 {
				assert.Equal(t, []int64{1234}, rec.progress)
			}
		})
	}
}

// A parse error keeps its parts across the process boundary, so that the
// node's error offset survives.
func TestWireError(t *testing.T) {
	err := (&wireError{Path: "a.rdb", Offset: 5, Msg: "bad", Cause: "why"}).err()
	var pe *parse.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, int64(5), pe.Offset)
	assert.Equal(t, "a.rdb: at byte 5: bad: why", err.Error())
	assert.Equal(t, &wireError{Msg: "plain", Offset: -1}, toWire(errors.New("plain")))
}

// The parent keeps the first error of its Sink and reads on, as the
// child goes on; the scan's own error wins.
func TestReadFramesSinkError(t *testing.T) {
	var buf bytes.Buffer
	fw := newFrameWriter(&buf)
	ks := testKeys(3)
	for i := range ks {
		require.NoError(t, fw.Key(&ks[i]))
	}
	require.NoError(t, fw.End(&scan.Summary{}))
	require.NoError(t, fw.done(nil))
	rec := recorder{keyErr: errors.New("disk full")}
	done, err := readFrames(bytes.NewReader(buf.Bytes()), &rec)
	assert.True(t, done)
	assert.EqualError(t, err, "disk full")
	assert.Len(t, rec.keys, 3)
	assert.NotNil(t, rec.end)
}

func frame(kind byte, payload []byte) []byte {
	b := append([]byte{kind}, binary.AppendUvarint(nil, uint64(len(payload)))...)
	return append(b, payload...)
}

// Frames that do not parse stop the reading with an error; a child that
// stops mid-frame is not done.
func TestReadFramesMalformed(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		done    bool
		wantErr string
	}{
		{"unknown kind", frame('z', nil), false, `unknown frame 'z' from parser process`},
		{"key count past the batch", frame(frameKeys, []byte{5, 0}), false, "malformed key batch from parser process"},
		{"key name past the batch", frame(frameKeys, []byte{1, 0, 0, 0, 0, 9, 'a'}), false, "malformed key batch from parser process"},
		{"class not defined", frame(frameKeys, []byte{1, 1, 1, 'a', 0, 0, 0, 0, 0}), false, "malformed key batch from parser process"},
		{"varint cut", frame(frameKeys, []byte{1, 0, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0x80}), false, "malformed key batch from parser process"},
		{"bad header", frame(frameHeader, []byte("{")), false, "malformed header from parser process"},
		{"bad summary", frame(frameEnd, []byte("[]")), false, "malformed summary from parser process"},
		{"bad progress", frame(frameProgress, nil), false, "malformed progress frame from parser process"},
		{"bad result", frame(frameDone, []byte("x")), true, "malformed result from parser process"},
		{"bad big record", frame(frameBig, []byte{1}), false, "malformed big record frame from parser process"},
		{"held key cut", frame(frameHeld, []byte{1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 5}), false, "malformed key batch from parser process"},
		{"too many held keys", func() []byte {
			b := binary.AppendUvarint(nil, 1100)
			var e keyEncoder
			for range 1100 {
				b = e.appendHeld(b, &aggregate.Key{Key: "k"}, scan.Figures{})
			}
			return frame(frameHeld, b)
		}(), false, "malformed held keys from parser process: more held keys than a scan holds"},
		{"huge length", []byte{frameKeys, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, false, "malformed frame from parser process"},
		{"cut in a frame", frame(frameEnd, []byte("{}"))[:3], false, ""},
		{"no done", frame(frameEnd, []byte("{}")), false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done, err := readFrames(bytes.NewReader(c.in), &recorder{})
			assert.Equal(t, c.done, done)
			if c.wantErr == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.wantErr)
			}
		})
	}
}

func TestTailBuffer(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"the fatal error before a goroutine dump", "starting\nfatal error: runtime: out of memory\n\ngoroutine 1 [running]:\nmain.main()\n", "fatal error: runtime: out of memory"},
		{"a panic", "panic: boom\n\ngoroutine 1\n", "panic: boom"},
		{"else the last line", "one\ntwo\n", "two"},
		{"an unfinished line", "one\ntwo", "two"},
		{"nothing", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tb tailBuffer
			for _, p := range strings.SplitAfter(c.in, "o") { // in pieces, as a pipe delivers
				_, _ = tb.Write([]byte(p))
			}
			assert.Equal(t, c.want, tb.message())
		})
	}
}

// lockedBuffer is written by the frame writer's ticker and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// Keys short of a batch reach the parent without End, so that a child
// killed later (by memory, on a huge key) has sent every key before it.
func TestFramesFlushedWithoutEnd(t *testing.T) {
	var out lockedBuffer
	fw := newFrameWriter(&out)
	defer func() { _ = fw.done(nil) }()
	require.NoError(t, fw.Start(&scan.Header{Model: "redis-7.0"}))
	for _, k := range testKeys(3) {
		require.NoError(t, fw.Key(&k))
	}
	var rec recorder
	require.Eventually(t, func() bool {
		rec = recorder{}
		done, _ := readFrames(bytes.NewReader(out.bytes()), &rec)
		return !done && len(rec.keys) == 3
	}, 5*time.Second, 20*time.Millisecond)
	assert.Len(t, rec.keys, 3)
	assert.Equal(t, "redis-7.0", rec.header.Model)
}

// Progress only notes how far the scan has read: nothing is written
// until the next flush (a tick, a big record, End), which sends the
// latest progress once, after the keys.
func TestProgressSentWithFlush(t *testing.T) {
	var out lockedBuffer
	fw := newFrameWriter(&out)
	// No tick: only what is flushed explicitly reaches out.
	close(fw.stop)
	fw.wg.Wait()
	ks := testKeys(3)
	for i := range ks {
		require.NoError(t, fw.Key(&ks[i]))
		fw.Progress(int64(100 * (i + 1)))
	}
	assert.Empty(t, out.bytes(), "Progress writes nothing")
	fw.mu.Lock()
	require.NoError(t, fw.flushAll())
	require.NoError(t, fw.flushAll()) // no new progress: no frame
	fw.mu.Unlock()
	var rec recorder
	done, err := readFrames(bytes.NewReader(out.bytes()), &rec)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, ks, rec.keys)
	assert.Equal(t, []int64{300}, rec.progress)
}

// heldFrames is what a child writes that holds keys while it decides
// cluster mode: the held keys with both figures, flushed (as on a tick,
// or before a huge record), then, if decided, the same keys as keys.
func heldFrames(t *testing.T, n int, decided bool) ([]byte, []aggregate.Key) {
	t.Helper()
	var buf lockedBuffer
	fw := newFrameWriter(&buf)
	require.NoError(t, fw.Start(&scan.Header{Model: "redis-7.0", ModelNote: "m"}))
	ks := testKeys(n)
	for i := range ks {
		ks[i].DB = 0
		require.NoError(t, fw.Hold(&ks[i], scan.Figures{Encoding: "embstr", Memory: ks[i].Memory + 16, Alloc: ks[i].Alloc + 16}))
		if i == n/2 {
			fw.BigRecord(int64(i+1), 100) // a huge record: what is held goes now
		}
	}
	fw.mu.Lock()
	require.NoError(t, fw.flushAll())
	fw.mu.Unlock()
	if decided {
		for i := range ks {
			require.NoError(t, fw.Key(&ks[i]))
		}
		require.NoError(t, fw.End(&scan.Summary{ModelNote: "decided"}))
		require.NoError(t, fw.done(nil))
	} else {
		close(fw.stop)
		fw.wg.Wait()
	}
	return buf.bytes(), ks
}

// Held keys reach the parent as they are held, but its Sink only once:
// as keys when the child decides, or, when the child dies first, as the
// parent decides on them with the child's rule, with a note saying so.
func TestHeldKeysKeptWhenChildDies(t *testing.T) {
	for _, n := range []int{3, keyBatch + 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			raw, ks := heldFrames(t, n, true)
			var rec recorder
			fr := &frameReader{sink: &rec}
			done, err := fr.read(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.True(t, done)
			assert.Equal(t, ks, rec.keys)
			assert.Equal(t, 0, fr.held.Len())
			assert.Equal(t, "decided", rec.end.ModelNote)

			raw, ks = heldFrames(t, n, false)
			rec = recorder{}
			fr = &frameReader{sink: &rec}
			done, err = fr.read(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.False(t, done)
			assert.Empty(t, rec.keys, "held, not sent")
			assert.Nil(t, rec.end)
			require.NoError(t, fr.settleHeld())
			// testKeys spread over the slot space: a standalone server,
			// with the standalone figures.
			assert.Equal(t, ks, rec.keys)
			require.NotNil(t, rec.end)
			assert.Equal(t, fmt.Sprintf("m; standalone (detected; --cluster yes to override), decided on the %d keys read before the parser process died", n), rec.end.ModelNote)
			assert.Zero(t, rec.end.Overhead)
			require.NoError(t, fr.settleHeld())
			assert.Len(t, rec.keys, n, "released once")
		})
	}
}

// The key of a record announced as big goes to the parent at once, so
// that a child dying later, on a record it did not announce, does not
// make the parent resume past the big record, which was analyzed.
func TestBigRecordKeySentAtOnce(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			var out lockedBuffer
			fw := newFrameWriter(&out)
			// No tick: only what is flushed explicitly reaches out.
			close(fw.stop)
			fw.wg.Wait()
			require.NoError(t, fw.Start(&scan.Header{Model: "redis-7.0"}))
			ks := testKeys(4)
			send := func(k *aggregate.Key) {
				if held {
					require.NoError(t, fw.Hold(k, scan.Figures{Encoding: "embstr", Memory: k.Memory, Alloc: k.Alloc}))
				} else {
					require.NoError(t, fw.Key(k))
				}
			}
			send(&ks[0])
			fw.BigRecord(1, 1000) // the record of ks[1]
			send(&ks[1])
			send(&ks[2]) // not flushed: the child "dies" in the next record

			fr := &frameReader{sink: &recorder{}}
			done, err := fr.read(bytes.NewReader(out.bytes()))
			require.NoError(t, err)
			assert.False(t, done)
			_, ok := fr.resumeAt()
			assert.False(t, ok, "the big record was delivered: no record to resume past")
		})
	}
}
