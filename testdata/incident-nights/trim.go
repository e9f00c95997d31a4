//go:build ignore

// trim makes the five-night incident fixture from full analyze reports:
// each node keeps what a trend reads (totals, TTL split, source, families
// and per-slot counts) and nothing else, and the nights are moved one day
// apart, since the five dumps were taken minutes apart. See README.md.
//
//	go run trim.go REPORT-NIGHT-1.json ... REPORT-NIGHT-5.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/rdbscope/rdbscope/aggregate"
)

// base is the first night's ctime: 2026-11-26T02:00:00Z.
const base = 1795658400

func main() {
	for i, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			die(err)
		}
		r, err := aggregate.DecodeReport(path, f)
		f.Close()
		if err != nil {
			die(err)
		}
		first := r.Nodes[0].Source.CTime
		for _, n := range r.Nodes {
			// Keep each dump's offset from the night's first dump.
			n.Source.CTime = base + int64(i)*86400 + n.Source.CTime - first
			n.Source.Path = fmt.Sprintf("night-%d/%s.rdb", i+1, n.Name)
			n.TopKeys = n.TopKeys[:min(len(n.TopKeys), 5)]
			n.TopByType, n.Prefixes, n.Hashtags = nil, nil, nil
			n.Slots.Hottest = nil
		}
		r.Cluster, r.Findings = nil, []aggregate.Finding{}
		r.Tool.GeneratedAt = "2026-11-26T03:00:00Z"
		out, err := json.Marshal(r)
		if err != nil {
			die(err)
		}
		// Written in an order other than the nights', which the test
		// must undo by ctime.
		name := fmt.Sprintf("%c.json", "dbeac"[i])
		if err := os.WriteFile(name, append(out, '\n'), 0o644); err != nil {
			die(err)
		}
	}
}

func die(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
