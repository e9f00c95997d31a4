package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// incidentDumps holds the incident dumps, relative to the repository root.
const incidentDumps = "../shared/corpus/generated/incident-redis-7.0.15"

// incidentObjects are the dumps the object storage tests upload, by
// object name: node-7201 gzip-compressed, the others as they are.
func incidentObjects(t *testing.T) map[string][]byte {
	t.Helper()
	objs := map[string][]byte{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		data, err := os.ReadFile(filepath.Join(incidentDumps, n+".rdb"))
		if os.IsNotExist(err) {
			t.Skipf("incident corpus absent: %v", err)
		}
		require.NoError(t, err)
		name := n + ".rdb"
		if n == "node-7201" {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, err := zw.Write(data)
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			data, name = buf.Bytes(), n+".rdb.gz"
		}
		objs[name] = data
	}
	return objs
}

// buildRdbscope builds the real binary once per test.
func buildRdbscope(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "rdbscope")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// s3Fixture is the incident dumps both in a local directory and under
// s3://rdb-backups/nightly/ on an in-process S3 server.
type s3Fixture struct {
	bin, dir string
	s3       *objstoretest.S3
	objs     map[string][]byte
}

const s3Prefix = "s3://rdb-backups/nightly/?use_path_style=true"

func newS3Fixture(t *testing.T) *s3Fixture {
	t.Helper()
	objs := incidentObjects(t)
	f := &s3Fixture{bin: buildRdbscope(t), dir: t.TempDir(), s3: objstoretest.StartS3(t), objs: objs}
	f.s3.Bucket(t, "rdb-backups")
	for name, data := range objs {
		require.NoError(t, os.WriteFile(filepath.Join(f.dir, name), data, 0o644))
		f.s3.Put(t, "rdb-backups", "nightly/"+name, data)
	}
	// Not a dump: skipped in the prefix as in a directory.
	f.s3.Put(t, "rdb-backups", "nightly/README.txt", []byte("nightly dumps\n"))
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "README.txt"), []byte("nightly dumps\n"), 0o644))
	return f
}

