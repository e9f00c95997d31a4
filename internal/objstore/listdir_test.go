package objstore

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// historyKeys are the objects of a small history: ListDir reads it one
// level at a time, as a directory.
var historyKeys = []string{
	"hist/cluster=a/date=2026-11-26/families.parquet",
	"hist/cluster=a/date=2026-11-26/nodes.parquet",
	"hist/cluster=a/date=2026-11-27/nodes.parquet",
	"hist/cluster=b/date=2026-11-26/nodes.parquet",
	"hist/README.txt",
	"hist/cluster=a/", // a directory marker
	"histogram.csv",
}

// checkListDir lists the history under base (a bucket URL ending in "/")
// and its query q.
func checkListDir(t *testing.T, base, q string) {
	t.Helper()
	ctx := context.Background()
	objs, dirs, err := ListDir(ctx, base+"hist/"+q)
	require.NoError(t, err)
	assert.Equal(t, []string{"cluster=a", "cluster=b"}, dirs)
	require.Len(t, objs, 1)
	assert.Equal(t, "hist/README.txt", objs[0].Key)
	assert.True(t, strings.HasPrefix(objs[0].URL, base+"hist/README.txt"), objs[0].URL)

	objs, dirs, err = ListDir(ctx, base+"hist/cluster=a/"+q)
	require.NoError(t, err)
	assert.Equal(t, []string{"date=2026-11-26", "date=2026-11-27"}, dirs)
	assert.Empty(t, objs, "the directory marker is no object")

	objs, dirs, err = ListDir(ctx, base+"hist/cluster=a/date=2026-11-26/"+q)
	require.NoError(t, err)
	assert.Empty(t, dirs)
	require.Len(t, objs, 2)
	assert.Equal(t, "nodes.parquet", objs[1].Name())

	objs, dirs, err = ListDir(ctx, base+"nothing/"+q)
	require.NoError(t, err, "an empty prefix is no error")
	assert.Empty(t, objs)
	assert.Empty(t, dirs)

	_, _, err = ListDir(ctx, base+"hist"+q)
	assert.ErrorContains(t, err, "not a prefix")
	_, _, err = ListDir(ctx, base+"hist/*/"+q)
	assert.ErrorContains(t, err, "not a prefix")
}

func TestS3ListDir(t *testing.T) {
	s := objstoretest.StartS3(t)
	objstoretest.Env(t, s.URL)
	s.Bucket(t, bucket)
	for _, k := range historyKeys {
		s.Put(t, bucket, k, []byte(k))
	}
	checkListDir(t, "s3://"+bucket+"/", "?use_path_style=true")

	_, _, err := ListDir(context.Background(), "s3://no-such-bucket/hist/?use_path_style=true")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorContains(t, err, `no such bucket "no-such-bucket"`)
	assert.NoError(t, CheckBucket(context.Background(), "s3://"+bucket+"/hist/?use_path_style=true"))
	err = CheckBucket(context.Background(), "s3://no-such-bucket/hist/?use_path_style=true")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestGCSListDir(t *testing.T) {
	g := startGCS(t)
	gcsEnv(t, g.Host)
	g.Bucket(bucket)
	for _, k := range historyKeys {
		g.Put(bucket, k, []byte(k))
	}
	checkListDir(t, "gs://"+bucket+"/", "")
}

func TestAzureListDir(t *testing.T) {
	host := startAzurite(t)
	c := azureClient(t, host)
	azureEnv(t)
	ctx := context.Background()
	_, err := c.CreateContainer(ctx, bucket, nil)
	require.NoError(t, err)
	for _, k := range historyKeys {
		_, err := c.UploadBuffer(ctx, bucket, k, []byte(k), nil)
		require.NoError(t, err)
	}
	checkListDir(t, "azblob://"+bucket+"/", "?protocol=http&domain="+host)
}
