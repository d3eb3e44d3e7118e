package scan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// emittedIDs returns every finding id the package's code can emit, by
// reading its source: the ID of every Finding literal and every assignment
// to a field named ID, each a string literal or a string constant of the
// package. Anything else fails the test, so that no id escapes the rule
// table.
func emittedIDs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	consts := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[n.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
	}
	ids := map[string]string{} // id -> position of one emission
	value := func(e ast.Expr) {
		pos := fset.Position(e.Pos()).String()
		switch v := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(v.Value); err == nil {
				ids[s] = pos
				return
			}
		case *ast.Ident:
			if s, ok := consts[v.Name]; ok {
				ids[s] = pos
				return
			}
		}
		t.Errorf("%s: finding id is not a string literal or constant: make it one so that this test can check it has a rule", pos)
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				// Finding{...}, and the elements of []Finding{{...}}.
				typ := n.Type
				if arr, ok := typ.(*ast.ArrayType); ok {
					typ = arr.Elt
				}
				if id, ok := typ.(*ast.Ident); !ok || id.Name != "Finding" {
					return true
				}
				lits := []*ast.CompositeLit{n}
				if _, ok := n.Type.(*ast.ArrayType); ok {
					lits = nil
					for _, e := range n.Elts {
						if cl, ok := e.(*ast.CompositeLit); ok {
							lits = append(lits, cl)
						}
					}
				}
				for _, cl := range lits {
					for _, e := range cl.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ID" {
								value(kv.Value)
							}
						}
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "ID" && i < len(n.Rhs) {
						value(n.Rhs[i])
					}
				}
			}
			return true
		})
	}
	return ids
}

// TestRules_complete checks that every finding id the scanner can emit
// has a rule, and that every rule is emitted somewhere.
func TestRules_complete(t *testing.T) {
	t.Parallel()
	ids := emittedIDs(t)
	if len(ids) < 20 {
		t.Fatalf("found only %d finding ids in the source: the test no longer sees them", len(ids))
	}
	for id, pos := range ids {
		if _, ok := ruleIndex[id]; !ok {
			t.Errorf("%s: finding id %q has no rule in rules (rules.go)", pos, id)
		}
	}
	for _, r := range rules {
		if _, ok := ids[r.ID]; !ok {
			t.Errorf("rule %q is never emitted: remove it from rules (rules.go)", r.ID)
		}
	}
}

// TestRules_wellFormed checks each rule's fields and the order of the
// table.
func TestRules_wellFormed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, r := range rules {
		if seen[r.ID] {
			t.Errorf("rule %q listed twice", r.ID)
		}
		seen[r.ID] = true
		if ruleIndex[r.ID] != i {
			t.Errorf("ruleIndex[%q] = %d, want %d", r.ID, ruleIndex[r.ID], i)
		}
		if r.Name == "" || r.Short == "" || r.Full == "" || r.Help == "" {
			t.Errorf("rule %q: empty name, description or help", r.ID)
		}
		var camel string
		for w := range strings.SplitSeq(r.ID, "-") {
			camel += strings.ToUpper(w[:1]) + w[1:]
		}
		if r.Name != camel {
			t.Errorf("rule %q: name %q, want %q", r.ID, r.Name, camel)
		}
		if r.Severity < SeverityInfo || r.Severity > SeverityHigh {
			t.Errorf("rule %q: severity %v", r.ID, r.Severity)
		}
	}
	if !slices.IsSortedFunc(rules, func(a, b Rule) int { return int(b.Severity) - int(a.Severity) }) {
		t.Error("rules are not ordered most serious first")
	}
	got := Rules()
	got[0].ID = "changed"
	if rules[0].ID == "changed" {
		t.Error("Rules returns the table itself")
	}
}
