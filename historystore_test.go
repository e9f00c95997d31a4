package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// histQuery is the URL query every history URL of these tests carries.
const histQuery = "?use_path_style=true"

// historyObjects lists the keys under prefix in the test bucket, sorted.
func historyObjects(t *testing.T, s3 *objstoretest.S3, bucket, prefix string) []string {
	t.Helper()
	return s3.Keys(t, bucket, prefix)
}

// sameTrend compares two JSON trends but for when they were made and
// where each night was read from.
func sameTrend(t *testing.T, want, got string) {
	t.Helper()
	source := regexp.MustCompile(`"source": "[^"]*"`)
	norm := func(path string) string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return source.ReplaceAllString(generatedLine.ReplaceAllString(string(b), ""), "")
	}
	assert.Equal(t, norm(want), norm(got))
}

// The nightly job with its history in a bucket: report --history
// s3://... each night, then trend --history s3://... forecasts exactly as
// from the same history in a local directory; a night run again replaces
// its partition.
func TestHistoryInBucket(t *testing.T) {
	s3 := objstoretest.StartS3(t)
	objstoretest.Env(t, s3.URL)
	s3.Bucket(t, "rdb-history")
	dir := t.TempDir()
	local := filepath.Join(dir, "history")
	remote := "s3://rdb-history/hist/" + histQuery
	for _, hist := range []string{local, remote} {
		for _, night := range incidentNights() {
			code, _, stderr := runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", night)
			require.Equal(t, exitOK, code, stderr)
		}
	}
	keys := historyObjects(t, s3, "rdb-history", "hist/")
	require.Len(t, keys, 10, "five nights of two files: %v", keys)
	assert.Regexp(t, `^hist/cluster=incident/date=\d{4}-\d\d-\d\d/families\.parquet$`, keys[0])
	assert.Regexp(t, `^hist/cluster=incident/date=\d{4}-\d\d-\d\d/nodes\.parquet$`, keys[1])

	fromLocal, fromBucket := filepath.Join(dir, "local.json"), filepath.Join(dir, "bucket.json")
	code, _, stderr := runCLI(t, "trend", "-q", "--history", local, "--json", fromLocal)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, "trend", "-q", "--history", remote, "--json", fromBucket)
	require.Equal(t, exitOK, code, stderr)
	sameTrend(t, fromLocal, fromBucket)
	d := readTrend(t, fromBucket)
	assert.Len(t, d.Nights, 5)
	assert.Contains(t, d.Findings[0].Kind, "will-fill")
	raw, err := os.ReadFile(fromBucket)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"source": "s3://rdb-history/hist/cluster=incident/date=`, "a night names its partition")

	// The prefix without its final "/" is the same history; --nights and
	// --since read only the partitions they need.
	code, _, stderr = runCLI(t, "trend", "-q", "--nights", "3", "--history", "s3://rdb-history/hist"+histQuery, "--json", fromBucket)
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, readTrend(t, fromBucket).Nights, 3)

	// A history and a partition in the bucket as SNAPSHOT arguments.
	code, _, stderr = runCLI(t, "trend", "-q", "--json", fromBucket, remote)
	require.Equal(t, exitOK, code, stderr)
	sameTrend(t, fromLocal, fromBucket)
	// The partition as a night's source names it, without the final "/".
	part := "s3://rdb-history/" + strings.TrimSuffix(keys[len(keys)-1], "/nodes.parquet") + histQuery
	prev := "s3://rdb-history/" + strings.TrimSuffix(keys[len(keys)-3], "nodes.parquet") + histQuery
	code, _, stderr = runCLI(t, "trend", "-q", "--json", fromBucket, prev, part)
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, readTrend(t, fromBucket).Nights, 2)

	t.Run("a night run again replaces its partition", func(t *testing.T) {
		night := incidentNights()[3]
		before := historyObjects(t, s3, "rdb-history", "hist/")
		// Find the partition the night is in: the one whose nodes.parquet
		// changes when it is written again.
		old := map[string][]byte{}
		for _, k := range before {
			old[k] = s3.Get(t, "rdb-history", k)
		}
		code, _, stderr := runCLI(t, "report", "-q", "--maxmemory", "32mb", "--history", remote, "--cluster-name", "incident", night)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, before, historyObjects(t, s3, "rdb-history", "hist/"), "no object added")
		var changed []string
		for _, k := range before {
			if string(old[k]) != string(s3.Get(t, "rdb-history", k)) {
				changed = append(changed, k)
			}
		}
		require.Len(t, changed, 2, "both files of one partition rewritten")
		code, _, stderr = runCLI(t, "trend", "-q", "--history", remote, "--json", fromBucket)
		require.Equal(t, exitOK, code, stderr)
		assert.Len(t, readTrend(t, fromBucket).Nights, 5, "the night counted once")

		// A run that stopped between the two files leaves nodes.parquet
		// of one write beside families.parquet of another: trend refuses
		// the partition, naming it, until the night is run again.
		torn := changed[1]
		require.True(t, strings.HasSuffix(torn, "nodes.parquet"))
		s3.Put(t, "rdb-history", torn, old[torn])
		code, _, stderr = runCLI(t, "trend", "-q", "--history", remote, "--json", fromBucket)
		assert.Equal(t, exitFatal, code)
		assert.Contains(t, stderr, "s3://rdb-history/"+strings.TrimSuffix(torn, "/nodes.parquet")+histQuery)
		assert.Contains(t, stderr, "are of different writes")
		assert.Contains(t, stderr, "run that night again")
		code, _, stderr = runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", remote, "--cluster-name", "incident", night)
		require.Equal(t, exitOK, code, stderr)
		code, _, stderr = runCLI(t, "trend", "-q", "--history", remote, "--json", fromBucket)
		require.Equal(t, exitOK, code, stderr)
		sameTrend(t, fromLocal, fromBucket)

		// A new night that stopped before nodes.parquet: the same.
		s3.Put(t, "rdb-history", "hist/cluster=incident/date=2030-01-01/families.parquet", old[keys[0]])
		code, _, stderr = runCLI(t, "trend", "-q", "--history", remote, "--json", fromBucket)
		assert.Equal(t, exitFatal, code)
		assert.Contains(t, stderr, "date=2030-01-01/nodes.parquet"+histQuery+": missing: the partition is incomplete")
	})
}

