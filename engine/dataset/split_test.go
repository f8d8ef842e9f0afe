package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// catalog makes sizes[i] items of class "c<i>" with keys "c<i>-<j>".
func catalog(sizes ...int) []SplitItem {
	var items []SplitItem
	for c, n := range sizes {
		for j := 0; j < n; j++ {
			items = append(items, SplitItem{Key: fmt.Sprintf("c%d-%04d", c, j), Class: fmt.Sprintf("c%d", c)})
		}
	}
	return items
}

func assignment(items []SplitItem, splits []string) map[string]string {
	m := make(map[string]string, len(items))
	for i, it := range items {
		m[it.Key] = splits[i]
	}
	return m
}

func countPerClass(items []SplitItem, splits []string) map[string][3]int {
	out := map[string][3]int{}
	for i, it := range items {
		c := out[it.Class]
		c[slices.Index(Splits[:], splits[i])]++
		out[it.Class] = c
	}
	return out
}

func TestStratifiedSplitProportionsAndMinimums(t *testing.T) {
	items := catalog(100, 20, 3, 2, 1, 15)
	got := countPerClass(items, StratifiedSplit(items, 42, [3]int{80, 10, 10}))
	want := map[string][3]int{
		"c0": {80, 10, 10},
		"c1": {16, 2, 2},
		"c2": {1, 1, 1}, // 3 items: one of each although 10% rounds to 0
		"c3": {2, 0, 0}, // fewer than 3: shares round to 0
		"c4": {1, 0, 0},
		"c5": {11, 2, 2}, // 1.5 rounds up
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("class %s: train/val/test = %v, want %v", c, got[c], w)
		}
	}

	// Other percentages; every class of ≥3 gets val and test when they are asked for, and keeps train.
	for _, pct := range [][3]int{{70, 15, 15}, {60, 20, 20}, {90, 5, 5}, {98, 1, 1}, {34, 33, 33}, {1, 49, 50}} {
		items := catalog(3, 4, 5, 7, 11, 50, 333)
		counts := countPerClass(items, StratifiedSplit(items, 7, pct))
		for c, n := range counts {
			if n[0] < 1 || n[1] < 1 || n[2] < 1 {
				t.Errorf("pct %v class %s: %v has an empty split", pct, c, n)
			}
		}
		big := counts["c6"]
		for k := range 3 {
			if exact := 333 * pct[k] / 100; big[k] < exact-1 || big[k] > exact+2 {
				t.Errorf("pct %v: class of 333 got %v", pct, big)
			}
		}
	}

	// Zero percentages give nothing, even to small classes.
	items = catalog(10, 3)
	counts := countPerClass(items, StratifiedSplit(items, 1, [3]int{100, 0, 0}))
	if counts["c0"] != [3]int{10, 0, 0} || counts["c1"] != [3]int{3, 0, 0} {
		t.Errorf("100/0/0: %v", counts)
	}
	counts = countPerClass(items, StratifiedSplit(items, 1, [3]int{80, 20, 0}))
	if counts["c0"] != [3]int{8, 2, 0} || counts["c1"] != [3]int{2, 1, 0} {
		t.Errorf("80/20/0: %v", counts)
	}
}

func TestStratifiedSplitDeterministicAndOrderIndependent(t *testing.T) {
	items := catalog(40, 25, 9)
	pct := [3]int{80, 10, 10}
	a := assignment(items, StratifiedSplit(items, 99, pct))
	b := assignment(items, StratifiedSplit(items, 99, pct))
	if !mapsEqual(a, b) {
		t.Fatal("same input, different splits")
	}
	shuffled := slices.Clone(items)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if c := assignment(shuffled, StratifiedSplit(shuffled, 99, pct)); !mapsEqual(a, c) {
		t.Error("shuffling the items changed the splits")
	}
	// Another seed gives another (but equally stratified) assignment.
	d := StratifiedSplit(items, 100, pct)
	if mapsEqual(a, assignment(items, d)) {
		t.Error("seeds 99 and 100 gave the same assignment")
	}
	if !mapsEqualCounts(countPerClass(items, d), countPerClass(items, StratifiedSplit(items, 99, pct))) {
		t.Error("per-class counts depend on the seed")
	}
	// Fixed values pin the hash down across platforms and releases: changing it would reshuffle
	// every user's stored splits.
	if got := rankHash(42, "SKU-1"); got != 0xb6f7473d8d8c646b {
		t.Errorf("rankHash(42, SKU-1) = %#x; the split order changed", got)
	}
	if got := rankHash(0, ""); got != 0xaf5570f5a1810b7a {
		t.Errorf("rankHash(0, \"\") = %#x; the split order changed", got)
	}
}

