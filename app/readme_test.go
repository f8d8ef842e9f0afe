package main

import (
	"fmt"
	"maps"
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

// readmeAnchors are the ids of a Markdown text's headings as GitHub gives them: a repeated heading's
// gets -1, -2, …; lines inside ``` or ~~~ fences are not headings, nor is "#" without a space.
func readmeAnchors(text string) map[string]bool {
	anchors, seen := map[string]bool{}, map[string]int{}
	heading := regexp.MustCompile(`^#{1,6}\s+(.*)$`)
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			// A fence closes with a bare run of its character at least as long as the one that opened it.
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			continue
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, trimmed[:1]))]
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := githubAnchor(strings.TrimRight(m[1], "# "))
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

func TestReadmeAnchorsFollowGitHub(t *testing.T) {
	got := readmeAnchors("# Style Studio\n## Notes\n```\n# not a heading\n```\n~~~sh\n## nor this\n~~~\n## Notes\n#hashtag\n" +
		"````md\n```go\n# inside\n```\n````\n### The GAN, on real styles (64 px)\n")
	want := map[string]bool{"style-studio": true, "notes": true, "notes-1": true, "the-gan-on-real-styles-64-px": true}
	if !maps.Equal(got, want) {
		t.Errorf("anchors %v, want %v", got, want)
	}
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
	anchors := readmeAnchors(text)
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
