package diff

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/aggregate"
)

const (
	kb = 1 << 10
	mb = 1 << 20
)

// ttl is an expiry far in the future, for keys that carry a TTL.
const ttl = 1_900_000_000_000

// node profiles keys as one node; top bounds its top list (0: the default).
func node(name string, top int, keys ...aggregate.Key) *aggregate.Node {
	opts := aggregate.DefaultOptions()
	opts.Now = 1_800_000_000
	if top > 0 {
		opts.TopN = top
	}
	b := aggregate.NewBuilder(name, opts)
	for i := range keys {
		b.Add(&keys[i])
	}
	n := b.Node()
	n.Complete = true
	n.EstimatedUsedMemory = n.Memory
	return n
}

// family returns count string keys prefix:<i> of size bytes each.
func family(prefix string, count int, size int64, withTTL bool) []aggregate.Key {
	ks := make([]aggregate.Key, count)
	for i := range ks {
		ks[i] = aggregate.Key{Key: prefix + ":" + strconv.Itoa(1000+i), Type: "string", Memory: size, Elements: 1}
		if withTTL {
			ks[i].ExpiresAt = ttl
		}
	}
	return ks
}

func concat(groups ...[]aggregate.Key) []aggregate.Key {
	var out []aggregate.Key
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func report(nodes ...*aggregate.Node) *aggregate.Report {
	return &aggregate.Report{SchemaVersion: aggregate.SchemaVersion, Nodes: nodes}
}

// testOptions lowers the thresholds to the size of hand-made nodes.
func testOptions() Options {
	o := DefaultOptions()
	o.GrowthMinBytes = 100 * kb
	o.Rules.BigKeyBytes = 1 * mb
	o.Rules.BigKeyShare = 0
	o.Rules.BigKeyElements = 0
	return o
}

func findingsOf(fs []aggregate.Finding, kind string) []aggregate.Finding {
	var out []aggregate.Finding
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func figure(t *testing.T, f aggregate.Finding, name string) aggregate.Figure {
	t.Helper()
	v, ok := f.Figures.Get(name)
	require.True(t, ok, "figure %s of %s", name, f.Kind)
	return v
}

func TestFindings(t *testing.T) {
	base := family("user", 40, 25*kb, true) // 1000 KiB, all in the top list
	tests := []struct {
		name     string
		old, new []aggregate.Key
		opts     func(o *Options)
		kind     string
		check    func(t *testing.T, fs []aggregate.Finding)
	}{{
		name: "growth warning names the family and key that grew most",
		old:  concat(base, family("feed", 10, 10*kb, false)),
		new:  concat(base, family("feed", 10, 40*kb, false)), // +300 KiB of 1100: +27%
		kind: KindGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			f := fs[0]
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Equal(t, "a", f.Node)
			assert.Equal(t, int64(300*kb), f.Memory)
			assert.Equal(t, "feed:*", f.Family)
			assert.Equal(t, "a grew by 300.0 KiB (+27%)", f.Title)
			assert.Contains(t, f.Explanation, "The family that grew most is feed:*: 100.0 KiB → 400.0 KiB (+0 keys), 100% of the growth.")
			assert.Contains(t, f.Explanation, "The key that grew most is feed:")
			assert.Equal(t, aggregate.Figure{Name: "growth", Value: 300 * kb, Unit: aggregate.UnitBytes}, figure(t, f, "growth"))
			assert.Equal(t, aggregate.UnitRatio, figure(t, f, "ratio").Unit)
			assert.Equal(t, aggregate.UnitBytes, figure(t, f, "threshold_bytes").Unit)
		},
	}, {
		name: "growth critical from half again",
		old:  base,
		new:  concat(base, family("feed", 60, 10*kb, false)),
		kind: KindGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			assert.Equal(t, aggregate.SeverityCritical, fs[0].Severity)
			assert.InDelta(t, 0.6, figure(t, fs[0], "ratio").Value, 0.001)
		},
	}, {
		name: "growth from nothing is critical",
		old:  nil,
		new:  base,
		kind: KindGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			assert.Equal(t, aggregate.SeverityCritical, fs[0].Severity)
			assert.Equal(t, "a grew by 1000.0 KiB (from nothing)", fs[0].Title)
		},
	}, {
		name:  "no growth finding below the share",
		old:   base,
		new:   concat(base, family("feed", 15, 10*kb, false)), // +15%
		kind:  KindGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) { assert.Empty(t, fs) },
	}, {
		name:  "no growth finding below the bytes",
		old:   base,
		new:   concat(base, family("feed", 50, 10*kb, false)), // +50% but 500 KiB
		opts:  func(o *Options) { o.GrowthMinBytes = 1 * mb },
		kind:  KindGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) { assert.Empty(t, fs) },
	}, {
		name: "family growth, at most five, never a one-key family",
		old:  base,
		new: concat(base, family("f1", 2, 300*kb, false), family("f2", 2, 290*kb, false), family("f3", 2, 280*kb, false),
			family("f4", 2, 270*kb, false), family("f5", 2, 260*kb, false), family("f6", 2, 250*kb, false),
			[]aggregate.Key{{Key: "single:1", Type: "string", Memory: 900 * kb}}),
		opts: func(o *Options) { o.Rules.BigKeyBytes = 0 },
		kind: KindFamilyGrowth,
		check: func(t *testing.T, fs []aggregate.Finding) {
			var got []string
			for _, f := range fs {
				got = append(got, f.Family)
				assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			}
			assert.Equal(t, []string{"f1:*", "f2:*", "f3:*", "f4:*", "f5:*"}, got)
			f := fs[0]
			assert.Equal(t, "family f1:* grew by 600.0 KiB on a", f.Title)
			assert.Equal(t, aggregate.Figure{Name: "new_keys", Value: 2, Unit: aggregate.UnitCount}, figure(t, f, "new_keys"))
			assert.Equal(t, aggregate.Figure{Name: "scope_old_memory", Value: 1000 * kb, Unit: aggregate.UnitBytes}, figure(t, f, "scope_old_memory"))
		},
	}, {
		name: "a key that lost its TTL",
		old:  concat(base, []aggregate.Key{{Key: "report:daily", Type: "string", Memory: 20 * kb, ExpiresAt: ttl}}),
		new:  concat(base, []aggregate.Key{{Key: "report:daily", Type: "string", Memory: 20 * kb}}),
		kind: KindLostTTL,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			f := fs[0]
			assert.Equal(t, aggregate.KeyName("report:daily"), f.Key)
			assert.Equal(t, "report:daily lost its TTL", f.Title)
			assert.Equal(t, aggregate.SeverityWarning, f.Severity)
			assert.Equal(t, aggregate.Figure{Name: "old_expires_at", Value: ttl, Unit: aggregate.UnitUnixMillis}, figure(t, f, "old_expires_at"))
		},
	}, {
		name: "a family that lost its TTLs",
		old:  concat(base, family("cart", 10, 30*kb, true)),
		new:  concat(base, family("cart", 10, 30*kb, false)),
		opts: func(o *Options) { o.Limit = 100 },
		kind: KindLostTTL,
		check: func(t *testing.T, fs []aggregate.Finding) {
			var fam *aggregate.Finding
			for i := range fs {
				if fs[i].Family == "cart:*" && fs[i].Key == "" {
					fam = &fs[i]
				}
			}
			require.NotNil(t, fam, "the family finding, besides one per key")
			assert.Equal(t, "family cart:*: keys without TTL went from 0% to 100%", fam.Title)
			assert.Equal(t, aggregate.SeverityWarning, fam.Severity, "300 KiB is more than the least growth")
			assert.Equal(t, aggregate.UnitShare, figure(t, *fam, "new_no_ttl_share").Unit)
			assert.Equal(t, int64(300*kb), fam.Memory)
			assert.Len(t, fs, 11, "and one for each of its keys")
		},
	}, {
		name: "a family that lost a little TTL is info",
		old:  concat(family("user", 1000, 10*kb, true), family("cart", 20, 1*kb, true)),
		new:  concat(family("user", 1000, 10*kb, true), family("cart", 18, 1*kb, true), family("cart", 20, 1*kb, false)[18:]),
		kind: KindLostTTL,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1, "the keys are not in the top list")
			assert.Equal(t, aggregate.SeverityInfo, fs[0].Severity)
			assert.Equal(t, "cart:*", fs[0].Family)
		},
	}, {
		name: "a new big key",
		old:  base,
		new:  concat(base, []aggregate.Key{{Key: "upload:blob", Type: "string", Memory: 2 * mb, Elements: 1}}),
		kind: KindNewBigKey,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			f := fs[0]
			assert.Equal(t, aggregate.KeyName("upload:blob"), f.Key)
			assert.Equal(t, "new big string upload:blob (2.0 MiB)", f.Title)
			assert.Contains(t, f.Explanation, "(status new)")
			assert.Equal(t, aggregate.UnitCount, figure(t, f, "elements").Unit)
		},
	}, {
		name: "a key that grew big",
		old:  concat(base, []aggregate.Key{{Key: "queue:mail", Type: "list", Memory: 500 * kb}}),
		new:  concat(base, []aggregate.Key{{Key: "queue:mail", Type: "list", Memory: 3 * mb}}),
		kind: KindNewBigKey,
		check: func(t *testing.T, fs []aggregate.Finding) {
			require.Len(t, fs, 1)
			assert.Contains(t, fs[0].Explanation, "(status grown)")
		},
	}, {
		name:  "a key already big is not new",
		old:   concat(base, []aggregate.Key{{Key: "queue:mail", Type: "list", Memory: 2 * mb}}),
		new:   concat(base, []aggregate.Key{{Key: "queue:mail", Type: "list", Memory: 3 * mb}}),
		kind:  KindNewBigKey,
		check: func(t *testing.T, fs []aggregate.Finding) { assert.Empty(t, fs) },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			if tt.opts != nil {
				tt.opts(&o)
			}
			d := Compare(report(node("a", 0, tt.old...)), report(node("a", 0, tt.new...)), aggregate.Tool{}, o)
			assert.Equal(t, ModeNodes, d.Mode)
			fs := findingsOf(d.Findings, tt.kind)
			tt.check(t, fs)
			for _, f := range d.Findings {
				assert.NotEmpty(t, f.Title)
				assert.NotEmpty(t, f.Explanation)
				assert.NotEmpty(t, f.Advice)
				for _, fig := range f.Figures {
					assert.NotEqual(t, aggregate.UnitNone, fig.Unit, "%s of %s has a unit", fig.Name, f.Kind)
				}
			}
		})
	}
}

