package clutter

import "testing"

func TestIs(t *testing.T) {
	for name, want := range map[string]bool{".DS_Store": true, "Thumbs.db": true, "desktop.ini": true,
		"thumbs.db.png": false, "catalog.db": false, "": false, "DS_Store": false} {
		if Is(name) != want {
			t.Errorf("Is(%q) = %v", name, !want)
		}
	}
}
