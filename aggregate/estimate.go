package aggregate

import "github.com/rdbscope/rdbscope/parse"

// Estimator computes the memory Redis accounts for one key, as MEMORY
// USAGE key SAMPLES 0 would report it on a server loaded from the dump,
// and the encoding the value has once loaded (OBJECT ENCODING).
//
// The model behind it lives in package memmodel; the interface keeps the
// profile code independent of how the estimate is made.
type Estimator interface {
	Estimate(r *parse.Record) (memory int64, encoding string)
}

// NodeOverheadEstimator is implemented by estimators that also know the
// memory Redis spends per node outside MEMORY USAGE (dict buckets, expires
// entries, cluster bookkeeping, startup memory), so that a node's total can
// be compared with the used-mem the server wrote into the dump.
type NodeOverheadEstimator interface {
	// NodeOverhead returns the bytes a node holding keysPerDB keys (and
	// expiresPerDB keys with a TTL) spends outside the keys themselves;
	// slotKeys holds the key count of each slot with keys on a cluster node.
	NodeOverhead(keysPerDB, expiresPerDB map[int]int64, slotKeys []int64) int64
}
