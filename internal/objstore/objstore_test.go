package objstore

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsURL(t *testing.T) {
	tests := []struct {
		arg  string
		want bool
	}{
		{"s3://bucket/key.rdb", true},
		{"gs://bucket/", true},
		{"azblob://container/blob", true},
		{"S3://bucket/key", true},
		{"http://host/x", true}, // unsupported, but a URL: List says which schemes work
		{"gcs://bucket/key", true},
		{"node-7202.rdb", false},
		{"/var/backups/node-7202.rdb", false},
		{"./s3://x", false},
		{"-", false},
		{`C:\dumps\node.rdb`, false},
		{"C://dumps/node.rdb", false}, // a drive letter, not a scheme
		{"s3:/bucket/key", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			assert.Equal(t, tt.want, IsURL(tt.arg))
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw    string
		scheme string
		bucket string
		key    string
		query  url.Values
		prefix bool
	}{
		{"s3://rdb-backups/backups/node-7202.rdb", "s3", "rdb-backups", "backups/node-7202.rdb", url.Values{}, false},
		{"s3://rdb-backups/backups/?use_path_style=true&region=eu-west-1", "s3", "rdb-backups", "backups/", url.Values{"use_path_style": {"true"}, "region": {"eu-west-1"}}, true},
		{"s3://rdb-backups", "s3", "rdb-backups", "", url.Values{}, true},
		{"gs://memorystore-exports/2026-11-30/redis-export.rdb", "gs", "memorystore-exports", "2026-11-30/redis-export.rdb", url.Values{}, false},
		{"gs://b/dir%20with%20spaces/node%3F1.rdb", "gs", "b", "dir with spaces/node?1.rdb", url.Values{}, false},
		{"azblob://redis-exports/cache1/dump.rdb?storage_account=acct", "azblob", "redis-exports", "cache1/dump.rdb", url.Values{"storage_account": {"acct"}}, false},
		{"AZBLOB://c/b", "azblob", "c", "b", url.Values{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			l, err := parseURL(tt.raw)
			require.NoError(t, err)
			assert.Equal(t, tt.scheme, l.scheme)
			assert.Equal(t, tt.bucket, l.bucket)
			assert.Equal(t, tt.key, l.key)
			assert.Equal(t, tt.query, l.query)
			assert.Equal(t, tt.prefix, l.isPrefix())
			assert.Empty(t, l.bucketURL().Path, "the driver gets no key")

			// An object URL built from a key parses back to that key,
			// with the same options.
			back, err := parseURL(l.objectURL(l.key))
			require.NoError(t, err)
			assert.Equal(t, l.key, back.key)
			assert.Equal(t, l.query, back.query)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		raw   string
		class error
		says  []string
	}{
		{"http://host/x.rdb", ErrUnsupportedScheme, []string{`"http"`, "s3://BUCKET/KEY", "gs://BUCKET/KEY", "azblob://CONTAINER/BLOB"}},
		{"gcs://bucket/x.rdb", ErrUnsupportedScheme, []string{`"gcs"`, "gs://BUCKET/KEY"}},
		{"s3a://bucket/x.rdb", ErrUnsupportedScheme, []string{"s3://BUCKET/KEY"}},
		{"az://container/x.rdb", ErrUnsupportedScheme, []string{"azblob://CONTAINER/BLOB"}},
		{"s3:///key.rdb", nil, []string{"no bucket name", "s3://BUCKET/KEY"}},
		{"azblob:///blob", nil, []string{"no container name", "azblob://CONTAINER/BLOB"}},
		{"s3://AKIA:secret@bucket/key", nil, []string{"credentials do not belong in the URL"}},
		{"s3://bucket/%zz", nil, []string{"not a valid URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := parseURL(tt.raw)
			require.Error(t, err)
			if tt.class != nil {
				assert.ErrorIs(t, err, tt.class)
			}
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotContains(t, err.Error(), "secret", "a secret in a URL is never repeated")
			// The public entry points report the same error.
			_, lerr := List(context.Background(), tt.raw)
			assert.Equal(t, err.Error(), lerr.Error())
		})
	}
}

// TestMissingCredentials covers the clouds without a local server here:
// each says which variables and mechanisms provide credentials, and none
// sends a request (the variables below make every chain fail at once).
func TestMissingCredentials(t *testing.T) {
	tests := []struct {
		name string
		url  string
		env  map[string]string
		says []string
	}{
		{"gcs", "gs://memorystore-exports/node.rdb",
			map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(t.TempDir(), "missing.json"), "STORAGE_EMULATOR_HOST": ""},
			[]string{"no credentials for Google Cloud Storage", "GOOGLE_APPLICATION_CREDENTIALS", "gcloud auth application-default login", "anonymous=true"}},
		{"azure", "azblob://redis-exports/dump.rdb",
			map[string]string{"AZURE_STORAGE_ACCOUNT": "", "AZURE_STORAGE_CONNECTION_STRING": "", "AZURE_STORAGEBLOB_CONNECTIONSTRING": ""},
			[]string{"no credentials for Azure Blob Storage", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "az login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			for _, call := range []func(string) error{list, open, create} {
				err := call(tt.url)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrNoCredentials)
				for _, s := range tt.says {
					assert.Contains(t, err.Error(), s)
				}
			}
		})
	}
}

