package resources

import (
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A claim is one entry a resource manages: a key of a collection in a scope
// of a host, or the whole collection ("*") for an exclusive policy. Every
// resource registers its claims when Terraform plans it; all the resources
// of a configuration are planned by one provider process, so two resources
// that manage the same entry (a policy and a single-entry resource, as the
// module's move to the policy resource could leave by mistake) meet here and
// the plan is refused before either writes: otherwise each would undo the
// other on every apply, and a destroy would restore the wrong value.
//
// The provider sees only what one configuration plans: two configurations
// (two states) that manage one DP meet in the DP's ownership record instead,
// at apply (managed.overlap in ownership.go).
type claim struct {
	host, scope, collection, key string
}

// The resource types, as claims and the DP's ownership record (its entries'
// kind, ownership.go) name them. policyTypeName is the type whose claims
// conflict here.
const (
	policyTypeName    = "iis_request_filtering_policy"
	extensionTypeName = "iis_request_filtering_extension"
	segmentTypeName   = "iis_request_filtering_hidden_segment"
	settingsTypeName  = "iis_request_filtering_settings"
)

// claimant is who claims: the resource type and its own identity (its
// import ID), so that a resource planned twice does not conflict with itself.
type claimant struct {
	typeName, id string
}

type claimSet struct {
	mu     sync.Mutex
	claims map[claim]claimant
}

// add registers the claims of one resource and returns a message for the
// first conflict: a claim another resource holds, or a key a whole-collection
// claim covers (or the reverse).
func (s *claimSet) add(who claimant, claims []claim) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claims == nil {
		s.claims = map[claim]claimant{}
	}
	for _, c := range claims {
		var others []claim
		if c.key == "*" {
			for k := range s.claims {
				if k.host == c.host && k.scope == c.scope && k.collection == c.collection {
					others = append(others, k)
				}
			}
		} else {
			others = []claim{c, {host: c.host, scope: c.scope, collection: c.collection, key: "*"}}
		}
		for _, o := range others {
			// Two single-entry resources on one entry are the ownership
			// record's to judge (sharing when they want the same value,
			// refused at apply when not: ownership.go); here only a policy
			// meets another manager.
			if held, ok := s.claims[o]; ok && held != who && (held.typeName == policyTypeName || who.typeName == policyTypeName) {
				return conflictMessage(who, held, c, o)
			}
		}
	}
	for _, c := range claims {
		s.claims[c] = who
	}
	return ""
}

func conflictMessage(who, held claimant, c, o claim) string {
	what := fmt.Sprintf("%s %q", c.collection, c.key)
	if c.key == "*" {
		what = fmt.Sprintf("%s %q (the exclusive policy manages every entry of %s)", o.collection, o.key, c.collection)
	} else if o.key == "*" {
		what = fmt.Sprintf("%s %q (the exclusive policy %s manages every entry of %s)", c.collection, c.key, held.id, c.collection)
	}
	return fmt.Sprintf("%s %s and %s %s both manage %s at %s of %s: each would undo the other on every apply, and destroying one would restore "+
		"the value the other set. Keep one: list the entry in the iis_request_filtering_policy and remove the single-entry resource "+
		"(a removed block with lifecycle { destroy = false } forgets it without touching the DP), or take the entry out of the policy.",
		who.typeName, who.id, held.typeName, held.id, what, scope(c.scope), c.host)
}

// claimHost is the host a claim names: the resource's own, else the
// provider's, spelled as the pool keys hosts.
func (pd *ProviderData) claimHost(host types.String) string {
	h := host.ValueString()
	if h == "" {
		h = pd.DefaultHost
	}
	return pd.Pool.Canonical(h)
}