// A history URL that cannot be used fails with a message that says why,
// before any input is read.
func TestHistoryInBucketErrors(t *testing.T) {
	s3 := objstoretest.StartS3(t)
	objstoretest.Env(t, s3.URL)
	s3.Bucket(t, "rdb-history")
	night := incidentNights()[0]
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no bucket, report", []string{"report", "-q", "--history", "s3://no-such-bucket/hist/" + histQuery, night},
			exitFatal, []string{"--history s3://no-such-bucket/hist/", `no such bucket "no-such-bucket"`}},
		{"no bucket, trend", []string{"trend", "-q", "--history", "s3://no-such-bucket/hist/" + histQuery},
			exitFatal, []string{`no such bucket "no-such-bucket"`}},
		{"empty prefix", []string{"trend", "-q", "--history", "s3://rdb-history/nothing/" + histQuery},
			exitFatal, []string{"s3://rdb-history/nothing/" + histQuery + ": no history here"}},
		{"glob", []string{"report", "-q", "--history", "s3://rdb-history/h*/" + histQuery, night},
			exitUsage, []string{"a history is a prefix"}},
		{"glob, trend", []string{"trend", "-q", "--history", "s3://rdb-history/h*/" + histQuery},
			exitUsage, []string{"a history is a prefix"}},
		{"scheme", []string{"report", "-q", "--history", "ftp://host/hist/", night},
			exitFatal, []string{"unsupported object storage scheme"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			for _, w := range tc.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
	assert.Empty(t, historyObjects(t, s3, "rdb-history", ""), "nothing written")

	t.Run("no credentials", func(t *testing.T) {
		objstoretest.IsolateAWS(t)
		for _, args := range [][]string{
			{"report", "-q", "--history", "s3://rdb-history/hist/?region=us-east-1&endpoint=" + s3.URL, night},
			{"trend", "-q", "--history", "s3://rdb-history/hist/?region=us-east-1&endpoint=" + s3.URL},
		} {
			code, _, stderr := runCLI(t, args...)
			assert.Equal(t, exitFatal, code, stderr)
			assert.Contains(t, stderr, "no credentials", args[0])
			assert.Contains(t, stderr, "AWS_ACCESS_KEY_ID", args[0])
		}
	})
}

// analyze --history s3://... through the real binary: the night of the
// incident dumps in the bucket is the partition analyze writes to a
// local directory, a second run of the night replaces it, and trend reads
// both histories the same.
func TestAnalyzeS3History(t *testing.T) {
	f := newS3Fixture(t)
	objstoretest.Env(t, f.s3.URL)
	local := filepath.Join(t.TempDir(), "history")
	remote := "s3://rdb-backups/history/" + histQuery
	for _, hist := range []string{local, remote, remote} {
		code, _, stderr := f.analyze(t, "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", s3Prefix)
		require.Equal(t, exitOK, code, stderr)
	}
	keys := f.s3.Keys(t, "rdb-backups", "history/")
	require.Len(t, keys, 2, "one partition, replaced by the second run: %v", keys)
	parts, err := filepath.Glob(filepath.Join(local, "cluster=incident", "date=*"))
	require.NoError(t, err)
	require.Len(t, parts, 1)
	assert.Equal(t, "history/cluster=incident/"+filepath.Base(parts[0])+"/families.parquet", keys[0])

	// The other incident nights (the dumps are of 2026-11-27, which none
	// of them is), then trend reads both histories the same.
	for _, hist := range []string{local, remote} {
		for _, n := range []string{"a", "c", "d", "e"} {
			code, _, stderr := runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", filepath.Join(incidentDir, n+".json"))
			require.Equal(t, exitOK, code, stderr)
		}
	}
	fromLocal, fromBucket := filepath.Join(t.TempDir(), "l.json"), filepath.Join(t.TempDir(), "b.json")
	for _, c := range []struct{ hist, out string }{{local, fromLocal}, {remote, fromBucket}} {
		msg, err := exec.Command(f.bin, "trend", "-q", "--history", c.hist, "--json", c.out).CombinedOutput()
		require.NoError(t, err, string(msg))
	}
	sameTrend(t, fromLocal, fromBucket)
	d := readTrend(t, fromBucket)
	require.Len(t, d.Nights, 5)
	assert.Equal(t, "2026-11-27", d.Nights[1].Date, "the night analyze wrote")
}

// The history in Cloud Storage and Azure Blob Storage: the trend of the
// incident nights is the one of the same history in a directory.
func TestHistoryInGCSAndAzure(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "history")
	nights := incidentNights()[:3]
	appendNights := func(t *testing.T, hist string) {
		t.Helper()
		for _, night := range nights {
			code, _, stderr := runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", night)
			require.Equal(t, exitOK, code, stderr)
		}
	}
	appendNights(t, local)
	want := filepath.Join(dir, "local.json")
	code, _, stderr := runCLI(t, "trend", "-q", "--history", local, "--json", want)
	require.Equal(t, exitOK, code, stderr)

	check := func(t *testing.T, hist string) {
		t.Helper()
		appendNights(t, hist)
		appendNights(t, hist) // the same nights again: replaced
		got := filepath.Join(t.TempDir(), "got.json")
		code, _, stderr := runCLI(t, "trend", "-q", "--history", hist, "--json", got)
		require.Equal(t, exitOK, code, stderr)
		sameTrend(t, want, got)
		assert.Len(t, readTrend(t, got).Nights, 3)
	}
	t.Run("gcs", func(t *testing.T) {
		g := objstoretest.StartGCS(t)
		objstoretest.GCSEnv(t, g.Host)
		g.Bucket("rdb-history")
		check(t, "gs://rdb-history/hist/")
	})
	t.Run("azure", func(t *testing.T) {
		host := objstoretest.StartAzurite(t)
		c := objstoretest.AzureClient(t, host)
		_, err := c.CreateContainer(context.Background(), "rdb-history", nil)
		require.NoError(t, err)
		objstoretest.AzureEnv(t)
		check(t, "azblob://rdb-history/hist/?protocol=http&domain="+host)
	})
}
