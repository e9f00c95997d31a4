package render

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/rdbscope/rdbscope/aggregate"
)

// TopKeysHeader is the column order of the top keys CSV (--top-csv): the
// per-key export's columns with each key's rank on its node, and key_len
// for a name the profile holds cut (aggregate.MaxProfileKey), whose slot
// is then left empty.
var TopKeysHeader = []string{"node", "rank", "db", "key", "type", "encoding", "memory", "rdb_bytes", "elements", "expires_at", "key_len",
	"allocated", "family", "slot"}

// FamiliesHeader is the column order of the families CSV (--families-csv).
var FamiliesHeader = []string{"scope", "node", "family", "keys", "memory", "no_ttl_keys", "no_ttl_memory",
	"error", "biggest_key", "biggest_key_node", "biggest_key_memory"}

// TopKeysCSV writes every node's biggest keys (its top_keys list, or with
// a key filter the biggest it selects), nodes in report order and keys
// biggest first. Keys are escaped and guarded against
// spreadsheet formulas exactly as in the per-key export (see KeysWriter).
func TopKeysCSV(w io.Writer, r *aggregate.Report) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(TopKeysHeader); err != nil {
		return err
	}
	rec := make([]string, len(TopKeysHeader))
	for _, n := range r.Nodes {
		for i, k := range topKeysOf(r, n) {
			rec[0] = csvName(n.Name)
			rec[1] = strconv.Itoa(i + 1)
			keyColumns(rec[2:10], k.DB, string(k.Key), k.Type, k.Encoding, k.Memory, k.RDBBytes, k.Elements, int64(k.ExpiresAt))
			rec[10] = ""
			slot := aggregate.Slot(string(k.Key))
			if k.KeyLen > 0 {
				rec[10] = strconv.FormatInt(k.KeyLen, 10)
				slot = -1
			}
			extraColumns(rec[11:], k.Alloc(), aggregate.Pattern(string(k.Key), n.Separators...), slot)
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// FamiliesCSV writes the key families of every node (scope "node") and,
// when the report has several nodes, of the merged cluster (scope
// "cluster", node empty), each table biggest first and ending with its
// "(other)" row, so that the memory column of a table adds up to its node's
// key memory. error is the bound of the bounded tables (docs/families.md):
// the family's true memory is within [memory, memory+error].
func FamiliesCSV(w io.Writer, r *aggregate.Report) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(FamiliesHeader); err != nil {
		return err
	}
	rec := make([]string, len(FamiliesHeader))
	table := func(scope, node string, g *aggregate.Groups) error {
		if g == nil {
			return nil
		}
		rows := append(append([]aggregate.Group{}, g.Entries...), g.Other)
		for i, e := range rows {
			other := i == len(rows)-1
			if other && e.Keys == 0 {
				continue
			}
			rec[0], rec[1] = scope, csvName(node)
			rec[2] = csvSafe(aggregate.EscapeKey(string(e.Name)))
			if other {
				rec[2] = aggregate.OtherGroup
			}
			rec[3] = strconv.FormatInt(e.Keys, 10)
			rec[4] = strconv.FormatInt(e.Memory, 10)
			rec[5] = strconv.FormatInt(e.NoTTL.Keys, 10)
			rec[6] = strconv.FormatInt(e.NoTTL.Memory, 10)
			rec[7] = strconv.FormatInt(e.Error, 10)
			rec[8], rec[9], rec[10] = "", "", ""
			if b := e.Biggest; b != nil {
				rec[8] = csvSafe(aggregate.EscapeKey(string(b.Key)))
				rec[9] = csvName(b.Node)
				if rec[9] == "" {
					rec[9] = csvName(node)
				}
				rec[10] = strconv.FormatInt(b.Memory, 10)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range r.Nodes {
		if err := table("node", n.Name, n.Families); err != nil {
			return err
		}
	}
	if r.Cluster != nil && len(r.Nodes) > 1 {
		if err := table("cluster", "", r.Cluster.Families); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
