package render

import (
	"encoding/json"
	"io"

	"github.com/rdbscope/rdbscope/aggregate"
)

// JSON writes the report as the documented JSON document (docs/json.md),
// indented for people, with sorted map keys so that two runs diff cleanly.
func JSON(w io.Writer, r *aggregate.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
