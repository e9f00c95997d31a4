package diagnose

import (
	"fmt"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// Rules are what Diagnose judges a report with: how the nodes run (the
// embedded Config: maxmemory, policy, cluster slots) and the thresholds.
// docs/findings.md explains each default.
type Rules struct {
	aggregate.Config

	// BigHashShare flags a hash holding more than this share of its
	// node's key memory.
	BigHashShare float64
	// BigKeyShare, BigKeyBytes and BigKeyElements flag a key of any type
	// above any of them; 0 disables one.
	BigKeyShare    float64
	BigKeyBytes    int64
	BigKeyElements int64
	// ShareFloor is the key memory below which a node is too small for
	// share-based rules (big-hash, big-key by share, node-skew) to mean
	// anything: half of a 50 kB node is not a problem.
	ShareFloor int64

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
}

// DefaultRules returns the thresholds the command line starts from, with
// nothing known of the nodes.
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

// Settings returns what a report judged with r records: the nodes' Config
// and every threshold as a figure with its unit.
func (r *Rules) Settings() *aggregate.Settings {
	return &aggregate.Settings{Config: r.Config, Thresholds: aggregate.Figures{}.
		Share("big_hash_share", r.BigHashShare).
		Share("big_key_share", r.BigKeyShare).
		Bytes("big_key_bytes", r.BigKeyBytes).
		Count("big_key_elements", r.BigKeyElements).
		Bytes("share_floor", r.ShareFloor).
		Share("near_maxmemory", r.NearMaxmemory).
		Share("non_volatile_share", r.NonVolatileShare).
		Ratio("skew_ratio", r.SkewRatio).
		Share("missing_ttl_share", r.MissingTTLShare).
		Count("missing_ttl_min_keys", r.MissingTTLMinKeys)}
}

// Eviction policies of maxmemory-policy.
var policies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// SetPolicy validates and sets a maxmemory-policy, in any case.
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

// SetMaxmemory reads one maxmemory setting: "SIZE" for every node, or
// "NODE=SIZE" for one node (call it again for several). See bytesize.Parse
// for SIZE.
func (r *Rules) SetMaxmemory(v string) error {
	node, size, per := strings.Cut(v, "=")
	if !per {
		size = node
	}
	n, err := bytesize.Parse(size)
	if err != nil {
		return err
	}
	if !per {
		r.Maxmemory = n
		return nil
	}
	node = strings.TrimSpace(node)
	if node == "" {
		return fmt.Errorf("empty node name in %q", v)
	}
	if r.MaxmemoryByNode == nil {
		r.MaxmemoryByNode = map[string]int64{}
	}
	r.MaxmemoryByNode[node] = n
	return nil
}

// IsBigKey reports whether a key of a node whose keys allocate nodeMemory
// (Node.AllocatedMemory) crosses a big-key threshold, judged on what the
// key allocates: BigKeyBytes, BigKeyElements, or BigKeyShare of a node no
// smaller than ShareFloor.
func (r *Rules) IsBigKey(k *aggregate.KeyInfo, nodeMemory int64) bool {
	if r.BigKeyBytes > 0 && k.Alloc() > r.BigKeyBytes {
		return true
	}
	if r.BigKeyElements > 0 && k.Elements > r.BigKeyElements {
		return true
	}
	return r.BigKeyShare > 0 && nodeMemory >= r.ShareFloor && nodeMemory > 0 && share(k.Alloc(), nodeMemory) > r.BigKeyShare
}

// FailOn reports whether findings hold one at level or more severe; a
// zero level never fails.
func FailOn(findings []aggregate.Finding, level aggregate.Severity) bool {
	if level == 0 {
		return false
	}
	for _, f := range findings {
		if f.Severity >= level {
			return true
		}
	}
	return false
}

// FromServer fills in what a node's own configuration says (read from
// its redis.conf, CONFIG GET or INFO) where the command line said
// nothing: its maxmemory (0, no limit, adds nothing) and the policy.
// node "" means every node. Flags always win: call it after them.
func (r *Rules) FromServer(node string, maxmemory int64, policy string) error {
	if maxmemory > 0 {
		if node == "" {
			if r.Maxmemory == 0 {
				r.Maxmemory = maxmemory
			}
		} else if _, set := r.MaxmemoryByNode[node]; !set {
			if r.MaxmemoryByNode == nil {
				r.MaxmemoryByNode = map[string]int64{}
			}
			r.MaxmemoryByNode[node] = maxmemory
		}
	}
	if policy != "" && r.Policy == "" {
		return r.SetPolicy(policy)
	}
	return nil
}
