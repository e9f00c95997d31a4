package main

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/rdbscope/rdbscope"

// confined lists third-party modules that one package only may import.
var confined = map[string]string{
	"github.com/hdt3213/rdb": "parse",
	"gocloud.dev":            "internal/objstore",
}

// importRule is one row of the table in docs/architecture.md.
type importRule struct {
	allowed map[string]bool
	any     bool // every package but those in allowed
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readImportRules reads the package table of docs/architecture.md: the
// package in the first column, what it may import in the third: "—"
// (nothing of rdbscope), a list of packages, or "all ... but" a list.
func readImportRules(t *testing.T) map[string]importRule {
	t.Helper()
	f, err := os.Open("docs/architecture.md")
	require.NoError(t, err)
	defer f.Close()
	rules := map[string]importRule{}
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "<!-- import-rules") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rules) > 0 {
				break
			}
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 5 || strings.HasPrefix(strings.TrimSpace(cols[1]), "---") || strings.TrimSpace(cols[1]) == "package" {
			continue
		}
		name := backticked.FindStringSubmatch(cols[1])
		require.NotNil(t, name, "no package in %q", line)
		r := importRule{allowed: map[string]bool{}}
		may := strings.TrimSpace(cols[3])
		r.any = strings.HasPrefix(may, "all ")
		for _, m := range backticked.FindAllStringSubmatch(may, -1) {
			r.allowed[m[1]] = true
		}
		rules[name[1]] = r
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rules, "no import-rules table in docs/architecture.md")
	return rules
}

// packageImports returns, for every package of the module, the imports of
// its non-test files, whatever their build tags.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = "main"
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range file.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if !slices.Contains(out[pkg], p) {
				out[pkg] = append(out[pkg], p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// TestImportRules keeps data flowing one way: each package imports only
// what its row of docs/architecture.md allows, every package has a row,
// and the decoder and cloud libraries stay in their one package.
func TestImportRules(t *testing.T) {
	rules := readImportRules(t)
	pkgs := packageImports(t)
	require.Contains(t, pkgs, "internal/scan", "walked the module")
	for pkg, imports := range pkgs {
		r, ok := rules[pkg]
		if !assert.True(t, ok, "package %s has no row in docs/architecture.md's import rules", pkg) {
			continue
		}
		for _, imp := range imports {
			if rel, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
				assert.True(t, r.allowed[rel] != r.any, "%s imports %s, which docs/architecture.md does not allow", pkg, rel)
				continue
			}
			for mod, owner := range confined {
				if imp == mod || strings.HasPrefix(imp, mod+"/") {
					assert.Equal(t, owner, pkg, "%s imports %s, which only %s may", pkg, imp, owner)
				}
			}
		}
	}
	for pkg := range rules {
		assert.Contains(t, pkgs, pkg, "docs/architecture.md has a row for %s, which does not exist", pkg)
	}
}

// The rules catch a package that reaches backwards.
func TestImportRulesCatchABackwardImport(t *testing.T) {
	rules := readImportRules(t)
	for _, c := range []struct{ pkg, imp string }{
		{"parse", "aggregate"},
		{"aggregate", "parse"},
		{"aggregate/memmodel", "aggregate"},
		{"render", "parse"},
		{"internal/scan", "internal/worker"},
		{"internal/worker", "aggregate/memmodel"},
		{"main", "internal/testutil"},
	} {
		r := rules[c.pkg]
		assert.False(t, r.allowed[c.imp] != r.any, "%s may import %s", c.pkg, c.imp)
	}
	r := rules["main"]
	assert.True(t, r.allowed["internal/worker"] != r.any, "main may import internal/worker")
}
