package aggregate

import (
	"fmt"
	"strings"
)

// Rules are the thresholds of Diagnose. docs/findings.md explains each
// default.
type Rules struct {
	// BigHashShare flags a hash holding more than this share of its
	// node's key memory (--big-hash-share).
	BigHashShare float64
	// BigKeyShare, BigKeyBytes and BigKeyElements flag a key of any type
	// above any of them (--big-key-share, --big-key-bytes,
	// --big-key-elements); 0 disables one.
	BigKeyShare    float64
	BigKeyBytes    int64
	BigKeyElements int64
	// ShareFloor is the key memory below which a node is too small for
	// share-based rules (big-hash, big-key by share, node-skew) to mean
	// anything: half of a 50 kB node is not a problem.
	ShareFloor int64

	// Maxmemory is the maxmemory of every node (--maxmemory SIZE), and
	// MaxmemoryByNode overrides it per node name (--maxmemory NODE=SIZE);
	// 0 means unknown.
	Maxmemory       int64
	MaxmemoryByNode map[string]int64
	// Policy is the maxmemory-policy of the nodes (--maxmemory-policy);
	// empty means unknown.
	Policy string
	// NearMaxmemory is the fill (used / maxmemory) from which a node
	// counts as full: eviction is running or about to.
	NearMaxmemory float64
	// NonVolatileShare is the share of key memory without a TTL above
	// which a full volatile-* node starves keys that have one.
	NonVolatileShare float64

	// SkewRatio flags a node holding this many times the median node's
	// key memory.
	SkewRatio float64

	// MissingTTLShare and MissingTTLMinKeys flag a family of at least
	// MissingTTLMinKeys keys where at least MissingTTLShare of the keys
	// carry a TTL and some do not.
	MissingTTLShare   float64
	MissingTTLMinKeys int64

	// Cluster is the slot ownership read from --cluster-nodes; nil skips
	// the misplaced-slots rule.
	Cluster []ClusterNode
}

// DefaultRules returns the rules the command line starts from.
func DefaultRules() Rules {
	return Rules{
		BigHashShare:      0.2,
		BigKeyShare:       0.25,
		BigKeyBytes:       16 << 20,
		BigKeyElements:    100_000,
		ShareFloor:        1 << 20,
		NearMaxmemory:     0.8,
		NonVolatileShare:  0.5,
		SkewRatio:         1.5,
		MissingTTLShare:   0.8,
		MissingTTLMinKeys: 10,
	}
}

// Eviction policies of maxmemory-policy.
var policies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// SetPolicy validates and sets a maxmemory-policy.
func (r *Rules) SetPolicy(p string) error {
	p = strings.ToLower(strings.TrimSpace(p))
	for _, q := range policies {
		if p == q {
			r.Policy = p
			return nil
		}
	}
	return fmt.Errorf("unknown maxmemory-policy %q (want one of %s)", p, strings.Join(policies, ", "))
}

// SetMaxmemory reads one --maxmemory value: "SIZE" for every node, or
// "NODE=SIZE" for one node (repeat the flag for several). See ParseSize for
// SIZE.
func (r *Rules) SetMaxmemory(v string) error {
	node, size, per := strings.Cut(v, "=")
	if !per {
		size = node
	}
	n, err := ParseSize(size)
	if err != nil {
		return fmt.Errorf("--maxmemory: %w", err)
	}
	if !per {
		r.Maxmemory = n
		return nil
	}
	node = strings.TrimSpace(node)
	if node == "" {
		return fmt.Errorf("--maxmemory %q: empty node name", v)
	}
	if r.MaxmemoryByNode == nil {
		r.MaxmemoryByNode = map[string]int64{}
	}
	r.MaxmemoryByNode[node] = n
	return nil
}

// maxmemoryOf is the maxmemory that applies to node name.
func (r *Rules) maxmemoryOf(name string) int64 {
	if v, ok := r.MaxmemoryByNode[name]; ok {
		return v
	}
	return r.Maxmemory
}

var severityRank = map[string]int{SeverityInfo: 1, SeverityWarning: 2, SeverityCritical: 3}

// FailOn reports whether findings hold one at level or worse (--fail-on):
// level is info, warning or critical; "" or "none" never fails.
func FailOn(findings []Finding, level string) (bool, error) {
	if level == "" || level == "none" {
		return false, nil
	}
	min, ok := severityRank[level]
	if !ok {
		return false, fmt.Errorf("--fail-on %q: want info, warning, critical or none", level)
	}
	for _, f := range findings {
		if severityRank[f.Severity] >= min {
			return true, nil
		}
	}
	return false, nil
}