// A key that entered NEW's top list was below OLD's cut-off: only the
// memory thresholds can tell it was not big before.
func TestNewBigKeyEntered(t *testing.T) {
	old := node("a", 3, concat(family("big", 3, 5*mb, true), family("small", 10, 100*kb, true))...)
	grown := node("a", 3, concat(family("big", 3, 5*mb, true)[:2], []aggregate.Key{{Key: "small:1000", Type: "list", Memory: 6 * mb, Elements: 500}},
		family("small", 10, 100*kb, true)[1:])...)
	for _, tt := range []struct {
		name  string
		rules func(o *Options)
		want  int
	}{
		{"above the bytes, with OLD's cut-off below them", func(o *Options) { o.Rules.BigKeyBytes = 5*mb + 1 }, 1},
		{"OLD's cut-off was already big", func(o *Options) { o.Rules.BigKeyBytes = 1 * mb }, 0},
		{"elements alone cannot tell", func(o *Options) { o.Rules.BigKeyBytes, o.Rules.BigKeyElements = 0, 100 }, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			tt.rules(&o)
			d := Compare(report(old), report(grown), aggregate.Tool{}, o)
			s := d.Scopes[0]
			require.NotEmpty(t, s.TopKeys)
			var entered *Key
			for i := range s.TopKeys {
				if s.TopKeys[i].Key == "small:1000" {
					entered = &s.TopKeys[i]
				}
			}
			require.NotNil(t, entered)
			assert.Equal(t, StatusEntered, entered.Status)
			assert.True(t, entered.AtLeast)
			assert.Equal(t, int64(1*mb), entered.Delta, "at least NEW's memory minus OLD's cut-off")
			assert.Len(t, findingsOf(d.Findings, KindNewBigKey), tt.want)
		})
	}
}

