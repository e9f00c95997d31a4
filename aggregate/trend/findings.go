package trend

import (
	"fmt"
	"math"
	"sort"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// willFill flags the nodes that reach maxmemory within the horizon,
// naming the family that grows fastest on each.
func willFill(t *Trend, o *Options) []aggregate.Finding {
	var out []aggregate.Finding
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.DaysToFull == nil || *n.DaysToFull > o.HorizonDays || n.Missing {
			continue
		}
		d := *n.DaysToFull
		growth := value(n.GrowthPerDay)
		sev := aggregate.SeverityWarning
		if d <= min(o.CriticalDays, o.HorizonDays) {
			sev = aggregate.SeverityCritical
		}
		figs := aggregate.Figures{}.With(aggregate.Figure{Name: "days_to_full", Value: round2(d), Unit: aggregate.UnitDays}).
			Bytes("used", n.Used).Bytes("maxmemory", n.Maxmemory).Share("fill", n.Fill).
			Count("nights", int64(len(n.Points))).UnixMillis("full_at", *n.FullAt*1000)
		if n.GrowthPerDay != nil {
			figs = figs.With(aggregate.Figure{Name: "growth_per_day", Value: math.Round(growth), Unit: aggregate.UnitBytesPerDay})
		}
		f := aggregate.Finding{Kind: KindWillFill, Severity: sev, Node: n.Name, Memory: n.Used}
		when := fmt.Sprintf("in %s (around %s)", daysText(d), dateOf(*n.FullAt))
		if d == 0 {
			when = "already"
		}
		f.Title = fmt.Sprintf("%s will reach maxmemory %s", n.Name, when)
		if d == 0 {
			f.Title = fmt.Sprintf("%s has reached maxmemory and still grows", n.Name)
		}
		rate := "It is at or over it"
		if n.GrowthPerDay != nil {
			rate = fmt.Sprintf("Over the last %d nights it grew %s a day (%s)", len(n.Points), human(int64(growth)), Method)
		}
		f.Explanation = fmt.Sprintf("Node %s used %s of its %s maxmemory (%s) on %s. %s; at that rate it reaches maxmemory %s.",
			n.Name, human(n.Used), human(n.Maxmemory), pct(n.Fill), dateOf(n.Points[len(n.Points)-1].Time), rate, when)
		if len(n.Families) > 0 && value(n.Families[0].GrowthPerDay) > 0 {
			fam := &n.Families[0]
			fg := value(fam.GrowthPerDay)
			f.Family = fam.Name
			ttl := "with a TTL"
			if value(fam.NoTTLGrowthPerDay) >= fg/2 {
				ttl = "no TTL"
			}
			figs = figs.With(aggregate.Figure{Name: "family_growth_per_day", Value: math.Round(fg), Unit: aggregate.UnitBytesPerDay}).
				Bytes("family_memory", fam.Memory).Bytes("family_no_ttl_memory", fam.NoTTLMemory)
			f.Title += fmt.Sprintf("; %s (%s) grows %s a day", fam.Name, ttl, human(int64(fg)))
			share := ""
			if growth > 0 {
				share = fmt.Sprintf(", %s of the node's growth", pct(fg/growth))
			}
			f.Explanation += fmt.Sprintf(" The family growing fastest is %s (%s): %s now, %s a day%s.",
				fam.Name, ttl, human(fam.Memory), human(int64(fg)), share)
		}
		f.Figures = figs
		f.Explanation += " When it is full, Redis evicts under its policy (under volatile-* only keys with a TTL, " +
			"while what grows without one stays) or refuses writes with OOM errors."
		f.Advice = "Stop the growth named above before the date: find the code that writes that family, trim or delete what is " +
			"not needed (UNLINK for big keys) and give the rest a TTL or a bound. Raising maxmemory or resharding only moves the date."
		out = append(out, f)
	}
	return out
}

// runaway flags the families without TTL that grew every night, fast
// enough to matter: one finding per family, on the node where it grows
// fastest, with how many nodes it grows on.
func runaway(t *Trend, o *Options) []aggregate.Finding {
	type hit struct {
		node *Node
		fam  *Family
	}
	byName := map[string][]hit{}
	var names []string
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.Missing {
			continue
		}
		for j := range n.Families {
			f := &n.Families[j]
			g := value(f.NoTTLGrowthPerDay)
			if !f.GrewEveryNight || g < float64(o.RunawayMinPerDay) || g < o.RunawayMinShare*float64(n.Used) {
				continue
			}
			if _, ok := byName[f.Name]; !ok {
				names = append(names, f.Name)
			}
			byName[f.Name] = append(byName[f.Name], hit{n, f})
		}
	}
	var out []aggregate.Finding
	for _, name := range names {
		hits := byName[name]
		sort.SliceStable(hits, func(i, j int) bool {
			return value(hits[i].fam.NoTTLGrowthPerDay) > value(hits[j].fam.NoTTLGrowthPerDay)
		})
		top := hits[0]
		var total float64
		var mem int64
		for _, h := range hits {
			total += value(h.fam.NoTTLGrowthPerDay)
			mem += h.fam.NoTTLMemory
		}
		first := top.fam.Points[0]
		where := "on " + top.node.Name
		if len(hits) > 1 {
			where = fmt.Sprintf("on %d nodes (fastest on %s)", len(hits), top.node.Name)
		}
		out = append(out, aggregate.Finding{Kind: KindRunawayFamily, Severity: aggregate.SeverityWarning, Node: top.node.Name,
			Family: name, Memory: mem,
			Figures: aggregate.Figures{}.
				With(aggregate.Figure{Name: "no_ttl_growth_per_day", Value: math.Round(total), Unit: aggregate.UnitBytesPerDay}).
				Bytes("no_ttl_memory", mem).Count("nodes", int64(len(hits))).Count("nights", int64(len(top.fam.Points))),
			Title: fmt.Sprintf("%s grows %s a day without TTL %s", name, human(int64(total)), where),
			Explanation: fmt.Sprintf("The family %s has no TTL and grew every night for %d nights %s: on %s from %s on %s to %s on %s, "+
				"%s a day in all. Nothing expires it, and under volatile-* eviction nothing evicts it either: it grows until "+
				"someone deletes it or the node is full.",
				name, len(top.fam.Points), where, top.node.Name, human(first.NoTTLMemory), dateOf(first.Time),
				human(top.fam.NoTTLMemory), dateOf(top.fam.Points[len(top.fam.Points)-1].Time), human(int64(total))),
			Advice: "Find the code that writes this family (the name usually says it) and decide whether the data is needed: " +
				"delete or trim it, and give what stays a TTL or a bound (one key per day with EXPIRE, a capped stream).",
		})
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func daysText(d float64) string {
	switch {
	case d < 1:
		return fmt.Sprintf("%.0f hours", math.Max(1, d*24))
	case d < 1.05:
		return "1 day"
	}
	return fmt.Sprintf("%.1f days", d)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func human(b int64) string { return bytesize.Format(b, bytesize.Sentence) }
