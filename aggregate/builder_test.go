package aggregate

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Expiries centuries away (EXPIREAT stores them happily) belong in ">30d",
// not "expired" through a duration overflow.
func TestExpiryFarFuture(t *testing.T) {
	ref := int64(1_700_000_000_000) // 2023, in ms
	for _, exp := range []int64{20_000_000_000_000 /* year 2603 */, 99_999_999_999_000, 1 << 62} {
		assert.Equal(t, ">30d", expiryLabels[expiryBucket(exp, ref)], "expires at %d", exp)
	}
}

// An expiry far in the past (the RDB stores a signed 64-bit time) is
// expired, not ">30d" through a subtraction that wraps around (issue 12,
// item 14); a far future against a negative reference stays ">30d".
func TestExpiryExtremes(t *testing.T) {
	ref := int64(1_700_000_000_000)
	for _, exp := range []int64{math.MinInt64, math.MinInt64 + 1, -1} {
		assert.Equal(t, "expired", expiryLabels[expiryBucket(exp, ref)], "expires at %d", exp)
	}
	assert.Equal(t, ">30d", expiryLabels[expiryBucket(math.MaxInt64, -ref)])
	assert.Equal(t, "expired", expiryLabels[expiryBucket(math.MinInt64, math.MaxInt64)])
}
