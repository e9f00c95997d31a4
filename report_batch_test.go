package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The fan-out of docs/batch.md, for real: the built binary, sh and xargs
// -P, then report; the merge equals one analyze over the same dumps.
func TestBatchXargs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tool := range []string{"sh", "xargs", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "rdbscope"), ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	for _, n := range sampleNodes {
		b, err := os.ReadFile(filepath.Join("testdata", "sample", n+".rdb"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, n+".rdb"), b, 0o644))
	}
	sh := func(script string) (string, error) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = dir
		var o bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &o
		err := cmd.Run()
		return o.String(), err
	}
	out2, err := sh(`ls *.rdb | xargs -P 2 -I{} ./rdbscope analyze -q --json {}.json {}`)
	require.NoError(t, err, out2)
	assert.Empty(t, out2, "-q: nothing on stdout or stderr")
	out2, err = sh(`./rdbscope report -q --json cluster.json --html cluster.html *.rdb.json && ./rdbscope analyze -q --json all.json --html all.html *.rdb`)
	require.NoError(t, err, out2)
	assert.Equal(t, normJSON(t, filepath.Join(dir, "all.json")), normJSON(t, filepath.Join(dir, "cluster.json")))
	assert.Equal(t, normHTML(t, filepath.Join(dir, "all.html")), normHTML(t, filepath.Join(dir, "cluster.html")))

	// The exit code carries through for cron: 4 at --fail-on critical.
	_, err = sh(`./rdbscope report -q --fail-on critical *.rdb.json`)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitFindings, ee.ExitCode())
}

// Local mirrors of the batch/v1 Job fields the manifests use: decoding
// with KnownFields rejects any field that is misspelt or misplaced.
type k8sJob struct {
	k8sHead `yaml:",inline"`
	Spec    k8sJobSpec `yaml:"spec"`
}

// k8sHead is what every manifest starts with.
type k8sHead struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
}

// k8sJobSpec mirrors the batch/v1 JobSpec fields docs/batch.md uses.
type k8sJobSpec struct {
	CompletionMode          string `yaml:"completionMode"`
	Completions             *int   `yaml:"completions"`
	Parallelism             *int   `yaml:"parallelism"`
	BackoffLimit            *int   `yaml:"backoffLimit"`
	BackoffLimitPerIndex    *int   `yaml:"backoffLimitPerIndex"`
	MaxFailedIndexes        *int   `yaml:"maxFailedIndexes"`
	TTLSecondsAfterFinished *int   `yaml:"ttlSecondsAfterFinished"`
	Template                struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec k8sPodSpec `yaml:"spec"`
	} `yaml:"template"`
}