func TestAzureSASTokenStaysOnItsEndpoint(t *testing.T) {
	t.Setenv("AZURE_STORAGE_ACCOUNT", "acct")
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2024&sig=secret")
	err := list("azblob://c/x?domain=evil.example")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `not from the URL parameter "domain"`)
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name string
		opts *Options
		want []time.Duration
	}{
		{"defaults", nil, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"custom", &Options{Backoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond}, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}},
		{"max below first", &Options{Backoff: time.Second}, []time.Duration{time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.want {
				assert.Equal(t, want, tt.opts.backoff(i+1), "attempt %d", i+1)
			}
		})
	}
	assert.Equal(t, DefaultRetries, (*Options)(nil).retries())
	assert.Equal(t, 0, (&Options{Retries: -1}).retries())
	assert.Equal(t, 3, (&Options{Retries: 3}).retries())
}

func TestRetryString(t *testing.T) {
	r := Retry{URL: "s3://b/node-7202.rdb", Offset: 1048576, Size: 5273376, Attempt: 2, Max: 8, Wait: time.Second, Err: errors.New("unexpected EOF")}
	assert.Equal(t, "s3://b/node-7202.rdb: read failed at byte 1048576 of 5273376 (unexpected EOF); resuming from byte 1048576 in 1s (retry 2 of 8)", r.String())
	r = Retry{URL: "s3://b/k", Size: -1, Attempt: 1, Max: 8, Wait: 500 * time.Millisecond, Err: errors.New("connection refused")}
	assert.Equal(t, "s3://b/k: read failed before the first byte (connection refused); resuming from byte 0 in 500ms (retry 1 of 8)", r.String())
}

func TestObjectName(t *testing.T) {
	assert.Equal(t, "node-7202.rdb.gz", Object{Key: "backups/2026-11-30/node-7202.rdb.gz"}.Name())
	assert.Equal(t, "dump.rdb", Object{Key: "dump.rdb"}.Name())
}

func TestVersionSame(t *testing.T) {
	tests := []struct {
		name string
		a, b version
		want bool
	}{
		{"same ETag", version{size: 5, etag: `"abc"`}, version{size: 5, etag: `"abc"`}, true},
		{"quotes differ", version{size: 5, etag: `"abc"`}, version{size: 5, etag: `abc`}, true},
		{"weak mark", version{size: 5, etag: `W/"abc"`}, version{size: 5, etag: `"abc"`}, true},
		{"other ETag", version{size: 5, etag: `"abc"`}, version{size: 5, etag: `"abd"`}, false},
		{"other size", version{size: 5, etag: `"abc"`}, version{size: 6, etag: `"abc"`}, false},
		{"no ETag sent: size decides", version{size: 5, etag: `"abc"`}, version{size: 5}, true},
		{"other generation", version{size: 5, generation: 7}, version{size: 5, generation: 8}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.same(tt.b))
		})
	}
}
