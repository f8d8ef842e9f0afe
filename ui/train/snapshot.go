package train

import (
	"context"
	"fmt"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/gan"
	"stylestudio/store"
)

// This file: headless loading (screenshots, tests).

// Snapshot is everything the screen paints, fetched in one go.
type Snapshot struct {
	data      gan.Data
	skipped   []string
	dataErr   error
	runs      []store.Run
	view      runData
	estimates map[string]time.Duration
}

// FetchSnapshot reads the screen's data synchronously: the labels, the history, the newest run and
// (with timer) the preset estimates.
func FetchSnapshot(ctx context.Context, db *store.DB, timer StepTimer) (Snapshot, error) {
	var sn Snapshot
	sn.data, sn.skipped, sn.dataErr = studio.GANData(ctx, db)
	runs, err := db.Runs(ctx)
	if err != nil {
		return sn, err
	}
	markInterrupted(db.Dir(), runs)
	sn.runs = runs
	if len(runs) > 0 {
		sn.view = fetchRunData(ctx, db, runs[0])
	}
	sn.estimates = map[string]time.Duration{}
	if timer != nil && sn.dataErr == nil {
		for _, p := range trainPresets() {
			k := modelKey(p.Cfg)
			if _, ok := sn.estimates[k]; ok {
				continue
			}
			d, err := timer(ctx, p.Cfg, sn.data)
			if err != nil {
				return sn, fmt.Errorf("warm-up of %s: %w", p.Name, err)
			}
			sn.estimates[k] = d
		}
	}
	return sn, nil
}

// ApplySnapshot shows a fetched snapshot. UI goroutine.
func (s *TrainScreen) ApplySnapshot(sn Snapshot) {
	for k, v := range sn.estimates {
		s.estimates[k] = v
	}
	s.applyData(sn.data, sn.skipped, sn.dataErr)
	s.viewReq.Invalidate()
	if sn.view.run.ID != 0 {
		s.applyRunData(sn.view, false)
	}
	s.applyRuns(sn.runs)
}
