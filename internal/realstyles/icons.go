package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"stylestudio/internal/par"
)

// iconTheme is one icon theme Debian ships: the same freedesktop icon names (folder, printer,
// text-x-generic…) drawn by its own design team.
type iconTheme struct {
	name string // the style name (folder) and the theme's directory under iconDir
	pkg  string // the Debian package that installs it
}

const iconDir = "/usr/share/icons"

// iconSets are two disjoint sets of five icon themes, each by a different team, none from the same
// lineage in one set (Tango, GNOME, MATE and GNOME Colors grew from one another; Faba, Moka and Suru
// share a designer). They were chosen, before any model saw them, as the pair of such sets with the
// most icon names drawn in all five themes of each (76 and 73), the first set for choosing settings,
// the second only reported on.
var iconSets = map[string][]iconTheme{
	"icons-dev": {
		{"oxygen", "oxygen-icon-theme"},
		{"elementary-xfce", "elementary-xfce-icon-theme"},
		{"gnome", "gnome-icon-theme"},
		{"Faba", "faba-icon-theme"},
		{"Yaru", "yaru-theme-icon"},
	},
	"icons-bench": {
		{"breeze", "breeze-icon-theme"},
		{"Papirus", "papirus-icon-theme"},
		{"Numix", "numix-icon-theme"},
		{"mate", "mate-icon-theme"},
		{"bloom", "deepin-icon-theme"},
	},
}

// iconFile is a theme's best drawing of one icon name.
type iconFile struct {
	path string
	size int // the size directory it sits in (0 for scalable)
	svg  bool
}

var sizeDir = regexp.MustCompile(`^(\d+)(x\d+)?(@(\d+)x)?$`)

// themeIcons finds every full-colour icon a theme draws itself at 48 px or more: per name, a PNG of
// at least 128 px if there is one (the largest), else an SVG, else the largest PNG. Symbolic
// (monochrome) icons and links to other themes' files are left out.
func themeIcons(theme string) (map[string]iconFile, error) {
	root := filepath.Join(iconDir, theme)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	best := map[string]iconFile{}
	better := func(a, b iconFile) bool { // a is a better source than b
		rank := func(f iconFile) int {
			switch {
			case !f.svg && f.size >= 128:
				return 2
			case f.svg:
				return 1
			}
			return 0
		}
		if rank(a) != rank(b) {
			return rank(a) > rank(b)
		}
		if a.size != b.size {
			return a.size > b.size
		}
		return a.path < b.path
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.Contains(rel, "symbolic") {
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".png" && ext != ".svg" {
			return nil
		}
		name := strings.TrimSuffix(filepath.Base(path), ext)
		size, scalable := -1, false
		for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
			if m := sizeDir.FindStringSubmatch(part); m != nil {
				size, _ = strconv.Atoi(m[1])
				if m[4] != "" {
					k, _ := strconv.Atoi(m[4])
					size *= k
				}
			}
			if part == "scalable" {
				scalable = true
			}
		}
		if scalable {
			size = 0
		}
		if size < 0 || (size > 0 && size < 48) || (size == 0 && ext != ".svg") {
			return nil
		}
		if target, err := filepath.EvalSymlinks(path); err != nil || !strings.HasPrefix(target, realRoot+string(filepath.Separator)) {
			return nil // dangling, or another theme's drawing
		}
		f := iconFile{path: path, size: size, svg: ext == ".svg"}
		if old, ok := best[name]; !ok || better(f, old) {
			best[name] = f
		}
		return nil
	})
	return best, err
}

