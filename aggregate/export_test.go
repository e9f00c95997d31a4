package aggregate

// AssertTotals lets the external tests (package aggregate_test) check a
// node's tables against its totals.
var AssertTotals = assertTotals

// NewBuilderBatch lets the external tests make a Builder whose batches
// hold batch keys (see newBuilderBatch).
var NewBuilderBatch = newBuilderBatch
