package validation

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnglish(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{P(Required), "required"},
		{P(TooLong, "Max", 5000), "at most 5000 characters"},
		{P(UnknownCode), "unknown code"},
		{P(UnknownCode, "Code", "aliens"), `unknown code "aliens"`},
		{P(PeriodOpen, "Date", "2027-01-01"), "the period has not ended yet (it ends 2027-01-01)"},
		{P("no_such_code"), "no_such_code"},
	} {
		if got := tt.p.English(); got != tt.want {
			t.Errorf("%v.English() = %q, want %q", tt.p, got, tt.want)
		}
	}
	e := &Error{}
	e.Add("a", Required)
	e.Add("a", TooLong, "Max", 3) // the first problem of a field is kept
	e.Add("b", TooLong, "Max", 3)
	if got := e.Error(); got != "invalid input: a: required; b: at most 3 characters" {
		t.Errorf("Error() = %q", got)
	}
	if m := e.Messages(); m["a"] != "required" || m["b"] != "at most 3 characters" || len(m) != 2 {
		t.Errorf("Messages() = %v", m)
	}
}

// TestEveryCodeHasEnglish: the constants and the table of English texts agree.
func TestEveryCodeHasEnglish(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for _, val := range v.Values {
				lit := val.(*ast.BasicLit)
				declared++
				if _, ok := english[Code(strings.Trim(lit.Value, `"`))]; !ok {
					t.Errorf("code %s has no English text", lit.Value)
				}
			}
		}
	}
	if declared != len(english) || len(Codes()) != declared {
		t.Errorf("%d codes declared, %d English texts, %d listed", declared, len(english), len(Codes()))
	}
}

// TestNoProblemWrittenOut: no code of the module gives a problem as a sentence: a
// string literal where a Code goes compiles (it is an untyped constant), and would
// bring back the English keys this package replaced.
func TestNoProblemWrittenOut(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		imported := false
		for _, im := range f.Imports {
			imported = imported || im.Path.Value == `"registro/validation"`
		}
		if !imported && f.Name.Name != "validation" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Add" && sel.Sel.Name != "Field" && sel.Sel.Name != "P") {
				return true
			}
			arg := call.Args[1]
			if sel.Sel.Name == "P" {
				arg = call.Args[0]
			}
			if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING && !strings.Contains(lit.Value, "pragma") {
				if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "q" || x.Name == "h") {
					return true // url.Values, http.Header
				}
				t.Errorf("%s: a problem written as %s; use a validation code", fset.Position(call.Pos()), lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
