// Package trainedlib gives tests a library with a trained GAN run: the demo catalog with labels and a
// finished tiny run named "tiny", built once per test binary and copied per test. Imported by tests only.
package trainedlib

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"stylestudio/app/studio"
	"stylestudio/engine/demo"
	"stylestudio/engine/gan"
	"stylestudio/internal/treecopy"
	"stylestudio/store"
)

// TinyGANConfig is a model small enough to train in a test in a second or two.
func TinyGANConfig(steps int) gan.Config {
	return gan.Config{Size: 16, GenWidth: 4, DiscWidth: 4, ResBlocks: 1, BatchSize: 2, Steps: steps,
		SampleEvery: 5, CheckpointEvery: 10, LogEvery: 1, KeepLast: 2}.WithDefaults()
}

// The trained template library is built once (demo catalog + one tiny run "tiny") and copied per test.
var tinyTemplate struct {
	once sync.Once
	dir  string
	err  error
}

const tinyTemplateProducts = 160 // enough labels for every demo style to train

// Main runs a test binary's tests and then removes the template: call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if tinyTemplate.dir != "" {
		os.RemoveAll(tinyTemplate.dir)
	}
	return code
}

func buildTinyTemplate() (string, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stylestudio-ui-tiny-*")
	if err != nil {
		return "", err
	}
	db, err := store.Open(ctx, dir)
	if err != nil {
		return dir, err
	}
	defer db.Close()
	if _, err := demo.Seed(ctx, db, demo.Catalog(tinyTemplateProducts, 7), nil); err != nil {
		return dir, err
	}
	if _, _, err := studio.TrainGAN(ctx, db, studio.TrainRequest{Name: "tiny", Config: TinyGANConfig(20)}); err != nil {
		return dir, err
	}
	return dir, nil
}

// Open is a fresh copy of the template: demo products, labels and a finished tiny run.
func Open(t testing.TB) *store.DB {
	t.Helper()
	tinyTemplate.once.Do(func() { tinyTemplate.dir, tinyTemplate.err = buildTinyTemplate() })
	if tinyTemplate.err != nil {
		t.Fatal(tinyTemplate.err)
	}
	dir := t.TempDir()
	if err := treecopy.Copy(tinyTemplate.dir, dir); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// FakeStepTimer stands in for the warm-up: 10 ms per image at 64 px, in proportion to the pixels.
func FakeStepTimer(_ context.Context, cfg gan.Config, _ gan.Data) (time.Duration, error) {
	px := float64(cfg.Size*cfg.Size) / (64 * 64)
	return time.Duration(float64(cfg.BatchSize) * px * float64(10*time.Millisecond)), nil
}
