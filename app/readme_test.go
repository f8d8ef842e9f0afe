package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// githubAnchor is the id GitHub gives a Markdown heading: lower case, punctuation other than '-' and
// '_' dropped, spaces made hyphens.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The README is the user's manual: every link within it leads to a heading it has, and every picture
// it shows is in the repository. (An edit once replaced a section under another's heading, and the
// CLI table's link to it led nowhere.)
func TestREADMELinksAndPicturesResolve(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	anchors := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if !inFence && strings.HasPrefix(line, "#") {
			anchors[githubAnchor(strings.TrimLeft(line, "#"))] = true
		}
	}
	if len(anchors) < 10 {
		t.Fatalf("found %d headings in the README", len(anchors))
	}
	links := regexp.MustCompile(`\]\(#([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
	if len(links) == 0 {
		t.Fatal("no link within the README found")
	}
	for _, m := range links {
		if !anchors[m[1]] {
			t.Errorf("the README links to #%s, which no heading is", m[1])
		}
	}
	pictures := regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
	for _, m := range pictures {
		if strings.Contains(m[1], "://") {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(m[1]))); err != nil {
			t.Errorf("the README shows %s: %v", m[1], err)
		}
	}
}
