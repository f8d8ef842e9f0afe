// Package dataset turns the labelled catalog into training data: it parses label CSVs, assigns
// deterministic stratified train/val/test splits and exports image datasets (a torchvision ImageFolder
// tree, or a CSV manifest beside the images).
//
// It speaks no SQL: the store hands it plain rows and a way to open each image's bytes.
package dataset
