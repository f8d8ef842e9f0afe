package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"stylestudio/engine/imaging"
)

// Progress is a snapshot of a running import.
type Progress struct {
	Done, Total, Imported, Duplicates, Failed int
	Current                                   string // the file finished last
}

// Summary is what an import did.
type Summary struct {
	Imported, Duplicates int
	// Labeled counts the duplicates a re-import labeled: products already in the catalog with no label
	// that took the style their folder (or manifest row) gives (a sink that is a Labeler; a product
	// that has a label keeps it).
	Labeled  int
	Failures []Failure
	Total    int
}

// progressInterval bounds progress callbacks to about 30 a second.
const progressInterval = time.Second / 30

// Run imports jobs into sink. For each job it reads the file (refusing files over MaxFileBytes),
// hashes the bytes (SHA-256), skips content the sink already has or that an earlier job of this run
// has (a duplicate, not a failure), decodes with the pixel limit (at thumbnail size where the
// decoder can: imaging.DecodeFit), makes the ThumbSize PNG thumbnail (imaging.Square) and calls
// sink.AddRecord. The record keeps the file's bytes unchanged and its full size the right way up. Empty SKUs become "IMG-" + the first 12 hex digits of
// the hash, so importing the same bytes again maps to the same SKU; an empty title becomes the file
// name in words and an empty category the parent folder's name in words.
//
// Reading, hashing, decoding and thumbnailing run on opts.Workers goroutines, which call
// sink.HasImage concurrently (the sink must allow that). AddRecord is called from Run's own
// goroutine, one call at a time, in job order, so the catalog order follows the plan.
//
// progress (may be nil) is called from Run's goroutine, at most about 30 times a second, and once
// more at the end with the final counts (Done == Total unless cancelled). A file that fails is
// recorded in Summary.Failures and never stops the run. Cancelling ctx stops promptly: Run waits
// only for files being decoded at that moment, and returns ctx.Err() with the summary so far. The
// sink running out of space or going read-only (its error wraps syscall.ENOSPC, EDQUOT or EROFS) is
// no fault of the file: Run stops there with a *StorageError and the summary so far.
func Run(ctx context.Context, sink Sink, jobs []Job, opts Options, progress func(Progress)) (Summary, error) {
	sum := Summary{Total: len(jobs)}
	if sink == nil {
		return sum, errors.New("ingest: Run needs a sink")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	workers := min(opts.workers(), max(len(jobs), 1))
	window := 4*workers + 4 // jobs handed out but not yet committed
	r := &runner{
		opts:     opts,
		sink:     sink,
		jobs:     jobs,
		serial:   workers > 1,
		enc:      &imaging.PNGEncoder{},
		claims:   map[string]int{},
		window:   window,
		budget:   inFlightBytes,
		costs:    make([]int64, len(jobs)),
		freed:    make(chan int64, window),
		work:     make(chan int),
		results:  make(chan outcome, window),
		progress: progress,
	}

	var wg sync.WaitGroup
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		r.feed(ctx)
	}()
	for range workers {
		go func() {
			defer wg.Done()
			r.work1(ctx)
		}()
	}

	err := r.collect(ctx, &sum)
	cancel()
	wg.Wait()
	r.report(sum, true)
	return sum, err
}

type outcomeKind int

const (
	kindRecord outcomeKind = iota
	kindDuplicate
	kindFailure
)

type outcome struct {
	idx    int
	kind   outcomeKind
	rec    Record // kindRecord
	known  bool   // kindDuplicate: the sink already had the content (not an earlier job of this run)
	hash   string // with known: the content hash
	reason string // kindFailure
	fault  error  // kindFailure: the sink's storage failed (see StorageError); the run stops here
}

// StorageError stops an import: the sink's storage is full or went read-only, so no further file
// could be stored either. The files committed before it are imported (a new run skips them).
type StorageError struct {
	Err               error // the sink's error; it wraps syscall.ENOSPC, EDQUOT or EROFS
	Imported, Pending int   // files imported by this run before it stopped; files not handled
}

func (e *StorageError) Error() string {
	var errno syscall.Errno
	cause := "no space left on device"
	if errors.As(e.Err, &errno) {
		cause = errno.Error()
	}
	what, todo := "the disk holding the library is full", "free some space"
	if errors.Is(e.Err, syscall.EROFS) {
		what, todo = "the library's disk became read-only", "make it writable"
	}
	files := "files"
	if e.Imported == 1 {
		files = "file"
	}
	return fmt.Sprintf("%s (%s): the import stopped with %d %s imported and %d not; %s and import again (files already in the catalog are skipped)",
		what, cause, e.Imported, files, e.Pending, todo)
}

