package train

import (
	"fmt"
	"image"

	"stylestudio/store"
	"stylestudio/ui/kit"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// This file: compare.

// compareView overlays two runs' curves and shows their latest grids side by side.
type compareView struct {
	runs   [2]runData
	curves *canvas.Raster
	grids  [2]*canvas.Image
	titles [2]*widget.Label
}

func (s *TrainScreen) compareSelected() {
	a, ok := s.selectedRun()
	if !ok || len(s.runs) < 2 {
		return
	}
	var others []string
	byName := map[string]store.Run{}
	for _, r := range s.runs {
		if r.ID != a.ID {
			others = append(others, r.Name)
			byName[r.Name] = r
		}
	}
	cv := s.newCompareView()
	pick := widget.NewSelect(others, nil)
	load := func(b store.Run) {
		db, ctx := s.deps.DB, s.deps.Ctx
		go func() {
			da, db2 := fetchRunData(ctx, db, a), fetchRunData(ctx, db, b)
			s.deps.Do(func() {
				cv.set(da, db2)
				comparedRuns.Emit(s.deps.Events, cv)
			})
		}()
	}
	pick.OnChanged = func(name string) { load(byName[name]) }
	top := container.NewBorder(nil, nil, widget.NewLabel(a.Name+"  compared with"), nil, pick)
	content := container.NewBorder(top, nil, nil, nil, cv.object())
	d := dialog.NewCustom("Compare runs", "Close", content, s.deps.Window)
	d.Resize(fyne.NewSize(1000, 720))
	s.deps.ShowDialog(d, d.Dismiss)
	pick.SetSelected(others[0])
}

func (s *TrainScreen) newCompareView() *compareView {
	cv := &compareView{}
	cv.curves = canvas.NewRaster(func(w, h int) image.Image {
		var runs []curveRun
		for _, d := range cv.runs {
			if d.run.ID != 0 {
				runs = append(runs, curveRun{Name: d.run.Name, Series: d.series})
			}
		}
		return drawLossCurves(w, h, runs, themeChartStyle())
	})
	cv.curves.SetMinSize(fyne.NewSize(600, 300))
	for i := range cv.grids {
		cv.grids[i] = canvas.NewImageFromImage(nil)
		cv.grids[i].FillMode = canvas.ImageFillContain
		cv.grids[i].SetMinSize(fyne.NewSize(300, 200))
		cv.titles[i] = widget.NewLabel("")
		cv.titles[i].Wrapping = fyne.TextWrapWord
	}
	return cv
}

func (cv *compareView) object() fyne.CanvasObject {
	colors := compareColors()
	side := func(i int) fyne.CanvasObject {
		swatch := canvas.NewRectangle(colors[i])
		swatch.SetMinSize(fyne.NewSize(14, 14))
		return container.NewBorder(container.NewBorder(nil, nil, container.NewCenter(swatch), nil, cv.titles[i]), nil, nil, nil, cv.grids[i])
	}
	return container.NewGridWithRows(2, cv.curves, container.NewGridWithColumns(2, side(0), side(1)))
}

// set shows two fetched runs.
func (cv *compareView) set(a, b runData) {
	cv.runs = [2]runData{a, b}
	for i, d := range cv.runs {
		c := runConfig(d.run)
		cv.titles[i].SetText(fmt.Sprintf("%s: %s, %s of %s steps at %d px, batch %d · %s", d.run.Name, d.run.Status,
			thousands(d.run.StepsDone), thousands(c.Steps), c.Size, c.BatchSize, kit.EvalSummary(d.run.MetricsJSON)))
		cv.grids[i].Image = nil
		if n := len(d.grids); n > 0 {
			if img, err := readPNG(d.grids[n-1]); err == nil {
				cv.grids[i].Image = annotateGrid(img, c.Size, d.styles)
			}
		}
		cv.grids[i].Refresh()
	}
	cv.curves.Refresh()
}
