package objstore

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// These tests speak the Blob service protocol to Azurite, Microsoft's
// Azure Storage emulator (a Node.js program, `npm install -g azurite`),
// started on 127.0.0.1 for each test. They skip when it is not installed.

// The emulator helpers are in objstoretest, which the commands' tests
// share.
var (
	startAzurite = objstoretest.StartAzurite
	azureEnv     = objstoretest.AzureEnv
	azureClient  = objstoretest.AzureClient
)

func azureIncident(t *testing.T, c *azblob.Client) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	_, err := c.CreateContainer(ctx, bucket, nil)
	require.NoError(t, err)
	dumps := map[string][]byte{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		dumps["backups/"+n+".rdb"] = corpusFile(t, n+".rdb")
	}
	for k, v := range dumps {
		_, err := c.UploadBuffer(ctx, bucket, k, v, nil)
		require.NoError(t, err)
	}
	_, err = c.UploadBuffer(ctx, bucket, "backups/older/node-7200.rdb", []byte("REDIS0011 older"), nil)
	require.NoError(t, err)
	return dumps
}

// azureGet returns a blob's bytes, or nil when there is none.
func azureGet(t *testing.T, c *azblob.Client, key string) []byte {
	t.Helper()
	resp, err := c.DownloadStream(context.Background(), bucket, key, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return data
}

func TestAzureListReadResume(t *testing.T) {
	host := startAzurite(t)
	c := azureClient(t, host)
	dumps := azureIncident(t, c)
	azureEnv(t)
	q := "?protocol=http&domain=" + host

	t.Run("list and read", func(t *testing.T) {
		listAndRead(t, "azblob://"+bucket+"/backups/"+q,
			[]string{"backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb"}, dumps,
			func(o Object, _ *Reader) { assert.NotEmpty(t, o.ETag, o.Key) })
		listAndRead(t, "azblob://"+bucket+"/backups/*/*.rdb"+q, []string{"backups/older/node-7200.rdb"}, dumps,
			func(Object, *Reader) {})
	})

	t.Run("resume after cut", func(t *testing.T) {
		p := startProxy(t, host)
		p.CutAt(1<<20, 3<<20)
		var retries []Retry
		got, _, err := readAll(t, "azblob://"+bucket+"/backups/node-7202.rdb?protocol=http&domain="+strings.TrimPrefix(p.URL(), "http://"),
			&Options{Backoff: time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }})
		require.NoError(t, err)
		assert.True(t, bytes.Equal(dumps["backups/node-7202.rdb"], got), "bytes differ after resuming")
		require.Len(t, retries, 2)
		for _, r := range retries {
			assert.Greater(t, r.Offset, int64(0))
			assert.Contains(t, strings.ToLower(p.Requests()), "range: bytes="+itoa(r.Offset)+"-")
		}
	})

	t.Run("changed during read", func(t *testing.T) {
		p := startProxy(t, host)
		p.CutAt(1 << 20)
		r, err := Open(context.Background(), "azblob://"+bucket+"/backups/node-7202.rdb?protocol=http&domain="+strings.TrimPrefix(p.URL(), "http://"),
			&Options{Backoff: time.Millisecond})
		require.NoError(t, err)
		defer r.Close()
		head := make([]byte, 512<<10)
		_, err = io.ReadFull(r, head)
		require.NoError(t, err)
		old := dumps["backups/node-7202.rdb"]
		changed := bytes.Clone(old)
		changed[len(changed)-1] ^= 0xff
		_, err = c.UploadBuffer(context.Background(), bucket, "backups/node-7202.rdb", changed, nil)
		require.NoError(t, err)

		rest, err := io.ReadAll(r)
		assert.ErrorIs(t, err, ErrChanged)
		got := append(head, rest...)
		assert.True(t, bytes.Equal(old[:len(got)], got), "bytes of another version were delivered")
	})

	t.Run("writer", func(t *testing.T) {
		data := bytes.Repeat([]byte(`{"node":"node-7202"}`+"\n"), 1000)
		w, err := Create(context.Background(), "azblob://"+bucket+"/reports/run.json"+q)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Abort())
		assert.Nil(t, azureGet(t, c, "reports/run.json"), "Abort left an object")

		w, err = Create(context.Background(), "azblob://"+bucket+"/reports/run.json"+q)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
		assert.Nil(t, azureGet(t, c, "reports/run.json"), "visible before Close")
		require.NoError(t, w.Close())
		assert.Equal(t, data, azureGet(t, c, "reports/run.json"))
	})

	t.Run("errors", func(t *testing.T) {
		err := open("azblob://" + bucket + "/backups/node-1.rdb" + q)
		assert.ErrorIs(t, err, ErrNotFound)
		err = list("azblob://no-such-container/backups/" + q)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), `no such container "no-such-container"`)
	})
}
