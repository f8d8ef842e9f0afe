package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"stylestudio/internal/treecopy"
)

// the environment TestMain prepares; journeys copy its libraries.
var suite *env

func TestMain(m *testing.M) {
	bin := os.Getenv("STYLESTUDIO_E2E_BIN")
	if bin == "" {
		fmt.Println("e2e: STYLESTUDIO_E2E_BIN is not set; run `make e2e` (skipping the real-window suite)")
		os.Exit(0)
	}
	code, err := runSuite(m, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runSuite(m *testing.M, bin string) (int, error) {
	tmp, err := os.MkdirTemp("", "stylestudio-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	out := os.Getenv("E2E_OUT")
	if out == "" {
		out = filepath.Join(tmp, "out")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	e := &env{bin: bin, out: out, seeded: filepath.Join(tmp, "seeded"), trained: filepath.Join(tmp, "trained")}

	// One X server for the suite; journeys run one after another on it.
	display := fmt.Sprintf(":%d", 300+os.Getpid()%300)
	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		return 0, fmt.Errorf("start Xvfb (install xvfb): %w", err)
	}
	defer func() { _ = xvfb.Process.Kill(); _ = xvfb.Wait() }()
	sock := "/tmp/.X11-unix/X" + strings.TrimPrefix(display, ":")
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.display = display

	e.closewin = filepath.Join(tmp, "closewin")
	if b, err := exec.Command("gcc", "-o", e.closewin, "testdata/closewin.c", "-lX11").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build closewin: %v %s", err, b)
	}
	for _, args := range [][]string{
		{"demo", "--library", e.seeded, "--products", "120"},
	} {
		if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("stylestudio %v: %v %s", args, err, b)
		}
	}
	if err := treecopy.Copy(e.seeded, e.trained); err != nil {
		return 0, err
	}
	// A tiny GAN run, so Preview has something to restyle with.
	if b, err := exec.Command(bin, "train", "--library", e.trained, "--run", "tiny", "--steps", "20", "--batch", "4").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("train the tiny run: %v %s", err, b)
	}
	suite = e
	return m.Run(), nil
}