// analyze runs the binary with the environment the test set (t.Setenv)
// and returns its exit code, the JSON report and stderr.
func (f *s3Fixture) analyze(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(f.bin, append([]string{"analyze", "-q", "-j", "1", "--json", out}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	report, _ := os.ReadFile(out)
	return code, report, stderr.String()
}

var (
	generatedLine = regexp.MustCompile(`"generated_at": "[^"]*"`)
	pathLine      = regexp.MustCompile(`"path": "[^"]*"`)
)

// sameReport compares two JSON reports byte for byte but for the time
// they were made and the inputs' paths.
func sameReport(t *testing.T, want, got []byte) {
	t.Helper()
	norm := func(b []byte) string {
		b = generatedLine.ReplaceAll(b, []byte(`"generated_at": ""`))
		return string(pathLine.ReplaceAll(b, []byte(`"path": ""`)))
	}
	require.NotEmpty(t, want)
	require.NotEmpty(t, got)
	assert.Equal(t, norm(want), norm(got))
}

// The incident dumps from an S3 prefix give the report the same files
// give from disk, through the real binary and the parser children, with
// the environment docs/storage.md gives for any S3-compatible store.
func TestAnalyzeS3Prefix(t *testing.T) {
	f := newS3Fixture(t)
	objstoretest.Env(t, f.s3.URL)

	code, local, stderr := f.analyze(t, f.dir)
	require.Equal(t, exitOK, code, stderr)
	code, remote, stderr := f.analyze(t, s3Prefix)
	require.Equal(t, exitOK, code, stderr)
	sameReport(t, local, remote)
	for _, p := range []string{
		"s3://rdb-backups/nightly/node-7200.rdb?use_path_style=true",
		"s3://rdb-backups/nightly/node-7201.rdb.gz?use_path_style=true",
	} {
		assert.Contains(t, string(remote), `"path": "`+p+`"`, "the node's source is its object")
	}

	t.Run("one object and a glob", func(t *testing.T) {
		code, local, stderr := f.analyze(t, filepath.Join(f.dir, "node-7201.rdb.gz"), filepath.Join(f.dir, "node-7202.rdb"))
		require.NotEqual(t, exitFatal, code, stderr)
		code, remote, stderr := f.analyze(t, "s3://rdb-backups/nightly/node-7201.rdb.gz?use_path_style=true",
			"s3://rdb-backups/nightly/node-720[2].rdb?use_path_style=true")
		require.NotEqual(t, exitFatal, code, stderr)
		sameReport(t, local, remote)
	})
	t.Run("progress", func(t *testing.T) {
		t.Setenv("TERM", "dumb")
		code, _, stderr := f.analyze(t, "--progress", "always", s3Prefix)
		require.Equal(t, exitOK, code, stderr)
		assert.Regexp(t, `node-7202: done, 5\.03 MiB read \([0-9.]+ [KMG]?i?B/s\)\n`, stderr, "bytes and rate of an object")
	})
	t.Run("diff and report", func(t *testing.T) {
		// A profile in the bucket against the dumps under the prefix: the
		// same night, so nothing changed.
		f.s3.Put(t, "rdb-backups", "profiles/night.json", local)
		out := filepath.Join(t.TempDir(), "diff.json")
		cmd := exec.Command(f.bin, "diff", "-q", "--json", out,
			"s3://rdb-backups/profiles/night.json?use_path_style=true", s3Prefix)
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, string(msg))
		d, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Contains(t, string(d), `"node-7202"`)
		assert.NotContains(t, string(d), `"severity"`, "no finding between a night and itself")

		msg, err = exec.Command(f.bin, "report", "s3://rdb-backups/profiles/night.json?use_path_style=true").CombinedOutput()
		require.NoError(t, err, string(msg))
		assert.Contains(t, string(msg), "node-7202")
		// A prefix of profiles is its *.json objects.
		f.s3.Put(t, "rdb-backups", "profiles/notes.txt", []byte("not a profile"))
		msg, err = exec.Command(f.bin, "report", "s3://rdb-backups/profiles/?use_path_style=true").CombinedOutput()
		require.NoError(t, err, string(msg))
		assert.Contains(t, string(msg), "node-7202")
	})
	t.Run("outputs", func(t *testing.T) {
		// Every output to the bucket holds what the same output on disk
		// holds, and appears only when complete.
		dir := t.TempDir()
		q := "?use_path_style=true"
		obj := func(name string) string { return "s3://rdb-backups/out/" + name + q }
		local := func(name string) string { return filepath.Join(dir, name) }
		run := func(out func(string) string) {
			t.Helper()
			cmd := exec.Command(f.bin, "analyze", "-q", "-j", "1", "--json", out("r.json"), "--html", out("r.html"),
				"--markdown", out("r.md"), "--keys", out("keys.csv"), "--top-csv", out("top.csv"), s3Prefix)
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, string(msg))
		}
		run(local)
		run(obj)
		for _, name := range []string{"r.json", "r.html", "r.md", "keys.csv", "top.csv"} {
			want, err := os.ReadFile(local(name))
			require.NoError(t, err)
			got := f.s3.Get(t, "rdb-backups", "out/"+name)
			require.NotNil(t, got, name)
			if name == "r.json" {
				sameReport(t, want, got)
				continue
			}
			norm := func(b []byte) string {
				return generatedLine.ReplaceAllString(regexp.MustCompile(`20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ|20\d\d-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC`).ReplaceAllString(string(b), "T"), "")
			}
			assert.Equal(t, norm(want), norm(got), name)
		}

		// A run that fails writes nothing; a missing bucket fails before
		// any dump is read.
		cmd := exec.Command(f.bin, "analyze", "-q", "--json", obj("failed.json"), "s3://rdb-backups/nothing-here/"+q)
		msg, err := cmd.CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(msg), "no objects under this prefix")
		assert.Nil(t, f.s3.Get(t, "rdb-backups", "out/failed.json"))
		msg, err = exec.Command(f.bin, "analyze", "-q", "--json", "s3://no-such-bucket/r.json"+q, s3Prefix).CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(msg), `--json: s3://no-such-bucket/r.json`)
		assert.Contains(t, string(msg), `no such bucket "no-such-bucket"`)

		// Never over an input, whatever the URLs' options.
		cmd = exec.Command(f.bin, "analyze", "-q", "--json", "s3://rdb-backups/nightly/node-7200.rdb?region=us-east-1&use_path_style=true",
			"s3://rdb-backups/nightly/node-7200.rdb?use_path_style=true")
		msg, err = cmd.CombinedOutput()
		require.Error(t, err)
		assert.Equal(t, exitUsage, cmd.ProcessState.ExitCode())
		assert.Contains(t, string(msg), "refusing to overwrite an input")
		assert.Equal(t, f.objs["node-7200.rdb"], f.s3.Get(t, "rdb-backups", "nightly/node-7200.rdb"))
	})
	t.Run("tar.gz archive", func(t *testing.T) {
		// An archive object is one node per dump inside, as the file is.
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, name := range []string{"node-7200.rdb", "node-7201.rdb.gz", "node-7202.rdb"} {
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: "backup/" + name, Mode: 0o644, Size: int64(len(f.objs[name]))}))
			_, err := tw.Write(f.objs[name])
			require.NoError(t, err)
		}
		require.NoError(t, tw.Close())
		require.NoError(t, zw.Close())
		path := filepath.Join(t.TempDir(), "fleet.tar.gz")
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		f.s3.Put(t, "rdb-backups", "archives/fleet.tar.gz", buf.Bytes())
		code, want, stderr := f.analyze(t, path)
		require.Equal(t, exitOK, code, stderr)
		code, got, stderr := f.analyze(t, "s3://rdb-backups/archives/fleet.tar.gz?use_path_style=true")
		require.Equal(t, exitOK, code, stderr)
		sameReport(t, want, got)
		assert.Contains(t, string(got), `"member": "backup/node-7202.rdb"`)
	})
	t.Run("in process", func(t *testing.T) {
		code, remote, stderr := f.analyze(t, "--isolate=false", s3Prefix)
		require.Equal(t, exitOK, code, stderr)
		sameReport(t, local, remote)
	})
}

