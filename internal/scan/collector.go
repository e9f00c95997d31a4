package scan

import (
	"errors"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/parse"
)

// KeyWriter receives every key of every node (the per-key export), from
// several goroutines at once.
type KeyWriter interface {
	Write(node string, k *aggregate.Key) error
}

// Collector is the Sink that folds a node's keys into its profile.
type Collector struct {
	in       parse.Input
	builder  *aggregate.Builder
	keys     KeyWriter
	progress func(stored int64)

	header *Header
	end    *Summary
}

// NewCollector starts the profile of in. keys, if not nil, gets every
// key as well; progress, if not nil, gets Progress calls.
func NewCollector(in parse.Input, opts aggregate.Options, keys KeyWriter, progress func(stored int64)) *Collector {
	return &Collector{in: in, builder: aggregate.NewBuilder(in.Name, opts), keys: keys, progress: progress}
}

// Start implements Sink.
func (c *Collector) Start(h *Header) error {
	c.header = h
	c.builder.SetSource(h.Source)
	return nil
}

// Key implements Sink.
func (c *Collector) Key(k *aggregate.Key) error {
	c.builder.Add(k)
	if c.keys != nil {
		return c.keys.Write(c.in.Name, k)
	}
	return nil
}

// Progress implements Sink.
func (c *Collector) Progress(stored int64) {
	if c.progress != nil {
		c.progress(stored)
	}
}

// End implements Sink.
func (c *Collector) End(s *Summary) error {
	c.end = s
	return nil
}

// Node returns the node's profile, whose scan ended with err (nil: it is
// complete). A scan that never reached End (its parser process died) has
// the keys received and the header, but no overhead.
func (c *Collector) Node(err error) *aggregate.Node {
	n := c.builder.Node()
	n.Warnings = append([]string{}, c.in.Warnings...)
	if h := c.header; h != nil {
		n.Source, n.Model, n.ModelNote = h.Source, h.Model, h.ModelNote
	}
	if s := c.end; s != nil {
		if s.Source != nil {
			n.Source = s.Source
		}
		n.ModelNote = s.ModelNote
		n.Warnings = append(n.Warnings, s.Warnings...)
		n.Overhead = s.Overhead
	}
	if n.Source == nil {
		n.Source = &aggregate.Source{Path: c.in.Path, Member: c.in.Member, Checksum: parse.ChecksumUnknown}
	}
	n.Complete = err == nil
	n.ErrorOffset = -1
	if err != nil {
		n.Error = err.Error()
		var pe *parse.Error
		if errors.As(err, &pe) {
			n.ErrorOffset = pe.Offset
		}
	}
	n.EstimatedUsedMemory = n.Memory + n.Overhead
	n.UsedMem = n.Source.UsedMem
	if n.UsedMem > 0 {
		n.UsedMemRatio = float64(n.EstimatedUsedMemory) / float64(n.UsedMem)
	}
	return n
}
