package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
	"github.com/rdbscope/rdbscope/internal/tty"
	"github.com/rdbscope/rdbscope/parse"
)

// progress shows one bar per node on stderr: stored bytes read of the
// dump's size. Where the cursor may not move (TERM=dumb, or not a
// terminal with --progress always) it writes one plain line per node as
// the node ends instead.
type progress struct {
	p    *mpb.Progress
	bars []*nodeBar
}

// nodeBar is one node's bar; a nil *nodeBar does nothing.
type nodeBar struct {
	bar   *mpb.Bar
	total int64
	// line mode: no bar, one line on w when the node ends.
	name string
	w    *lockedWriter
	read int64
}

// lockedWriter serializes the lines of nodes that end at once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func newProgress(mode string, stderr io.Writer, inputs []parse.Input) *progress {
	caps := tty.Of(stderr, os.Getenv)
	show := mode == "always" || mode == "auto" && caps.Terminal
	if !show {
		return &progress{}
	}
	if !caps.Cursor {
		lw := &lockedWriter{w: stderr}
		pr := &progress{}
		for _, in := range inputs {
			pr.bars = append(pr.bars, &nodeBar{name: in.Name, w: lw})
		}
		return pr
	}
	p := mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40), mpb.WithAutoRefresh())
	pr := &progress{p: p}
	width := 0
	for _, in := range inputs {
		width = max(width, len(in.Name))
	}
	for _, in := range inputs {
		total := in.Size
		b := p.New(total, mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name(in.Name, decor.WC{W: width + 1, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"), decor.Name(" "), decor.OnComplete(decor.Percentage(), "done")),
		)
		pr.bars = append(pr.bars, &nodeBar{bar: b, total: total})
	}
	return pr
}

func (p *progress) bar(i int) *nodeBar {
	if p == nil || i >= len(p.bars) {
		return nil
	}
	return p.bars[i]
}

func (p *progress) wait() {
	if p != nil && p.p != nil {
		p.p.Wait()
	}
}

func (b *nodeBar) set(n int64) {
	if b == nil {
		return
	}
	if b.w != nil {
		b.read = n
		return
	}
	if b.total <= 0 || n > b.total {
		b.total = n + 1
		b.bar.SetTotal(b.total, false)
	}
	b.bar.SetCurrent(n)
}

func (b *nodeBar) finish(err error) {
	if b == nil {
		return
	}
	if b.w != nil {
		b.w.mu.Lock()
		defer b.w.mu.Unlock()
		status := "done"
		if err != nil {
			status = "failed"
		}
		fmt.Fprintf(b.w.w, "%s: %s, %s read\n", aggregate.EscapeKey(b.name), status, bytesize.Format(b.read, bytesize.Table))
		return
	}
	if err != nil {
		b.bar.Abort(false)
		return
	}
	b.bar.SetTotal(-1, true)
}

// terminalRows is the height of the terminal w writes to, less one line
// for the shell's prompt; 0 when w is not a terminal (a pipe, a file, a
// cron job's mail), whose reader scrolls.
func terminalRows(w io.Writer) int {
	rows := tty.Of(w, os.Getenv).Rows
	if rows < 2 {
		return 0
	}
	return rows - 1
}
