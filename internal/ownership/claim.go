package ownership

import (
	"fmt"
	"slices"
	"strings"
)

// Subject is the entry a resource manages, seen in the file as it is now.
type Subject struct {
	Kind, Location, Key string
	// Holds reports whether the file gives the entry the value want (an
	// Owner.Want of this kind): the record is checked against the file
	// with it, so that a hand edit is seen, whatever the record says.
	Holds func(want string) bool
	// Current is the entry's value in the file now, for messages and as
	// Entry.Before when the provider first touches it.
	Current string
}

// ConflictError is a claim on an entry that another manager holds with
// another value: writing would undo that manager's value, and its next
// apply would undo this one, forever.
type ConflictError struct {
	Subject Subject
	Others  []Owner
}

func (e *ConflictError) Error() string {
	names := make([]string, len(e.Others))
	for i, o := range e.Others {
		names[i] = o.Describe()
	}
	return fmt.Sprintf("the entry (now %s) is managed by %s", e.Subject.Current, strings.Join(names, "; and by "))
}

// Claim makes me a manager of the entry with me.Want, before the caller
// writes that value, and returns the entry to update (its Undo is the
// resource's undo so far: nil when the provider has never touched the
// entry). takenOver are owners me replaces (an import took them over).
//
// Other owners are checked against the file: one whose value the file no
// longer holds has lost its claim (a hand edit, or its entry deleted by
// hand and then created again under a new owner) and is dropped (when all
// are, the entry starts afresh: its Undo is nil and Before the file's
// value now); one that
// holds the same value stays, managing the entry with me; one whose value
// the file holds and differs from me.Want is a *ConflictError, and nothing
// changes.
func (r *Record) Claim(s Subject, me Owner, takenOver []string) (*Entry, error) {
	e := r.Find(s.Kind, s.Location, s.Key)
	if e == nil {
		r.Entries = append(r.Entries, Entry{Kind: s.Kind, Location: Canonical(s.Location), Key: Canonical(s.Key), Before: s.Current})
		e = &r.Entries[len(r.Entries)-1]
	}
	var conflicts []Owner
	for _, o := range e.Owners {
		if o.ID != me.ID && !slices.Contains(takenOver, o.ID) && s.Holds(o.Want) && o.Want != me.Want {
			conflicts = append(conflicts, o)
		}
	}
	if len(conflicts) > 0 {
		return nil, &ConflictError{Subject: s, Others: conflicts}
	}
	kept := []Owner{}
	continued := false // a claim goes on: me's own, or one an import took over
	for _, o := range e.Owners {
		switch {
		case o.ID == me.ID:
			continued = true
			if me.Since == "" {
				me.Since = o.Since
			}
		case slices.Contains(takenOver, o.ID):
			continued = true
		case !s.Holds(o.Want):
		default:
			kept = append(kept, o)
		}
	}
	if len(e.Owners) > 0 && len(kept) == 0 && !continued {
		// Every earlier claim was lost to hand edits: what Terraform did is
		// gone from the file, and this claim is a first touch of the file
		// as it is now.
		e.Undo, e.Before = nil, s.Current
	}
	e.Owners = append(kept, me)
	return e, nil
}

// Release is the claim of owner me (and of takenOver) ending: its resource
// is being destroyed. It returns the entry and whether me was its last
// valid manager, in which case the entry is out of the record and the
// caller gives it back with entry.Undo; otherwise the caller leaves the
// file's entry alone: the remaining owners (entry.Owners) manage it. A nil
// entry means the record does not know it (it was lost, or the resource
// predates it): the caller falls back to its own cache.
func (r *Record) Release(s Subject, me string, takenOver []string) (e *Entry, last bool) {
	e = r.Find(s.Kind, s.Location, s.Key)
	if e == nil {
		return nil, false
	}
	kept := []Owner{}
	for _, o := range e.Owners {
		if o.ID != me && !slices.Contains(takenOver, o.ID) && s.Holds(o.Want) {
			kept = append(kept, o)
		}
	}
	if len(kept) > 0 {
		e.Owners = kept
		return e, false
	}
	out := *e
	r.remove(e)
	return &out, true
}

// Takeover lists the owners an import of the entry takes over: all of
// them. The imported resource keeps their ids (in private state) and drops
// them from the record at its first write or its destroy.
func (e *Entry) Takeover() []string {
	ids := make([]string, len(e.Owners))
	for i, o := range e.Owners {
		ids[i] = o.ID
	}
	return ids
}