func TestKeyStatuses(t *testing.T) {
	k := func(name string, mem int64) aggregate.Key {
		return aggregate.Key{Key: name, Type: "string", Memory: mem}
	}
	// Whole lists: every key of each side is listed.
	d := Compare(report(node("a", 0, k("grows", 100), k("shrinks", 100), k("stays", 100), k("goes", 100))),
		report(node("a", 0, k("grows", 300), k("shrinks", 50), k("stays", 100), k("comes", 70))), aggregate.Tool{}, testOptions())
	got := map[string]Key{}
	for _, kd := range d.Scopes[0].TopKeys {
		got[string(kd.Key)] = kd
	}
	assert.Equal(t, StatusGrown, got["grows"].Status)
	assert.Equal(t, int64(200), got["grows"].Delta)
	assert.Equal(t, StatusShrunk, got["shrinks"].Status)
	assert.Equal(t, StatusDeleted, got["goes"].Status)
	assert.Equal(t, int64(-100), got["goes"].Delta)
	assert.Nil(t, got["goes"].New)
	assert.Equal(t, StatusNew, got["comes"].Status)
	assert.Nil(t, got["comes"].Old)
	assert.NotContains(t, got, "stays", "unchanged keys are left out")
	var order []string
	for _, kd := range d.Scopes[0].TopKeys {
		order = append(order, string(kd.Key))
	}
	assert.Equal(t, []string{"grows", "goes", "comes", "shrinks"}, order, "biggest change first")

	// Cut lists: a key missing from one side may be below its cut-off.
	d = Compare(report(node("a", 2, k("x", 500), k("y", 400), k("z", 10))),
		report(node("a", 2, k("x", 500), k("z", 450), k("y", 10))), aggregate.Tool{}, testOptions())
	got = map[string]Key{}
	for _, kd := range d.Scopes[0].TopKeys {
		got[string(kd.Key)] = kd
	}
	assert.Equal(t, StatusEntered, got["z"].Status)
	assert.Equal(t, int64(50), got["z"].Delta, "450 over OLD's cut-off of 400")
	assert.Equal(t, StatusLeft, got["y"].Status)
	assert.Equal(t, int64(0), got["y"].Delta, "below NEW's cut-off of 450, more than its 400 before: it may not have shrunk")
	assert.True(t, got["y"].AtLeast)
	d = Compare(report(node("a", 2, k("x", 500), k("y", 400), k("z", 10))),
		report(node("a", 2, k("x", 500), k("w", 300), k("y", 10))), aggregate.Tool{}, testOptions())
	got = map[string]Key{}
	for _, kd := range d.Scopes[0].TopKeys {
		got[string(kd.Key)] = kd
	}
	require.Contains(t, got, "y")
	require.Contains(t, got, "w")
	assert.Equal(t, int64(-100), got["y"].Delta, "below NEW's cut-off of 300: shrank by at least 100")
	assert.Equal(t, StatusEntered, got["w"].Status)
	assert.Equal(t, int64(0), got["w"].Delta, "entered at 300, below OLD's cut-off of 400")
}

