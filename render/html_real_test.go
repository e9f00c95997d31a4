package render

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/rdbscope/rdbscope/aggregate"
)

// TestHTMLFromJSON renders $RDBSCOPE_HTML_JSON (a report written by
// `rdbscope analyze --json`) to $RDBSCOPE_HTML_SAMPLE: the HTML view of
// real dumps, for looking at it.
func TestHTMLFromJSON(t *testing.T) {
	in, out := os.Getenv("RDBSCOPE_HTML_JSON"), os.Getenv("RDBSCOPE_HTML_SAMPLE")
	if in == "" || out == "" {
		t.Skip("set RDBSCOPE_HTML_JSON and RDBSCOPE_HTML_SAMPLE")
	}
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var r aggregate.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := HTML(f, &r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
}