func (e *StorageError) Unwrap() error { return e.Err }

// isStorageFault reports whether a sink error means its storage is full or read-only.
func isStorageFault(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS)
}

type runner struct {
	opts   Options
	sink   Sink
	jobs   []Job
	serial bool // thumbnail without gift's own goroutines (the workers already use the CPUs)
	enc    *imaging.PNGEncoder

	mu     sync.Mutex
	claims map[string]int // content hash → lowest job index that is importing it in this run

	// Flow control: at most window jobs, and about budget bytes of files, are in flight (handed
	// to a worker and not yet committed). The feeder charges costs[i] when it hands job i out;
	// the collector returns it on freed when job i is committed.
	window  int
	budget  int64
	costs   []int64
	freed   chan int64
	work    chan int
	results chan outcome

	progress   func(Progress)
	lastReport time.Time
	cur        Progress
}

// inFlightBytes bounds the file bytes held by jobs in flight (read but not yet committed), so a
// folder of huge files cannot exhaust memory; a single larger file still goes through, alone.
const inFlightBytes = 256 << 20

// feed hands out job indexes in order, within the window and byte budget. Only the feeder
// charges the budget, in job order, and committed jobs always release theirs, so an earlier job
// never waits for a later one: no deadlock.
func (r *runner) feed(ctx context.Context) {
	defer close(r.work)
	var jobs int
	var bytes int64
	for i, job := range r.jobs {
		cost := int64(64 << 10) // files that cannot be stat'ed fail fast; charge a token amount
		if fi, err := os.Stat(job.Path); err == nil {
			cost = max(cost, min(fi.Size(), r.budget))
		}
		r.costs[i] = cost
		for jobs >= r.window || (jobs > 0 && bytes+cost > r.budget) {
			select {
			case c := <-r.freed:
				jobs, bytes = jobs-1, bytes-c
			case <-ctx.Done():
				return
			}
		}
		select {
		case r.work <- i:
			jobs, bytes = jobs+1, bytes+cost
		case <-ctx.Done():
			return
		}
	}
}

func (r *runner) work1(ctx context.Context) {
	for i := range r.work {
		if ctx.Err() != nil {
			return
		}
		out := r.process(ctx, i)
		select {
		case r.results <- out:
		case <-ctx.Done():
			return
		}
	}
}

// collect commits outcomes in job order until all jobs are done or ctx is cancelled.
func (r *runner) collect(ctx context.Context, sum *Summary) error {
	r.cur = Progress{Total: len(r.jobs)}
	r.report(*sum, false)
	pending := map[int]outcome{}
	committed := map[string]bool{}
	for next := 0; next < len(r.jobs); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case out := <-r.results:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			pending[out.idx] = out
		}
		for {
			out, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			if err := r.commit(ctx, out, committed, sum); err != nil {
				return err
			}
			// Never blocks: at most window releases are outstanding (see feed).
			r.freed <- r.costs[next]
			next++
			r.report(*sum, false)
		}
	}
	return ctx.Err()
}

func (r *runner) commit(ctx context.Context, out outcome, committed map[string]bool, sum *Summary) error {
	job := r.jobs[out.idx]
	if out.fault != nil {
		return &StorageError{Err: out.fault, Imported: sum.Imported, Pending: len(r.jobs) - out.idx}
	}
	switch out.kind {
	case kindFailure:
		sum.Failures = append(sum.Failures, Failure{Path: job.Path, Reason: out.reason})
	case kindDuplicate:
		sum.Duplicates++
		if g, ok := r.sink.(Grouper); ok && out.known && job.Group != "" {
			_, err := g.GroupUngrouped(ctx, out.hash, job.Group)
			if stop := r.sinkFailed(ctx, err, sum, out.idx); stop != nil {
				return stop
			}
			if err != nil {
				sum.Failures = append(sum.Failures, Failure{Path: job.Path, Reason: fmt.Sprintf("is already in the catalog, and its group %q could not be saved (%v)", job.Group, err)})
			}
		}
		if l, ok := r.sink.(Labeler); ok && out.known && job.Style != "" {
			labeled, err := l.LabelUnlabeled(ctx, out.hash, job.Style, job.LabelSource)
			if stop := r.sinkFailed(ctx, err, sum, out.idx); stop != nil {
				return stop
			}
			switch {
			case err != nil:
				sum.Failures = append(sum.Failures, Failure{Path: job.Path, Reason: fmt.Sprintf("is already in the catalog, and its label %q could not be saved (%v)", job.Style, err)})
			case labeled:
				sum.Labeled++
			}
		}
	case kindRecord:
		if committed[out.rec.Image.Hash] {
			sum.Duplicates++ // the same bytes under another name, committed earlier in this run
			break
		}
		created, err := r.sink.AddRecord(ctx, out.rec)
		if stop := r.sinkFailed(ctx, err, sum, out.idx); stop != nil {
			return stop
		}
		switch {
		case err != nil:
			sum.Failures = append(sum.Failures, Failure{Path: job.Path, Reason: fmt.Sprintf("could not be saved to the catalog (%v)", err)})
		case created:
			sum.Imported++
			committed[out.rec.Image.Hash] = true
		default:
			sum.Duplicates++
		}
	}
	r.cur.Done++
	r.cur.Current = job.Path
	return nil
}