func TestStratifiedSplitStableWhenItemsAreAdded(t *testing.T) {
	pct := [3]int{80, 10, 10}
	items := catalog(60, 30, 12)
	before := assignment(items, StratifiedSplit(items, 5, pct))
	// Add one item to each class, several times; each addition may move at most two items of its
	// class (the ones at the test/val and val/train boundaries).
	grown := slices.Clone(items)
	for round := 0; round < 5; round++ {
		for c := 0; c < 3; c++ {
			grown = append(grown, SplitItem{Key: fmt.Sprintf("new-%d-%d", c, round), Class: fmt.Sprintf("c%d", c)})
		}
		after := assignment(grown, StratifiedSplit(grown, 5, pct))
		moved := map[string]int{}
		for _, it := range items {
			if before[it.Key] != after[it.Key] {
				moved[it.Class]++
			}
		}
		for c, n := range moved {
			if limit := 2 * (round + 1); n > limit {
				t.Errorf("after %d additions class %s moved %d old items (limit %d)", round+1, c, n, limit)
			}
		}
	}
	// Items of other classes never move when one class grows.
	one := append(slices.Clone(items), SplitItem{Key: "zz", Class: "c0"})
	after := assignment(one, StratifiedSplit(one, 5, pct))
	for _, it := range items {
		if it.Class != "c0" && before[it.Key] != after[it.Key] {
			t.Errorf("%s (class %s) moved when class c0 grew", it.Key, it.Class)
		}
	}
}

