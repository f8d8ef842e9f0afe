package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

// FuzzParseLabelCSV parses arbitrary bytes as a label CSV. Invariants: no panic; a refused file
// fails with a *LineError naming the file (and no rows); accepted rows have trimmed fields, start on
// increasing lines after the header and within the file; and writing the rows back as a sku,style CSV
// and parsing that gives the same rows (up to
// encoding/csv's "\r\n" → "\n" in quoted fields).
func FuzzParseLabelCSV(f *testing.F) {
	for _, s := range []string{
		"sku,style\nA-1,neon\nA-2,boho\n",
		"\xef\xbb\xbfTitle, Style ,SKU,notes\nRed dress,Neon,SKU-1,x\n\n\"Multi\nline\",\" Boho \",\"SKU,2\",\"q \"\"n\"\"\"\n,,,\n",
		"sku,style\r\nA,x\r\nB,y\r\n",
		"sku,style,SKU\n",
		"sku,notes,style\nA,n,Neon\nB\n",
		"sku,style\nA,Neon\nB,\"Bo\"ho\n",
		"sku,style\n\"unclosed,x\nC,y\n",
		"style;sku\nA;b\n",
		"sku,style\n\xff\xfe,\x00nul\n",
		"",
	} {
		f.Add([]byte(s))
	}
	const name = "labels.csv"
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseLabelCSV(bytes.NewReader(data), name)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.File != name || le.Line < 0 || !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("error %v (%T) is not a *LineError naming %s", err, err, name)
			}
			if rows != nil {
				t.Fatalf("error %v with %d rows", err, len(rows))
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		prev := 1 // the header's line at least
		for _, r := range rows {
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("row %+v: line out of order or outside the %d-line file (previous %d)", r, lines, prev)
			}
			prev = r.Line
			if strings.TrimSpace(r.SKU) != r.SKU || strings.TrimSpace(r.Style) != r.Style {
				t.Fatalf("row %+v has untrimmed fields", r)
			}
		}

		// Round trip: what a spreadsheet would save from these rows parses to the same rows.
		var kept []LabelRow
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"sku", "style"})
		for _, r := range rows {
			if r.SKU == "" && r.Style == "" {
				continue // a row of blanks is skipped by design
			}
			kept = append(kept, r)
			w.Write([]string{r.SKU, r.Style})
		}
		w.Flush()
		again, err := ParseLabelCSV(&buf, name)
		if err != nil {
			t.Fatalf("re-reading the written rows: %v", err)
		}
		if len(again) != len(kept) {
			t.Fatalf("round trip: %d rows, then %d", len(kept), len(again))
		}
		// encoding/csv reads a quoted "\r\n" as "\n" (its writer keeps it), so a value holding one comes back
		// with "\n"; that normalisation is the only change allowed.
		crlf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		for i := range kept {
			if again[i].SKU != crlf(kept[i].SKU) || again[i].Style != crlf(kept[i].Style) {
				t.Fatalf("round trip changed row %d: %+v then %+v", i, kept[i], again[i])
			}
		}
	})
}

// FuzzSafeName: any text (a SKU or style name) becomes one safe path element (see checkSafe), the
// same text always the same name, and uniqueNames never gives two different texts names that a
// case-insensitive file system would confuse.
func FuzzSafeName(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+1)%len(hostile)])
	}
	f.Add("NEON", "neon")
	f.Add("a/b", `a\b`)
	f.Add(strings.Repeat("é", 60)+"x", strings.Repeat("é", 60)+"y")
	f.Fuzz(func(t *testing.T, a, b string) {
		na := SafeName(a)
		checkSafe(t, a, na)
		if SafeName(a) != na {
			t.Fatalf("SafeName(%q) is not deterministic", a)
		}
		names := uniqueNames([]string{a, b, a})
		if len(names) != map[bool]int{true: 1, false: 2}[a == b] {
			t.Fatalf("uniqueNames(%q, %q) = %v", a, b, names)
		}
		for raw, n := range names {
			base, _, _ := strings.Cut(n, "~")
			checkSafe(t, raw, base)
			if len(n) > maxNameBytes+9 {
				t.Fatalf("unique name %q for %q is %d bytes", n, raw, len(n))
			}
		}
		if a != b && foldKey(names[a]) == foldKey(names[b]) {
			t.Fatalf("%q and %q both became %q / %q", a, b, names[a], names[b])
		}
	})
}