type k8sPodSpec struct {
	RestartPolicy string `yaml:"restartPolicy"`
	Containers    []struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"persistentVolumeClaim"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

// k8sCronJob mirrors the batch/v1 CronJob fields docs/batch.md uses.
type k8sCronJob struct {
	k8sHead `yaml:",inline"`
	Spec    struct {
		Schedule                   string `yaml:"schedule"`
		TimeZone                   string `yaml:"timeZone"`
		ConcurrencyPolicy          string `yaml:"concurrencyPolicy"`
		SuccessfulJobsHistoryLimit *int   `yaml:"successfulJobsHistoryLimit"`
		FailedJobsHistoryLimit     *int   `yaml:"failedJobsHistoryLimit"`
		JobTemplate                struct {
			Spec k8sJobSpec `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

// The manifests in docs/batch.md parse and have what Kubernetes and Argo
// require; docs/batch.md says what else was checked.
func TestBatchManifests(t *testing.T) {
	doc, err := os.ReadFile("docs/batch.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	require.Len(t, blocks, 4, "a CronJob, two Jobs and one workflow")
	kinds := map[string]int{}
	for _, b := range blocks {
		var head struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(b[1]), &head))
		kinds[head.APIVersion+" "+head.Kind]++
		switch head.Kind {
		case "Job":
			var j k8sJob
			decodeStrict(t, b[1], &j)
			assert.Equal(t, "batch/v1", j.APIVersion)
			assert.NotEmpty(t, j.Metadata.Name)
			checkJobSpec(t, j.Spec)
			if j.Metadata.Name == "rdbscope-analyze" {
				assert.Equal(t, "Indexed", j.Spec.CompletionMode)
				require.NotNil(t, j.Spec.Completions)
				require.NotNil(t, j.Spec.Parallelism)
				assert.LessOrEqual(t, *j.Spec.Parallelism, *j.Spec.Completions)
				assert.Contains(t, j.Spec.Template.Spec.Containers[0].Args[0], "JOB_COMPLETION_INDEX")
			}
		case "CronJob":
			var j k8sCronJob
			decodeStrict(t, b[1], &j)
			assert.Equal(t, "batch/v1", j.APIVersion)
			assert.NotEmpty(t, j.Metadata.Name)
			assert.Len(t, strings.Fields(j.Spec.Schedule), 5, "a cron schedule")
			assert.Equal(t, "Forbid", j.Spec.ConcurrencyPolicy, "two nights never run at once")
			checkJobSpec(t, j.Spec.JobTemplate.Spec)
		case "CronWorkflow", "Workflow":
			var w struct {
				APIVersion string `yaml:"apiVersion"`
				Metadata   struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
				Spec struct {
					Schedules    []string `yaml:"schedules"`
					WorkflowSpec struct {
						Entrypoint string `yaml:"entrypoint"`
						Volumes    []struct {
							Name string `yaml:"name"`
						} `yaml:"volumes"`
						Templates []struct {
							Name string `yaml:"name"`
							DAG  *struct {
								Tasks []struct {
									Name      string `yaml:"name"`
									Template  string `yaml:"template"`
									Depends   string `yaml:"depends"`
									WithParam string `yaml:"withParam"`
								} `yaml:"tasks"`
							} `yaml:"dag"`
							Container *struct {
								Name  string `yaml:"name"`
								Image string `yaml:"image"`
							} `yaml:"container"`
							Script *struct {
								Name   string `yaml:"name"`
								Image  string `yaml:"image"`
								Source string `yaml:"source"`
							} `yaml:"script"`
						} `yaml:"templates"`
					} `yaml:"workflowSpec"`
				} `yaml:"spec"`
			}
			require.NoError(t, yaml.Unmarshal([]byte(b[1]), &w))
			assert.Equal(t, "argoproj.io/v1alpha1", w.APIVersion)
			assert.NotEmpty(t, w.Metadata.Name)
			assert.NotEmpty(t, w.Spec.Schedules)
			ws := w.Spec.WorkflowSpec
			names := map[string]bool{}
			for _, tp := range ws.Templates {
				names[tp.Name] = true
				if tp.Container != nil {
					assert.NotEmpty(t, tp.Container.Name, tp.Name)
					assert.NotEmpty(t, tp.Container.Image, tp.Name)
				}
				if tp.Script != nil {
					assert.NotEmpty(t, tp.Script.Image, tp.Name)
					assert.NotEmpty(t, tp.Script.Source, tp.Name)
				}
			}
			assert.True(t, names[ws.Entrypoint], "entrypoint %s is a template", ws.Entrypoint)
			fanOut := false
			for _, tp := range ws.Templates {
				if tp.DAG == nil {
					continue
				}
				for _, task := range tp.DAG.Tasks {
					assert.True(t, names[task.Template], "task %s uses template %s", task.Name, task.Template)
					fanOut = fanOut || task.WithParam != ""
				}
			}
			assert.True(t, fanOut, "one pod per dump")
		default:
			t.Errorf("unexpected kind %s", head.Kind)
		}
	}
	assert.Equal(t, map[string]int{"batch/v1 CronJob": 1, "batch/v1 Job": 2, "argoproj.io/v1alpha1 CronWorkflow": 1}, kinds)
}

// decodeStrict decodes a manifest into v, refusing unknown fields.
func decodeStrict(t *testing.T, manifest string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(manifest))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v))
}

// checkJobSpec checks a Job's pod: restart policy, containers with an
// image and an rdbscope command, every mount naming a declared volume.
func checkJobSpec(t *testing.T, spec k8sJobSpec) {
	t.Helper()
	ps := spec.Template.Spec
	assert.Contains(t, []string{"Never", "OnFailure"}, ps.RestartPolicy)
	require.NotEmpty(t, ps.Containers)
	vols := map[string]bool{}
	for _, v := range ps.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			assert.NotEmpty(t, v.PersistentVolumeClaim.ClaimName)
		case v.ConfigMap != nil:
			assert.NotEmpty(t, v.ConfigMap.Name)
		default:
			t.Errorf("volume %s: no source", v.Name)
		}
		vols[v.Name] = true
	}
	for _, c := range ps.Containers {
		assert.NotEmpty(t, c.Name)
		assert.NotEmpty(t, c.Image)
		assert.NotEmpty(t, c.Command)
		assert.Contains(t, strings.Join(c.Args, " "), "rdbscope ")
		for _, m := range c.VolumeMounts {
			assert.True(t, vols[m.Name], "volumeMount %s names a volume", m.Name)
		}
	}
}

// The nightly jobs of docs/batch.md keep every night: nothing is removed
// or written to a fixed place; each night goes to a run directory of its
// own and to the history; the forecast runs and fails the job on
// critical findings; diff runs against the previous night; a missing
// node is caught.
func TestBatchNightly(t *testing.T) {
	doc, err := os.ReadFile("docs/batch.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	var all strings.Builder
	for _, b := range blocks {
		assert.NotContains(t, b[1], "rm ", "a job never removes results")
		assert.NotContains(t, b[1], "/work/out/", "outputs go to the run's directory")
		for _, m := range regexp.MustCompile(`--(?:json|html|metrics) "?([^ "]+)`).FindAllStringSubmatch(b[1], -1) {
			assert.Contains(t, m[1], "$", "output %s is under the run's directory", m[1])
		}
		all.WriteString(b[1])
	}
	jobs := all.String()
	assert.Contains(t, jobs, "--history /work/history")
	assert.Contains(t, jobs, "rdbscope trend --fail-on critical")
	assert.Contains(t, jobs, "rdbscope diff ")
	assert.Contains(t, jobs, "--cluster-nodes /config/cluster-nodes.txt")
	assert.Contains(t, jobs, `mkdir "$run"`, "the CronJob's run directory is new")
	assert.Contains(t, jobs, `mkdir "/work/runs/$RUN"`, "the workflow's run directory is new")
}
