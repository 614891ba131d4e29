package remotefile

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/testbed/pscheck"
)

// scriptConstants finds every PowerShell script this package sends: each
// exported string constant named Loader or ending in Script, in any non-test
// file, with its value as the compiler computes it. A new script constant is
// checked without anyone having to list it.
func scriptConstants(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			f, err := parser.ParseFile(fset, n, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	// Only the constants matter: imports that cannot be resolved here (and
	// the errors they cause) are ignored, since a script constant is built
	// from string literals and other constants of this package.
	conf := types.Config{Importer: noImports{}, Error: func(error) {}}
	pkg, _ := conf.Check("remotefile", fset, files, nil)
	scripts := map[string]string{}
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || !c.Exported() || (name != "Loader" && !strings.HasSuffix(name, "Script")) {
			continue
		}
		if c.Val().Kind() != constant.String {
			t.Fatalf("script constant %s: cannot compute its value (%v)", name, c.Val())
		}
		scripts[name] = constant.StringVal(c.Val())
	}
	return scripts
}

func TestScriptsParseAsPowerShell(t *testing.T) {
	scripts := scriptConstants(t)
	// The discovery must see what the compiler sees.
	for name, want := range map[string]string{"Loader": Loader, "ReadScript": ReadScript, "WriteScript": WriteScript} {
		if scripts[name] != want {
			t.Fatalf("script discovery: %s is not the compiled constant (found %d bytes, want %d)", name, len(scripts[name]), len(want))
		}
	}
	names := make([]string, 0, len(scripts))
	for name := range scripts {
		names = append(names, name)
	}
	sort.Strings(names)
	t.Logf("checking %s", strings.Join(names, ", "))
	pscheck.Check(t, scripts)
}

// noImports resolves no import: the constants do not need any.
type noImports struct{}

func (noImports) Import(path string) (*types.Package, error) {
	return nil, fmt.Errorf("%s: not resolved while looking for script constants", path)
}

// The check above can fail: WriteScript without its last closing brace is
// reported, at the end of the script.
func TestSyntaxCheckCatchesABrokenScript(t *testing.T) {
	c := pscheck.NewForTest(t)
	broken := strings.TrimSuffix(WriteScript, "}\n")
	if broken == WriteScript {
		t.Fatal("WriteScript no longer ends with a closing brace; pick another way to break it")
	}
	found, err := c.Find(t.TempDir(), map[string]string{"BrokenWriteScript": broken})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(broken, "\n")
	if len(found) == 0 || found[0].Line < lines-1 {
		t.Fatalf("the unclosed brace at the end (line %d) was not reported: %v", lines, found)
	}
	t.Logf("reported: %v", found)
}
