package resources

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dp-tools/terraform-provider-iis/internal/apphost"
	"github.com/dp-tools/terraform-provider-iis/internal/hostconfig"
	"github.com/dp-tools/terraform-provider-iis/internal/ownership"
)

// ownerCache is a resource's private state under ownershipKey: its owner
// id in the DP's ownership record (internal/ownership) and a cache of its
// entry's undo there, used when the record has no entry for it (a record a
// tool dropped, or a resource created before the record existed).
type ownerCache struct {
	V     int    `json:"v"` // 2; a record without it is the bare undo of earlier versions
	Owner string `json:"owner,omitempty"`
	// TakenOver are the owners an import took the entry over from; they
	// leave the record at this resource's first write or its destroy.
	TakenOver []string        `json:"taken_over,omitempty"`
	Undo      json.RawMessage `json:"undo,omitempty"`
}

const cacheVersion = 2

func loadCache(ctx context.Context, p privateGetter) (ownerCache, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, ownershipKey)
	if diags.HasError() || len(b) == 0 {
		return ownerCache{}, diags
	}
	var c ownerCache
	if err := json.Unmarshal(b, &c); err != nil {
		diags.AddError("Cannot read ownership record", fmt.Sprintf("the private state of this resource is damaged (%v); remove it with terraform state rm and import it again", err))
		return ownerCache{}, diags
	}
	if c.V != cacheVersion { // written before the record on the DP existed
		return ownerCache{Undo: b}, diags
	}
	return c, diags
}

func saveCache(ctx context.Context, p privateSetter, c ownerCache) diag.Diagnostics {
	c.V = cacheVersion
	b, err := json.Marshal(c)
	if err != nil {
		var d diag.Diagnostics
		d.AddError("Cannot record ownership", err.Error())
		return d
	}
	return p.SetKey(ctx, ownershipKey, b)
}

// newOwnerID is a resource's identity in the record: random, so that two
// resources for one entry (two states, two spellings) are told apart.
func newOwnerID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// runOrigin names where this Terraform run happens, for the record's
// messages: Terraform does not tell a provider a resource's address or
// workspace, but it starts the provider in the configuration's directory.
func runOrigin() string {
	h, _ := os.Hostname()
	d, _ := os.Getwd()
	return h + ":" + d
}

// managed is the entry a resource manages, for the record.
type managed struct {
	kind          string // the resource type
	host          string // as the resource spells it ("" = the provider's)
	location, key string // as configured
	want          string // canonical value the resource configures
	id            string // the resource's import ID, for messages
	// holds reports whether d gives the entry the value want; current
	// describes the entry's value in d.
	holds   func(d *apphost.Doc, want string) bool
	current func(d *apphost.Doc) string
	// unknown: a value the entry depends on is known only at apply, so
	// the plan cannot check it.
	unknown bool
	// allowMissingSite skips the site check of location (checkSite).
	allowMissingSite bool
	// exists reports whether d already has what a create would adopt (the
	// plan warns, naming current); nil: never.
	exists func(d *apphost.Doc) bool
	// overlaps returns the live managers of entries of another kind that
	// manage what m manages too (a policy that lists the extension of a
	// single-entry resource); nil: none can.
	overlaps func(d *apphost.Doc, rec *ownership.Record) []ownership.Owner
}

// overlap is the refusal of a claim that other kinds of resources manage
// too, or nil. A policy and a single-entry resource never share an entry,
// even with one value: each keeps its own "before", so destroying one
// would give back a value the other still wants.
func (m managed) overlap(d *apphost.Doc, rec *ownership.Record) error {
	if m.overlaps == nil {
		return nil
	}
	others := m.overlaps(d, rec)
	if len(others) == 0 {
		return nil
	}
	names := make([]string, len(others))
	for i, o := range others {
		names[i] = o.Describe()
	}
	return fmt.Errorf("%s at %s is also managed by %s. Nothing was written: an iis_request_filtering_policy and a single-entry resource "+
		"cannot manage the same entry, even with one value (destroying one would give back a value the other still wants). "+
		"Keep one: take the entry out of the policy (or make the policy not exclusive), or remove the single-entry resource "+
		"(`terraform state rm` it where it is managed, or a removed block), then apply again",
		m.subjectName(), scope(m.location), strings.Join(names, "; and by "))
}

