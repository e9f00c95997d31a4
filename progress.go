package main

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/rdbscope/rdbscope/parse"
)

// progress shows one bar per node on stderr: stored bytes read of the
// dump's size.
type progress struct {
	p    *mpb.Progress
	bars []*nodeBar
}

// nodeBar is one node's bar; a nil *nodeBar does nothing.
type nodeBar struct {
	bar   *mpb.Bar
	total int64
}

func newProgress(mode string, stderr io.Writer, inputs []parse.Input) *progress {
	show := mode == "always"
	if mode == "auto" {
		f, ok := stderr.(*os.File)
		show = ok && term.IsTerminal(int(f.Fd()))
	}
	if !show {
		return &progress{}
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
	if err != nil {
		b.bar.Abort(false)
		return
	}
	b.bar.SetTotal(-1, true)
}
