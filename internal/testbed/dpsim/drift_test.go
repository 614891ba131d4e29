package dpsim

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dp-tools/terraform-provider-iis/internal/remotefile"
	"github.com/dp-tools/terraform-provider-iis/internal/testbed/pscheck"
)

// The simulator must not drift from the scripts it imitates. Both sides are
// read from their syntax trees: the scripts with tree-sitter
// (tools/pscheck/pscalls.mjs), the model (script.go) with go/ast. For every
// script function that reaches a Windows primitive, and for each script's
// top level, the sequence of primitive calls, calls of other such functions
// (with a literal first argument, e.g. Undo-Fail 'rejected'), answered error
// codes (Fail 'busy') and $ErrorActionPreference changes must be the same, in
// the same textual order. A reordered step, a new primitive, a recovery
// branch that calls something else or answers another code, fails this test.
//
// Why textual order and not an execution trace: a trace shows only the
// branches a test happens to take, and the scripts cannot run here (no
// PowerShell); the syntax tree has every branch, taken or not. The model is
// written in the script's own shape (exceptions are panics caught only where
// the script has a try, try's finally comes last) so that one textual order
// means one behaviour.

// psPure are the calls that touch nothing on the host the model tracks
// (formatting, hashing buffers, paths, stdout).
var psPure = regexp.MustCompile(`^(\[(Console|Text\.Encoding|BitConverter|Convert|Guid|DateTime|Environment|IO\.Path)\]::.*|\$(out|h|z|m|path|e)\..*|new IO\.(MemoryStream|Compression\.GZipStream|StreamReader)|cmd (ConvertTo-Json|Join-Path|Sort-Object|Select-Object|Where-Object|ForEach-Object))$`)

// psPrimitive maps a script call to the model's primitive.
func psPrimitive(ev string) (string, bool) {
	switch {
	case strings.HasPrefix(ev, "[IO.File]::"):
		return "File." + strings.TrimPrefix(ev, "[IO.File]::"), true
	case ev == "$lock.WaitOne", ev == "$lock.ReleaseMutex":
		return "Mutex." + strings.TrimPrefix(ev, "$lock."), true
	case ev == "new Threading.Mutex":
		return "Mutex.New", true
	case strings.HasPrefix(ev, "new Security.Cryptography."):
		return "Crypto." + strings.TrimPrefix(ev, "new Security.Cryptography."), true
	case ev == "& $appcmd":
		return "Process.appcmd", true
	case ev == "cmd Get-ChildItem":
		return "Dir.GetChildItem", true
	case ev == "cmd Start-Sleep":
		return "Sleep", true
	}
	if m := regexp.MustCompile(`^set \$ErrorActionPreference '(\w+)'$`).FindStringSubmatch(ev); m != nil {
		return "EAP:" + m[1], true
	}
	return "", false
}

// goName is the model's name of a script function: Repair-Live is repairLive.
func goName(ps string) string {
	parts := strings.Split(ps, "-")
	out := strings.ToLower(parts[0])
	for _, p := range parts[1:] {
		out += p
	}
	return out
}

var psCommand = regexp.MustCompile(`^cmd (\S+)(?: '(.*)')?$`)

// scriptSeqs are the compared sequences of the scripts, by model name, and
// the calls found that are neither modelled nor known to be harmless.
type scriptSeqs struct {
	seqs    map[string][]string
	unknown []string
}

