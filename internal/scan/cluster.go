package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/parse"
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

// maxHeldBytes bounds what the keys held for the decision may take: a
// dump whose first keys are huge collections is decided on fewer keys
// rather than holding their values.
const maxHeldBytes = 64 << 20

// clusterState is the cluster-mode decision of one node.
type clusterState struct {
	decided bool
	on      bool
	why     string // how it was decided, for the model note

	// The sample of the first keys, while undecided.
	sample aggregate.ClusterSample

	held      []parse.Record // keys waiting for the decision, cloned
	heldBytes int64
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

// hold keeps a copy of r until the decision, unless that would take more
// than maxHeldBytes.
func (c *clusterState) hold(r *parse.Record) bool {
	size := recordBytes(r)
	if c.heldBytes+size > maxHeldBytes {
		return false
	}
	c.heldBytes += size
	h := *r
	h.Key = strings.Clone(r.Key)
	h.Module = strings.Clone(r.Module)
	h.Value = r.Value.Clone()
	h.Blobs = slices.Clone(r.Blobs)
	h.Warnings = nil // already taken
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

// recordBytes is about what a clone of r takes.
func recordBytes(r *parse.Record) int64 {
	const (
		elem   = 24 // parse.Elem
		zmem   = 32 // parse.ZMember
		field  = 56 // parse.HashField
		id     = 16 // parse.StreamID
		blob   = 48 // parse.Blob
		record = 256
	)
	n := int64(record + len(r.Key) + len(r.Blobs)*blob)
	if v := r.Value; v != nil {
		n += int64(len(v.List)+len(v.Set))*elem + int64(len(v.ZSet))*zmem + int64(len(v.Hash))*field
		if st := v.Stream; st != nil {
			n += int64(len(st.Nodes)) * id
			for _, g := range st.Groups {
				n += int64(len(g.Pending)) * id
				for _, con := range g.Consumers {
					n += int64(len(con.Pending)) * id
				}
			}
		}
	}
	return n
}
