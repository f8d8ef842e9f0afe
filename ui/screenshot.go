package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"stylestudio/app/studio"
	"stylestudio/store"
	"stylestudio/ui/kit"
	"stylestudio/ui/train"
)

// Screens that RenderScreen can draw.
func ScreenNames() []string { return []string{"catalog", "label", "train", "preview", "feed"} }

// renderOptions change what a headless render measures (tests make it deterministic).
type renderOptions struct {
	timer train.StepTimer // the Train screen's warm-up (train.MeasureStep when nil)
	// text, when set, receives the text of every visible widget at the moment of the capture, in the
	// widget tree's order (screenText): golden tests compare it exactly.
	text *string
}

// RenderScreen draws a screen with Fyne's software renderer (no display needed) once its data has loaded:
// the catalog with its first thumbnails and the first product open in the detail pane; the train screen
// with its presets timed on this machine and the newest run's curves and sample grid; the preview screen
// with the first product restyled at full resolution by the run Preview uses.
func RenderScreen(ctx context.Context, db *store.DB, screen string, size fyne.Size, dark bool) (image.Image, error) {
	return renderScreen(ctx, db, screen, size, dark, renderOptions{})
}

func renderScreen(ctx context.Context, db *store.DB, screen string, size fyne.Size, dark bool, opts renderOptions) (image.Image, error) {
	if !slices.Contains(ScreenNames(), screen) {
		return nil, fmt.Errorf("unknown screen %q (available: %v)", screen, ScreenNames())
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	a := test.NewApp()
	defer a.Quit()
	variant := theme.VariantLight
	if dark {
		variant = theme.VariantDark
	}
	a.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: variant})
	w := test.NewWindow(nil)
	defer w.Close()

	sh := newShell(kit.Deps{Ctx: ctx, DB: db, Window: w, Headless: true}, train.Options{NoAutoMeasure: true})
	w.SetContent(sh.Object())
	w.Resize(size)

	loaded := make(chan int, 1)
	sh.Catalog().OnLoaded(func(n int) {
		select {
		case loaded <- n:
		default:
		}
	})
	imageShown := make(chan struct{}, 1)
	sh.Catalog().OnImageShown(func() {
		select {
		case imageShown <- struct{}{}:
		default:
		}
	})
	variantsShown := make(chan struct{}, 1)
	sh.Catalog().OnVariantsShown(func() {
		select {
		case variantsShown <- struct{}{}:
		default:
		}
	})
	trained := make(chan struct{}, 1)
	sh.Label().OnTrained(func(studio.ClassifierInfo, error) {
		select {
		case trained <- struct{}{}:
		default:
		}
	})
	feedReady := make(chan struct{}, 1)
	sh.Feed().OnRoundShown(func() {
		select {
		case feedReady <- struct{}{}:
		default:
		}
	})
	previewStage := make(chan string, 64)
	sh.Preview().OnStage(func(st string) {
		select {
		case previewStage <- st:
		default:
		}
	})
	sh.Start()
	if screen == "train" {
		timer := opts.timer
		if timer == nil {
			timer = train.MeasureStep
		}
		sn, err := train.FetchSnapshot(ctx, db, timer)
		if err != nil {
			return nil, err
		}
		var img image.Image
		locked(sh, func() {
			sh.ShowScreen("train")
			sh.Train().ApplySnapshot(sn)
			img = capture(w, opts)
		})
		return img, nil
	}
	if screen == "preview" {
		locked(sh, func() { sh.ShowScreen("preview") })
		// Wait for the full-resolution result, or for the empty state when there is no model.
		for done := false; !done; {
			select {
			case st := <-previewStage:
				locked(sh, func() {
					done = sh.Preview().Settled(st)
				})
			case <-ctx.Done():
				return nil, errors.New("the preview did not finish in time")
			}
		}
		var img image.Image
		locked(sh, func() { img = capture(w, opts) })
		return img, nil
	}
	if screen == "feed" {
		locked(sh, func() { sh.ShowScreen("feed") })
		// A few rounds so the chart has lines; each round signals when it is shown.
		for i := 0; i < 4; i++ {
			select {
			case <-feedReady:
			case <-ctx.Done():
				return nil, errors.New("the feed did not simulate in time")
			}
			if i < 3 {
				locked(sh, sh.Feed().NextRound)
			}
		}
		var img image.Image
		locked(sh, func() {
			sh.Feed().PreloadCards(ctx)
			img = capture(w, opts)
		})
		return img, nil
	}
	if screen == "label" {
		locked(sh, func() { sh.ShowScreen("label") })
		// The label screen shows suggestions: wait for the classifier (loaded or trained).
		select {
		case <-trained:
		case <-ctx.Done():
			return nil, errors.New("the style classifier did not finish training within 3 minutes")
		}
		var img image.Image
		locked(sh, func() {
			sh.Label().PreloadVisible(ctx, 40)
			img = capture(w, opts)
		})
		return img, nil
	}
	var n int
	select {
	case n = <-loaded:
	case <-ctx.Done():
		return nil, errors.New("the catalog did not load in time")
	}
	locked(sh, func() { sh.Catalog().PreloadFirst(ctx, 60) })
	if n > 0 {
		locked(sh, sh.Catalog().SelectFirst)
		for _, wait := range []chan struct{}{imageShown, variantsShown} {
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, errors.New("the product image or its variants did not load in time")
			}
		}
	}
	var img image.Image
	locked(sh, func() { img = capture(w, opts) })
	return img, nil
}

// capture renders the window. Fyne drops cached widget renderers that were not painted for a minute,
// and nothing paints while a headless screen waits for training, so the content is set again first.
func capture(w fyne.Window, opts renderOptions) image.Image {
	w.SetContent(w.Content())
	img := w.Canvas().Capture()
	if opts.text != nil {
		*opts.text = screenText(w.Canvas().Content())
	}
	return img
}

// screenText is the text a person can read on the screen: every visible canvas.Text under o (widgets
// through their renderers), one per line in the widget tree's order, with its size and boldness, so a
// wrong number or word in any label changes it.
func screenText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch c := o.(type) {
		case *canvas.Text:
			if strings.TrimSpace(c.Text) != "" {
				bold := ""
				if c.TextStyle.Bold {
					bold = " bold"
				}
				fmt.Fprintf(&b, "%s\t%.0f%s\n", c.Text, c.TextSize, bold)
			}
		case fyne.Widget:
			for _, child := range test.WidgetRenderer(c).Objects() {
				walk(child)
			}
		case *fyne.Container:
			for _, child := range c.Objects {
				walk(child)
			}
		}
	}
	walk(o)
	return b.String()
}

// locked runs widget work on the shell's UI loop, after every update already queued there (as a real
// driver would run it), and waits for it.
func locked(sh *Shell, f func()) { sh.OnUI(f) }

// fixedVariant pins the default theme to light or dark regardless of the system setting.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (f fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(n, f.variant)
}