func TestModes(t *testing.T) {
	a1 := node("a", 0, family("user", 100, 10*kb, true)...)
	b1 := node("b", 0, family("user", 100, 10*kb, true)...)
	a2 := node("a", 0, concat(family("user", 100, 10*kb, true), family("feed", 10, 100*kb, false))...)
	b2 := node("b", 0, concat(family("user", 100, 10*kb, true), family("feed", 10, 100*kb, false))...)

	d := Compare(report(a1, b1), report(b2, a2), aggregate.Tool{Name: "rdbscope"}, testOptions())
	assert.Equal(t, ModeNodes, d.Mode)
	require.Len(t, d.Scopes, 3)
	assert.True(t, d.Scopes[0].All)
	assert.Equal(t, All, d.Scopes[0].Name)
	assert.Equal(t, []string{"a", "b"}, []string{d.Scopes[1].Name, d.Scopes[2].Name})
	var whole []string
	for _, f := range d.Findings {
		if f.Node == All {
			whole = append(whole, f.Kind)
		}
	}
	assert.Equal(t, []string{KindGrowth}, whole, "the merged scope of a node diff judges only the growth of the whole")
	assert.Len(t, findingsOf(d.Findings, KindFamilyGrowth), 2, "families are judged node by node")

	// Other node names: everything merged, one scope, judged in full.
	d = Compare(report(a1, b1), report(node("c", 0, concat(family("user", 200, 10*kb, true), family("feed", 20, 100*kb, false))...)),
		aggregate.Tool{}, testOptions())
	assert.Equal(t, ModeMerged, d.Mode)
	require.Len(t, d.Scopes, 1)
	assert.True(t, d.Scopes[0].All)
	assert.Len(t, findingsOf(d.Findings, KindFamilyGrowth), 1)
	assert.Equal(t, []string{"a", "b"}, d.Old.Nodes)
	assert.Equal(t, []string{"c"}, d.New.Nodes)

	// Nothing to compare is a diff of nothing, not a panic.
	d = Compare(nil, nil, aggregate.Tool{}, Options{})
	assert.Equal(t, ModeMerged, d.Mode)
	assert.Empty(t, d.Findings)
	assert.True(t, d.Old.Complete)
}

