package testutil

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

// Report reads the JSON report at path, failing the test if it cannot.
func Report(t testing.TB, path string) *aggregate.Report {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := aggregate.DecodeReport(path, f)
	require.NoError(t, err)
	return r
}
