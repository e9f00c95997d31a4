package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diff"
)

// DiffText writes the terminal summary of a diff: findings first, then one
// row per scope, then per scope what moved (types, families, keys).
// opts.Width and opts.Color lay it out as for Text; the other options are
// not used.
func DiffText(w io.Writer, d *diff.Diff, opts TextOptions) error {
	ew := &errWriter{w: w}
	l := opts.layout()
	fmt.Fprintf(ew, "%s\n\n", l.p.heading(fmt.Sprintf("DIFF %s → %s (%s)", diffWhen(d.Old), diffWhen(d.New), diffModeText(d))))
	// Node sets that differ are why a diff is merged: say which first.
	for _, warn := range d.Warnings {
		writeHanging(ew, l.p.severity(aggregate.SeverityWarning, "warning:")+" ", aggregate.CleanText(warn), l.width, "  ")
	}
	if len(d.Warnings) > 0 {
		fmt.Fprintln(ew)
	}
	textFindings(ew, l, d.Findings)
	if len(d.Findings) == 0 {
		fmt.Fprint(ew, "No findings.\n\n")
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SCOPE\tKEYS\tΔ KEYS\tMEMORY OLD\tMEMORY NEW\tΔ MEMORY\tΔ %\tNO-TTL Δ\tEST. USED Δ\t")
	for _, s := range d.Scopes {
		name := s.Name
		if s.All {
			name = "ALL NODES"
		}
		fmt.Fprintf(tw, "%s\t%d\t%+d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", displayKey(name), s.Keys.New, s.Keys.Delta,
			textBytes(s.Memory.Old), textBytes(s.Memory.New), signedBytes(s.Memory.Delta), diffPctText(s.Memory),
			signedBytes(s.NoTTLMemory.Delta), signedBytes(s.EstimatedUsedMemory.Delta))
	}
	tw.Flush()
	for _, s := range d.Scopes {
		diffTextScope(ew, &s)
	}
	return ew.err
}

func diffWhen(s diff.Side) string {
	if s.DumpTime > 0 {
		return time.Unix(s.DumpTime, 0).UTC().Format("2006-01-02 15:04Z")
	}
	if s.GeneratedAt != "" {
		return s.GeneratedAt
	}
	return "?"
}

func diffModeText(d *diff.Diff) string {
	if d.Mode == diff.ModeNodes {
		return diffPlural(len(d.New.Nodes), "node") + ", node by node"
	}
	return diffPlural(len(d.Old.Nodes), "node") + " → " + diffPlural(len(d.New.Nodes), "node") + ", merged"
}

func signedBytes(n int64) string {
	if n > 0 {
		return "+" + textBytes(n)
	}
	if n == 0 {
		return "0"
	}
	return textBytes(n)
}

func diffPctText(c diff.Change) string {
	if c.Old == 0 {
		if c.New == 0 {
			return "0%"
		}
		return "new"
	}
	return fmt.Sprintf("%+.1f%%", c.Ratio*100)
}

func diffTextScope(w io.Writer, s *diff.Scope) {
	name := s.Name
	if s.All {
		name = "all nodes"
	}
	name = displayKey(name)
	moved := false
	for _, t := range s.ByType {
		moved = moved || t.Memory.Delta != 0 || t.Keys.Delta != 0
	}
	if moved {
		fmt.Fprintf(w, "\n%s: BY TYPE\n", strings.ToUpper(name))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  TYPE\tKEYS\tΔ KEYS\tMEMORY\tΔ MEMORY\tΔ %\t")
		for _, t := range s.ByType {
			if t.Memory.Delta == 0 && t.Keys.Delta == 0 {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%d\t%+d\t%s\t%s\t%s\t\n", t.Type, t.Keys.New, t.Keys.Delta, textBytes(t.Memory.New),
				signedBytes(t.Memory.Delta), diffPctText(t.Memory))
		}
		tw.Flush()
	}
	if len(s.Families) > 0 {
		fmt.Fprintf(w, "\n%s: FAMILIES THAT MOVED MOST\n", strings.ToUpper(name))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  FAMILY\tKEYS\tMEMORY OLD\tMEMORY NEW\tΔ MEMORY\tNO-TTL KEYS")
		for _, f := range s.Families {
			fmt.Fprintf(tw, "  %s\t%d → %d\t%s\t%s\t%s\t%s → %s\n", displayKey(string(f.Name)), f.Keys.Old, f.Keys.New,
				textBytes(f.Memory.Old), textBytes(f.Memory.New), signedBytes(f.Memory.Delta),
				Percent(f.NoTTLKeys.Old, f.Keys.Old), Percent(f.NoTTLKeys.New, f.Keys.New))
		}
		tw.Flush()
	}
	if len(s.TopKeys) > 0 {
		fmt.Fprintf(w, "\n%s: BIGGEST KEYS THAT MOVED\n", strings.ToUpper(name))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  NODE\tDB\tKEY\tSTATUS\tOLD\tNEW\tΔ\tTTL")
		for _, k := range s.TopKeys {
			node := k.Node
			if node == "" {
				node = s.Name
			}
			oldM, newM, ttl := "-", "-", ""
			if k.Old != nil {
				oldM = textBytes(k.Old.Memory)
				ttl = diffTTLWord(int64(k.Old.ExpiresAt))
			}
			if k.New != nil {
				newM = textBytes(k.New.Memory)
				if ttl != "" {
					ttl += " → "
				}
				ttl += diffTTLWord(int64(k.New.ExpiresAt))
			}
			delta := signedBytes(k.Delta)
			if k.AtLeast {
				delta = "≥" + delta
				if k.Delta < 0 {
					delta = "≤" + signedBytes(k.Delta)
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", displayKey(node), k.DB, displayKey(string(k.Key)), k.Status, oldM, newM, delta, ttl)
		}
		tw.Flush()
	}
}

func diffTTLWord(expiresAt int64) string {
	if expiresAt == 0 {
		return "none"
	}
	return "ttl"
}

func diffPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// DiffJSON writes the diff document, indented, as docs/diff.md describes.
func DiffJSON(w io.Writer, d *diff.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
