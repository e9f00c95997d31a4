package trend

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/history"
)

const (
	day = 86400
	mb  = 1 << 20
	t0  = 1_795_000_000 // 2026-11-18T08:26:40Z
)

// fam is a family row: memory mem, of which noTTL without TTL.
func fam(name string, mem, noTTL int64) history.Family {
	return history.Family{Name: aggregate.KeyName(name), Keys: mem / 100, Memory: mem, NoTTLKeys: noTTL / 100, NoTTLMemory: noTTL}
}

func other(mem int64) history.Family {
	return history.Family{Name: aggregate.OtherGroup, Other: true, Keys: 1, Memory: mem}
}

// rec is a node record using used bytes, with the given families.
func rec(name string, used int64, fams ...history.Family) history.Node {
	n := history.Node{Name: name, Used: used, Memory: used, Complete: true, Families: fams}
	for _, f := range fams {
		n.NoTTLMemory += f.NoTTLMemory
	}
	return n
}

func slots(n history.Node, ranges ...string) history.Node {
	n.Slots = ranges
	return n
}

func withMax(n history.Node, mm int64) history.Node {
	n.Maxmemory = mm
	return n
}

func night(i int, nodes ...history.Node) *history.Snapshot {
	return &history.Snapshot{Cluster: "prod", Time: t0 + int64(i)*day, Nodes: nodes}
}

// growing is n nights of one node growing by step a day from base, with
// maxmemory mm; its family "log" (no TTL) makes the growth.
func growing(n int, base, step, mm int64) []*history.Snapshot {
	var out []*history.Snapshot
	for i := range n {
		used := base + int64(i)*step
		out = append(out, night(i, withMax(rec("node-1", used, fam("log", used-base+mb, used-base+mb), fam("user:*", base-mb, 0)), mm),
			withMax(rec("node-2", base, fam("user:*", base, 0)), mm)))
	}
	return out
}

func kinds(t *Trend) []string {
	var out []string
	for _, f := range t.Findings {
		out = append(out, f.Kind+"/"+f.Severity.String()+"/"+f.Node+"/"+f.Family)
	}
	return out
}

func node(t *testing.T, tr *Trend, name string) *Node {
	t.Helper()
	for i := range tr.Nodes {
		if tr.Nodes[i].Name == name {
			return &tr.Nodes[i]
		}
	}
	require.Failf(t, "no node", "%s in %v", name, tr.Nodes)
	return nil
}