// scriptSide turns the scripts' calls into the compared sequences, by model
// name. Functions that reach no primitive are left out (they format output).
func scriptSide(parts map[string]pscheck.Calls) scriptSeqs {
	var unknown []string
	raw := map[string][]string{} // model name → events, calls unresolved
	top := map[string]string{"common": "common", "read": "readScript", "write": "writeScript"}
	for part, calls := range parts {
		for fn, evs := range calls.Functions {
			raw[goName(fn)] = evs
		}
		raw[top[part]] = calls.Top
	}
	// A function bears primitives if it calls one, or a function that does.
	bearing := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for fn, evs := range raw {
			if bearing[fn] {
				continue
			}
			for _, ev := range evs {
				_, prim := psPrimitive(ev)
				m := psCommand.FindStringSubmatch(ev)
				if prim || (m != nil && (m[1] == "Fail" || bearing[goName(m[1])])) {
					bearing[fn], changed = true, true
					break
				}
			}
		}
	}
	out := map[string][]string{}
	for fn, evs := range raw {
		seq := []string{}
		for _, ev := range evs {
			if p, ok := psPrimitive(ev); ok {
				seq = append(seq, p)
				continue
			}
			if m := psCommand.FindStringSubmatch(ev); m != nil {
				name := goName(m[1])
				if m[1] == "Fail" {
					seq = append(seq, "fail:"+orStar(m[2]))
					continue
				}
				if _, defined := raw[name]; defined {
					if bearing[name] {
						seq = append(seq, "call:"+name+suffix(m[2]))
					}
					continue
				}
			}
			if psPure.MatchString(ev) {
				continue
			}
			unknown = append(unknown, fmt.Sprintf("%s: %s", fn, ev))
		}
		if bearing[fn] {
			out[fn] = seq
		}
	}
	return scriptSeqs{seqs: out, unknown: unknown}
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func suffix(lit string) string {
	if lit == "" {
		return ""
	}
	return ":" + lit
}

// modelSide reads script.go: for each method of *scriptRun, its calls of
// the primitive types (r.file.Replace is File.Replace), of r.fail, r.eap,
// r.startSleep, and of the other methods in bearing.
func modelSide(t *testing.T, bearing map[string]bool) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "script.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	apis := map[string]string{"file": "File", "dir": "Dir", "mutex": "Mutex", "crypto": "Crypto", "process": "Process"}
	codes := map[string]string{
		"CodeNotFound": remotefile.CodeNotFound, "CodeAccessDenied": remotefile.CodeAccessDenied, "CodeConflict": remotefile.CodeConflict,
		"CodeUploadCorrupt": remotefile.CodeUploadCorrupt, "CodeNot64Bit": remotefile.CodeNot64Bit, "CodeIO": remotefile.CodeIO,
		"CodeBusy": remotefile.CodeBusy, "CodeRejected": remotefile.CodeRejected, "CodeError": remotefile.CodeError,
		"CodeConstrainedLanguage": remotefile.CodeConstrainedLanguage, "CodeReplaceFailed": remotefile.CodeReplaceFailed,
		"CodeRolledBack": remotefile.CodeRolledBack, "CodeRollbackFailed": remotefile.CodeRollbackFailed, "CodeLiveMissing": remotefile.CodeLiveMissing,
		"CodeRejectedBefore": remotefile.CodeRejectedBefore,
	}
	constant := func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(x.Value); err == nil {
				return s
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "remotefile" {
				if v, ok := codes[x.Sel.Name]; ok {
					return v
				}
				t.Errorf("script.go uses remotefile.%s, unknown to the drift test: add it to codes", x.Sel.Name)
			}
		}
		return ""
	}
	out := map[string][]string{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		if st, ok := fd.Recv.List[0].Type.(*ast.StarExpr); !ok || fmt.Sprint(st.X) != "scriptRun" {
			continue
		}
		seq := []string{}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var first ast.Expr
			if len(call.Args) > 0 {
				first = call.Args[0]
			}
			switch x := sel.X.(type) {
			case *ast.SelectorExpr: // r.file.Replace(...)
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "r" {
					if api, ok := apis[x.Sel.Name]; ok {
						seq = append(seq, api+"."+sel.Sel.Name)
					}
				}
			case *ast.Ident: // r.method(...)
				if x.Name != "r" {
					return true
				}
				switch m := sel.Sel.Name; {
				case m == "fail":
					seq = append(seq, "fail:"+orStar(constant(first)))
				case m == "eap":
					seq = append(seq, "EAP:"+constant(first))
				case m == "startSleep":
					seq = append(seq, "Sleep")
				case bearing[m]:
					lit := ""
					if first != nil {
						lit = constant(first)
					}
					seq = append(seq, "call:"+m+suffix(lit))
				}
			}
			return true
		})
		if len(seq) > 0 {
			out[fd.Name.Name] = seq
		}
	}
	return out
}

