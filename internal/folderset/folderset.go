// Package folderset reads an image-folder tree, ROOT/<style>/<object>.png, as the real-styles
// experiments use it (scripts/realstyles writes such trees from Debian's card decks): a file's name
// names the same object in every style, which gives paired ground truth and object-wise splits.
package folderset

import (
	"fmt"
	"hash/fnv"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Set is a folder tree's images: Style[i] indexes Styles, Object[i] is the file name without ".png".
type Set struct {
	Styles []string
	Images []image.Image
	Style  []int
	Object []string
}

// Read reads every ROOT/<style>/*.png, styles and files in name order.
func Read(root string) (Set, error) {
	var s Set
	dirs, err := os.ReadDir(root)
	if err != nil {
		return s, err
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(root, d.Name(), "*.png"))
		if err != nil {
			return s, err
		}
		sort.Strings(files)
		si := len(s.Styles)
		s.Styles = append(s.Styles, d.Name())
		for _, f := range files {
			img, err := decode(f)
			if err != nil {
				return s, err
			}
			s.Images = append(s.Images, img)
			s.Style = append(s.Style, si)
			s.Object = append(s.Object, strings.TrimSuffix(filepath.Base(f), ".png"))
		}
	}
	if len(s.Images) == 0 {
		return s, fmt.Errorf("%s: no <style>/<object>.png images (build one with scripts/realstyles build)", root)
	}
	return s, nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// HeldOut says whether an object is held out in every style: about a fifth of the objects, chosen by a
// hash of the name, so no model sees a held-out object in any style.
func HeldOut(object string) bool {
	h := fnv.New32a()
	h.Write([]byte(object))
	return h.Sum32()%5 == 0
}
