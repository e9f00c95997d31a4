package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/parse"
)

// syncBuffer is a bytes.Buffer the progress bars' goroutine writes to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A fleet's progress: node bars only for nodes in flight, as many as
// the terminal has room for; the others count in the overall bar only,
// which ends with the last node and says how many are done.
func TestFleetProgress(t *testing.T) {
	var inputs []parse.Input
	for i := range 40 {
		inputs = append(inputs, parse.Input{Name: fmt.Sprintf("node-%04d", i), Ref: parse.Ref{Size: 1000}})
	}
	var out syncBuffer
	p := newFleetProgress(&out, inputs, 2)

	// Four nodes in flight at once: two get a bar, two do not.
	for i := range 4 {
		p.bar(i).set(100)
	}
	withBar := 0
	for i := range 4 {
		if p.bar(i).bar != nil {
			withBar++
		}
	}
	assert.Equal(t, 2, withBar, "no more node bars than the terminal has room for")
	assert.Equal(t, int64(400), p.read.Load())

	// A node that ends frees its bar for the next one, once the bar is
	// off the screen.
	p.bar(0).finish(nil)
	require.Eventually(t, func() bool { return len(p.slots) < 2 }, 5*time.Second, 10*time.Millisecond)
	p.bar(4).set(10)
	assert.NotNil(t, p.bar(4).bar)
	assert.Equal(t, int64(1000+300+10), p.read.Load(), "an ended node counts its whole size")

	var wg sync.WaitGroup
	for i := 1; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.bar(i).set(1000)
			if i == 7 {
				p.bar(i).finish(fmt.Errorf("truncated"))
				return
			}
			p.bar(i).finish(nil)
		}()
	}
	wg.Wait()
	p.wait()
	assert.Equal(t, int64(40), p.done.Load())
	assert.Eventually(t, func() bool { return len(p.slots) == 0 }, 5*time.Second, 10*time.Millisecond, "every node bar is gone")
	got := out.String()
	assert.Contains(t, got, "40/40 nodes")
	assert.NotContains(t, got[strings.LastIndex(got, "40/40 nodes"):], "node-00", "no node bar is left at the end")
}
