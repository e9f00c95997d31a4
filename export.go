package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/render"
)

// keySink receives every key of every node for the per-key export (--keys),
// from several goroutines at once.
type keySink interface {
	Write(node string, k *aggregate.Key) error
	Close() error
}

// keysFormat is the per-key export format of a file name: csv, jsonl or
// parquet, by extension.
func keysFormat(name string) (string, error) {
	if strings.EqualFold(filepath.Ext(name), ".parquet") {
		return "parquet", nil
	}
	f, err := render.KeysFormat(name)
	if err != nil {
		return "", fmt.Errorf("--keys %s: unknown extension, want .csv, .jsonl or .parquet", name)
	}
	return f, nil
}

// openKeySink opens the per-key export at path through outs; it returns a
// nil sink (not a typed nil) when no export was asked for.
func openKeySink(path string, outs *outputs, stdout io.Writer) (keySink, error) {
	if path == "" {
		return nil, nil
	}
	format, err := keysFormat(path)
	if err != nil {
		return nil, err
	}
	w, err := outs.create(path, stdout)
	if err != nil {
		return nil, err
	}
	if format == "parquet" {
		pw, err := render.NewParquetKeysWriter(w)
		if err != nil {
			return nil, fmt.Errorf("--keys %s: %w", path, err)
		}
		return pw, nil
	}
	kw, err := render.NewKeysWriter(w, format)
	if err != nil {
		return nil, err
	}
	return kw, nil
}

// files names the report outputs of an analyze run.
func (cfg *analyzeConfig) files() reportFiles {
	return reportFiles{json: cfg.jsonOut, html: cfg.htmlOut, markdown: cfg.docs.markdown, title: cfg.docs.title, exportFlags: cfg.exports}
}
