package train

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"stylestudio/engine/gan"
	"stylestudio/store"
	"stylestudio/store/library"
)

// This file: the viewer.

// runData is what the viewer needs of a stored run.
type runData struct {
	run    store.Run
	series lossSeries
	grids  []string
	styles []string
	err    error
}

// fetchRunData reads a run's metrics, grid files and style list (from its latest checkpoint).
func fetchRunData(ctx context.Context, db *store.DB, r store.Run) runData {
	d := runData{run: r}
	rows, err := db.RunMetrics(ctx, r.ID)
	if err != nil {
		d.err = err
		return d
	}
	d.series = seriesFromRows(rows)
	d.grids, d.err = library.RunGrids(db.Dir(), r.ID)
	if side, _, err := gan.LatestCheckpoint(library.RunDir(db.Dir(), r.ID)); err == nil {
		d.styles = side.Styles
	}
	return d
}

// openRun shows a stored run in the viewer (the job's own run is followed live instead).
func (s *TrainScreen) openRun(r store.Run) {
	if s.job != nil && s.jobRunID == r.ID {
		s.followJob()
		return
	}
	gen, db, ctx := s.viewReq.Next(), s.deps.DB, s.deps.Ctx
	go func() {
		d := fetchRunData(ctx, db, r)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if gen.Current() {
				s.applyRunData(d, false)
			}
		})
	}()
}

// applyRunData puts a fetched run in the viewer.
func (s *TrainScreen) applyRunData(d runData, live bool) {
	s.view = trainView{runID: d.run.ID, name: d.run.Name, live: live, cfg: runConfig(d.run), styles: d.styles,
		series: d.series, grids: d.grids, idx: len(d.grids) - 1, cache: map[string]image.Image{}}
	if d.err != nil {
		s.status.SetText("Could not read run " + d.run.Name + ": " + d.err.Error())
	}
	s.showView()
}

// followJob switches the viewer back to the training run.
func (s *TrainScreen) followJob() {
	if s.job == nil {
		return
	}
	s.viewReq.Invalidate()
	s.view = trainView{live: true, runID: s.jobRunID, name: s.job.name, cfg: s.job.cfg.WithDefaults(), styles: s.job.styles,
		cache: map[string]image.Image{}}
	s.showView()
	if s.jobRunID != 0 {
		for _, r := range s.runs {
			if r.ID == s.jobRunID {
				s.loadIntoLiveView(r)
			}
		}
	}
}

// loadIntoLiveView adds what the job's run already stored (earlier sessions, or steps logged while the
// viewer showed another run) to the live view.
func (s *TrainScreen) loadIntoLiveView(r store.Run) {
	gen, db, ctx := s.viewReq.Now(), s.deps.DB, s.deps.Ctx
	go func() {
		d := fetchRunData(ctx, db, r)
		if ctx.Err() != nil || d.err != nil {
			return
		}
		s.deps.Do(func() {
			if !gen.Current() || !s.view.live || s.view.runID != r.ID {
				return
			}
			merged := d.series
			last := -1
			if n := len(merged.Steps); n > 0 {
				last = merged.Steps[n-1]
			}
			for i, st := range s.view.series.Steps {
				if st > last {
					merged.add(store.MetricRow{Step: st, GAdv: s.view.series.GAdv[i], DAdv: s.view.series.DAdv[i],
						GCls: s.view.series.GCls[i], DCls: s.view.series.DCls[i], GRec: s.view.series.GRec[i]})
				}
			}
			s.view.series = merged
			atEnd := s.view.idx >= len(s.view.grids)-1
			for _, g := range d.grids {
				if !containsString(s.view.grids, g) {
					s.view.grids = append(s.view.grids, g)
				}
			}
			sort.Strings(s.view.grids)
			if len(s.view.styles) == 0 {
				s.view.styles = d.styles
			}
			if atEnd {
				s.view.idx = len(s.view.grids) - 1
			}
			s.showView()
		})
	}()
}

// showView redraws the viewer from s.view.
func (s *TrainScreen) showView() {
	v := &s.view
	s.viewEval.SetLines() // only a finished or stopped run has an evaluation to show
	switch {
	case v.live:
		s.viewTitle.SetText("Training now: " + v.name)
	case v.runID != 0:
		title := v.name
		for _, r := range s.runs {
			if r.ID == v.runID {
				title = fmt.Sprintf("%s · %s", r.Name, runStatusText(r)) + s.viewEval.Set(r.MetricsJSON)
			}
		}
		s.viewTitle.SetText(title)
	default:
		s.viewTitle.SetText("No run yet: pick a preset on the left and press Start training")
	}
	if s.job != nil && !v.live {
		s.liveBtn.Show()
	} else {
		s.liveBtn.Hide()
	}
	s.updateSlider()
	s.curves.Refresh()
}

