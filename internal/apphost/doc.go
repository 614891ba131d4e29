// Package apphost reads and edits IIS applicationHost.config without I/O.
//
// The file belongs to the user and holds every site, pool and binding of the
// server, so an edit must change only the bytes it means to change: BOM or none,
// CRLF or LF, indentation, comments, attribute order and IIS's `<add ... />`
// style all stay as they are. etree (which the provider uses to parse and locate)
// re-serialises a whole document in its own style when written, so this package
// never writes through etree: it keeps the original bytes, records the byte span
// of every element with a parallel encoding/xml pass (the same decoder etree
// uses, token for token), and edits by splicing bytes. Every edit re-parses its
// output, so a result that would not parse never leaves the package.
package apphost
