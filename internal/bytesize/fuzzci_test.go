package bytesize

import (
	"os"
	"os/exec"
	"testing"
)

// TestFuzzBriefly runs FuzzParseSize with the real fuzzing engine for a few
// seconds in CI (CI=true) or with RDBSCOPE_FUZZ=1; see the same test in
// package parse.
func TestFuzzBriefly(t *testing.T) {
	if os.Getenv("CI") != "true" && os.Getenv("RDBSCOPE_FUZZ") == "" {
		t.Skip("set RDBSCOPE_FUZZ=1 (CI sets CI=true) to run the fuzzer briefly")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the fuzzer with")
	}
	out, err := exec.Command(goTool, "test", "-run", "^$", "-fuzz", "^FuzzParseSize$", "-fuzztime", "5s", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("FuzzParseSize found a failing input:\n%s", out)
	}
}