// updateSlider sets the slider's range to the grids and shows grid v.idx.
func (s *TrainScreen) updateSlider() {
	v := &s.view
	n := len(v.grids)
	if n > 1 {
		s.gridSlider.Max = float64(n - 1)
		s.gridSlider.Enable()
	} else {
		s.gridSlider.Max = 1
		s.gridSlider.Disable()
	}
	idx := max(0, min(v.idx, n-1))
	if s.gridSlider.Value != float64(idx) {
		s.gridSlider.Value = float64(idx) // without OnChanged: showGrid follows
	}
	s.gridSlider.Refresh()
	s.showGrid(idx)
}

// showGrid shows the view's i-th sample grid (the slider's value).
func (s *TrainScreen) showGrid(i int) {
	v := &s.view
	if len(v.grids) == 0 {
		s.gridImg.Image = nil
		s.gridImg.Refresh()
		if v.live {
			s.gridLabel.SetText("The first sample grid appears once the model is built.")
		} else if v.runID != 0 {
			s.gridLabel.SetText("This run has no sample grids.")
		} else {
			s.gridLabel.SetText("Sample grids appear here while a run trains.")
		}
		return
	}
	i = max(0, min(i, len(v.grids)-1))
	v.idx = i
	path := v.grids[i]
	img, ok := v.cache[path]
	if !ok {
		raw, err := readPNG(path)
		if err != nil {
			s.gridLabel.SetText("Could not read " + filepath.Base(path) + ": " + err.Error())
			return
		}
		img = annotateGrid(raw, v.cfg.Size, v.styles)
		v.cacheGrid(path, img)
	}
	s.gridImg.Image = img
	s.gridImg.Refresh()
	cols := "the original, then each style"
	if len(v.styles) > 0 {
		cols = "original, " + strings.Join(v.styles, ", ")
	}
	s.gridLabel.SetText(fmt.Sprintf("Step %s · grid %d of %d · rows: held-out products · columns: %s",
		thousands(gridStep(path)), i+1, len(v.grids), cols))
}

// maxCachedGrids bounds the decoded grids a view keeps (about 2 MB each); the rest are read again.
const maxCachedGrids = 8

// cacheGrid keeps a decoded grid, dropping others (never the one on show) beyond maxCachedGrids.
func (v *trainView) cacheGrid(path string, img image.Image) {
	v.cache[path] = img
	for p := range v.cache {
		if len(v.cache) <= maxCachedGrids {
			break
		}
		if p != path && (v.idx < 0 || v.idx >= len(v.grids) || p != v.grids[v.idx]) {
			delete(v.cache, p)
		}
	}
}

// gridStep is the step in a grid file's name (grid-0000300.png -> 300).
func gridStep(path string) int {
	n, _ := library.GridStep(path)
	return n
}

func readPNG(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(data))
}

// annotateGrid enlarges a sample grid (cells of size px, 2 px gutters) with whole-pixel scaling and
// adds a header row naming each column: "original", then the styles.
func annotateGrid(grid image.Image, size int, styles []string) image.Image {
	if grid == nil || size <= 0 {
		return grid
	}
	k := max(1, min(4, 128/size))
	b := grid.Bounds()
	// The grid is shown scaled down to fit its pane (about 0.4× for 64 px and six styles), so the names
	// are drawn at twice the bitmap font's size to stay readable there.
	const textScale, charW, charH = 2, 7 * 2, 13 * 2
	header := charH + 8
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k+header))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	src := image.NewNRGBA(b)
	draw.Draw(src, b, grid, b.Min, draw.Src)
	for y := 0; y < b.Dy()*k; y++ {
		sy := b.Min.Y + y/k
		for x := 0; x < b.Dx()*k; x++ {
			si := src.PixOffset(b.Min.X+x/k, sy)
			di := out.PixOffset(x, y+header)
			copy(out.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	names := append([]string{"original"}, styles...)
	cell := (size + 2) * k
	ink := color.NRGBA{0x33, 0x33, 0x33, 0xff}
	for j, name := range names {
		maxChars := max(1, (size*k)/charW)
		if len(name) > maxChars {
			name = name[:maxChars]
		}
		x := 2*k + j*cell + (size*k-len(name)*charW)/2
		if x+len(name)*charW > out.Rect.Dx() {
			break
		}
		drawText(out, x, 4, name, ink, textScale)
	}
	return out
}
