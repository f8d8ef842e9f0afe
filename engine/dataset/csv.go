package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LabelRow is one data row of a label CSV: the product's SKU and the style name to give it, with the
// 1-based line of the file on which the row starts (for messages).
type LabelRow struct {
	Line  int
	SKU   string
	Style string
}

// LineError is a problem at one line of a named file; its message reads "NAME:LINE: what".
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// ParseLabelCSV reads a label CSV: a header row with (at least) the columns "sku" and "style", in any
// order and any case, then one row per product. Other columns are ignored. A UTF-8 byte-order mark is
// skipped; quoted fields (with commas, quotes or line breaks) follow RFC 4180; fields are trimmed of
// surrounding spaces; blank lines and rows whose fields are all empty are skipped. Rows with an empty
// SKU or style are returned as they are (the store reports them). name is the file's name for messages.
//
// A malformed file fails with a *LineError naming the file and line.
func ParseLabelCSV(r io.Reader, name string) ([]LabelRow, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	fail := func(line int, format string, args ...any) error {
		return &LineError{File: name, Line: line, Err: fmt.Errorf(format, args...)}
	}
	readErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if pe.StartLine != pe.Line {
				// Name the row's first line (where an unclosed quote opened), and where parsing failed.
				return &LineError{File: name, Line: pe.StartLine,
					Err: fmt.Errorf("%w (noticed at line %d)", pe.Err, pe.Line)}
			}
			return &LineError{File: name, Line: pe.Line, Err: pe.Err}
		}
		return &LineError{File: name, Err: err}
	}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fail(0, "empty file; expected a header row with the columns sku,style")
	}
	if err != nil {
		return nil, readErr(err)
	}
	headerLine, _ := cr.FieldPos(0)
	skuCol, styleCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "sku":
			if skuCol >= 0 {
				return nil, fail(headerLine, "header has the column sku twice (columns %d and %d)", skuCol+1, i+1)
			}
			skuCol = i
		case "style":
			if styleCol >= 0 {
				return nil, fail(headerLine, "header has the column style twice (columns %d and %d)", styleCol+1, i+1)
			}
			styleCol = i
		}
	}
	if skuCol < 0 || styleCol < 0 {
		var missing []string
		if skuCol < 0 {
			missing = append(missing, "sku")
		}
		if styleCol < 0 {
			missing = append(missing, "style")
		}
		shown := strings.Join(header, ",")
		if len(shown) > 120 {
			shown = truncateUTF8(shown, 120) + "…"
		}
		return nil, fail(headerLine, "header %q lacks the column %s; the first row must name the columns, e.g. sku,style",
			shown, strings.Join(missing, " and "))
	}
	need := max(skuCol, styleCol) + 1

	var rows []LabelRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		empty := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		if len(rec) < need {
			return nil, fail(line, "row has %d field(s), but the column %s is number %d",
				len(rec), map[bool]string{true: "sku", false: "style"}[skuCol >= styleCol], need)
		}
		rows = append(rows, LabelRow{
			Line:  line,
			SKU:   strings.TrimSpace(rec[skuCol]),
			Style: strings.TrimSpace(rec[styleCol]),
		})
	}
	return rows, nil
}
