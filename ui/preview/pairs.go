package preview

import (
	"context"
	"fmt"
	"image"

	"stylestudio/store"
)

// Counterparts. A catalog imported with --groups-from-names knows which products draw the same item
// in other styles. Preview then offers to compare a translation with the catalog's real drawing of the
// item in the target style, so a designer can judge the transfer by eye, and it says whether the run
// trained on the product (a translation of a training product can flatter the model).

// Choices of the "Compare with" radio.
const (
	compareOriginal = "Original"
	compareReal     = "Real drawing"
)

// loadPairs reads the current product's counterparts and, when the run changed, the products the run
// trained on (in the background; the newest request wins).
func (s *PreviewScreen) loadPairs() {
	s.updatePairs() // the previous product's counterparts are not this one's
	p, ok := s.currentProduct()
	if !ok {
		return
	}
	gen, db, ctx, runID := s.pairReq.Next(), s.deps.DB, s.deps.Ctx, s.runID
	needRun := runID != 0 && runID != s.trainedOf
	go func() {
		rows, err := db.Counterparts(ctx, p.ID)
		var trained map[int64]bool
		var terr error
		if needRun {
			trained, terr = db.RunTrainProducts(ctx, runID)
		}
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if needRun {
				s.trained, s.trainedOf = trained, runID
				if terr != nil {
					s.trained = nil // not known: nothing is said about it
				}
			}
			if err != nil {
				s.pairs, s.pairsOf = nil, p.ID
				s.updatePairs()
				s.setPairNote("Could not read this item's other drawings: " + err.Error())
				s.stage("pairs")
				return
			}
			s.pairs = map[string]store.ProductRow{}
			for _, r := range rows {
				if _, seen := s.pairs[r.Style]; !seen {
					s.pairs[r.Style] = r // the first in id order, as training pairs them
				}
			}
			s.pairsOf = p.ID
			s.updatePairs()
			s.stage("pairs")
		})
	}()
}

// counterpart is the current product's real drawing in the chosen style, when the catalog has one.
func (s *PreviewScreen) counterpart() (store.ProductRow, bool) {
	p, ok := s.currentProduct()
	if !ok || s.pairsOf != p.ID || s.model == nil {
		return store.ProductRow{}, false
	}
	c, ok := s.pairs[s.styleName]
	return c, ok
}

// updatePairs shows the "Compare with" choice where the item has a real drawing in the chosen style,
// puts that drawing or the original on the left, and says what the catalog and the run know of it.
func (s *PreviewScreen) updatePairs() {
	c, has := s.counterpart()
	if has {
		s.compareRow.Show()
	} else {
		s.compareRow.Hide()
	}
	if has && s.compareWith.Selected == compareReal {
		s.showReal(c)
	} else if s.realShown || s.compare.beforeText.Text != "Before" {
		s.originalLeft()
	}
	s.setPairNote(s.pairText(c, has))
	s.setHelp()
}

// setPairNote shows the line under the picture, or hides it when text is empty, and lays the pane
// out again: the space under the picture grew or shrank.
func (s *PreviewScreen) setPairNote(text string) {
	s.pairNote.SetText(text)
	if text != "" {
		s.pairNote.Show()
	} else {
		s.pairNote.Hide()
	}
	s.comparePane.Refresh()
}

// originalLeft puts the original (once decoded) on the left, named Before.
func (s *PreviewScreen) originalLeft() {
	s.realShown = false
	s.compare.SetLabels("Before", "After")
	if p, ok := s.currentProduct(); ok && s.origID == p.ID {
		s.compare.SetBefore(s.orig)
	}
}

// realLeft puts the decoded real drawing on the left, named Real drawing.
func (s *PreviewScreen) realLeft() {
	s.realShown = true
	s.compare.SetLabels("Real drawing", "After")
	s.compare.SetBefore(s.real)
	s.setHelp()
}

// pairText says whether the run trained on the product (when it recorded what it trained on) and
// which real drawing of the item the translation can be compared with.
func (s *PreviewScreen) pairText(c store.ProductRow, has bool) string {
	p, ok := s.currentProduct()
	if !ok || s.model == nil {
		return ""
	}
	var text string
	switch {
	case has && s.compareWith.Selected == compareReal:
		text = fmt.Sprintf("Left: the catalog's own drawing of this item in %s (%s); right: the model's translation.", s.styleName, c.SKU)
	case has:
		text = fmt.Sprintf("This item is drawn in %s in the catalog too (%s): compare the translation with it.", s.styleName, c.SKU)
	}
	if s.trainedOf == s.runID && len(s.trained) > 0 {
		if text != "" {
			text += " "
		}
		switch {
		case !s.trained[p.ID]:
			text += "Held out: the run never trained on this product."
		case has && s.trained[c.ID]:
			text += "The run trained on this product and on that drawing, so the translation can flatter it."
		default:
			text += "The run trained on this product, so the translation can flatter it."
		}
	}
	return text
}

// showReal puts the counterpart's picture on the left (decoding it in the background the first time).
func (s *PreviewScreen) showReal(c store.ProductRow) {
	if s.realID == c.ID && s.real != nil {
		s.realLeft()
		return
	}
	s.originalLeft() // until the drawing is decoded
	gen, db, ctx := s.realReq.Next(), s.deps.DB, s.deps.Ctx
	go func() {
		img, err := readPicture(db, c.ImageHash)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if !gen.Current() {
				return
			}
			if cur, ok := s.counterpart(); !ok || cur.ID != c.ID || s.compareWith.Selected != compareReal {
				return
			}
			if err != nil {
				s.setPairNote(fmt.Sprintf("Cannot show the real drawing %s: %v", c.SKU, err))
				return
			}
			s.real, s.realID = img, c.ID
			s.realLeft()
			s.stage("real")
		})
	}()
}

// beforeImage is the left picture: the real drawing when it is on show, else the original.
func (s *PreviewScreen) beforeImage() image.Image {
	if s.realShown && s.real != nil {
		return s.real
	}
	return s.orig
}

// realThumbs are the catalog thumbnails of a product's real drawings in these styles (the first
// counterpart of each style); a style without one, or one that cannot be read, is left out.
func realThumbs(ctx context.Context, db *store.DB, productID int64, styles []string) map[string]image.Image {
	rows, err := db.Counterparts(ctx, productID)
	if err != nil {
		return nil
	}
	want := map[string]bool{}
	for _, st := range styles {
		want[st] = true
	}
	out := map[string]image.Image{}
	for _, r := range rows {
		if _, done := out[r.Style]; done || !want[r.Style] {
			continue
		}
		if img, err := thumbFor(ctx, db, r.ImageHash); err == nil {
			out[r.Style] = img
		}
	}
	return out
}