// A connection cut in the middle of node-7202 (5 MB) resumes where it
// was, says so on stderr, and the report is the same.
func TestAnalyzeS3ResumesAfterCuts(t *testing.T) {
	f := newS3Fixture(t)
	objstoretest.Env(t, f.s3.URL)
	code, local, stderr := f.analyze(t, f.dir)
	require.Equal(t, exitOK, code, stderr)

	p := objstoretest.StartProxy(t, strings.TrimPrefix(f.s3.URL, "http://"))
	t.Setenv("AWS_ENDPOINT_URL", p.URL())
	// The listing, the first bytes of each object and node-7200 and
	// node-7201 come to well under 2 MB: both cuts fall in node-7202.
	p.CutAt(2<<20, 4<<20)
	code, remote, stderr := f.analyze(t, s3Prefix)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 2, p.Cuts())
	assert.Regexp(t, `node-7202\.rdb\?use_path_style=true: read failed at byte \d+ of 5273376 .*; resuming from byte \d+ in 500ms \(retry 1 of 8\)`, stderr)
	assert.Equal(t, 2, strings.Count(stderr, "resuming from byte"), stderr)
	assert.Contains(t, p.Requests(), "Range: bytes=", "resumed with a ranged read")
	sameReport(t, local, remote)
}

// An object replaced while it is read fails the node clearly: no report
// mixes two dumps.
func TestAnalyzeS3ObjectReplacedMidRead(t *testing.T) {
	f := newS3Fixture(t)
	p := objstoretest.StartProxy(t, strings.TrimPrefix(f.s3.URL, "http://"))
	objstoretest.Env(t, p.URL())
	other := f.objs["node-7200.rdb"]
	p.OnCut(func() { f.s3.Put(t, "rdb-backups", "nightly/node-7202.rdb", other) })
	p.CutAt(2 << 20)
	code, remote, stderr := f.analyze(t, "s3://rdb-backups/nightly/node-7202.rdb?use_path_style=true")
	assert.Equal(t, exitIncomplete, code, stderr)
	assert.Contains(t, stderr, "object changed during read")
	assert.Contains(t, stderr, "read it again once the new copy is complete")
	assert.Contains(t, string(remote), "object changed during read", "the node's error is in the report")
}

// gs:// and azblob:// prefixes give the same report as the files, through
// fake-gcs-server and Azurite (skipped when azurite-blob is not
// installed), in this process with its test binary as the parser child.
func TestAnalyzeGCSAndAzurePrefixes(t *testing.T) {
	objs := incidentObjects(t)
	dir := t.TempDir()
	for name, data := range objs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	analyze := func(t *testing.T, arg string) []byte {
		t.Helper()
		out := filepath.Join(t.TempDir(), "report.json")
		code, _, stderr := runCLI(t, "analyze", "-q", "-j", "2", "--json", out, arg)
		require.Equal(t, exitOK, code, stderr)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		return b
	}
	local := analyze(t, dir)

	t.Run("gs", func(t *testing.T) {
		g := objstoretest.StartGCS(t)
		objstoretest.GCSEnv(t, g.Host)
		g.Bucket("rdb-backups")
		for name, data := range objs {
			g.Put("rdb-backups", "memorystore/"+name, data)
		}
		remote := analyze(t, "gs://rdb-backups/memorystore/")
		sameReport(t, local, remote)
		assert.Contains(t, string(remote), `"path": "gs://rdb-backups/memorystore/node-7202.rdb"`)
	})
	t.Run("azblob", func(t *testing.T) {
		host := objstoretest.StartAzurite(t)
		objstoretest.AzureEnv(t)
		c := objstoretest.AzureClient(t, host)
		_, err := c.CreateContainer(context.Background(), "rdb-backups", nil)
		require.NoError(t, err)
		for name, data := range objs {
			_, err := c.UploadBuffer(context.Background(), "rdb-backups", "azure-cache/"+name, data, nil)
			require.NoError(t, err)
		}
		remote := analyze(t, "azblob://rdb-backups/azure-cache/*.rdb*?protocol=http&domain="+host)
		sameReport(t, local, remote)
	})
}

