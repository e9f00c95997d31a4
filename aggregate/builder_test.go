package aggregate

import (
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
