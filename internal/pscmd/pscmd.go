// Package pscmd builds and parses the powershell.exe command line the provider
// sends over WinRM. The provider encodes; the DP simulator decodes, so both sides
// of the wire agree on one definition.
//
// The script travels as -EncodedCommand (base64 of UTF-16LE), which avoids every
// cmd.exe quoting rule. cmd.exe limits a command line to 8191 characters, so a
// script must stay under MaxScriptChars; data never goes into the script text:
// it travels on stdin.
package pscmd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// prefix is fixed: -NoProfile keeps user profiles from changing behaviour,
// -NonInteractive turns prompts into errors, and -ExecutionPolicy Bypass lets
// the script run on hosts with a restrictive policy (the script is not a file,
// so nothing is weakened on disk).
const prefix = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

// MaxScriptChars is the largest script Encode accepts: the encoded form of
// 3,000 UTF-16 code units is 8,000 characters, which with the prefix stays under
// cmd.exe's 8,191-character limit.
const MaxScriptChars = 3000

// Encode returns the command line that runs script in Windows PowerShell.
func Encode(script string) (string, error) {
	units := utf16.Encode([]rune(script))
	if len(units) > MaxScriptChars {
		return "", fmt.Errorf("script is %d UTF-16 code units; the limit under cmd.exe is %d: move data to stdin", len(units), MaxScriptChars)
	}
	buf := make([]byte, 0, 2*len(units))
	for _, u := range units {
		buf = append(buf, byte(u), byte(u>>8))
	}
	return prefix + base64.StdEncoding.EncodeToString(buf), nil
}

// ErrNotPowerShell is returned by Decode for a command line Encode did not build.
var ErrNotPowerShell = errors.New("not a command line built by pscmd.Encode")

// Decode returns the script inside a command line built by Encode.
func Decode(commandLine string) (string, error) {
	b64, ok := strings.CutPrefix(commandLine, prefix)
	if !ok {
		return "", ErrNotPowerShell
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("%w: bad base64: %v", ErrNotPowerShell, err)
	}
	if len(raw)%2 != 0 {
		return "", fmt.Errorf("%w: odd UTF-16 byte count", ErrNotPowerShell)
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(units)), nil
}
