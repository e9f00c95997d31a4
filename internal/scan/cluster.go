package scan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
)

// ClusterMode says whether a node runs in Redis Cluster mode, which
// changes what each key costs on Redis < 7.4 and what the node spends
// outside its keys.
type ClusterMode uint8

// Cluster modes.
const (
	// ClusterAuto decides from the dump: a cluster node when it has
	// SLOT_INFO (Redis 7.4+), else when its first keys fall in part of the
	// hash slot space only.
	ClusterAuto ClusterMode = iota
	ClusterOn               // a cluster node
	ClusterOff              // a standalone server
)

var clusterModeNames = [...]string{ClusterAuto: "auto", ClusterOn: "on", ClusterOff: "off"}

// String returns auto, on or off.
func (m ClusterMode) String() string {
	if int(m) < len(clusterModeNames) {
		return clusterModeNames[m]
	}
	return fmt.Sprintf("ClusterMode(%d)", uint8(m))
}

// MarshalText writes the mode's name.
func (m ClusterMode) MarshalText() ([]byte, error) {
	if int(m) >= len(clusterModeNames) {
		return nil, fmt.Errorf("unknown cluster mode %d", uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads a mode's name.
func (m *ClusterMode) UnmarshalText(b []byte) error {
	i := slices.Index(clusterModeNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("unknown cluster mode %q", b)
	}
	*m = ClusterMode(i)
	return nil
}

// clusterSample is how many keys decide ClusterAuto. Redis < 7.4 writes
// keys in hash table order, which is random, so the first keys are a fair
// sample of the slots the node holds.
const clusterSample = 1024

// maxHeldBytes bounds the key names held for the decision: a dump whose
// first keys have huge names is decided on fewer keys rather than holding
// them.
const maxHeldBytes = 64 << 20

// clusterState is the cluster-mode decision of one node.
type clusterState struct {
	decided bool
	on      bool
	why     string // how it was decided, for the model note

	// The sample of the first keys, while undecided.
	sample aggregate.ClusterSample

	held      []heldKey // keys waiting for the decision, their names copied
	heldBytes int64
}

// heldKey is a key waiting for the decision, with its figures in both
// modes.
type heldKey struct {
	key aggregate.Key
	est estimate
}

// fromHeader settles the modes that do not depend on the keys.
func (c *clusterState) fromHeader(mode ClusterMode, slotInfo bool) {
	switch {
	case mode == ClusterOff:
		c.decided, c.why = true, "standalone (--cluster no)"
	case mode == ClusterOn:
		c.decided, c.on, c.why = true, true, "cluster mode (--cluster yes)"
	case slotInfo:
		c.decided, c.on, c.why = true, true, "cluster mode (the dump has SLOT_INFO)"
	}
}

// full reports whether the sample is complete.
func (c *clusterState) full() bool { return c.sample.Keys() >= clusterSample }

// hold keeps a copy of k until the decision, unless its name would take
// the names held past maxHeldBytes.
func (c *clusterState) hold(k *aggregate.Key, e *estimate) bool {
	size := int64(len(k.Key)) + 64
	if c.heldBytes+size > maxHeldBytes {
		return false
	}
	c.heldBytes += size
	h := heldKey{key: *k, est: *e}
	h.key.Key = strings.Clone(k.Key)
	c.held = append(c.held, h)
	return true
}

// decide settles ClusterAuto on the sample (see
// aggregate.LooksLikeCluster); --cluster no overrides.
func (c *clusterState) decide() {
	c.decided = true
	if c.sample.LooksLikeCluster() {
		c.on = true
		c.why = "cluster mode (detected: the keys fall in part of the hash slot space; --cluster no to override)"
		return
	}
	c.why = "standalone (detected; --cluster yes to override)"
}

// HeldKeys are the keys a scan held while it decided cluster mode, as a
// Holder received them: the keys sampled so far, with their figures in
// both modes. A parser process that dies before it decides has sent them
// only this way; Release decides on them with the rule the scan would
// have used on the same keys, and sends them. The zero value holds none.
type HeldKeys struct {
	c clusterState
}

// errHeldOverflow is a Holder told of more keys than a scan holds.
var errHeldOverflow = errors.New("more held keys than a scan holds while it decides cluster mode")

// Add keeps a copy of k, with its standalone figures, and its figures in
// cluster mode. It fails when a scan could not have held the key (a
// malformed stream from a parser process).
func (h *HeldKeys) Add(k *aggregate.Key, cluster Figures) error {
	c := &h.c
	c.sample.Add(k.DB, k.Key)
	e := estimate{
		size:    memmodel.Size{Memory: k.Memory, Allocated: k.Alloc, Encoding: k.Encoding},
		cluster: memmodel.Size{Memory: cluster.Memory, Allocated: cluster.Alloc, Encoding: cluster.Encoding},
		both:    true,
	}
	if c.full() || !c.hold(k, &e) {
		return errHeldOverflow
	}
	return nil
}

// Len is how many keys are held.
func (h *HeldKeys) Len() int { return len(h.c.held) }

// Reset drops the keys held: their scan decided and sent them itself.
func (h *HeldKeys) Reset() { *h = HeldKeys{} }

// Release decides cluster mode on the keys held (see
// aggregate.ClusterSample) and sends them to sink with the figures of the
// mode decided, in the order they were added. It returns how the mode was
// decided, for the node's model note, and empties h.
func (h *HeldKeys) Release(sink Sink) (why string, err error) {
	c := h.c
	*h = HeldKeys{}
	c.decide()
	held := c.held
	for i := range held {
		k, e := &held[i].key, &held[i].est
		sz := e.pick(c.on)
		k.Encoding, k.Memory, k.Alloc = sz.Encoding, sz.Memory, sz.Allocated
		if err := sink.Key(k); err != nil {
			return c.why, err
		}
	}
	return c.why, nil
}
