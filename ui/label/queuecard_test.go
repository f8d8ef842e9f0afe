package label

import (
	"image/color"
	"strings"
	"testing"

	"stylestudio/store"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// A queue card's captions fit its width: a long style name (a real theme's, "elementary-xfce") is cut
// short with an ellipsis instead of running into the next card; a short one is left whole.
func TestQueueCardCaptionsFitTheCard(t *testing.T) {
	test.NewTempApp(t)
	c := newQueueCard(nil)
	test.NewTempWindow(t, c)
	if w := c.MinSize().Width; w != cardWidth {
		t.Fatalf("a card is %.0f px wide, cardWidth says %d", w, cardWidth)
	}
	width := func(s string, bold bool) float32 {
		return fyne.MeasureText(s, theme.CaptionTextSize(), fyne.TextStyle{Bold: bold}).Width
	}
	long := "elementary-xfce-darker-than-dark"
	c.bind(0, labelItem{sugg: suggestion{style: long, confidence: 0.42}}, color.White, nil, false, false)
	if got := c.hint.Text; width(got, false) > cardWidth || !strings.HasSuffix(got, "… 42%") || !strings.HasPrefix(got, "elem") {
		t.Errorf("suggestion caption %q (%.0f px): want the name cut short before \"… 42%%\", within %d px", got, width(got, false), cardWidth)
	}
	c.bind(0, labelItem{row: store.ProductRow{Style: long}}, color.White, nil, false, false)
	if got, max := c.style.Text, float32(cardWidth)-2*theme.Padding()-8; width(got, true) > max || !strings.HasSuffix(got, "…") {
		t.Errorf("style chip %q (%.0f px): want it cut short within %.0f px", got, width(got, true), max)
	}
	c.bind(0, labelItem{sugg: suggestion{style: "neon", confidence: 0.93}}, color.White, nil, false, false)
	if got := c.hint.Text; got != "neon 93%" {
		t.Errorf("short suggestion caption %q, want \"neon 93%%\"", got)
	}
}
