package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes caps a sanitized file or folder name (before a collision suffix and the extension),
// well inside the 255-byte limit of common file systems.
const maxNameBytes = 100

// SafeName turns arbitrary text (a SKU or a style name: possibly with '/', '\', "..", NUL, control
// characters, invalid UTF-8, or very long) into one path element that is safe on Linux, macOS and
// Windows:
//   - letters, digits, and - _ . + = , @ ( ) [ ] and space are kept; every other character (and every
//     byte of invalid UTF-8) becomes '_';
//   - leading dots and spaces become '_' (no hidden files, never "." or ".."), trailing dots and spaces
//     are dropped (Windows drops them), and Windows device names (CON, NUL, COM1…) get a '_' prefix;
//   - the result is at most 100 bytes (cut on a character boundary) and never empty ("_").
//
// Different inputs can give the same name; Export resolves those collisions with a hash suffix.
func SafeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxNameBytes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 || !allowedRune(r) {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > maxNameBytes {
			break
		}
		b.WriteRune(r)
	}
	name := strings.TrimRight(b.String(), ". ")
	// Leading dots or spaces: hidden files, ".", "..", and names Windows mangles.
	lead := 0
	for lead < len(name) && (name[lead] == '.' || name[lead] == ' ') {
		lead++
	}
	if lead > 0 {
		name = strings.Repeat("_", lead) + name[lead:]
	}
	if name == "" {
		return "_"
	}
	if reservedOnWindows(name) {
		name = "_" + name
		if len(name) > maxNameBytes {
			// The cut can end on a dot or space again, which Windows would drop (found by fuzzing).
			name = strings.TrimRight(truncateUTF8(name, maxNameBytes), ". ")
		}
	}
	return name
}

func allowedRune(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return true
		}
		return strings.ContainsRune("-_.+=,@()[] ", r)
	}
	// Readable non-ASCII letters and digits (é, ß, 東); not spaces, symbols, format or private-use
	// characters, which may be invisible or confusable.
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// reservedOnWindows reports whether name (ignoring case and any extension) is a DOS device name.
func reservedOnWindows(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) &&
		base[3] >= '0' && base[3] <= '9' {
		return true
	}
	return false
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// shortHash is 8 hex digits of the SHA-256 of s, for collision suffixes.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// foldKey is how file systems that ignore case (macOS, Windows) compare names.
func foldKey(name string) string { return strings.ToLower(name) }

// uniqueNames maps each distinct raw string to a safe name that no other raw string in raws gets,
// comparing names as case-insensitive file systems do. A raw string whose safe name is shared with
// another one gets a "~" + short hash suffix (of the raw string), so the result does not depend on the
// order of raws. Names for the same raw string are the same.
func uniqueNames(raws []string) map[string]string {
	out := make(map[string]string, len(raws))
	groups := map[string][]string{}
	for _, r := range raws {
		if _, ok := out[r]; ok {
			continue
		}
		n := SafeName(r)
		out[r] = n
		groups[foldKey(n)] = append(groups[foldKey(n)], r)
	}
	taken := map[string]bool{}
	for k, g := range groups {
		if len(g) == 1 {
			taken[k] = true
		}
	}
	keys := make([]string, 0, len(groups))
	for k, g := range groups {
		if len(g) > 1 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		sort.Strings(g)
		for _, r := range g {
			n := out[r] + "~" + shortHash(r)
			// SafeName never yields '~', so a suffixed name cannot equal a plain one; two suffixed names
			// agree only if their 32-bit hashes do, and then the later one is hashed again.
			for extra := 0; taken[foldKey(n)]; extra++ {
				n = out[r] + "~" + shortHash(r+strings.Repeat("\x00", extra+1))
			}
			taken[foldKey(n)] = true
			out[r] = n
		}
	}
	return out
}
