package memmodel

import "math"

// expectedNonEmpty is the expected number of non-empty buckets of a table
// of s buckets holding u keys hashed uniformly.
func expectedNonEmpty(s, u int64) float64 {
	if s <= 0 || u <= 0 {
		return 0
	}
	return float64(s) * (1 - math.Pow(1-1/float64(s), float64(u)))
}

// occupancyAtMost returns P(N <= a), N the number of non-empty buckets
// when u keys are hashed uniformly into s buckets. Rehashing a table
// (dict.c dictRehash) takes one step per non-empty bucket, so this is the
// probability that a rehash started on such a table is over after a
// steps. Small tables get the exact distribution (a dynamic program over
// the keys, on the stack), larger ones the normal approximation with the
// exact mean and variance.
func occupancyAtMost(s, u, a int64) float64 {
	if u <= 0 || s <= 0 || a >= min(s, u) {
		return 1
	}
	if a < 1 {
		return 0
	}
	if s <= 64 && u <= 256 {
		var p [65]float64
		p[0] = 1
		fs := float64(s)
		for i := int64(0); i < u; i++ {
			top := min(i+1, s)
			for j := top; j >= 1; j-- {
				p[j] = p[j]*float64(j)/fs + p[j-1]*float64(s-j+1)/fs
			}
			p[0] = 0
		}
		var c float64
		for j := int64(1); j <= a; j++ {
			c += p[j]
		}
		return min(c, 1)
	}
	fs, fu := float64(s), float64(u)
	q1 := math.Pow(1-1/fs, fu)
	q2 := math.Pow(1-2/fs, fu)
	mean := fs * (1 - q1)
	v := fs*(fs-1)*q2 + fs*q1 - fs*fs*q1*q1
	if v <= 1e-12 {
		if float64(a)+0.5 >= mean {
			return 1
		}
		return 0
	}
	z := (float64(a) + 0.5 - mean) / math.Sqrt(v)
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// loadDict follows the bucket arrays of a Redis dict (dict.c) while the
// RDB loader fills it: explicit dictExpand calls, then dictAdd, which does
// one incremental rehash step per call (before it checks whether to grow)
// and doubles the table when it is full. A rehash step moves one non-empty
// bucket; value dicts are never rehashed by serverCron, so a dict left
// half-rehashed at the end of the load keeps both tables and MEMORY USAGE
// counts the buckets of both (dictSlots / dictBuckets).
//
// A rehash started when the dict grows has at least as many adds ahead of
// it before the next growth as the old table has buckets, so it is over by
// then (ignoring the 10-empty-buckets limit of a step, which needs ten
// empty buckets in a row at load factor >= 1/2: under 1%). Only the last
// rehash can still be running when the load ends: loadDict tracks it
// (old table size, keys it held, adds since it started) and leaves the
// probability to the caller.
type loadDict struct {
	size         int64 // current (new) table size; 0 = not allocated
	used         int64
	old, oldUsed int64 // last rehash: old table size and its keys at the start
	steps        int64 // adds since the last rehash started
}

// expand is dictExpand(size) (7.0-8.0 and Valkey 8 agree for the sizes the
// loader asks: refused while rehashing, when it would not grow the table,
// or when it is smaller than the keys already in).
func (d *loadDict) expand(size int64) {
	if d.rehashing() || d.used > size {
		return
	}
	n := nextPow2(size, 4)
	if n <= d.size {
		return
	}
	if d.size == 0 || d.used == 0 {
		d.size = n
		return
	}
	d.old, d.oldUsed, d.steps = d.size, d.used, 0
	d.size = n
}

// rehashing: whether the last rehash is (by expectation) still running.
// Only used to refuse expansions, as dict.c does.
func (d *loadDict) rehashing() bool {
	return d.old > 0 && float64(d.steps) < expectedNonEmpty(d.old, d.oldUsed)
}

// add is dictAdd: a rehash step, then grow if full.
func (d *loadDict) add() {
	if d.old > 0 {
		d.steps++
	}
	if !d.rehashing() {
		if d.size == 0 {
			d.expand(4)
		} else if d.used >= d.size {
			d.expand(d.used + 1)
		}
	}
	d.used++
}

func (d *loadDict) addN(n int64) {
	for ; n > 0; n-- {
		if !d.rehashing() && d.size > 0 && d.used+n <= d.size {
			// no growth ahead: only the step count moves
			if d.old > 0 {
				d.steps += n
			}
			d.used += n
			return
		}
		d.add()
	}
}

// buckets returns the bucket count at the end of the load: the new
// table, plus the old one when its rehash is more likely than not still
// running. Whether it is depends on how the old table's keys spread over
// its buckets, i.e. on the loading server's random hash seed; every hash
// with the same field names comes out the same way on one server, so the
// model picks the likelier outcome (exact in that case) rather than the
// average (off in every case).
func (d *loadDict) buckets() int64 {
	if d.old > 0 && occupancyAtMost(d.old, d.oldUsed, d.steps) < 0.5 {
		return d.size + d.old
	}
	return d.size
}

// pOld is the probability that the last rehash is still running.
func (d *loadDict) pOld() float64 {
	if d.old == 0 {
		return 0
	}
	return 1 - occupancyAtMost(d.old, d.oldUsed, d.steps)
}

// hashLoadBuckets returns the buckets MEMORY USAGE counts for a hash
// loaded from a plain RDB hash (RDB_TYPE_HASH) of n <= hash-max-listpack-
// entries pairs whose first pair with a field or value longer than
// hash-max-listpack-value is the k-th (0-based), as rdbLoadObject builds
// it: k pairs go into a listpack; at the long pair hashTypeConvert creates
// a dict presized for those k pairs; the long pair is added; then the dict
// is presized for the pairs still to read (n-k-1, not n: dictTryExpand is
// called with what is left, and only when that is over 4) and they are
// added one by one. ex: a hash with field TTLs (RDB_TYPE_HASH_METADATA,
// 7.4+), whose loader presizes before it adds the long pair.
//
// When the load may end in the middle of a rehash, the likelier outcome
// is returned (see loadDict.buckets).
func hashLoadBuckets(n, k int64, ex bool) int64 {
	if n <= 0 {
		return 4
	}
	if k < 0 || k >= n {
		return nextPow2(n, 4)
	}
	d := simLoad(n, k, ex)
	return d.buckets()
}

// simLoad runs the load of hashLoadBuckets.
func simLoad(n, k int64, ex bool) loadDict {
	d := loadDict{}
	d.expand(k)
	d.addN(k)
	rest := n - k - 1
	if ex {
		if rest > 4 {
			d.expand(rest)
		}
		d.add()
	} else {
		d.add()
		if rest > 4 {
			d.expand(rest)
		}
	}
	d.addN(rest)
	return d
}

// expectedHashBuckets is hashLoadBuckets when the position of the first
// long pair is not known (records that do not carry it): the average over
// the positions it can take, given that `long` of the n pairs are long and
// the order is random.
func expectedHashBuckets(n, long int64, ex bool) float64 {
	if n <= 0 || long <= 0 {
		return float64(nextPow2(n, 4))
	}
	var sum, wsum float64
	p := float64(long) / float64(n)
	step := int64(1)
	if n > 64 {
		step = n / 32
	}
	for k := int64(0); k <= n-long; k++ {
		if k > 0 {
			p *= float64(n-k-long+1) / float64(n-k+1)
		}
		if k%step != 0 {
			continue
		}
		sum += p * float64(hashLoadBuckets(n, k, ex))
		wsum += p
	}
	if wsum == 0 {
		return float64(nextPow2(n, 4))
	}
	return sum / wsum
}
