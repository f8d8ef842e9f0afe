package assets

import _ "embed"

// The built-in ranking model of the storefront feed: a stylestudio.rank safetensors file (see
// engine/rank) trained on simulated shoppers browsing the default demo catalog (`stylestudio demo`:
// 400 products, seed 1) as a fresh library shows it, with no style classifier yet (perceived styles
// from labels and colour histograms, colour-histogram image features; see app/studio/feed.go). It lets
// the feed rank well on first start. Regenerate it reproducibly (same seed, same bytes) with
// scripts/gen-ranker, which runs:
//
//	stylestudio demo --library TMP
//	stylestudio rank train --library TMP --default --seed 1 --out assets/ranker/default.safetensors
//
//go:generate ../scripts/gen-ranker ranker/default.safetensors
//go:embed ranker/default.safetensors
var defaultRanker []byte

// DefaultRanker returns a copy of the built-in ranking model's safetensors bytes (empty in a build
// without one).
func DefaultRanker() []byte { return append([]byte(nil), defaultRanker...) }
