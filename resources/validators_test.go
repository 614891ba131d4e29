package resources

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestExtensionValidator_suggestion: a value that is almost an extension
// gets the one that works as its fix, and the fix is itself accepted; a
// value with no single meaning gets no suggestion at all.
func TestExtensionValidator_suggestion(t *testing.T) {
	cases := []struct {
		in, problem, fix string // fix "" means no "write ..." suggestion
	}{
		{"*.config", "it does not start with a dot", ".config"},
		{"config", "it does not start with a dot", ".config"},
		{" .config ", "it starts or ends with white space", ".config"},
		{" config", "it starts or ends with white space", ".config"},
		{"*config", "it does not start with a dot", ".config"},
		{"..config", "it starts with two dots", ".config"},
		{".config ", "it starts or ends with white space", ".config"},
		{".con fig", "it holds characters that cannot be part of a file extension", ""},
		{".exe.config", "", ""},
		{"*.*", "it does not start with a dot", ""},
		{"*", "it does not start with a dot", ""},
		{"con fig", "it does not start with a dot", ""},
		{".", "it holds characters that cannot be part of a file extension", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			resp := &validator.StringResponse{}
			extensionValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("extension"), ConfigValue: types.StringValue(c.in)}, resp)
			if c.problem == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("refused: %v", resp.Diagnostics)
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("want one diagnostic, got %v", resp.Diagnostics)
			}
			msg := resp.Diagnostics[0].Detail()
			if !strings.Contains(msg, c.problem) {
				t.Errorf("message %q lacks %q", msg, c.problem)
			}
			hasFix := strings.Contains(msg, "; write ")
			switch {
			case c.fix == "" && hasFix:
				t.Errorf("message %q suggests a fix where none is valid", msg)
			case c.fix != "" && !strings.Contains(msg, c.problem+`; write "`+c.fix+`".`):
				t.Errorf("message %q does not suggest %q", msg, c.fix)
			}
			if c.fix != "" { // following the advice must work
				again := &validator.StringResponse{}
				extensionValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("extension"), ConfigValue: types.StringValue(c.fix)}, again)
				if again.Diagnostics.HasError() {
					t.Errorf("the suggested %q is refused: %v", c.fix, again.Diagnostics)
				}
			}
		})
	}
}

// TestLocationValidator_pspath: the PSPath form people paste from
// Set-WebConfigurationProperty gets the location it names as the fix, and
// the fix is accepted.
func TestLocationValidator_pspath(t *testing.T) {
	cases := []struct{ in, fix string }{
		{"MACHINE/WEBROOT/APPHOST/Default Web Site", "Default Web Site"},
		{"machine/webroot/apphost/Default Web Site/SMS_DP_SMSPKG$", "Default Web Site/SMS_DP_SMSPKG$"},
		{"MACHINE/WEBROOT/APPHOST", ""},
		{`IIS:\Sites\Default Web Site\SMS_DP_SMSPKG$`, "Default Web Site/SMS_DP_SMSPKG$"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			resp := &validator.StringResponse{}
			locationValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("location"), ConfigValue: types.StringValue(c.in)}, resp)
			if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), `it is a PSPath`) ||
				!strings.Contains(resp.Diagnostics[0].Detail(), `write "`+c.fix+`"`) {
				t.Fatalf("want the PSPath hint writing %q, got %v", c.fix, resp.Diagnostics)
			}
			again := &validator.StringResponse{}
			locationValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("location"), ConfigValue: types.StringValue(c.fix)}, again)
			if again.Diagnostics.HasError() {
				t.Fatalf("the suggested %q is refused: %v", c.fix, again.Diagnostics)
			}
		})
	}
	// A site whose name merely starts with MACHINE is a location.
	resp := &validator.StringResponse{}
	locationValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("location"), ConfigValue: types.StringValue("MACHINEROOM/app")}, resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("refused: %v", resp.Diagnostics)
	}
}

// TestVerbValidator: a verb is an RFC 9110 token (what IIS matches against
// the request line's method); anything else is refused naming the value.
func TestVerbValidator(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"TRACE", true}, {"PROPFIND", true}, {"M-SEARCH", true}, {"get", true}, {"X_MS~1", true},
		{"", false}, {"GET POST", false}, {"TR/ACE", false}, {"TRACE\n", false}, {"ÄRGER", false}, {"(GET)", false},
	} {
		resp := &validator.StringResponse{}
		verbValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("verbs"), ConfigValue: types.StringValue(c.in)}, resp)
		if got := !resp.Diagnostics.HasError(); got != c.ok {
			t.Errorf("%q: accepted = %t, want %t (%v)", c.in, got, c.ok, resp.Diagnostics)
			continue
		}
		if !c.ok {
			if d := resp.Diagnostics[0]; d.Summary() != "Invalid verb" || !strings.Contains(d.Detail(), fmt.Sprintf("verb %q: use an HTTP method name", c.in)) {
				t.Errorf("%q: the error should name the verb and what to write: %s: %s", c.in, d.Summary(), d.Detail())
			}
		}
	}
}
