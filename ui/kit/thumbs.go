package kit

import (
	"bytes"
	"container/list"
	"context"
	"image"
	"image/png"
	"sync"
	"sync/atomic"
)

// thumbSource fetches encoded thumbnails by image hash (the store in the app, a map in tests).
type thumbSource interface {
	Thumb(ctx context.Context, hash string) ([]byte, error)
}

// ThumbLoader decodes thumbnails off the UI goroutine and keeps the most recent ones in an LRU cache.
// Requests are served newest first, so while the user scrolls, the cells now on screen load before the
// ones that already scrolled away; stale requests beyond maxPending are dropped.
type ThumbLoader struct {
	src      thumbSource
	loaded   func(hash string) // called on a loader goroutine; the caller hops to the UI with fyne.Do
	capacity int

	mu      sync.Mutex
	cache   map[string]*list.Element // hash -> element in lru (value: thumbEntry)
	lru     *list.List
	pending []string // LIFO stack of hashes to load
	queued  map[string]bool
	wake    chan struct{}

	decoded atomic.Int64 // thumbnails loaded so far (Stats)
}

type thumbEntry struct {
	hash string
	img  image.Image
}

const maxPendingThumbs = 512

func NewThumbLoader(src thumbSource, capacity int, loaded func(hash string)) *ThumbLoader {
	return &ThumbLoader{
		src: src, loaded: loaded, capacity: capacity,
		cache: map[string]*list.Element{}, lru: list.New(), queued: map[string]bool{},
		wake: make(chan struct{}, 1),
	}
}

// Start runs workers until ctx is cancelled.
func (l *ThumbLoader) Start(ctx context.Context, workers int) {
	for i := 0; i < workers; i++ {
		go l.work(ctx)
	}
}

// Get returns the cached thumbnail or nil, in which case it queues a load.
func (l *ThumbLoader) Get(hash string) image.Image {
	if hash == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.cache[hash]; ok {
		l.lru.MoveToFront(el)
		return el.Value.(thumbEntry).img
	}
	if !l.queued[hash] {
		l.queued[hash] = true
		l.pending = append(l.pending, hash)
		if len(l.pending) > maxPendingThumbs {
			drop := l.pending[0]
			l.pending = l.pending[1:]
			delete(l.queued, drop)
		}
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Stats says how many thumbnails were loaded so far and how many wait to load or are being decoded
// (for the --perf-log diagnostics). Any goroutine.
func (l *ThumbLoader) Stats() (loaded int64, pending int) {
	l.mu.Lock()
	pending = len(l.queued)
	l.mu.Unlock()
	return l.decoded.Load(), pending
}

// Cached returns a thumbnail only if it is already decoded.
func (l *ThumbLoader) Cached(hash string) image.Image {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.cache[hash]; ok {
		return el.Value.(thumbEntry).img
	}
	return nil
}

func (l *ThumbLoader) next() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.pending)
	if n == 0 {
		return "", false
	}
	h := l.pending[n-1]
	l.pending = l.pending[:n-1]
	return h, true
}

func (l *ThumbLoader) work(ctx context.Context) {
	for {
		hash, ok := l.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-l.wake:
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		img := l.load(ctx, hash)
		l.mu.Lock()
		delete(l.queued, hash)
		if img != nil {
			l.cache[hash] = l.lru.PushFront(thumbEntry{hash: hash, img: img})
			for l.lru.Len() > l.capacity {
				old := l.lru.Remove(l.lru.Back()).(thumbEntry)
				delete(l.cache, old.hash)
			}
		}
		l.mu.Unlock()
		if img != nil {
			l.decoded.Add(1)
		}
		if img != nil && l.loaded != nil {
			l.loaded(hash)
		}
		// Let a pending wake-up through so other workers see the rest of the stack.
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// load fetches and decodes one thumbnail; a missing or broken one yields nil (the cell keeps its placeholder).
func (l *ThumbLoader) load(ctx context.Context, hash string) image.Image {
	data, err := l.src.Thumb(ctx, hash)
	if err != nil {
		return nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return img
}

// Preload loads the given hashes synchronously (used by the headless screenshot so it paints real thumbnails).
func (l *ThumbLoader) Preload(ctx context.Context, hashes []string) {
	for _, h := range hashes {
		if ctx.Err() != nil {
			return
		}
		if l.Cached(h) != nil {
			continue
		}
		if img := l.load(ctx, h); img != nil {
			l.mu.Lock()
			l.cache[h] = l.lru.PushFront(thumbEntry{hash: h, img: img})
			l.mu.Unlock()
		}
	}
}
