package aggregate

// AssertTotals lets the external tests (package aggregate_test) check a
// node's tables against its totals.
var AssertTotals = assertTotals
