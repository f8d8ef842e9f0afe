package label

import (
	"fmt"
	"sort"

	"stylestudio/app/studio"
	"stylestudio/store"
)

// confidentSuggestion is the probability above which a suggestion that differs from the label counts as a
// disagreement (a likely labeling mistake).
const confidentSuggestion = 0.8

// labelFilterKind says which products the label screen's queue shows.
type labelFilterKind int

const (
	filterQueue     labelFilterKind = iota // unlabeled, most useful first (active learning)
	filterUnlabeled                        // unlabeled, catalog order
	filterAll                              // everything, catalog order
	filterStyle                            // labeled with one style
	filterSuggested                        // unlabeled, suggested as one style
	filterDisagree                         // label differs from a confident suggestion
)

type labelFilter struct {
	kind  labelFilterKind
	style string // for filterStyle and filterSuggested
}

// suggestion is the classifier's opinion of one product.
type suggestion struct {
	style       string
	confidence  float64
	uncertainty float64
}

type labelItem struct {
	row  store.ProductRow
	sugg suggestion // zero when no classifier has run
}

// labelModel is the label screen's state without widgets, so its behaviour is tested directly.
// It is owned by the UI goroutine.
type labelModel struct {
	items    []labelItem
	byID     map[int64]int
	styles   []store.Style
	filter   labelFilter
	view     []int // indices into items, in display order
	cursor   int   // index into view
	selected map[int64]bool
	anchor   int     // view index where a Shift-click range starts
	queue    []int64 // product ids in active-learning order (unlabeled ones); nil before the classifier runs
}

func newLabelModel() *labelModel {
	return &labelModel{byID: map[int64]int{}, selected: map[int64]bool{}}
}

// setData replaces products and styles, keeping the current product under the cursor when it is still shown.
func (m *labelModel) setData(rows []store.ProductRow, styles []store.Style) {
	cur := m.currentID()
	old := make(map[int64]suggestion, len(m.items))
	for _, it := range m.items {
		old[it.row.ID] = it.sugg
	}
	m.styles = styles
	m.items = make([]labelItem, len(rows))
	m.byID = make(map[int64]int, len(rows))
	for i, r := range rows {
		m.items[i] = labelItem{row: r, sugg: old[r.ID]}
		m.byID[r.ID] = i
	}
	m.rebuild(cur)
}

// setSuggestions installs the classifier's suggestions and queue order.
func (m *labelModel) setSuggestions(s map[int64]suggestion, queue []int64) {
	for i := range m.items {
		m.items[i].sugg = s[m.items[i].row.ID]
	}
	m.queue = queue
	m.rebuild(m.currentID())
}

func (m *labelModel) setFilter(f labelFilter) {
	m.filter = f
	m.selected = map[int64]bool{}
	m.rebuild(m.currentID())
}

func (m *labelModel) shows(it labelItem) bool {
	switch m.filter.kind {
	case filterQueue, filterUnlabeled:
		return it.row.Style == ""
	case filterStyle:
		return it.row.Style == m.filter.style
	case filterSuggested:
		return it.row.Style == "" && it.sugg.style == m.filter.style
	case filterDisagree:
		return it.row.Style != "" && it.sugg.style != "" && it.sugg.style != it.row.Style && it.sugg.confidence >= confidentSuggestion
	}
	return true
}

// rebuild recomputes the view and puts the cursor back on keep (a product id) if it is still shown,
// else at the same position.
func (m *labelModel) rebuild(keep int64) {
	pos := m.cursor
	m.view = m.view[:0]
	if m.filter.kind == filterQueue {
		seen := make(map[int64]bool, len(m.queue))
		for _, id := range m.queue {
			if i, ok := m.byID[id]; ok && m.shows(m.items[i]) && !seen[id] {
				m.view = append(m.view, i)
				seen[id] = true
			}
		}
		// Products the classifier has not ranked (new, or no classifier yet) follow, most uncertain first,
		// ties in a scattered order (studio.Spread): a catalog imported folder by folder lists one
		// style's products together, and labeled in that order a second style got the labels a first
		// classifier needs only after dozens (on the card decks, 66 labels against 29 in random order).
		var rest []int
		for i, it := range m.items {
			if !seen[it.row.ID] && m.shows(it) {
				rest = append(rest, i)
			}
		}
		sort.SliceStable(rest, func(a, b int) bool {
			ia, ib := m.items[rest[a]], m.items[rest[b]]
			if ia.sugg.uncertainty != ib.sugg.uncertainty {
				return ia.sugg.uncertainty > ib.sugg.uncertainty
			}
			return studio.Spread(ia.row.ID) < studio.Spread(ib.row.ID)
		})
		m.view = append(m.view, rest...)
	} else {
		for i, it := range m.items {
			if m.shows(it) {
				m.view = append(m.view, i)
			}
		}
	}
	m.cursor = min(pos, max(len(m.view)-1, 0))
	for vi, i := range m.view {
		if m.items[i].row.ID == keep {
			m.cursor = vi
			break
		}
	}
	for id := range m.selected {
		if i, ok := m.byID[id]; !ok || !m.shows(m.items[i]) {
			delete(m.selected, id)
		}
	}
}