func TestSideAndFamilies(t *testing.T) {
	a := node("a", 0, family("user", 10, 1*kb, true)...)
	a.Source = &aggregate.Source{CTime: 1_700_000_000}
	b := node("b", 0, family("user", 10, 1*kb, true)...)
	b.Complete = false
	b.Source = &aggregate.Source{CTime: 1_700_000_500}
	r := report(b, a)
	r.Tool.GeneratedAt = "2026-01-01T00:00:00Z"
	s := sideOf(r)
	assert.Equal(t, Side{Nodes: []string{"a", "b"}, GeneratedAt: "2026-01-01T00:00:00Z", DumpTime: 1_700_000_500, Complete: false}, s)

	// A family one table lost to (other) counts as 0 there, within that
	// table's error bound.
	o := &aggregate.Groups{Entries: []aggregate.Group{{Name: "x:*", Keys: 4, Memory: 400, NoTTL: aggregate.KeysMemory{Keys: 1, Memory: 100}}}, MaxError: 7}
	n := &aggregate.Groups{Entries: []aggregate.Group{{Name: "y:*", Keys: 2, Memory: 50, Error: 3}}, MaxError: 9}
	fams := families(o, n)
	require.Len(t, fams, 2)
	assert.Equal(t, Family{Name: "x:*", Keys: Change{4, 0, -4, -1}, Memory: Change{400, 0, -400, -1},
		NoTTLKeys: Change{1, 0, -1, -1}, NoTTLMemory: Change{100, 0, -100, -1}, NoTTLShareOld: 0.25, Error: 9}, fams[0])
	assert.Equal(t, int64(7+3), fams[1].Error)
	assert.Equal(t, Change{0, 2, 2, 0}, fams[1].Keys, "no ratio from zero")
	assert.Equal(t, "from nothing", fams[1].Keys.GrowthPct())
	assert.Equal(t, "-100%", fams[0].Keys.GrowthPct())
}

func TestLimit(t *testing.T) {
	var old, grown []aggregate.Key
	for i := range 30 {
		old = append(old, family("f"+strconv.Itoa(i), 2, 10*kb, true)...)
		grown = append(grown, family("f"+strconv.Itoa(i), 2, 20*kb, false)...)
	}
	o := testOptions()
	o.Limit = 5
	d := Compare(report(node("a", 0, old...)), report(node("a", 0, grown...)), aggregate.Tool{}, o)
	s := d.Scopes[0]
	assert.Len(t, s.Families, 5)
	assert.Len(t, s.FamiliesLostTTL, 5)
	assert.Len(t, s.TopKeys, 5)
	assert.Len(t, s.LostTTL, 5)
}

// The document keeps its JSON names: render and docs/diff.md read them.
func TestJSONNames(t *testing.T) {
	d := Compare(report(node("a", 0, family("user", 10, 100*kb, true)...)),
		report(node("a", 0, family("user", 20, 100*kb, false)...)), aggregate.Tool{Name: "rdbscope"}, testOptions())
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, Kind, doc["kind"])
	scope := doc["scopes"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "all", "keys", "memory", "estimated_used_memory", "used_mem", "no_ttl_memory", "by_type",
		"families", "top_keys", "new_big_keys", "lost_ttl", "families_lost_ttl"} {
		assert.Contains(t, scope, k)
	}
	f := doc["findings"].([]any)[0].(map[string]any)
	assert.IsType(t, map[string]any{}, f["figures"], "figures are an object by name")
}
