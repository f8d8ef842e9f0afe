package label

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"stylestudio/app/studio"
	"stylestudio/store"
)

func testStyles() []store.Style {
	return []store.Style{{ID: 1, Name: "minimal", Key: "1"}, {ID: 2, Name: "neon", Key: "2"}}
}

func testRows() []store.ProductRow {
	return []store.ProductRow{
		{ID: 10, SKU: "A", Style: "minimal", StyleID: 1},
		{ID: 11, SKU: "B"},
		{ID: 12, SKU: "C"},
		{ID: 13, SKU: "D", Style: "neon", StyleID: 2},
		{ID: 14, SKU: "E"},
	}
}

func ids(m *labelModel) []int64 {
	var out []int64
	for _, i := range m.view {
		out = append(out, m.items[i].row.ID)
	}
	return out
}

func TestLabelModelQueueFollowsActiveLearningOrder(t *testing.T) {
	m := newLabelModel()
	m.setData(testRows(), testStyles())
	if got := ids(m); len(got) != 3 || !slices.IsSortedFunc(got, func(a, b int64) int { return cmp.Compare(studio.Spread(a), studio.Spread(b)) }) {
		t.Fatalf("queue before the classifier: %v, want the 3 unlabeled in scattered order", got)
	}
	m.setSuggestions(map[int64]suggestion{11: {style: "neon", confidence: 0.9}}, []int64{14, 11, 12})
	if got := ids(m); got[0] != 14 || got[1] != 11 || got[2] != 12 {
		t.Fatalf("queue %v, want 14 11 12", got)
	}
}

func TestLabelModelLabelAdvancesAndCountsUpdate(t *testing.T) {
	m := newLabelModel()
	m.setData(testRows(), testStyles())
	neon := testStyles()[1]
	queue := ids(m)
	m.applyLabel(m.targets(), neon) // labels the first; it leaves the unlabeled view, the second takes its place
	if cur, _ := m.current(); cur.row.ID != queue[1] {
		t.Fatalf("cursor on %d after labeling %d, want %d (queue %v)", cur.row.ID, queue[0], queue[1], queue)
	}
	labeled, per := m.counts()
	if labeled != 3 || per["neon"] != 2 {
		t.Fatalf("counts %d %v", labeled, per)
	}
	// In the "all" view the labeled product stays and the cursor moves to the next one.
	m.setFilter(labelFilter{kind: filterAll})
	m.cursor = 0
	m.applyLabel(m.targets(), neon)
	if cur, _ := m.current(); cur.row.ID != 11 || m.items[0].row.Style != "neon" {
		t.Fatalf("all view: cursor %d, first style %q", cur.row.ID, m.items[0].row.Style)
	}
}

func TestLabelModelMultiSelect(t *testing.T) {
	m := newLabelModel()
	m.setData(testRows(), testStyles())
	m.setFilter(labelFilter{kind: filterAll})
	m.click(1, false, false)
	m.click(3, true, false) // shift: 1..3
	if got := m.targets(); len(got) != 3 || got[0] != 11 || got[2] != 13 {
		t.Fatalf("shift range targets %v", got)
	}
	m.click(0, false, true) // ctrl adds 0
	if len(m.targets()) != 4 {
		t.Fatalf("ctrl-click should add: %v", m.targets())
	}
	m.click(1, false, true) // ctrl removes 1
	if len(m.targets()) != 3 {
		t.Fatalf("ctrl-click should toggle off: %v", m.targets())
	}
	m.selectAll()
	m.applyLabel(m.targets(), testStyles()[0])
	for _, it := range m.items {
		if it.row.Style != "minimal" {
			t.Fatalf("select all + label left %s as %q", it.row.SKU, it.row.Style)
		}
	}
	if len(m.selected) != 0 {
		t.Error("selection should clear after labeling")
	}
}

func TestLabelModelDisagreementFilter(t *testing.T) {
	m := newLabelModel()
	m.setData(testRows(), testStyles())
	m.setSuggestions(map[int64]suggestion{
		10: {style: "neon", confidence: 0.95},    // confident and different: a likely mistake
		13: {style: "minimal", confidence: 0.55}, // different but unsure: not shown
	}, nil)
	m.setFilter(labelFilter{kind: filterDisagree})
	if got := ids(m); len(got) != 1 || got[0] != 10 {
		t.Fatalf("disagreements %v, want [10]", got)
	}
	m.setFilter(labelFilter{kind: filterStyle, style: "neon"})
	if got := ids(m); len(got) != 1 || got[0] != 13 {
		t.Fatalf("style filter %v", got)
	}
	if st, ok := m.styleByKey("2"); !ok || st.Name != "neon" {
		t.Fatalf("key 2 should be neon")
	}
}

// Before a classifier ranks them, the queue scatters the products instead of following the catalog,
// whose folder imports list one style's products together: the first labels reach several styles.
func TestLabelModelQueueScattersUnrankedProducts(t *testing.T) {
	var rows []store.ProductRow
	for id := int64(1); id <= 60; id++ { // three "folders" of 20 in catalog order
		rows = append(rows, store.ProductRow{ID: id, SKU: fmt.Sprintf("P-%02d", id)})
	}
	m := newLabelModel()
	m.setData(rows, testStyles())
	got := ids(m)
	if len(got) != 60 {
		t.Fatalf("queue has %d products, want 60", len(got))
	}
	folders := map[int64]bool{}
	for _, id := range got[:10] {
		folders[(id-1)/20] = true
	}
	if len(folders) < 3 {
		t.Errorf("the first 10 in the queue %v come from %d of the 3 folders", got[:10], len(folders))
	}
	m.setData(rows, testStyles())
	if again := ids(m); !slices.Equal(again, got) {
		t.Errorf("the order changed on a reload: %v then %v", got, again)
	}
}
