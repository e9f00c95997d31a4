package render

import (
	"os"
	"testing"
)

// TestHTMLSample writes the incident report to $RDBSCOPE_HTML_SAMPLE, for
// looking at it (and for the screenshot in docs/report.png).
func TestHTMLSample(t *testing.T) {
	out := os.Getenv("RDBSCOPE_HTML_SAMPLE")
	if out == "" {
		t.Skip("set RDBSCOPE_HTML_SAMPLE to a path to write the sample report")
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := htmlIncidentReport()
	if os.Getenv("RDBSCOPE_HTML_HOSTILE") != "" {
		r = htmlHostileReport()
	}
	if err := HTML(f, withMaxmemory(r, 4<<30, nil), HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
}
