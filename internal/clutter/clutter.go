// Package clutter knows the files an operating system leaves in folders on its own (Finder's
// .DS_Store, Explorer's Thumbs.db and desktop.ini). A folder holding only these counts as empty: an
// export may write into it, a restore may fill it.
package clutter

// Is reports whether a file of this base name is system clutter.
func Is(name string) bool {
	switch name {
	case ".DS_Store", "Thumbs.db", "desktop.ini":
		return true
	}
	return false
}
