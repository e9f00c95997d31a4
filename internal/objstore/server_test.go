package objstore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// The test doubles (an in-process S3 server on 127.0.0.1 and a TCP proxy
// that breaks connections on purpose) are in objstoretest, which the
// commands' tests share.

var (
	startS3    = objstoretest.StartS3
	startProxy = objstoretest.StartProxy
	s3Env      = objstoretest.Env
	isolateAWS = objstoretest.IsolateAWS
)

// corpusDir holds the incident dumps, relative to this package.
const corpusDir = "../../../shared/corpus/generated/incident-redis-7.0.15"

// corpusFile reads one corpus dump, skipping the test when the corpus is
// absent.
func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s absent: %v", name, err)
	}
	require.NoError(t, err)
	return data
}