// subjectName names what m manages in a sentence.
func (m managed) subjectName() string {
	if m.key == "" {
		return "the request filtering that " + fmt.Sprintf("%s %q", m.kind, m.id) + " manages"
	}
	return fmt.Sprintf("%s %q", m.kind, m.key)
}

func (m managed) subject(d *apphost.Doc) ownership.Subject {
	return ownership.Subject{Kind: m.kind, Location: m.location, Key: m.key, Current: m.current(d), Holds: m.holdsIn(d)}
}

// holdsIn is m.holds against d, worked out once per value: Record.Claim
// and Release ask it twice for each owner, and the owners of an entry
// mostly share one value, while a policy's holds parses the value and
// reads every key it lists from d.
func (m managed) holdsIn(d *apphost.Doc) func(want string) bool {
	known := map[string]bool{}
	return func(want string) bool {
		v, ok := known[want]
		if !ok {
			v = m.holds(d, want)
			known[want] = v
		}
		return v
	}
}

func (m managed) owner(id string) ownership.Owner {
	return ownership.Owner{ID: id, Want: m.want, Resource: fmt.Sprintf("%s %q", m.kind, m.key), Host: m.host, From: runOrigin(),
		Since: time.Now().UTC().Format(time.RFC3339)}
}

// claimOp writes the resource's value given the entry's undo so far (nil
// when the provider never touched the entry) and returns the undo to keep.
type claimOp func(d *apphost.Doc, undo json.RawMessage) ([]byte, json.RawMessage, error)

// claim is the edit of a create or update: it claims the entry in the
// record (refusing, with nothing written, when another manager holds it
// with another value), runs op, and writes the record in the same bytes.
// *c becomes the resource's new cache; adopted says whether the entry was
// there before and in what state (for the log and the plan).
func (m managed) claim(c *ownerCache, op claimOp) hostconfig.Edit {
	if c.Owner == "" {
		c.Owner = newOwnerID()
	}
	me := m.owner(c.Owner)
	start := *c
	return func(d *apphost.Doc) ([]byte, error) {
		if err := checkSite(d, m.location, m.allowMissingSite); err != nil {
			return nil, err
		}
		rec, err := ownership.Parse(d.Bytes())
		if err != nil {
			return nil, err
		}
		if err := m.overlap(d, &rec); err != nil {
			return nil, err
		}
		e, err := rec.Claim(m.subject(d), me, start.TakenOver)
		if err != nil {
			return nil, m.conflict(err)
		}
		undo := e.Undo
		if undo == nil {
			undo = start.Undo
		}
		out, next, err := op(d, undo)
		if err != nil {
			return nil, err
		}
		e.Undo = next
		final, err := ownership.Render(out, rec)
		if err != nil {
			return nil, err
		}
		*c = ownerCache{Owner: me.ID, Undo: next}
		return final, nil
	}
}

// conflict explains a ConflictError and the ways out.
func (m managed) conflict(err error) error {
	var ce *ownership.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("%v. Nothing was written: two managers with different values would undo each other at every apply. "+
		"If that resource is this one under its former address, add a `moved` block (from the old address to the new one) instead of creating it anew. "+
		"To take the entry over: remove the other resource from its configuration, or run `terraform state rm` on it where it is managed, "+
		"then import this one (`terraform import <address> %q`, or an import block): an import takes the entry over from every recorded manager, "+
		"and its destroy gives back the value from before Terraform. Or configure both with the same value", err, m.id)
}

// releaseOp gives the entry back as undo (nil: no record at all) says.
type releaseOp func(d *apphost.Doc, undo json.RawMessage) ([]byte, error)

