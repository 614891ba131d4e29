package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// scope names a location for messages, one way everywhere: `the server
// scope` or `location "Default Web Site/SMS_DP_SMSPKG$"`.
func scope(location string) string {
	if location == "" {
		return "the server scope"
	}
	return fmt.Sprintf("location %q", location)
}

// where names what a resource manages for messages: `.config at the server
// scope of dp01`, `hidden segment "bin" at location "Default Web Site" of dp01`.
func where(host, location, what string) string {
	return fmt.Sprintf("%s at %s of %s", what, scope(location), host)
}

// capitalized is s for the start of a sentence.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// keyID is the import format of a keyed rule: `key` for the server scope on
// the provider's host, `location|key` for a location, `host|location|key`
// for a resource with its own host.
func keyID(host, location, key string) string {
	switch {
	case host != "":
		return host + "|" + location + "|" + key
	case location != "":
		return location + "|" + key
	}
	return key
}

// ownershipKey is the private-state key of a resource's ownerCache: its
// owner id in the DP's ownership record and a cache of its entry there.
const ownershipKey = "ownership"

// privateSetter and privateGetter are the parts of a response's and a
// request's private state this package uses.
type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// importingKey marks a resource that ImportState has just made, until its
// first Read: a rule that is absent then is not drift but an import of
// something that is not there, which deserves its own diagnostic rather
// than Terraform's generic "Cannot import non-existent remote object"; and
// its state is an import ID, not a last known state, so a DP that does not
// answer is an error for it even with unreachable_hosts = "warn".
const importingKey = "importing"

// markImporting is called by ImportState.
func markImporting(ctx context.Context, p privateSetter) diag.Diagnostics {
	return p.SetKey(ctx, importingKey, []byte("true"))
}

// describeScopeOf names the scope of an entry the way a user finds it in
// the file.
func describeScopeOf(scope string) string {
	if scope == "" {
		return "the server scope"
	}
	return fmt.Sprintf("<location path=%q>", scope)
}

// The helpers below let the data sources (another package) share the
// resources' argument checks and host handling.

// HostValidator checks a per-resource or per-data-source host argument.
func HostValidator() validator.String { return hostValidator{} }

// LocationValidator checks an IIS location path argument.
func LocationValidator() validator.String { return locationValidator{} }

// ConfigureData extracts ProviderData in a data source's Configure.
func ConfigureData(data any, diags *diag.Diagnostics) *ProviderData { return configure(data, diags) }

// readUseOf says whether a Read refreshes a last known state or completes an
// import; a Read that succeeds calls doneImporting.
func readUseOf(ctx context.Context, p privateGetter) readUse {
	if b, _ := p.GetKey(ctx, importingKey); len(b) > 0 {
		return needing
	}
	return refreshing
}

// doneImporting clears the mark of markImporting.
func doneImporting(ctx context.Context, p privateSetter) diag.Diagnostics {
	return p.SetKey(ctx, importingKey, nil)
}