// sinkFailed is the error that stops the run when the sink's call for job idx failed with err: the
// run's cancellation, or a StorageError when the storage is full or read-only; nil to go on (the
// caller lists any other error as the file's failure).
func (r *runner) sinkFailed(ctx context.Context, err error, sum *Summary, idx int) error {
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case isStorageFault(err):
		return &StorageError{Err: err, Imported: sum.Imported, Pending: len(r.jobs) - idx}
	}
	return nil
}

func (r *runner) report(sum Summary, final bool) {
	if r.progress == nil {
		return
	}
	now := time.Now()
	if !final && !r.lastReport.IsZero() && now.Sub(r.lastReport) < progressInterval {
		return
	}
	r.lastReport = now
	p := r.cur
	p.Imported, p.Duplicates, p.Failed = sum.Imported, sum.Duplicates, len(sum.Failures)
	r.progress(p)
}

// process reads, checks, decodes and thumbnails one job. It never panics.
func (r *runner) process(ctx context.Context, i int) (out outcome) {
	job := r.jobs[i]
	out.idx = i
	defer func() {
		if p := recover(); p != nil {
			out = outcome{idx: i, kind: kindFailure, reason: fmt.Sprintf("this picture could not be processed (internal error: %v) — please report it with the file", p)}
		}
	}()
	fail := func(reason string) outcome {
		return outcome{idx: i, kind: kindFailure, reason: reason}
	}

	data, reason := readLimited(job.Path, r.opts.maxFileBytes())
	if reason != "" {
		return fail(reason)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	r.mu.Lock()
	first, claimed := r.claims[hash]
	if !claimed || i < first {
		r.claims[hash] = i
	}
	r.mu.Unlock()
	if claimed && first < i {
		return outcome{idx: i, kind: kindDuplicate}
	}
	has, err := r.sink.HasImage(ctx, hash)
	if err != nil {
		if ctx.Err() != nil {
			return fail("cancelled")
		}
		return fail(fmt.Sprintf("could not be checked against the catalog (%v)", err))
	}
	if has {
		return outcome{idx: i, kind: kindDuplicate, known: true, hash: hash}
	}

	img, cfg, err := imaging.DecodeFit(data, r.opts.MaxPixels, ThumbSize)
	if err != nil {
		return fail(err.Error())
	}
	// Decoding and thumbnailing are long stretches of pure CPU. Yielding between them lets the
	// committing goroutine, back from a sink's fsync, get a CPU without waiting for a worker's
	// time slice to run out (measured: ~7% more images/s on 2 cores, shorter AddRecord waits).
	runtime.Gosched()
	rec, err := buildRecord(img, cfg, data, hash, job, r.serial, r.enc)
	if err != nil {
		return fail(err.Error())
	}
	// Writing the object here, on the worker, overlaps its fsync with other work; AddRecord then finds
	// it stored (content-addressed writes are idempotent) and only runs the short transaction.
	if w, ok := r.sink.(ObjectWriter); ok {
		if _, err := w.PutObject(data); err != nil {
			out := fail(fmt.Sprintf("could not be stored (%v)", err))
			if isStorageFault(err) {
				out.fault = err
			}
			return out
		}
	}
	return outcome{idx: i, kind: kindRecord, rec: rec}
}

// readLimited reads a whole file of at most limit bytes; the reason says why it could not.
func readLimited(path string, limit int64) ([]byte, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, statReason(err)
	}
	defer f.Close() // read-only
	fi, err := f.Stat()
	if err != nil {
		return nil, statReason(err)
	}
	if fi.IsDir() {
		return nil, "this is a folder, not a picture file"
	}
	if fi.Size() > limit {
		return nil, tooBigReason(fi.Size(), limit)
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, fmt.Sprintf("could not be read (%v) — check the disk or network drive", unwrapPathError(err))
	}
	if int64(buf.Len()) > limit {
		return nil, tooBigReason(int64(buf.Len()), limit)
	}
	return buf.Bytes(), ""
}

