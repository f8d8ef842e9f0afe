package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"stylestudio/store"
)

// Screens that RenderScreen can draw.
func ScreenNames() []string { return []string{"catalog"} }

// RenderScreen draws a screen with Fyne's software renderer (no display needed) once its data has loaded:
// the catalog with its first thumbnails and the first product open in the detail pane.
func RenderScreen(ctx context.Context, db *store.DB, screen string, size fyne.Size, dark bool) (image.Image, error) {
	if screen != "catalog" {
		return nil, fmt.Errorf("unknown screen %q (available: %v)", screen, ScreenNames())
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
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

	sh := NewShell(Deps{Ctx: ctx, DB: db, Window: w, Headless: true})
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
	sh.Catalog().detail.onImage = func() {
		select {
		case imageShown <- struct{}{}:
		default:
		}
	}
	sh.Start()
	var n int
	select {
	case n = <-loaded:
	case <-ctx.Done():
		return nil, errors.New("the catalog did not load within 60 s")
	}
	sh.Catalog().preloadFirst(ctx, 60)
	if n > 0 {
		sh.Catalog().selectFirst()
		select {
		case <-imageShown:
		case <-ctx.Done():
			return nil, errors.New("the product image did not load within 60 s")
		}
	}
	return w.Canvas().Capture(), nil
}

// fixedVariant pins the default theme to light or dark regardless of the system setting.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (f fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(n, f.variant)
}
