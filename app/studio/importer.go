package studio

import (
	"context"

	"stylestudio/engine/ingest"
	"stylestudio/store"
)

// ImportPlan is what an import will read: the files found under the given paths (or the rows of a CSV
// manifest) and those already refused while looking (unreadable folders, broken links, files too big).
// Planning touches no library, so a command can refuse a bad path before it opens or creates one.
type ImportPlan struct {
	opts     ingest.Options
	jobs     []ingest.Job
	failures []ingest.Failure
}

// PlanImport walks paths (or reads opts.CSVPath). The error is a manifest that cannot be used at all, or
// ctx's; files that cannot be read are the plan's failures, reported with the import's summary.
func PlanImport(ctx context.Context, paths []string, opts ingest.Options) (ImportPlan, error) {
	jobs, failures, err := ingest.Plan(ctx, paths, opts)
	return ImportPlan{opts: opts, jobs: jobs, failures: failures}, err
}

// Run imports the planned files into db; the summary counts the plan's failures with the import's own,
// the plan's first. Both front ends (the import command, the Import dialog and drag-and-drop) import
// through here.
func (p ImportPlan) Run(ctx context.Context, db *store.DB, progress func(ingest.Progress)) (ingest.Summary, error) {
	sum, err := ingest.Run(ctx, db, p.jobs, p.opts, progress)
	sum.Failures = append(append([]ingest.Failure(nil), p.failures...), sum.Failures...)
	sum.Total += len(p.failures)
	return sum, err
}

// Import plans and runs an import in one call.
func Import(ctx context.Context, db *store.DB, paths []string, opts ingest.Options, progress func(ingest.Progress)) (ingest.Summary, error) {
	plan, err := PlanImport(ctx, paths, opts)
	if err != nil {
		return ingest.Summary{Failures: plan.failures, Total: len(plan.failures)}, err
	}
	return plan.Run(ctx, db, progress)
}