// ThumbAlpha is what the catalog keeps beside a picture's thumbnail (Record.ThumbAlpha): img's alpha
// placed as its ThumbSize thumbnail places the picture (imaging.AlphaSquare), as a greyscale PNG; nil
// for an opaque picture. serial: without internal goroutines, for callers that run one per CPU.
func ThumbAlpha(img image.Image, serial bool, enc *imaging.PNGEncoder) ([]byte, error) {
	var a *image.Gray
	if serial {
		a = imaging.AlphaSquareSerial(img, ThumbSize)
	} else {
		a = imaging.AlphaSquare(img, ThumbSize)
	}
	if a == nil {
		return nil, nil
	}
	return enc.Encode(a)
}

// buildRecord fills a Record with defaults and the thumbnail; img may be smaller than the picture
// (decoded at reduced size), cfg has the picture's format and full size.
func buildRecord(img image.Image, cfg imaging.Config, data []byte, hash string, job Job, serial bool, enc *imaging.PNGEncoder) (Record, error) {
	var sq *image.NRGBA
	if serial {
		sq = imaging.SquareSerial(img, ThumbSize)
	} else {
		sq = imaging.Square(img, ThumbSize)
	}
	thumb, err := enc.Encode(sq)
	if err != nil {
		return Record{}, fmt.Errorf("the thumbnail could not be made (%v)", err)
	}
	alpha, err := ThumbAlpha(img, serial, enc)
	if err != nil {
		return Record{}, fmt.Errorf("the thumbnail's transparency could not be kept (%v)", err)
	}
	rec := Record{
		SKU:         job.SKU,
		Title:       job.Title,
		Category:    job.Category,
		PriceCents:  job.PriceCents,
		Image:       Image{Hash: hash, Bytes: data, Format: cfg.Format, Width: cfg.Width, Height: cfg.Height, Source: job.Path},
		Thumb:       thumb,
		ThumbAlpha:  alpha,
		Style:       job.Style,
		LabelSource: job.LabelSource,
		Group:       job.Group,
	}
	if rec.SKU == "" {
		rec.SKU = DefaultSKU(hash)
	}
	if rec.Title == "" && job.Path != "" {
		rec.Title = Humanize(stem(job.Path))
	}
	if rec.Category == "" {
		if job.Path != "" {
			rec.Category = Humanize(filepath.Base(filepath.Dir(absOr(job.Path))))
		}
		if rec.Category == "" {
			rec.Category = DefaultCategory
		}
	}
	if rec.Style == "" {
		rec.LabelSource = ""
	}
	return rec, nil
}

// DefaultSKU is the SKU of an image imported without one: "IMG-" + the first 12 hex digits of its
// content hash.
func DefaultSKU(hash string) string {
	if len(hash) > 12 {
		hash = hash[:12]
	}
	return "IMG-" + hash
}

// RecordFromImage builds a Record for an already-decoded image (generated demo items): the image is
// stored as PNG (those bytes are hashed), with the thumbnail and meta's product fields. Empty SKU
// gets DefaultSKU, empty title the SKU, empty category DefaultCategory; Image.Source is meta.Path or
// "demo:<sku>". LabelSource is kept as given (pass "demo" for demo items); callers set DemoParams
// and DemoStyle on the result.
func RecordFromImage(img image.Image, meta Job) (Record, error) {
	if img == nil || img.Bounds().Empty() {
		return Record{}, errors.New("ingest: RecordFromImage needs a non-empty image")
	}
	var enc imaging.PNGEncoder
	data, err := enc.Encode(img)
	if err != nil {
		return Record{}, fmt.Errorf("encode image for %q: %w", meta.SKU, err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	b := img.Bounds()
	cfg := imaging.Config{Format: imaging.FormatPNG, Width: b.Dx(), Height: b.Dy(), Orientation: 1}
	rec, err := buildRecord(img, cfg, data, hash, meta, false, &enc)
	if err != nil {
		return Record{}, err
	}
	rec.LabelSource = meta.LabelSource
	if meta.Title == "" {
		rec.Title = rec.SKU
	}
	if meta.Category == "" {
		rec.Category = DefaultCategory
	}
	if meta.Path == "" {
		rec.Image.Source = "demo:" + rec.SKU
	}
	return rec, nil
}