// Wrong URLs and missing credentials say what to do.
func TestAnalyzeObjectErrors(t *testing.T) {
	objstoretest.IsolateAWS(t)
	for _, k := range []string{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN"} {
		t.Setenv(k, "")
	}
	for _, tt := range []struct {
		name, arg string
		want      []string
	}{
		{"unsupported scheme", "ftp://host/dump.rdb", []string{"unsupported object storage scheme", "s3://BUCKET/KEY, gs://BUCKET/KEY, azblob://CONTAINER/BLOB"}},
		{"no credentials", "s3://rdb-backups/dump.rdb?region=us-east-1&endpoint=http://127.0.0.1:1", []string{"no credentials", "AWS_ACCESS_KEY_ID"}},
		{"no Azure account", "azblob://backups/dump.rdb", []string{"no credentials", "AZURE_STORAGE_ACCOUNT"}},
		{"credentials in the URL", "s3://KEY:SECRET@rdb-backups/dump.rdb", []string{"credentials do not belong in the URL"}},
		{"no bucket", "gs:///dump.rdb", []string{"no bucket name", "gs://BUCKET/KEY"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "analyze", "-q", tt.arg)
			assert.Equal(t, exitFatal, code)
			for _, w := range tt.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

// The bucket variants in docs/batch.md parse, need no volume, read and
// write object URLs, and fan out one pod per dump.
func TestBatchBucketManifests(t *testing.T) {
	doc, err := os.ReadFile("docs/batch.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml bucket\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	require.Len(t, blocks, 2, "a Kubernetes Job and an Argo workflow")
	for _, b := range blocks {
		var m struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				CompletionMode string `yaml:"completionMode"`
				Template       struct {
					Spec struct {
						ServiceAccountName string                   `yaml:"serviceAccountName"`
						RestartPolicy      string                   `yaml:"restartPolicy"`
						Containers         []struct{ Image string } `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
				Schedules    []string `yaml:"schedules"`
				WorkflowSpec struct {
					Entrypoint         string `yaml:"entrypoint"`
					ServiceAccountName string `yaml:"serviceAccountName"`
					Templates          []struct {
						Name string `yaml:"name"`
						DAG  *struct {
							Tasks []struct {
								Template  string `yaml:"template"`
								WithParam string `yaml:"withParam"`
							} `yaml:"tasks"`
						} `yaml:"dag"`
					} `yaml:"templates"`
				} `yaml:"workflowSpec"`
			} `yaml:"spec"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(b[1]), &m))
		assert.NotEmpty(t, m.Metadata.Name)
		assert.Contains(t, b[1], "rdbscope analyze")
		assert.NotContains(t, b[1], "volumeMounts", "no shared volume")
		switch m.Kind {
		case "Job":
			assert.Equal(t, "batch/v1", m.APIVersion)
			assert.Equal(t, "Indexed", m.Spec.CompletionMode)
			ps := m.Spec.Template.Spec
			assert.NotEmpty(t, ps.ServiceAccountName)
			assert.Equal(t, "Never", ps.RestartPolicy)
			require.Len(t, ps.Containers, 1)
			assert.NotEmpty(t, ps.Containers[0].Image)
			assert.Contains(t, b[1], "JOB_COMPLETION_INDEX")
			assert.Contains(t, b[1], `--json "s3://`)
		case "CronWorkflow":
			assert.Equal(t, "argoproj.io/v1alpha1", m.APIVersion)
			assert.NotEmpty(t, m.Spec.Schedules)
			ws := m.Spec.WorkflowSpec
			names := map[string]bool{}
			for _, tp := range ws.Templates {
				names[tp.Name] = true
			}
			assert.True(t, names[ws.Entrypoint])
			fanOut := false
			for _, tp := range ws.Templates {
				if tp.DAG != nil {
					for _, task := range tp.DAG.Tasks {
						assert.True(t, names[task.Template], task.Template)
						fanOut = fanOut || task.WithParam != ""
					}
				}
			}
			assert.True(t, fanOut)
			assert.Contains(t, b[1], `--json "gs://`)
		default:
			t.Errorf("unexpected kind %s", m.Kind)
		}
	}
}

// Which object URLs name a set of objects (as a directory does), and the
// key an output's format is read from.
func TestObjectURLForms(t *testing.T) {
	for _, tt := range []struct {
		arg, key string
		set      bool
	}{
		{"s3://b/nightly/node-1.rdb?use_path_style=true", "s3://b/nightly/node-1.rdb", false},
		{"s3://b/nightly/?use_path_style=true", "s3://b/nightly/", true},
		{"gs://b", "gs://b", true},
		{"azblob://c?localemu=true", "azblob://c", true},
		{"gs://b/nightly/*.rdb", "gs://b/nightly/*.rdb", true},
		{"azblob://c/node-720[0-2]", "azblob://c/node-720[0-2]", true},
		{"dumps/node-1.rdb", "dumps/node-1.rdb", false},
		{"dumps/", "dumps/", false},
	} {
		assert.Equal(t, tt.set, objectSet(tt.arg), tt.arg)
		assert.Equal(t, tt.key, objectKey(tt.arg), tt.arg)
	}
	f, err := keysFormat("s3://b/keys.parquet?use_path_style=true")
	require.NoError(t, err)
	assert.Equal(t, "parquet", f)
}

// trend reads its nights from a bucket as from disk: a report object is
// one night, a prefix of per-node profiles (their *.json objects) is
// another; its outputs may go to the bucket. The history stays local.
func TestTrendFromBucket(t *testing.T) {
	s3 := objstoretest.StartS3(t)
	objstoretest.Env(t, s3.URL)
	s3.Bucket(t, "rdb-reports")
	const q = "?use_path_style=true"
	dir := t.TempDir()
	night := filepath.Join(dir, "c")
	writeNodeProfiles(t, filepath.Join(incidentDir, "c.json"), night)
	var local, remote []string
	for _, n := range []string{"a", "b", "d", "e"} {
		data, err := os.ReadFile(filepath.Join(incidentDir, n+".json"))
		require.NoError(t, err)
		s3.Put(t, "rdb-reports", "nightly/"+n+".json", data)
		local = append(local, filepath.Join(incidentDir, n+".json"))
		remote = append(remote, "s3://rdb-reports/nightly/"+n+".json"+q)
	}
	ents, err := os.ReadDir(night)
	require.NoError(t, err)
	require.Len(t, ents, 3)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(night, e.Name()))
		require.NoError(t, err)
		s3.Put(t, "rdb-reports", "nightly/c/"+e.Name(), data)
	}
	s3.Put(t, "rdb-reports", "nightly/c/README.txt", []byte("profiles of one night\n"))
	local = append(local, night)
	remote = append(remote, "s3://rdb-reports/nightly/c/"+q)

	js := filepath.Join(dir, "t.json")
	code, _, stderr := runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--json", js}, local...)...)
	require.Equal(t, exitOK, code, stderr)
	out := "s3://rdb-reports/trend/t.json" + q
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--json", out}, remote...)...)
	require.Equal(t, exitOK, code, stderr)
	want, err := os.ReadFile(js)
	require.NoError(t, err)
	got := s3.Get(t, "rdb-reports", "trend/t.json")
	require.NotNil(t, got, "the trend's JSON is in the bucket")
	source := regexp.MustCompile(`"source": "[^"]*"`)
	norm := func(b []byte) string {
		return source.ReplaceAllString(generatedLine.ReplaceAllString(string(b), ""), "")
	}
	assert.Equal(t, norm(want), norm(got))
	d := readTrend(t, js)
	assert.Len(t, d.Nights, 5, "the prefix is one night")

	// A history in the bucket: report appends to it and trend reads it
	// beside the other nights (TestHistoryInBucket has the rest), and no
	// local directory named "s3:" is made.
	hist := "s3://rdb-reports/history/" + q
	code, _, stderr = runCLI(t, "report", "-q", "--maxmemory", "24mb", "--history", hist, "--cluster-name", "incident", remote[0])
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, append([]string{"trend", "-q", "--maxmemory", "24mb", "--json", js, "--history", hist}, remote[1:]...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, readTrend(t, js).Nights, 5)
	wd, err := os.Getwd()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(wd, "s3:"))
	assert.True(t, os.IsNotExist(err), "no directory s3: made")
}
