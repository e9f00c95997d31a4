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

// dictSim follows the bucket arrays of a Redis dict (dict.c) while the RDB
// loader fills it: explicit dictExpand calls, then dictAdd, which does one
// incremental rehash step per call and doubles the table when it is full.
// Value dicts are never rehashed by serverCron, so a dict left
// half-rehashed at the end of the load keeps both tables, and MEMORY USAGE
// counts the buckets of both. Rehash progress is modelled by its
// expectation: a step moves one non-empty bucket.
type dictSim struct {
	s0, s1 int64
	used   int64
	remain float64
}

func (d *dictSim) expand(size int64) {
	if d.s1 != 0 || d.used > size {
		return
	}
	n := nextPow2(size, 4)
	if n == d.s0 {
		return
	}
	if d.s0 == 0 {
		d.s0 = n
		return
	}
	d.s1 = n
	d.remain = expectedNonEmpty(d.s0, d.used)
	if d.remain < 0.5 {
		d.s0, d.s1 = d.s1, 0
	}
}

func (d *dictSim) add() {
	if d.s1 != 0 {
		d.remain--
		if d.remain < 0.5 {
			d.s0, d.s1 = d.s1, 0
		}
	}
	if d.s1 == 0 {
		if d.s0 == 0 {
			d.expand(4)
		} else if d.used >= d.s0 {
			d.expand(d.used + 1)
		}
	}
	d.used++
}

func (d *dictSim) addN(n int64) {
	for ; n > 0; n-- {
		if d.s1 == 0 && d.s0 > 0 && d.used+n <= d.s0 {
			d.used += n
			return
		}
		d.add()
	}
}

// expectedHashBuckets: buckets of a dict loaded from a plain RDB hash of n
// pairs, `long` of which are too long for a listpack. The loader fills a
// listpack until the first long pair (k pairs in), converts it to a dict
// presized for k, adds the long pair, presizes for the remaining pairs and
// adds them. The decoder does not keep the RDB order, so the result is
// averaged over where the first long pair falls.
func expectedHashBuckets(n, long int64) int64 {
	if n <= 0 || long <= 0 {
		return nextPow2(n, 4)
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
		d := &dictSim{}
		d.expand(k)
		d.addN(k)
		d.add()
		if rest := n - k - 1; rest > 4 {
			d.expand(rest)
		}
		d.addN(n - k - 1)
		sum += p * float64(d.s0+d.s1)
		wsum += p
	}
	if wsum == 0 {
		return nextPow2(n, 4)
	}
	return int64(sum/wsum + 0.5)
}
