package main

import (
	"io"
	"os"

	"github.com/rdbscope/rdbscope/internal/tty"
	"github.com/rdbscope/rdbscope/render"
)

// summaryOptions lays the terminal summary out for w: its width (80 when
// it is not a terminal, COLUMNS if set), colour when it takes it.
func summaryOptions(w io.Writer) render.TextOptions {
	caps := tty.Of(w, os.Getenv)
	return render.TextOptions{Width: caps.Width, Color: caps.Color}
}