func TestForecast(t *testing.T) {
	tests := []struct {
		name  string
		snaps func() []*history.Snapshot
		opts  func(*Options)
		check func(t *testing.T, tr *Trend)
	}{{
		name: "a node growing 10 MiB a day reaches its 100 MiB in 4 days: will-fill names the family",
		snaps: func() []*history.Snapshot {
			s := growing(5, 20*mb, 10*mb, 100*mb)
			// Given in another order than taken.
			return []*history.Snapshot{s[3], s[0], s[4], s[2], s[1]}
		},
		check: func(t *testing.T, tr *Trend) {
			require.Len(t, tr.Nights, 5)
			for i := 1; i < 5; i++ {
				assert.Less(t, tr.Nights[i-1].Time, tr.Nights[i].Time, "nights in time order")
			}
			assert.Equal(t, int64(t0+4*day), tr.Now)
			n := node(t, tr, "node-1")
			assert.InDelta(t, 10*mb, *n.GrowthPerDay, 1)
			require.NotNil(t, n.DaysToFull)
			assert.InDelta(t, 4.0, *n.DaysToFull, 1e-6)
			assert.Equal(t, int64(t0+8*day), *n.FullAt)
			assert.InDelta(t, 0.6, n.Fill, 1e-9)
			assert.Equal(t, "node-1", tr.Nodes[0].Name, "the node filling first leads")
			assert.Nil(t, node(t, tr, "node-2").DaysToFull, "a flat node never fills")
			assert.Equal(t, []string{"will-fill/critical/node-1/log", "runaway-family/warning/node-1/log"}, kinds(tr))
			f := tr.Findings[0]
			assert.Contains(t, f.Title, "node-1 will reach maxmemory in 4.0 days")
			assert.Contains(t, f.Title, "log (no TTL) grows 10.0 MiB a day")
			d, _ := f.Figures.Get("days_to_full")
			assert.Equal(t, aggregate.UnitDays, d.Unit)
			assert.InDelta(t, 4.0, d.Value, 1e-9)
			g, _ := f.Figures.Get("family_growth_per_day")
			assert.Equal(t, aggregate.UnitBytesPerDay, g.Unit)
			assert.Equal(t, float64(10*mb), g.Value)
			fl := n.Families[0]
			assert.Equal(t, "log", fl.Name)
			assert.True(t, fl.GrewEveryNight)
			assert.InDelta(t, 10*mb, *fl.NoTTLGrowthPerDay, 1)
			assert.InDelta(t, 0, *fl.TTLGrowthPerDay, 1)
			assert.Contains(t, tr.Findings[1].Title, "log grows 10.0 MiB a day without TTL on node-1")
		},
	}, {
		name:  "beyond the critical days a will-fill is a warning; beyond the horizon, nothing",
		snaps: func() []*history.Snapshot { return growing(3, 20*mb, 8*mb, 100*mb) }, // 36 MiB used: 8 days
		opts:  func(o *Options) { o.CriticalDays = 5 },
		check: func(t *testing.T, tr *Trend) {
			assert.Equal(t, []string{"will-fill/warning/node-1/log", "runaway-family/warning/node-1/log"}, kinds(tr))
		},
	}, {
		name:  "the horizon",
		snaps: func() []*history.Snapshot { return growing(3, 20*mb, 8*mb, 100*mb) },
		opts:  func(o *Options) { o.HorizonDays = 7 },
		check: func(t *testing.T, tr *Trend) {
			assert.Equal(t, []string{"runaway-family/warning/node-1/log"}, kinds(tr))
			assert.InDelta(t, 8.0, *node(t, tr, "node-1").DaysToFull, 1e-6)
			assert.Equal(t, 7.0, tr.HorizonDays)
		},
	}, {
		name: "one night of a mid-flush dump does not move a robust rate",
		snaps: func() []*history.Snapshot {
			s := growing(7, 20*mb, 2*mb, 100*mb)
			s[3].Nodes[0].Used = 90 * mb
			return s
		},
		check: func(t *testing.T, tr *Trend) {
			n := node(t, tr, "node-1")
			// Least squares would give about 4.4 MiB a day.
			assert.InDelta(t, 2*mb, *n.GrowthPerDay, 1)
			assert.InDelta(t, (100.0-32)/2, *n.DaysToFull, 1e-6)
		},
	}, {
		name: "maxmemory from the configuration wins; unknown maxmemory has no days to full",
		snaps: func() []*history.Snapshot {
			s := growing(3, 20*mb, 10*mb, 0)
			s[2].Nodes[1].Maxmemory = 50 * mb
			return s
		},
		opts: func(o *Options) { o.Config = &aggregate.Config{MaxmemoryByNode: map[string]int64{"node-1": 60 * mb}} },
		check: func(t *testing.T, tr *Trend) {
			assert.InDelta(t, 2.0, *node(t, tr, "node-1").DaysToFull, 1e-6)
			assert.Equal(t, int64(60*mb), node(t, tr, "node-1").Maxmemory)
			n2 := node(t, tr, "node-2")
			assert.Equal(t, int64(50*mb), n2.Maxmemory, "what the snapshot recorded")
			assert.Nil(t, n2.DaysToFull)
		},
	}, {
		name: "a full node still growing fills in 0 days",
		snaps: func() []*history.Snapshot {
			return []*history.Snapshot{night(0, withMax(rec("a", 90*mb), 100*mb)), night(1, withMax(rec("a", 101*mb), 100*mb))}
		},
		check: func(t *testing.T, tr *Trend) {
			assert.Equal(t, 0.0, *tr.Nodes[0].DaysToFull)
			require.Len(t, tr.Findings, 1)
			assert.Equal(t, "a has reached maxmemory and still grows", tr.Findings[0].Title)
		},
	}, {
		name: "dumps named by date are matched by their slots; a renamed node by its identity",
		snaps: func() []*history.Snapshot {
			var out []*history.Snapshot
			for i := range 4 {
				d := "2026-11-2" + string(rune('0'+i))
				a := slots(rec("prod-"+d+"-0001", 10*mb+int64(i)*mb), "0-8191")
				b := slots(rec("prod-"+d+"-0002", 30*mb), "8192-16383")
				if i%2 == 1 {
					a, b = b, a // the numbering follows the listing, not the node
					a.Name, b.Name = b.Name, a.Name
				}
				c := rec("host-"+string(rune('a'+i)), 5*mb)
				c.Identity = "cccc"
				out = append(out, night(i, a, b, c))
			}
			return out
		},
		check: func(t *testing.T, tr *Trend) {
			require.Len(t, tr.Nodes, 3, "three nodes, not twelve")
			a := tr.Nodes[0]
			assert.Equal(t, []string{"0-8191"}, a.Slots)
			assert.InDelta(t, mb, *a.GrowthPerDay, 1)
			assert.Len(t, a.Points, 4)
			assert.Len(t, a.Aliases, 3)
			c := node(t, tr, "host-d")
			assert.Equal(t, []string{"host-a", "host-b", "host-c"}, c.Aliases)
			assert.Equal(t, "cccc", c.Identity)
			assert.Empty(t, tr.Warnings)
		},
	}, {
		name: "a node without a record on the latest night is missing, with a warning and no forecast finding",
		snaps: func() []*history.Snapshot {
			s := growing(4, 20*mb, 20*mb, 100*mb)
			s[3].Nodes = s[3].Nodes[1:]
			return s
		},
		check: func(t *testing.T, tr *Trend) {
			n := node(t, tr, "node-1")
			assert.True(t, n.Missing)
			assert.Empty(t, kinds(tr))
			require.Len(t, tr.Warnings, 1)
			assert.Contains(t, tr.Warnings[0], "node node-1 has no record on the latest night")
			assert.Equal(t, 2, tr.Nights[0].Nodes)
			assert.Equal(t, 1, tr.Nights[3].Nodes)
		},
	}, {
		name: "runaway-family: only a family without TTL that grew every night, fast enough",
		snaps: func() []*history.Snapshot {
			var out []*history.Snapshot
			flat := []int64{1, 2, 2, 3}
			for i := range 4 {
				g := int64(i) * 4 * mb
				out = append(out, night(i,
					rec("a", 200*mb+g, fam("audit:*", 10*mb+g, 10*mb+g), fam("session:*", 10*mb+g, 0), fam("paused:*", flat[i]*4*mb, flat[i]*4*mb),
						fam("slow:*", 10*mb+int64(i)*mb/2, 10*mb+int64(i)*mb/2), fam("big:*", 100*mb, 100*mb)),
					rec("b", 100*mb+g, fam("audit:*", 5*mb+g/2, 5*mb+g/2))))
			}
			return out
		},
		check: func(t *testing.T, tr *Trend) {
			assert.Equal(t, []string{"runaway-family/warning/a/audit:*"}, kinds(tr))
			f := tr.Findings[0]
			assert.Contains(t, f.Title, "audit:* grows 6.0 MiB a day without TTL on 2 nodes (fastest on a)")
			nodes, _ := f.Figures.Get("nodes")
			assert.Equal(t, 2.0, nodes.Value)
			assert.Equal(t, int64(22*mb+11*mb), f.Memory)
			s := node(t, tr, "a").Families
			byName := map[string]Family{}
			for _, f := range s {
				byName[f.Name] = f
			}
			assert.InDelta(t, 4*mb, *byName["session:*"].TTLGrowthPerDay, 1)
			assert.InDelta(t, 0, *byName["session:*"].NoTTLGrowthPerDay, 1)
			assert.False(t, byName["paused:*"].GrewEveryNight)
			assert.True(t, byName["slow:*"].GrewEveryNight, "grew every night, but 0.5 MiB a day is below 1 MiB")
			assert.NotContains(t, byName, "big:*", "a family that does not grow is not listed")
		},
	}, {
		name: "families that appeared; nights where a family was below the top are unknown, not zero",
		snaps: func() []*history.Snapshot {
			return []*history.Snapshot{
				night(0, rec("a", 10*mb, fam("user:*", 10*mb, 0))),
				night(1, rec("a", 12*mb, fam("user:*", 10*mb, 0), fam("new:*", 2*mb, 2*mb))),
				night(2, rec("a", 14*mb, fam("user:*", 10*mb, 0), fam("new:*", 4*mb, 4*mb), other(mb))),
				night(3, rec("a", 16*mb, fam("new:*", 6*mb, 6*mb), other(11*mb))),
			}
		},
		check: func(t *testing.T, tr *Trend) {
			fs := tr.Nodes[0].Families
			require.Len(t, fs, 1, "user:* does not grow (its unknown last night is skipped)")
			f := fs[0]
			assert.Equal(t, "new:*", f.Name)
			assert.True(t, f.Appeared)
			assert.Equal(t, int64(t0+day), f.FirstSeen)
			assert.Len(t, f.Points, 4, "zero on the first night, whose families were all listed")
			assert.Equal(t, int64(0), f.Points[0].Memory)
			assert.True(t, f.GrewEveryNight)
			assert.InDelta(t, 2*mb, *f.GrowthPerDay, 1)
		},
	}, {
		name:  "one night: no rate, a warning",
		snaps: func() []*history.Snapshot { return growing(1, 20*mb, 10*mb, 100*mb) },
		check: func(t *testing.T, tr *Trend) {
			assert.Nil(t, tr.Nodes[0].GrowthPerDay)
			assert.Nil(t, tr.Nodes[0].DaysToFull)
			assert.Equal(t, []string{"one night only: no growth rate, no forecast"}, tr.Warnings)
			assert.Empty(t, tr.Findings)
		},
	}, {
		name: "the latest nights only; outsiders left out",
		snaps: func() []*history.Snapshot {
			s := growing(6, 20*mb, 10*mb, 1000*mb)
			s[5].Nodes = append(s[5].Nodes, history.Node{Name: "appendonly.aof.1.base.rdb", Outsider: aggregate.OutsiderAOFBase})
			return s
		},
		opts: func(o *Options) { o.Nights = 3 },
		check: func(t *testing.T, tr *Trend) {
			assert.Len(t, tr.Nights, 3)
			assert.Len(t, tr.Nodes, 2)
			assert.Len(t, tr.Nodes[0].Points, 3)
			assert.Equal(t, 2, tr.Nights[2].Nodes)
			assert.Contains(t, tr.Warnings[0], "6 nights given: the forecast uses the latest 3")
			assert.Contains(t, tr.Warnings[1], "appendonly.aof.1.base.rdb")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			if tt.opts != nil {
				tt.opts(&o)
			}
			tr, err := Forecast(tt.snaps(), aggregate.Tool{Name: "rdbscope"}, o)
			require.NoError(t, err)
			tt.check(t, tr)
			for _, f := range tr.Findings {
				assert.NotEmpty(t, f.Title)
				assert.NotEmpty(t, f.Explanation)
				assert.NotEmpty(t, f.Advice)
				for _, fig := range f.Figures {
					assert.NotEqual(t, aggregate.UnitNone, fig.Unit, "%s of %s has a unit", fig.Name, f.Kind)
				}
			}
			again, err := Forecast(tt.snaps(), aggregate.Tool{Name: "rdbscope"}, o)
			require.NoError(t, err)
			assert.Equal(t, tr, again, "deterministic")
		})
	}
}