// release is the edit of a destroy. When other resources still manage the
// entry with a value the file holds, only this resource's claim goes (a
// renamed resource's destroy leaves its successor's value); when it was the
// last, op gives the entry back with the record's undo (or the cache's,
// when the record lost the entry). warnings gets, in words, a hand edit the
// give-back overwrites and managers that keep the entry.
func (m managed) release(c ownerCache, warnings *[]string, op releaseOp) hostconfig.Edit {
	return func(d *apphost.Doc) ([]byte, error) {
		*warnings = nil
		rec, err := ownership.Parse(d.Bytes())
		if err != nil {
			return nil, err
		}
		s := m.subject(d)
		// What Terraform last wrote: the value of this resource's claim
		// (or of the claims an import took over), not the refreshed state,
		// which already shows a hand edit.
		wrote := ""
		if e := rec.Find(m.kind, m.location, m.key); e != nil {
			for _, o := range e.Owners {
				if o.ID == c.Owner || slices.Contains(c.TakenOver, o.ID) {
					wrote = o.Want
				}
			}
		}
		e, last := rec.Release(s, c.Owner, c.TakenOver)
		if e != nil && !last {
			var names []string
			for _, o := range e.Owners {
				names = append(names, o.Describe())
			}
			*warnings = append(*warnings, fmt.Sprintf("The entry stays as it is (%s): it is also managed by %s. "+
				"Its value from before Terraform (%s) goes back when the last of them is destroyed. A manager whose apply was killed before it saved its state (a second Ctrl-C, a crash) is in no state and is never destroyed: if that is one of them, import this resource again (`terraform import <address> %q`: the import takes over every recorded claim), then destroy it, and the value from before Terraform goes back.", s.Current, strings.Join(names, "; and by "), e.Before, m.id))
			return ownership.Render(d.Bytes(), rec)
		}
		undo := c.Undo
		if e != nil && e.Undo != nil {
			undo = e.Undo
		}
		out, err := op(d, undo)
		if err != nil {
			return nil, err
		}
		if wrote != "" && !m.holds(d, wrote) {
			if after, perr := apphost.Parse(out); perr == nil {
				if now := m.current(after); now != s.Current {
					*warnings = append(*warnings, fmt.Sprintf("The entry was edited by hand since Terraform set it to %s: it was %s. Destroy gave back its value from before Terraform (%s), overwriting that edit.",
						wrote, s.Current, now))
				}
			}
		}
		return ownership.Render(out, rec)
	}
}

// adopt fills a fresh cache for an import from the record: the imported
// resource takes the entry over from every recorded manager, with the
// entry's undo, so that its destroy gives back the value from before
// Terraform. It returns a warning naming the managers taken over from, if
// any.
func (m managed) adopt(d *apphost.Doc) (ownerCache, string, error) {
	rec, err := ownership.Parse(d.Bytes())
	if err != nil {
		return ownerCache{}, "", err
	}
	c := ownerCache{Owner: newOwnerID()}
	e := rec.Find(m.kind, m.location, m.key)
	if e == nil {
		return c, "", nil
	}
	c.TakenOver, c.Undo = e.Takeover(), e.Undo
	if len(e.Owners) == 0 {
		return c, "", nil
	}
	var names []string
	for _, o := range e.Owners {
		names = append(names, o.Describe())
	}
	return c, fmt.Sprintf("The entry was managed by %s. This resource takes it over: its destroy gives back the value from before Terraform (%s). "+
		"If that resource still exists in another state, run `terraform state rm` on it there, or its destroy will not give the entry back.",
		strings.Join(names, "; and by "), e.Before), nil
}

// known marks m as planned with values known only at apply when any of
// vals is unknown.
func (m managed) known(vals ...interface{ IsUnknown() bool }) managed {
	for _, v := range vals {
		m.unknown = m.unknown || v.IsUnknown()
	}
	return m
}

// siteOptional is m with the site check as allow_missing_site says.
func (m managed) siteOptional(allow types.Bool) managed {
	m.allowMissingSite = allow.ValueBool()
	return m
}
