package aggregate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The cluster's used_mem_ratio compares the estimate with used-mem over
// the nodes whose dump has used-mem only.
func TestMergeUsedMemRatioUnknownNode(t *testing.T) {
	a := newNode("a")
	a.EstimatedUsedMemory, a.UsedMem = 100, 100
	b := newNode("b") // an old dump: used-mem unknown
	b.EstimatedUsedMemory = 100
	m := Merge("cluster", 10, a, b)
	assert.InDelta(t, 1.0, m.UsedMemRatio, 1e-9)
}
