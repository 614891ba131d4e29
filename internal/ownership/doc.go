// Package ownership is the provider's record, kept on the distribution point
// itself, of what it changed in applicationHost.config: per managed entry,
// what the entry was before the provider first touched it (the undo a
// resource's create computed) and who manages it now. Destroy and import
// consult it; a resource's private state is only a cache of it. It does no
// I/O: it reads and writes the record inside the file's bytes.
//
// # Where the record lives, and why
//
// The record is one XML comment inside applicationHost.config, the last
// child of <configuration>:
//
//	<!-- terraform-provider-iis ownership v1 (do not edit; see the provider's README)
//	{"kind":"iis_request_filtering_extension","location":"","key":".config",...}
//	-->
//
// Why a comment in the file, not a sidecar file beside it:
//
//   - Atomicity. The record changes in the same bytes as the entry, so the
//     hardened write (temporary file, SHA-256 check, ReplaceFile, appcmd
//     check, rollback) makes both visible together or neither: there is no
//     window in which the entry changed and the record did not, whatever
//     kills the write. A sidecar needs a second replace, a second failure
//     path, and a change of the write script and its simulator model.
//   - IIS never rejects it. An XML comment is not configuration: IIS's
//     configuration system reads only elements and attributes (the file
//     Windows ships carries comments, e.g. the header and the notes in
//     <configSections>, see the fixtures in ../shared/fixtures). The record
//     holds no "--" (every '-' is written as the JSON escape \u002d, and
//     encoding/json escapes '<', '>' and '&'), so the comment is well formed.
//   - It travels with the file: a backup, a restore from inetpub\history,
//     or a copy to another DP carries the record that describes that file.
//
// What IIS Manager and appcmd do to comments when they save the file is not
// documented: we found no Microsoft statement either way (searched the
// public documentation, issue trackers and pages for it). The files real
// servers carry still hold the comments Windows ships after years of
// IIS Manager and appcmd edits, which suggests the configuration writer
// keeps them, but that is not a promise, so the record is never trusted
// blindly:
//
//   - Every claim is checked against the file: an owner whose value the
//     file no longer holds (a hand edit, or an entry deleted by hand) has
//     lost its claim, and is dropped at the next write (Record.Claim,
//     Record.Release).
//   - A lost record (a writer that drops comments) degrades to the
//     behaviour before the record existed: each resource's private state
//     still caches its undo, and is used when the file has no entry for it.
//   - A record that does not parse (edited by hand) is an error that names
//     its line and says how to fix it; nothing is written over it.
//
// What it cannot know: a claim whose resource never reached a state (the
// provider killed after its write, or a failed write that still left the
// change in place) looks like a live manager with the same value; the
// entry then stays as configured when the other managers are destroyed.
// The plan's "is already managed" warning and the destroy's warning name
// that claim and give the way out: import the resource (an import takes
// over every recorded claim), and its destroy gives back the value from
// before Terraform (resources' TestAccOwnership_killed).
//
// # Using it from a resource type
//
// A resource type needs a Kind (its type name), a canonical Location and Key
// for the entry, a canonical Want string for the value it configures, its
// own undo (any JSON) and a way to tell whether the file holds a Want. See
// Record.Claim and Record.Release.
package ownership
