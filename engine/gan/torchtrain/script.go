// Package torchtrain holds Style Studio's PyTorch trainer (train.py), embedded so the binary can write
// it out next to a run's exported data or into a bundle for a GPU server. The script trains the model
// of engine/gan/doc.go exactly as the built-in engine does (same data order, augmentation, step order
// and Adam settings) and writes checkpoints in the engine's format; engine/gan launches it.
package torchtrain

import _ "embed"

// Script is train.py's source.
//
//go:embed train.py
var Script []byte

// FileName is the name the script is written under.
const FileName = "train.py"
