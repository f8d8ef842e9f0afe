package gan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stylestudio/internal/faultfs"
)

// A checkpoint save on a full disk or a read-only file system fails with a message that says so and
// that the previous checkpoint is kept; the previous checkpoint still loads and resumes, and no temp
// file is left behind.
func TestCheckpointSaveOnFullOrReadOnlyDisk(t *testing.T) {
	data := demoData(t, 60)
	for _, fault := range []string{"full", "read-only"} {
		t.Run(fault, func(t *testing.T) {
			dir := faultfs.Mount(t, 4<<20)
			if _, err := Train(context.Background(), tinyConfig(3), data, Options{Dir: dir}, nil); err != nil {
				t.Fatal(err)
			}
			before := fileSums(t, dir)
			want := "no space left on device"
			if fault == "full" {
				defer faultfs.Fill(t, dir)()
			} else {
				faultfs.ReadOnly(t, dir)
				want = "read-only file system"
			}
			_, err := Train(context.Background(), tinyConfig(6), data, Options{Dir: dir, Resume: true}, nil)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "previous checkpoint is kept") {
				t.Fatalf("save on a %s disk: %v; want %q and that the previous checkpoint is kept", fault, err, want)
			}
			t.Logf("%s: %v", fault, err)
			if after := fileSums(t, dir); !sameSums(before, after) {
				t.Errorf("the failed save changed the run folder:\nbefore %v\nafter  %v", before, after)
			}
			latest, _, err := LatestCheckpoint(dir)
			if err != nil || latest.Step != 3 {
				t.Fatalf("latest checkpoint %d, %v; want step 3", latest.Step, err)
			}
			if _, err := LoadModel(dir); err != nil {
				t.Fatalf("the previous checkpoint does not load: %v", err)
			}
			if fault == "read-only" {
				faultfs.Writable(t, dir)
			}
		})
	}
}

// fileSums maps the regular files in dir (not hidden helpers of faultfs) to their contents.
func fileSums(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".faultfs") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func sameSums(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