// splitScripts cuts the two scripts into their common part and their own.
func splitScripts() map[string]string {
	c := 0
	for c < len(remotefile.ReadScript) && c < len(remotefile.WriteScript) && remotefile.ReadScript[c] == remotefile.WriteScript[c] {
		c++
	}
	for c > 0 && remotefile.WriteScript[c-1] != '\n' { // back to a line start
		c--
	}
	return map[string]string{"common": remotefile.WriteScript[:c], "read": remotefile.ReadScript[c:], "write": remotefile.WriteScript[c:]}
}

func TestModelFollowsTheScripts(t *testing.T) {
	checker := pscheck.NewForTest(t)
	parts, err := checker.Calls(t.TempDir(), splitScripts())
	if err != nil {
		t.Fatal(err)
	}
	ss := scriptSide(parts)
	for _, u := range ss.unknown {
		t.Errorf("the script calls %s, which the model neither models nor knows to be harmless: model it in winapi.go and script.go, or add it to psPure if it touches nothing", u)
	}
	script := ss.seqs
	bearing := map[string]bool{}
	for fn := range script {
		bearing[fn] = true
	}
	model := modelSide(t, bearing)
	// The model's top levels run the common part first, as the scripts do.
	for _, top := range []string{"readScript", "writeScript"} {
		if len(model[top]) == 0 || model[top][0] != "call:common" {
			t.Errorf("model %s does not start with r.common(...)", top)
			continue
		}
		model[top] = model[top][1:]
	}
	compared := 0
	for fn, want := range script {
		got, ok := model[fn]
		if !ok {
			t.Errorf("the script function for %s reaches Windows primitives %v, but the model has no method %s", fn, want, fn)
			continue
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s drifted from the script:\n script: %s\n model:  %s", fn, strings.Join(want, " "), strings.Join(got, " "))
		}
		compared++
	}
	for fn, got := range model {
		if _, ok := script[fn]; !ok {
			t.Errorf("model method %s calls primitives %v but no script function corresponds", fn, got)
		}
	}
	t.Logf("%d functions compared, script and model agree", compared)
}

// The comparison can fail: a script with one primitive call moved, one
// recovery branch answering another code, or an unmodelled call, is told
// apart from the model.
func TestDriftIsDetected(t *testing.T) {
	checker := pscheck.NewForTest(t)
	parts := splitScripts()
	for _, tc := range []struct{ name, from, to, want string }{
		{"recovery deletes before it restores", "    Restore-Live\n    if ((Get-Sha256", "    Remove-Temp\n    Restore-Live\n    if ((Get-Sha256", "invokeSwap"},
		{"another code", "Fail 'replace_failed'", "Fail 'io'", "invokeSwap"},
		{"unmodelled call", "Repair-Live\n  foreach", "Remove-Item -LiteralPath $tmp\n  Repair-Live\n  foreach", "Remove-Item"},
		{"managed SHA-256", "New-Object Security.Cryptography.SHA256CryptoServiceProvider", "[Security.Cryptography.SHA256]::Create()", "SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := map[string]string{}
			hit := false
			for k, v := range parts {
				if strings.Contains(v, tc.from) {
					hit = true
				}
				changed[k] = strings.Replace(v, tc.from, tc.to, 1)
			}
			if !hit {
				t.Fatalf("%q is no longer in the scripts: pick another mutation", tc.from)
			}
			calls, err := checker.Calls(t.TempDir(), changed)
			if err != nil {
				t.Fatal(err)
			}
			script := scriptSide(calls)
			bearing := map[string]bool{}
			for fn := range script.seqs {
				bearing[fn] = true
			}
			model := modelSide(t, bearing)
			diff := script.unknown
			for fn := range model {
				if _, ok := script.seqs[fn]; !ok {
					diff = append(diff, fn)
				}
			}
			for fn, want := range script.seqs {
				got := model[fn]
				if (fn == "readScript" || fn == "writeScript") && len(got) > 0 {
					got = got[1:]
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					diff = append(diff, fn)
				}
			}
			if !strings.Contains(strings.Join(diff, " "), tc.want) {
				t.Fatalf("the mutation was not detected in %s (differences: %v)", tc.want, diff)
			}
		})
	}
}
