package parse

import (
	"os"
	"os/exec"
	"testing"
)

// TestFuzzBriefly runs every fuzz target of this package with the real
// fuzzing engine for a few seconds each, so that CI (which sets CI=true)
// explores new inputs on every run and not only the seed corpus. A failing
// input is printed and written to testdata/fuzz/<target>/: commit it as a
// regression test. Locally: RDBSCOPE_FUZZ=1 go test -run FuzzBriefly ./parse/
func TestFuzzBriefly(t *testing.T) {
	runFuzzTargets(t, "FuzzParse", "FuzzOpen")
}

func runFuzzTargets(t *testing.T, targets ...string) {
	if os.Getenv("CI") != "true" && os.Getenv("RDBSCOPE_FUZZ") == "" {
		t.Skip("set RDBSCOPE_FUZZ=1 (CI sets CI=true) to run the fuzzers briefly")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the fuzzer with")
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			cmd := exec.Command(goTool, "test", "-run", "^$", "-fuzz", "^"+target+"$", "-fuzztime", "8s", "-parallel", "2", ".")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s found a failing input:\n%s", target, out)
			}
		})
	}
}
