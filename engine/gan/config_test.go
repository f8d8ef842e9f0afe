package gan

import (
	"errors"
	"testing"
)

// The content loss's pooling must tile the image: a power of two that divides Size (0 and 1: none).
func TestConfigValidateContentPool(t *testing.T) {
	for _, c := range []struct {
		pool int
		ok   bool
	}{{0, true}, {1, true}, {2, true}, {8, true}, {64, true}, {3, false}, {6, false}, {128, false}, {-2, false}} {
		cfg := DefaultConfig()
		cfg.LambdaContent, cfg.ContentPool = 3, c.pool
		err := cfg.Validate()
		if (err == nil) != c.ok || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("ContentPool %d at size %d: %v, want ok %v", c.pool, cfg.Size, err, c.ok)
		}
	}
}
