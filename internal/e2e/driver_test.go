// Package e2e drives the real Style Studio binary in a real window: the GLFW driver under Xvfb, input
// through xdotool, state read from the app's --e2e-report file (what the window shows, with places), the
// catalog (through the CLI's --json) and /proc. `make e2e` builds the e2e binary (Fyne's thread checks on)
// and runs it; any "Error in Fyne call thread", panic or stack trace in the app's log fails the journey.
package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// env is what TestMain prepared: the binary, a display, a seeded library to copy.
type env struct {
	bin      string
	display  string
	out      string // screenshots and logs of failed journeys
	seeded   string // a library with the demo catalog
	trained  string // the seeded library plus a tiny GAN run (Preview needs one)
	paired   string // a catalog of items drawn in three styles (groups) with a tiny GAN run
	closewin string // sends WM_DELETE_WINDOW
}

// report is the app's --e2e-report JSON (app/e2e.go).
type report struct {
	Screen  string   `json:"screen"`
	Objects []object `json:"objects"`
	Written time.Time
}

type object struct {
	Kind     string  `json:"kind"`
	Text     string  `json:"text"`
	Hint     string  `json:"hint"`
	Value    float64 `json:"value"`
	Checked  bool    `json:"checked"`
	Disabled bool    `json:"disabled"`
	Overlay  bool    `json:"overlay"`
	X, Y     int
	W, H     int
}

func (o object) center() (int, int) { return o.X + o.W/2, o.Y + o.H/2 }

// find returns the first object of kind whose text matches (exactly, or by regexp when re is set).
func (r report) find(kind, text string) (object, bool) {
	for _, o := range r.Objects {
		if (kind == "" || o.Kind == kind) && o.Text == text {
			return o, true
		}
	}
	return object{}, false
}

// match returns every object of kind whose text matches re.
func (r report) match(kind string, re *regexp.Regexp) []object {
	var out []object
	for _, o := range r.Objects {
		if (kind == "" || o.Kind == kind) && re.MatchString(o.Text) {
			out = append(out, o)
		}
	}
	return out
}

// texts is every visible text, for failure messages.
func (r report) texts() string {
	var b []string
	for _, o := range r.Objects {
		if o.Kind == "text" && o.Y >= 0 && o.Y < 800 {
			b = append(b, o.Text)
		}
	}
	return strings.Join(b, " | ")
}

// app is one run of the binary on a library.
type app struct {
	t       *testing.T
	e       *env
	lib     string
	rep     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	exit    error
}

func (e *env) launch(t *testing.T, lib string, extra ...string) *app {
	t.Helper()
	a := &app{t: t, e: e, lib: lib, rep: filepath.Join(t.TempDir(), "report.json"), done: make(chan struct{})}
	a.logPath = filepath.Join(t.TempDir(), "app.log")
	logf, err := os.Create(a.logPath)
	if err != nil {
		t.Fatal(err)
	}
	a.cmd = exec.Command(e.bin, append([]string{"--library", lib, "--e2e-report", a.rep}, extra...)...)
	a.cmd.Env = append(os.Environ(), "DISPLAY="+e.display, "FYNE_SCALE=1", "LANG=C.UTF-8", "LANGUAGE=en")
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.exit = a.cmd.Wait()
		logf.Close()
		close(a.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			a.screenshot("failed-" + sanitize(t.Name()))
		}
		a.kill()
		a.checkLog()
	})
	a.waitFor("the window's first report", 90*time.Second, func(r report) bool { return len(r.Objects) > 0 })
	return a
}

func sanitize(s string) string { return regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(s, "_") }

// running reports whether the process is still alive.
func (a *app) running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

func (a *app) kill() {
	if a.running() {
		_ = a.cmd.Process.Kill()
		<-a.done
	}
}

// quit asks the app to quit (SIGTERM, as a session's logout does) and waits for a clean exit.
func (a *app) quit() {
	a.t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(60 * time.Second):
		a.t.Fatal("the app did not quit within 60 s of SIGTERM")
	}
	if a.exit != nil {
		a.t.Fatalf("the app exited with %v", a.exit)
	}
}

