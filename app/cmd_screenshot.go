package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"

	"stylestudio/internal/atomicfile"
	"stylestudio/ui"
)

func runScreenshot(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "screenshot", "--library DIR --screen catalog|label|train|preview|feed --out FILE.png [--size 1280x800] [--dark]",
		"Render a screen with Fyne's software renderer (no display needed) after its data has loaded.")
	lib := libraryFlag(fs)
	screen := fs.String("screen", "catalog", "screen to render: "+strings.Join(ui.ScreenNames(), ", "))
	out := fs.String("out", "", "PNG file to write (required)")
	sizeFlag := fs.String("size", "1280x800", "window size WIDTHxHEIGHT")
	dark := fs.Bool("dark", false, "use the dark theme")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: --out FILE.png is required", errUsage)
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		return err
	}
	db, err := openExistingLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	img, err := ui.RenderScreen(ctx, db, *screen, size, *dark)
	if err != nil {
		return err
	}
	return writePNG(*out, img)
}

func parseSize(s string) (fyne.Size, error) {
	w, h, ok := strings.Cut(strings.ToLower(s), "x")
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wi < 320 || hi < 240 || wi > 8192 || hi > 8192 {
		return fyne.Size{}, fmt.Errorf("--size %q: want WIDTHxHEIGHT between 320x240 and 8192x8192, e.g. 1280x800", s)
	}
	return fyne.NewSize(float32(wi), float32(hi)), nil
}

// writePNG writes the picture whole or not at all.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), ".screenshot-*.png", 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
