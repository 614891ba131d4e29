package resources

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// extensionPattern: a dot, then characters IIS accepts in a file extension;
// dots may separate parts (".exe.config") but not end it. ASCII only: what
// is not matched here could not be typed into IIS Manager either.
var extensionPattern = regexp.MustCompile(`^\.[A-Za-z0-9_~!#$%()+,=@\[\]^{}-]+(\.[A-Za-z0-9_~!#$%()+,=@\[\]^{}-]+)*$`)

const maxExtensionLen = 64

type extensionValidator struct{}

func (extensionValidator) Description(context.Context) string {
	return `must start with "." followed by letters, digits or _~!#$%()+,=@[]^{}- (e.g. ".config")`
}
func (v extensionValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v extensionValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	problem := extensionProblem(s)
	if problem != "" {
		if fix := suggestExtension(s); fix != "" {
			problem += fmt.Sprintf("; write %q", fix)
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid file extension",
			fmt.Sprintf("extension = %q: %s. An extension %s.", s, problem, v.Description(context.Background())))
	}
}

// extensionProblem says what makes s no file extension IIS request
// filtering can match, or "" when it is one: the validator's rules, shared
// with suggestExtension and ExtensionAllowable so that all three agree.
func extensionProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case strings.TrimSpace(s) != s:
		return "it starts or ends with white space"
	case !strings.HasPrefix(s, "."):
		return "it does not start with a dot"
	case len(s) > maxExtensionLen:
		return fmt.Sprintf("it is %d characters long; IIS file extensions here are at most %d", len(s), maxExtensionLen)
	case strings.HasPrefix(s, ".."):
		return "it starts with two dots"
	case strings.ContainsAny(s, "*?"):
		return "wildcards are not extensions: request filtering matches one extension per entry"
	case !extensionPattern.MatchString(s):
		return "it holds characters that cannot be part of a file extension (spaces, quotes, < > & / \\ : | or non-ASCII), or it ends with a dot"
	}
	return ""
}

// suggestExtension returns the extension a user most likely meant by s, or
// "" when there is no single valid one: the value without surrounding
// white space, a leading wildcard ("*.config", the form of a file pattern)
// or extra dots, with one leading dot. A suggestion is offered only when it
// is itself a valid extension, so that following it always works.
func suggestExtension(s string) string {
	t := strings.TrimSpace(s)
	t = strings.TrimLeft(t, "*")
	t = "." + strings.TrimLeft(t, ".")
	if t == s || extensionProblem(t) != "" {
		return ""
	}
	return t
}

type locationValidator struct{}

func (locationValidator) Description(context.Context) string {
	return `"" for the server, or an IIS path such as "Default Web Site/SMS_DP_SMSPKG$": site and folder names separated by "/", without a leading or trailing "/"`
}
func (v locationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v locationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if s == "" {
		return
	}
	var problem string
	switch {
	case pspathTail(s) != nil:
		problem = fmt.Sprintf("it is a PSPath, the form Set-WebConfigurationProperty and Get-WebConfiguration take; "+
			"a location is the part after MACHINE/WEBROOT/APPHOST/ (\"\" for the server scope): write %q", *pspathTail(s))
	case len(s) > 1024:
		problem = "it is longer than 1024 characters"
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/"):
		problem = fmt.Sprintf("it starts or ends with \"/\"; write %q", strings.Trim(s, "/"))
	case strings.TrimSpace(s) != s:
		problem = "it starts or ends with white space"
	case strings.ContainsAny(s, "\\\"<>|*?"):
		problem = "it holds a character IIS does not allow in site or folder names (\\ \" < > | * ?); separate names with \"/\""
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		problem = "it holds a control character"
	default:
		for _, seg := range strings.Split(s, "/") {
			if seg == "" || seg == "." || seg == ".." {
				problem = fmt.Sprintf("it has an empty, \".\" or \"..\" segment (%q); IIS location paths name sites and folders literally", seg)
				break
			}
		}
	}
	if problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid location",
			fmt.Sprintf("location = %q: %s. A location is %s.", s, problem, v.Description(context.Background())))
	}
}

// pspathTail is the location a PSPath names ("MACHINE/WEBROOT/APPHOST/Default
// Web Site" names "Default Web Site"; IIS:\Sites\Default Web Site too),
// or nil when s is not one. People paste these from the WebAdministration
// cmdlets, whose -PSPath takes them
// (https://learn.microsoft.com/powershell/module/webadministration/set-webconfigurationproperty).
func pspathTail(s string) *string {
	norm := strings.ReplaceAll(s, "\\", "/")
	for _, prefix := range []string{"MACHINE/WEBROOT/APPHOST", "IIS:/Sites"} {
		if len(norm) >= len(prefix) && strings.EqualFold(norm[:len(prefix)], prefix) && (len(norm) == len(prefix) || norm[len(prefix)] == '/') {
			tail := strings.Trim(norm[len(prefix):], "/")
			return &tail
		}
	}
	return nil
}

// verbValidator checks an HTTP verb: a token of RFC 9110, section 9.1.
type verbValidator struct{}

func (verbValidator) Description(context.Context) string {
	return "an HTTP method name such as TRACE or PROPFIND (letters, digits and the token characters of RFC 9110)"
}
func (v verbValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v verbValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	ok := s != ""
	for _, c := range s {
		ok = ok && (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c))
	}
	if !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid verb", fmt.Sprintf("verb %q: use %s.", s, v.Description(ctx)))
	}
}