// library copies a prepared library into the test's temp folder.
func library(t *testing.T, from string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lib")
	if from == "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := treecopy.Copy(from, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// First start: an empty library is seeded with the demo catalog and the classifier trains by itself;
// suggestions appear without a click on Retrain.
func TestFirstStartSuggestionsAppearWithoutAClick(t *testing.T) {
	a := suite.launch(t, library(t, ""))
	start := time.Now()
	a.nav("Label")
	footer := a.waitText(`^Classifier: \d+% correct on`, 4*time.Minute)
	a.waitText(`^Suggestion: `, 30*time.Second)
	t.Logf("first start: suggestions after %.0f s (%s)", time.Since(start).Seconds(), footer.Text)
	a.screenshot("first-start-label")
}

var labeledRE = regexp.MustCompile(`^Labeled (\d+) of (\d+) products$`)

// labeledOnScreen reads the Label screen's progress text.
func labeledOnScreen(r report) (int, bool) {
	for _, o := range r.match("progress", labeledRE) {
		n, _ := strconv.Atoi(labeledRE.FindStringSubmatch(o.Text)[1])
		return n, true
	}
	return 0, false
}

// styleKey finds a style's shortcut from its button ("1  minimal").
func styleKey(t *testing.T, r report) (key, name string) {
	t.Helper()
	re := regexp.MustCompile(`^(\S)  (\S+)$`)
	for _, o := range r.match("button", re) {
		m := re.FindStringSubmatch(o.Text)
		return m[1], m[2]
	}
	t.Fatalf("no style buttons on the Label screen: %s", r.texts())
	return "", ""
}

// Label by keys, undo, redo, restart: what the screen shows is what the catalog keeps.
func TestLabelKeysUndoRedoRestart(t *testing.T) {
	lib := library(t, suite.seeded)
	var before catalogCounts
	suite.cli(t, &before, "catalog", "--library", lib)
	a := suite.launch(t, lib)
	a.nav("Label")
	r := a.waitFor("the label queue", time.Minute, func(r report) bool { _, ok := labeledOnScreen(r); return ok })
	shown, _ := labeledOnScreen(r)
	if shown != before.Labeled {
		t.Fatalf("the screen shows %d labeled, the catalog holds %d", shown, before.Labeled)
	}
	key, name := styleKey(t, r)
	waitLabeled := func(want int, what string) {
		t.Helper()
		a.waitFor(fmt.Sprintf("%d labeled after %s", want, what), 30*time.Second, func(r report) bool {
			n, _ := labeledOnScreen(r)
			return n == want
		})
	}
	a.key(key)
	waitLabeled(before.Labeled+1, "pressing "+key+" ("+name+")")
	a.key("ctrl+z")
	waitLabeled(before.Labeled, "Ctrl+Z")
	a.key("ctrl+shift+z")
	waitLabeled(before.Labeled+1, "Ctrl+Shift+Z")
	a.key(key)
	waitLabeled(before.Labeled+2, "a second "+key)
	a.quit()

	var after catalogCounts
	suite.cli(t, &after, "catalog", "--library", lib)
	if after.Labeled != before.Labeled+2 {
		t.Fatalf("the catalog holds %d labeled after the session, want %d", after.Labeled, before.Labeled+2)
	}
	b := suite.launch(t, lib)
	b.nav("Label")
	b.waitFor("the labels after a restart", time.Minute, func(r report) bool { n, _ := labeledOnScreen(r); return n == before.Labeled+2 })
	b.key("ctrl+z")
	b.waitFor("undo after a restart", 30*time.Second, func(r report) bool { n, _ := labeledOnScreen(r); return n == before.Labeled+1 })
	b.quit()
	suite.cli(t, &after, "catalog", "--library", lib)
	if after.Labeled != before.Labeled+1 {
		t.Fatalf("the catalog holds %d labeled after undo in a new session, want %d", after.Labeled, before.Labeled+1)
	}
}

// Feed: Play advances at the chosen speed and memory stays flat; Pause stops it.
func TestFeedPlayAtSpeedAndPause(t *testing.T) {
	a := suite.launch(t, library(t, suite.seeded))
	a.nav("Feed")
	slateRE := regexp.MustCompile(`^Round (\d+) · shopper 1 · slate (\d+) of (\d+)`)
	position := func(r report) (int, bool) {
		for _, o := range r.match("text", slateRE) {
			m := slateRE.FindStringSubmatch(o.Text)
			round, _ := strconv.Atoi(m[1])
			slate, _ := strconv.Atoi(m[2])
			of, _ := strconv.Atoi(m[3])
			return (round-1)*of + slate, true
		}
		return 0, false
	}
	a.waitFor("the first slate", 2*time.Minute, func(r report) bool { _, ok := position(r); return ok })
	a.click("button", "Play")
	a.waitFor("Play to become Pause", 10*time.Second, func(r report) bool { _, ok := r.find("button", "Pause"); return ok })
	time.Sleep(5 * time.Second) // the first round's allocations settle
	rss0 := a.rssMB()
	p0, _ := position(a.read())
	const seconds = 60
	peak := rss0
	for i := 0; i < seconds; i++ {
		time.Sleep(time.Second)
		peak = max(peak, a.rssMB())
	}
	p1, _ := position(a.fresh())
	rate := float64(p1-p0) / seconds
	t.Logf("feed play: %d slates in %d s (%.1f a second; the slider says 4), RSS %.0f -> peak %.0f MB", p1-p0, seconds, rate, rss0, peak)
	// The default speed is 4 slates a second; a round of simulation every 12 slates costs some of that.
	if rate < 1 || rate > 4.5 {
		t.Errorf("Play advanced %.1f slates a second at speed 4", rate)
	}
	if peak-rss0 > 100 {
		t.Errorf("RSS grew by %.0f MB in %d s of Play (limit 100)", peak-rss0, seconds)
	}
	a.click("button", "Pause")
	time.Sleep(time.Second)
	p2, _ := position(a.fresh())
	time.Sleep(3 * time.Second)
	if p3, _ := position(a.fresh()); p3 != p2 {
		t.Errorf("the feed moved on after Pause: slate %d -> %d", p2, p3)
	}
	a.quit()
}