func TestValidatePercentages(t *testing.T) {
	for _, ok := range [][3]int{{80, 10, 10}, {100, 0, 0}, {0, 50, 50}} {
		if err := ValidatePercentages(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][3]int{{80, 10, 5}, {90, 10, 10}, {-10, 60, 50}, {0, 0, 0}, {120, -10, -10}} {
		if err := ValidatePercentages(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
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

func mapsEqualCounts(a, b map[string][3]int) bool {
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

func TestFillSplitsTopsUpWithoutMovingAnyone(t *testing.T) {
	pct := [3]int{80, 10, 10}
	// A class whose frozen members already fill test: newcomers go to val first, then train.
	items := []SplitItem{{Key: "a", Class: "x"}, {Key: "b", Class: "x"}, {Key: "c", Class: "x"}}
	got := FillSplits(items, map[string][3]int{"x": {6, 0, 3}}, 1, pct)
	counts := map[string]int{}
	for _, sp := range got {
		counts[sp]++
	}
	if counts[Test] != 0 || counts[Val] != 1 || counts[Train] != 2 {
		t.Errorf("newcomers %v, want 1 val and 2 train (test is already over its share)", got)
	}
	// Another class is split as StratifiedSplit splits it.
	items = catalog(30, 7)
	if a, b := FillSplits(items, nil, 5, pct), StratifiedSplit(items, 5, pct); !slices.Equal(a, b) {
		t.Errorf("FillSplits of a fresh catalog %v, StratifiedSplit %v", a, b)
	}
}

// LabelsToTrain is exactly the number of newcomers FillSplits needs to put want of a class in train.
func TestLabelsToTrain(t *testing.T) {
	pct := [3]int{80, 10, 10}
	for _, c := range []struct {
		have       [3]int
		want, need int
	}{
		{[3]int{0, 0, 0}, 5, 7}, // val and test take one each first
		{[3]int{2, 0, 0}, 5, 5},
		{[3]int{4, 1, 1}, 5, 1},
		{[3]int{5, 1, 1}, 5, 0},
		{[3]int{9, 0, 0}, 5, 0},
	} {
		if got := LabelsToTrain(c.have, c.want, pct); got != c.need {
			t.Errorf("LabelsToTrain(%v, %d) = %d, want %d", c.have, c.want, got, c.need)
		}
	}
	if got := LabelsToTrain([3]int{}, 5, [3]int{0, 50, 50}); got != -1 {
		t.Errorf("with no train share: %d, want -1", got)
	}
	// Against FillSplits itself, a class growing a few newcomers at a time.
	for _, pct := range [][3]int{{80, 10, 10}, {70, 15, 15}, {60, 20, 20}} {
		have := [3]int{}
		next := 0
		for step := 0; step < 12; step++ {
			for _, want := range []int{1, 5, 8} {
				m := LabelsToTrain(have, want, pct)
				newcomers := func(k int) int {
					var items []SplitItem
					for j := 0; j < k; j++ {
						items = append(items, SplitItem{Key: fmt.Sprintf("n%d-%d", step, j), Class: "c"})
					}
					train := have[0]
					for _, sp := range FillSplits(items, map[string][3]int{"c": have}, 3, pct) {
						if sp == Train {
							train++
						}
					}
					return train
				}
				if newcomers(m) < want || m > 0 && newcomers(m-1) >= want {
					t.Fatalf("%v have %v want %d: LabelsToTrain says %d", pct, have, want, m)
				}
			}
			// Grow the class by step%3+1 newcomers.
			var items []SplitItem
			for j := 0; j <= step%3; j++ {
				items = append(items, SplitItem{Key: fmt.Sprintf("k%d", next), Class: "c"})
				next++
			}
			for _, sp := range FillSplits(items, map[string][3]int{"c": have}, 3, pct) {
				have[slices.Index(Splits[:], sp)]++
			}
		}
	}
}

// groupedCatalog draws n items in each of five styles (the same item in every style shares a group)
// and loose more items per style without a group.
func groupedCatalog(n, loose int) []SplitItem {
	var items []SplitItem
	for c := 0; c < 5; c++ {
		for g := 0; g < n; g++ {
			items = append(items, SplitItem{Key: fmt.Sprintf("s%d-item%02d", c, g), Class: fmt.Sprintf("s%d", c), Group: fmt.Sprintf("item%02d", g)})
		}
		for j := 0; j < loose; j++ {
			items = append(items, SplitItem{Key: fmt.Sprintf("s%d-loose%02d", c, j), Class: fmt.Sprintf("s%d", c)})
		}
	}
	return items
}

// An item held out in one style is held out in all: no split ever holds two counterparts apart, each
// style is split in the percentages, and a catalog of items drawn in every style splits its groups so.
func TestStratifiedSplitKeepsAGroupTogether(t *testing.T) {
	pct := [3]int{80, 10, 10}
	for _, c := range []struct {
		groups, loose int
		perGroup      [3]int
	}{{40, 0, [3]int{32, 4, 4}}, {40, 20, [3]int{28, 6, 6}}} {
		items := groupedCatalog(c.groups, c.loose)
		got := StratifiedSplit(items, 9, pct)
		of := map[string]string{}
		var perGroup [3]int
		for i, it := range items {
			if it.Group == "" {
				continue
			}
			if sp, ok := of[it.Group]; ok {
				if sp != got[i] {
					t.Fatalf("group %s split between %s and %s", it.Group, sp, got[i])
				}
				continue
			}
			of[it.Group] = got[i]
			perGroup[slices.Index(Splits[:], got[i])]++
		}
		if perGroup != c.perGroup {
			t.Errorf("%d groups and %d other items a style: groups split %v, want %v", c.groups, c.loose, perGroup, c.perGroup)
		}
		want := classCounts(c.groups+c.loose, pct)
		for class, n := range countPerClass(items, got) {
			if n != want {
				t.Errorf("%d groups and %d other items a style: style %s split %v, want %v", c.groups, c.loose, class, n, want)
			}
		}
		// Order does not matter.
		shuffled := slices.Clone(items)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if a, b := assignment(items, got), assignment(shuffled, StratifiedSplit(shuffled, 9, pct)); !mapsEqual(a, b) {
			t.Error("a shuffled catalog is split otherwise")
		}
	}
}

// Labelled a few drawings at a time, whatever the batches, groups are held out as items would be:
// each style about a tenth in val and in test, no group split, nothing moved.
func TestFillGroupedSplitsLabelledInSmallBatches(t *testing.T) {
	pct := [3]int{80, 10, 10}
	for _, styles := range []int{3, 5} {
		var all []SplitItem
		for g := 0; g < 60; g++ {
			for c := 0; c < styles; c++ {
				all = append(all, SplitItem{Key: fmt.Sprintf("s%d-item%02d", c, g), Class: fmt.Sprintf("s%d", c), Group: fmt.Sprintf("item%02d", g)})
			}
		}
		r := rand.New(rand.NewPCG(uint64(styles), 7))
		var members []Member
		for at := 0; at < len(all); {
			n := 1 + r.IntN(styles-1) // a batch of 1 to styles-1 labels, in the catalog's order
			batch := all[at:min(at+n, len(all))]
			at += len(batch)
			for i, sp := range FillGroupedSplits(batch, members, 3, pct) {
				members = append(members, Member{batch[i], sp})
			}
		}
		items := make([]SplitItem, len(members))
		got := make([]string, len(members))
		of := map[string]string{}
		for i, m := range members {
			items[i], got[i] = m.SplitItem, m.Split
			if sp, ok := of[m.Group]; ok && sp != m.Split {
				t.Fatalf("%d styles: group %s split between %s and %s", styles, m.Group, sp, m.Split)
			}
			of[m.Group] = m.Split
		}
		for class, n := range countPerClass(items, got) {
			if n[1] < 4 || n[1] > 8 || n[2] < 4 || n[2] > 8 {
				t.Errorf("%d styles labelled in small batches: style %s split %v, want about 48/6/6", styles, class, n)
			}
		}
	}
}

// A newcomer joins its group's split; groups new to the catalog fill what the others lack.
func TestFillGroupedSplitsJoinsTheGroup(t *testing.T) {
	pct := [3]int{80, 10, 10}
	var members []Member
	for g := 0; g < 10; g++ {
		sp := Train
		switch g {
		case 0:
			sp = Test
		case 2:
			sp = Val
		}
		for c := 0; c < 3; c++ {
			members = append(members, Member{SplitItem{Key: fmt.Sprintf("s%d-item%02d", c, g), Class: fmt.Sprintf("s%d", c), Group: fmt.Sprintf("item%02d", g)}, sp})
		}
	}
	items := []SplitItem{
		{Key: "s9-item00", Class: "s9", Group: "item00"}, {Key: "s9-item01", Class: "s9", Group: "item01"},
		{Key: "s9-item02", Class: "s9", Group: "item02"},
	}
	got := FillGroupedSplits(items, members, 4, pct)
	if !slices.Equal(got, []string{Test, Train, Val}) {
		t.Errorf("newcomers of known groups went to %v, want their groups' [test train val]", got)
	}
	// Ten groups drawn in s0–s2 hold 8/1/1; ten new ones bring 20 to 16/2/2, so one new group goes to
	// val, one to test.
	var fresh []SplitItem
	for g := 10; g < 20; g++ {
		for c := 0; c < 3; c++ {
			fresh = append(fresh, SplitItem{Key: fmt.Sprintf("s%d-item%02d", c, g), Class: fmt.Sprintf("s%d", c), Group: fmt.Sprintf("item%02d", g)})
		}
	}
	got = FillGroupedSplits(fresh, members, 4, pct)
	n := map[string]int{}
	for _, sp := range got {
		n[sp]++
	}
	if n[Train] != 24 || n[Val] != 3 || n[Test] != 3 {
		t.Errorf("ten new groups of three gave %v, want 24 train, 3 val and 3 test (one group each)", n)
	}
}

// Groups labelled one drawing at a time are split as items are, by style: every style with a few of
// them gets its held-out ones, which one stratum over all groups would not promise.
func TestFillGroupedSplitsOfSingleDrawingsKeepsEachStylesShare(t *testing.T) {
	pct := [3]int{80, 10, 10}
	var items []SplitItem
	for c, n := range []int{40, 5, 4, 3} {
		for j := 0; j < n; j++ {
			g := fmt.Sprintf("s%d-g%02d", c, j)
			items = append(items, SplitItem{Key: g + "-sku", Class: fmt.Sprintf("s%d", c), Group: g})
		}
	}
	got := FillGroupedSplits(items, nil, 3, pct)
	plain := make([]SplitItem, len(items))
	for i, it := range items {
		plain[i] = SplitItem{Key: it.Group, Class: it.Class}
	}
	counts := countPerClass(items, got)
	for class, c := range counts {
		if c[1] == 0 || c[2] == 0 {
			t.Errorf("style %s split %v: no held-out product", class, c)
		}
	}
	if want := countPerClass(plain, FillSplits(plain, nil, 3, pct)); !mapsEqualCounts(counts, want) {
		t.Errorf("single drawings split %v, want FillSplits' %v", counts, want)
	}
}

// Members of one group that disagree (a catalog split by product before it knew its groups): a
// newcomer joins the first member's split, whatever the order of the newcomers.
func TestFillGroupedSplitsFollowsTheFirstMember(t *testing.T) {
	members := []Member{
		{SplitItem{Key: "a-ace", Class: "a", Group: "ace"}, Val},
		{SplitItem{Key: "b-ace", Class: "b", Group: "ace"}, Train},
		{SplitItem{Key: "x-ace", Group: "ace"}, Test}, // label cleared: holds the split only
	}
	items := []SplitItem{{Key: "c-ace", Class: "c", Group: "ace"}, {Key: "d-ace", Class: "d", Group: "ace"}}
	if got := FillGroupedSplits(items, members, 1, [3]int{80, 10, 10}); !slices.Equal(got, []string{Val, Val}) {
		t.Errorf("newcomers of a group whose first member is in val went to %v", got)
	}
	if got := FillGroupedSplits(items, members[2:], 1, [3]int{80, 10, 10}); !slices.Equal(got, []string{Test, Test}) {
		t.Errorf("newcomers of a group held by an unlabelled product in test went to %v", got)
	}
}