// iconJobs lists, for a set, the icon names every theme of it draws, without two names drawn by one
// file in any theme (folder and inode-directory are often one drawing), in name order.
func iconJobs(themes []iconTheme) ([]string, map[string]map[string]iconFile, error) {
	files := map[string]map[string]iconFile{}
	var common map[string]bool
	for _, th := range themes {
		if _, err := os.Stat(filepath.Join(iconDir, th.name)); err != nil {
			return nil, nil, fmt.Errorf("icon theme %s is missing; install %s", th.name, th.pkg)
		}
		icons, err := themeIcons(th.name)
		if err != nil {
			return nil, nil, fmt.Errorf("icon theme %s: %w", th.name, err)
		}
		files[th.name] = icons
		next := map[string]bool{}
		for n := range icons {
			if common == nil || common[n] {
				next[n] = true
			}
		}
		common = next
	}
	names := make([]string, 0, len(common))
	for n := range common {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]map[string]bool{} // theme -> drawings (content hashes) taken
	var keep []string
	for _, n := range names {
		dup := false
		hashes := map[string]string{}
		for _, th := range themes {
			b, err := os.ReadFile(files[th.name][n].path)
			if err != nil {
				return nil, nil, err
			}
			h := fmt.Sprintf("%x", sha256.Sum256(b))
			hashes[th.name] = h
			if seen[th.name][h] {
				dup = true
			}
		}
		if dup {
			continue
		}
		for th, h := range hashes {
			if seen[th] == nil {
				seen[th] = map[string]bool{}
			}
			seen[th][h] = true
		}
		keep = append(keep, n)
	}
	return keep, files, nil
}

// renderIcon draws an icon file large, crops it to its visible pixels and fits it into a transparent
// size×size square, as render does a card; uncropped keeps the icon's whole canvas (its margins as the
// theme draws them).
func renderIcon(f iconFile, size int, uncropped bool) (*image.NRGBA, error) {
	var src image.Image
	if f.svg {
		cmd := exec.Command("rsvg-convert", "-w", strconv.Itoa(4*size), "-h", strconv.Itoa(4*size), "-a", f.path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("rsvg-convert %s: %v: %s", f.path, err, strings.TrimSpace(stderr.String()))
		}
		img, err := png.Decode(&stdout)
		if err != nil {
			return nil, fmt.Errorf("rsvg-convert %s: unreadable output: %w", f.path, err)
		}
		src = img
	} else {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		if src, err = png.Decode(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
	}
	bb := opaqueBounds(src)
	if bb.Empty() {
		return nil, errors.New("the icon renders empty")
	}
	if uncropped {
		bb = src.Bounds()
	}
	return fitSquare(src, bb, size), nil
}

// runIcons writes OUT/<theme>/<icon name>.png for every icon name the set's themes all draw.
func runIcons(themes []iconTheme, list bool, size, workers int, uncropped bool, args []string) error {
	names, files, err := iconJobs(themes)
	if err != nil {
		return err
	}
	if list {
		for _, th := range themes {
			fmt.Println(th.name, th.pkg)
		}
		fmt.Println(strings.Join(names, " "))
		return nil
	}
	if len(args) != 1 {
		return errors.New("usage: realstyles --set icons-dev|icons-bench [--size 128] OUT")
	}
	if size < 16 || size > 1024 {
		return fmt.Errorf("--size %d is out of range (16 to 1024)", size)
	}
	if _, err := exec.LookPath("rsvg-convert"); err != nil {
		return errors.New("rsvg-convert is not installed; install librsvg2-bin (apt-get install librsvg2-bin)")
	}
	out := args[0]
	type job struct {
		theme, name string
	}
	var jobs []job
	for _, th := range themes {
		if err := os.MkdirAll(filepath.Join(out, th.name), 0o755); err != nil {
			return err
		}
		for _, n := range names {
			jobs = append(jobs, job{th.name, n})
		}
	}
	errs := make([]error, len(jobs))
	par.ForN(len(jobs), max(1, workers), func(_, i int) {
		j := jobs[i]
		img, err := renderIcon(files[j.theme][j.name], size, uncropped)
		if err == nil {
			err = writePNG(filepath.Join(out, j.theme, j.name+".png"), img)
		}
		if err != nil {
			errs[i] = fmt.Errorf("theme %s icon %s: %w", j.theme, j.name, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d images (%d icons in %d themes) under %s\n", len(jobs), len(names), len(themes), out)
	return nil
}
