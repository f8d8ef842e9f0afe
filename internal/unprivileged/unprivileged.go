// Package unprivileged lets a test that needs permissions to deny (chmod 000, a read-only folder) run
// where tests run as root, as CI does: root ignores file permissions, so such a test would observe
// nothing. As root the test re-runs itself in a copy of the test binary as the unprivileged user
// nobody (uid and gid 65534, no supplementary groups) through setpriv from util-linux, and that run's
// verdict is the test's.
package unprivileged

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// childEnv marks the re-run, so it neither recurses nor mistakes a failed switch for success.
const childEnv = "STYLESTUDIO_UNPRIVILEGED_CHILD"

// Nobody makes sure t runs without root's privileges. Not root: it returns false and the test goes on.
// Root: it runs the test (a top-level test, by name) as nobody in a copy of the test binary, reports
// that run's output and verdict as t's, and returns true: the caller returns at once. Where setpriv is
// missing the test is skipped, saying so; where the switch fails, it fails.
//
//	if unprivileged.Nobody(t) {
//		return
//	}
func Nobody(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	if os.Getenv(childEnv) == "1" {
		t.Fatal("unprivileged: still root after setpriv switched to nobody")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skipf("running as root and setpriv (util-linux) is missing, so the test cannot drop privileges: %v", err)
	}
	// nobody must be able to run the binary: go test keeps it in a folder only root can enter.
	dir, err := os.MkdirTemp("", "unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	if err := copyExecutable(bin); err != nil {
		t.Fatalf("unprivileged: copy the test binary: %v", err)
	}
	name := strings.SplitN(t.Name(), "/", 2)[0]
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run", "^"+regexp.QuoteMeta(name)+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{childEnv + "=1", "HOME=" + dir, "TMPDIR=" + os.TempDir(), "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	t.Logf("ran as nobody (uid 65534) through setpriv:\n%s", out)
	switch {
	case err != nil:
		t.Fatalf("unprivileged: %s as nobody: %v", name, err)
	case strings.Contains(string(out), "--- SKIP: "+name+" "):
		t.Skip("skipped as nobody (see above)")
	case !strings.Contains(string(out), "--- PASS: "+name+" "):
		t.Fatalf("unprivileged: %s did not run as nobody (see above)", name)
	}
	return true
}

func copyExecutable(dst string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}