func (m *labelModel) current() (labelItem, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return labelItem{}, false
	}
	return m.items[m.view[m.cursor]], true
}

func (m *labelModel) currentID() int64 {
	if it, ok := m.current(); ok {
		return it.row.ID
	}
	return 0
}

func (m *labelModel) at(viewIndex int) labelItem { return m.items[m.view[viewIndex]] }

// move shifts the cursor by delta within the view.
func (m *labelModel) move(delta int) {
	if len(m.view) == 0 {
		return
	}
	m.cursor = min(max(m.cursor+delta, 0), len(m.view)-1)
}

// click handles a click on view index vi: plain moves the cursor and selects it alone, ctrl toggles,
// shift selects the range from the anchor.
func (m *labelModel) click(vi int, shift, ctrl bool) {
	if vi < 0 || vi >= len(m.view) {
		return
	}
	id := m.at(vi).row.ID
	switch {
	case shift:
		lo, hi := min(m.anchor, vi), max(m.anchor, vi)
		if !ctrl {
			m.selected = map[int64]bool{}
		}
		for k := lo; k <= hi; k++ {
			m.selected[m.at(k).row.ID] = true
		}
	case ctrl:
		if m.selected[id] {
			delete(m.selected, id)
		} else {
			m.selected[id] = true
		}
		m.anchor = vi
	default:
		m.selected = map[int64]bool{id: true}
		m.anchor = vi
	}
	m.cursor = vi
}

func (m *labelModel) selectAll() {
	m.selected = make(map[int64]bool, len(m.view))
	for _, i := range m.view {
		m.selected[m.items[i].row.ID] = true
	}
}

func (m *labelModel) clearSelection() { m.selected = map[int64]bool{} }

// targets is what a label key applies to: the multi-selection when more than one product is selected,
// else the product under the cursor.
func (m *labelModel) targets() []int64 {
	if len(m.selected) > 1 {
		ids := make([]int64, 0, len(m.selected))
		for _, i := range m.view {
			if id := m.items[i].row.ID; m.selected[id] {
				ids = append(ids, id)
			}
		}
		return ids
	}
	if id := m.currentID(); id != 0 {
		return []int64{id}
	}
	return nil
}

// applyLabel updates products in memory at once (the store write follows in the background) and moves
// on: to the next product when one was labeled, keeping the position when the labeled ones leave the view.
func (m *labelModel) applyLabel(ids []int64, st store.Style) {
	single := len(ids) == 1
	for _, id := range ids {
		if i, ok := m.byID[id]; ok {
			m.items[i].row.Style, m.items[i].row.StyleID = st.Name, st.ID
		}
	}
	cur := m.currentID()
	stillShown := false
	if i, ok := m.byID[cur]; ok {
		stillShown = m.shows(m.items[i])
	}
	m.selected = map[int64]bool{}
	if single && stillShown {
		m.rebuild(cur)
		m.move(1)
		return
	}
	// The labeled product left the view: the next one slides into the cursor's place.
	m.rebuild(0)
}

// setLabels updates rows in memory (after an undo/redo read them back from the store).
func (m *labelModel) setRows(rows []store.ProductRow) {
	for _, r := range rows {
		if i, ok := m.byID[r.ID]; ok {
			m.items[i].row.Style, m.items[i].row.StyleID = r.Style, r.StyleID
		}
	}
	m.rebuild(m.currentID())
}

// counts are the always-visible progress figures.
func (m *labelModel) counts() (labeled int, perStyle map[string]int) {
	perStyle = make(map[string]int, len(m.styles))
	for _, it := range m.items {
		if it.row.Style != "" {
			labeled++
			perStyle[it.row.Style]++
		}
	}
	return labeled, perStyle
}

func (m *labelModel) styleByKey(key string) (store.Style, bool) {
	for _, s := range m.styles {
		if s.Key != "" && s.Key == key {
			return s, true
		}
	}
	return store.Style{}, false
}

// suggestionText is how a suggestion reads in the UI: "neon 93%".
func suggestionText(s suggestion) string {
	return s.style + confidenceText(s)
}

// confidenceText is a suggestion's confidence as it follows the style's name: " 93%".
func confidenceText(s suggestion) string {
	return fmt.Sprintf(" %.0f%%", 100*s.confidence)
}