// checkLog fails the journey on a threading error, a panic or a stack trace in the app's output.
func (a *app) checkLog() {
	data, _ := os.ReadFile(a.logPath)
	for _, bad := range []string{"Error in Fyne call thread", "panic:", "goroutine 1 ["} {
		if strings.Contains(string(data), bad) {
			a.t.Errorf("the app's log shows %q:\n%s", bad, tail(string(data), 4000))
			return
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// read returns the newest report.
func (a *app) read() report {
	var r report
	for i := 0; i < 20; i++ {
		data, err := os.ReadFile(a.rep)
		if err == nil && json.Unmarshal(data, &r) == nil {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

// fresh waits for a report written after now, so it shows the effect of input just sent.
func (a *app) fresh() report {
	since := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := a.read()
		if r.Written.After(since) {
			return r
		}
		if !a.running() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return a.read()
}

// waitFor polls the report until ok holds.
func (a *app) waitFor(what string, timeout time.Duration, ok func(report) bool) report {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := a.read()
		if ok(r) {
			return r
		}
		if !a.running() {
			data, _ := os.ReadFile(a.logPath)
			a.t.Fatalf("waiting for %s: the app exited (%v):\n%s", what, a.exit, tail(string(data), 3000))
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("waiting for %s: not within %s; the window shows: %s", what, timeout, r.texts())
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// waitText waits until a visible text matches re and returns it.
func (a *app) waitText(re string, timeout time.Duration) object {
	a.t.Helper()
	rx := regexp.MustCompile(re)
	var got object
	a.waitFor("a text matching "+re, timeout, func(r report) bool {
		for _, o := range r.match("text", rx) {
			got = o
			return true
		}
		return false
	})
	return got
}

// xdo runs xdotool on the test display.
func (a *app) xdo(args ...string) {
	a.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.e.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.t.Fatalf("xdotool %v: %v %s", args, err, out)
	}
}

// clickAt clicks the window at window pixels x, y (the window sits at the root's origin: Xvfb has no
// window manager to move it).
func (a *app) clickAt(x, y int) {
	a.t.Helper()
	a.xdo("mousemove", strconv.Itoa(x), strconv.Itoa(y))
	time.Sleep(60 * time.Millisecond)
	a.xdo("click", "1")
	time.Sleep(150 * time.Millisecond)
}

// click waits for an enabled object of kind with the given text (a dialog's first when overlay) and
// clicks its centre.
func (a *app) click(kind, text string) { a.t.Helper(); a.clickRight(kind, text, 0) }

// clickRight is click for an object that starts right of window pixel minX (a run's name in the
// history, not the same name in the form's entry).
func (a *app) clickRight(kind, text string, minX int) {
	a.t.Helper()
	var target object
	a.waitFor(fmt.Sprintf("%s %q", kind, text), 60*time.Second, func(r report) bool {
		var found []object
		for _, o := range r.Objects {
			if o.Kind == kind && o.Text == text && !o.Disabled && o.Y >= 0 && o.Y < 800 && o.X >= minX {
				found = append(found, o)
			}
		}
		for _, o := range found { // a dialog's button wins over the one under it
			if o.Overlay {
				target = o
				return true
			}
		}
		if len(found) > 0 {
			target = found[0]
			return true
		}
		return false
	})
	a.clickAt(target.center())
}

// clickSettled is click for a button whose place may still move: the screen just changed height above
// it (a description gaining a line). It clicks once two reports written one after the other agree on
// where the button is.
func (a *app) clickSettled(kind, text string) {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		first, ok1 := a.fresh().find(kind, text)
		second, ok2 := a.fresh().find(kind, text)
		if ok1 && ok2 && first == second && !second.Disabled {
			a.clickAt(second.center())
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s %q did not settle: %+v then %+v", kind, text, first, second)
		}
	}
}

// nav shows a screen through the sidebar.
func (a *app) nav(screen string) {
	a.t.Helper()
	a.click("text", screen)
	a.waitFor("the "+screen+" screen", 30*time.Second, func(r report) bool { return r.Screen == screen })
}

// key presses keys in the window (xdotool names: "1", "ctrl+z", "ctrl+shift+z").
func (a *app) key(keys ...string) {
	a.t.Helper()
	a.xdo(append([]string{"key", "--delay", "80"}, keys...)...)
	time.Sleep(150 * time.Millisecond)
}

// typeText types into the focused entry.
func (a *app) typeText(s string) {
	a.t.Helper()
	a.xdo("type", "--delay", "20", s)
}

// screenshot saves the screen into the e2e output folder.
func (a *app) screenshot(name string) string {
	path := filepath.Join(a.e.out, name+".png")
	cmd := exec.Command("/usr/bin/import", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.e.display)
	_ = cmd.Run()
	return path
}

// rssMB is the process's resident memory.
func (a *app) rssMB() float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		return 0
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024
}

// windowID is the app's X window.
func (a *app) windowID() string {
	a.t.Helper()
	cmd := exec.Command("xdotool", "search", "--pid", strconv.Itoa(a.cmd.Process.Pid))
	cmd.Env = append(os.Environ(), "DISPLAY="+a.e.display)
	out, err := cmd.Output()
	ids := strings.Fields(string(out))
	if err != nil || len(ids) == 0 {
		a.t.Fatalf("no window for pid %d: %v", a.cmd.Process.Pid, err)
	}
	return ids[len(ids)-1]
}

// windowSize is the app window's size in pixels, as X has it.
func (a *app) windowSize() (w, h int) {
	a.t.Helper()
	cmd := exec.Command("xdotool", "getwindowgeometry", a.windowID())
	cmd.Env = append(os.Environ(), "DISPLAY="+a.e.display)
	out, err := cmd.Output()
	if err != nil {
		a.t.Fatalf("xdotool getwindowgeometry: %v", err)
	}
	if m := regexp.MustCompile(`Geometry: (\d+)x(\d+)`).FindStringSubmatch(string(out)); m != nil {
		w, _ = strconv.Atoi(m[1])
		h, _ = strconv.Atoi(m[2])
		return w, h
	}
	a.t.Fatalf("xdotool getwindowgeometry said %q", out)
	return 0, 0
}

// cli runs a subcommand of the same binary with --json and decodes its output into v.
func (e *env) cli(t *testing.T, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(e.bin, append(args, "--json")...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LANGUAGE=en")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("stylestudio %v: %v %s", args, err, msg)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("stylestudio %v: %v\n%s", args, err, out)
		}
	}
}

// catalogCounts is `catalog --json`.
type catalogCounts struct {
	Products int `json:"products"`
	Labeled  int `json:"labeled"`
}

// run is one row of `runs list --json`.
type run struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Step   int    `json:"steps"` // steps done
}
