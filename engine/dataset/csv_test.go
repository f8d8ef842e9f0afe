package dataset

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseLabelCSV(t *testing.T) {
	in := "\xef\xbb\xbfTitle, Style ,SKU,notes\n" +
		"Red dress,Neon,SKU-1,x\n" +
		"\n" +
		"\"Multi\nline, title\",\" Boho \",\"SKU,2\",\"quoted \"\"note\"\"\"\n" +
		",,,\n" +
		"Blank style,,SKU-3,\n" +
		"Extra,Neon,SKU-4,a,b,c\n"
	rows, err := ParseLabelCSV(strings.NewReader(in), "labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []LabelRow{
		{Line: 2, SKU: "SKU-1", Style: "Neon"},
		{Line: 4, SKU: "SKU,2", Style: "Boho"}, // starts on line 4, spans two lines
		{Line: 7, SKU: "SKU-3", Style: ""},
		{Line: 8, SKU: "SKU-4", Style: "Neon"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows =\n%+v\nwant\n%+v", rows, want)
	}
}

func TestParseLabelCSVHeaderOnlyAndCRLF(t *testing.T) {
	rows, err := ParseLabelCSV(strings.NewReader("sku,style\r\nA,x\r\nB,y\r\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := []LabelRow{{2, "A", "x"}, {3, "B", "y"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %+v, want %+v", rows, want)
	}
	rows, err = ParseLabelCSV(strings.NewReader("sku,style\n"), "f.csv")
	if err != nil || len(rows) != 0 {
		t.Errorf("header only: %v, %v", rows, err)
	}
}

func TestParseLabelCSVErrors(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		mention  string
	}{
		{"empty", "", 0, "empty file"},
		{"bom only", "\xef\xbb\xbf", 0, "empty file"},
		{"no style column", "sku,category\nA,b\n", 1, "lacks the column style"},
		{"no header", "A-1,Neon\nA-2,Boho\n", 1, "lacks the column sku and style"},
		{"header after blank lines", "\n\nsku,colour\n", 3, "lacks the column style"},
		{"duplicate column", "sku,style,SKU\n", 1, "sku twice"},
		{"short row", "sku,notes,style\nA,n,Neon\nB\n", 3, "column style is number 3"},
		{"bad quote", "sku,style\nA,Neon\nB,\"Bo\"ho\n", 3, "quote"},
		{"unterminated quote", "sku,style\nA,Neon\nB,\"Boho\n\n", 3, "quote"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := ParseLabelCSV(strings.NewReader(c.in), "in/labels.csv")
			if err == nil {
				t.Fatalf("no error; rows %+v", rows)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LineError", err, err)
			}
			if le.File != "in/labels.csv" || le.Line != c.line {
				t.Errorf("file/line = %q/%d, want in/labels.csv/%d (%v)", le.File, le.Line, c.line, err)
			}
			prefix := "in/labels.csv:"
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.mention) {
				t.Errorf("message %q should start with %q and mention %q", err, prefix, c.mention)
			}
		})
	}
}
