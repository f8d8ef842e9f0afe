package demo

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestContactSheet writes a kinds x styles contact sheet when
// DEMO_SHEET=/path/to/sheet.png is set (visual check; skipped otherwise).
// DEMO_SHEET_SEED varies the products shown.
func TestContactSheet(t *testing.T) {
	path := os.Getenv("DEMO_SHEET")
	if path == "" {
		t.Skip("set DEMO_SHEET=/tmp/demo_sheet.png to write a contact sheet")
	}
	cell := 128
	if v, err := strconv.Atoi(os.Getenv("DEMO_SHEET_CELL")); err == nil && v > 0 {
		cell = v
	}
	kinds := Kinds()
	if v := os.Getenv("DEMO_SHEET_KINDS"); v != "" {
		kinds = strings.Split(v, ",")
	}
	styles := Styles()
	if v := os.Getenv("DEMO_SHEET_STYLES"); v != "" {
		var keep []StyleInfo
		for _, name := range strings.Split(v, ",") {
			for _, st := range styles {
				if st.Name == name {
					keep = append(keep, st)
				}
			}
		}
		styles = keep
	}
	items := Catalog(600, 1)
	sheet := image.NewNRGBA(image.Rect(0, 0, cell*len(styles), cell*len(kinds)))
	for ki, k := range kinds {
		var p Params
		for _, it := range items {
			if it.Params.Kind == k {
				p = it.Params
				if os.Getenv("DEMO_SHEET_ALT") == "" {
					break
				}
			}
		}
		for si, s := range styles {
			q := p
			if os.Getenv("DEMO_SHEET_VARY") != "" {
				for _, it := range items {
					if it.Params.Kind == k && it.Style == s.Name {
						q = it.Params
						break
					}
				}
			}
			img, err := Render(q, s.Name, cell)
			if err != nil {
				t.Fatal(err)
			}
			draw.Draw(sheet, image.Rect(si*cell, ki*cell, (si+1)*cell, (ki+1)*cell), img, image.Point{}, draw.Src)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, sheet); err != nil {
		t.Fatal(err)
	}
}