func TestForecastErrors(t *testing.T) {
	_, err := Forecast(nil, aggregate.Tool{}, DefaultOptions())
	assert.ErrorContains(t, err, "no snapshot")
	a, b := night(0, rec("a", 1)), night(1, rec("a", 1))
	b.Cluster = "other"
	_, err = Forecast([]*history.Snapshot{a, b}, aggregate.Tool{}, DefaultOptions())
	assert.ErrorContains(t, err, "two clusters (prod and other)")
	a, b = night(0, rec("a", 1)), night(0, rec("a", 1))
	a.Source, b.Source = "x.json", "y.json"
	_, err = Forecast([]*history.Snapshot{a, b}, aggregate.Tool{}, DefaultOptions())
	assert.ErrorContains(t, err, "x.json and y.json were taken at the same time")
}

func TestDocument(t *testing.T) {
	tr, err := Forecast(growing(3, 20*mb, 10*mb, 100*mb), aggregate.Tool{Name: "rdbscope", Version: "test"}, DefaultOptions())
	require.NoError(t, err)
	raw, err := json.Marshal(tr)
	require.NoError(t, err)
	var doc struct {
		Kind          string `json:"kind"`
		SchemaVersion int    `json:"schema_version"`
		Nodes         []struct {
			Name       string   `json:"name"`
			DaysToFull *float64 `json:"days_to_full"`
		} `json:"nodes"`
		Findings []struct {
			Kind string `json:"kind"`
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "rdbscope-trend", doc.Kind)
	assert.Equal(t, 1, doc.SchemaVersion)
	assert.Equal(t, "node-1", doc.Nodes[0].Name)
	assert.InDelta(t, 6.0, *doc.Nodes[0].DaysToFull, 1e-6)
	assert.Nil(t, doc.Nodes[1].DaysToFull)
	assert.Equal(t, "will-fill", doc.Findings[0].Kind)
	assert.True(t, strings.Contains(string(raw), `"days_to_full":null`))
	_, err = aggregate.DecodeReport("trend.json", strings.NewReader(string(raw)))
	assert.ErrorContains(t, err, "is an rdbscope trend, not a profile")
}
