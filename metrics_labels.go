package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
)

// metricLabel is one --metrics-label NAME=VALUE.
type metricLabel struct{ name, value string }

func addMetricsLabelFlag(fs *pflag.FlagSet, p *[]string) {
	fs.StringArrayVar(p, "metrics-label", nil, "put the label `NAME=VALUE` on every metric (repeatable), e.g. cluster=prod-cache: what keeps clusters apart on one node_exporter")
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// reservedLabels are the labels rdbscope's metrics carry themselves.
var reservedLabels = map[string]bool{"node": true, "type": true, "ttl": true, "severity": true, "kind": true,
	"family": true, "redis_version": true, "model": true, "checksum": true}

// parseMetricLabels checks --metrics-label values: Prometheus label names,
// none of rdbscope's own, each once.
func parseMetricLabels(vs []string) ([]metricLabel, error) {
	var out []metricLabel
	seen := map[string]bool{}
	for _, v := range vs {
		name, value, ok := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			return nil, usageError{fmt.Sprintf("--metrics-label %q: want NAME=VALUE", v)}
		case !labelName.MatchString(name) || strings.HasPrefix(name, "__"):
			return nil, usageError{fmt.Sprintf("--metrics-label %q: %q is not a Prometheus label name (letters, digits, _; not starting with a digit or __)", v, name)}
		case reservedLabels[name]:
			return nil, usageError{fmt.Sprintf("--metrics-label %q: rdbscope's metrics already have a %s label", v, name)}
		case seen[name]:
			return nil, usageError{fmt.Sprintf("--metrics-label %q: label %s given twice", v, name)}
		}
		seen[name] = true
		out = append(out, metricLabel{name, value})
	}
	return out, nil
}

// metricLabelPairs flattens labels into the name, value pairs
// render.MetricsOptions takes.
func metricLabelPairs(ls []metricLabel) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.name, l.value)
	}
	return out
}
