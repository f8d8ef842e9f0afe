package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
)

// The three split names.
const (
	Train = "train"
	Val   = "val"
	Test  = "test"
)

// Splits lists the split names in their conventional order.
var Splits = [3]string{Train, Val, Test}

// SplitItem is one thing to assign to a split: Key identifies it (the SKU) and Class is the stratum
// (the style). Group, when not empty, names the item the product draws, shared by its counterparts in
// other styles: FillGroupedSplits keeps a group in one split.
type SplitItem struct {
	Key   string
	Class string
	Group string
}

// ValidatePercentages checks that the train, val and test percentages are non-negative and sum to 100.
func ValidatePercentages(pct [3]int) error {
	sum := 0
	for i, p := range pct {
		if p < 0 || p > 100 {
			return fmt.Errorf("split percentages: %s is %d%%, want 0–100", Splits[i], p)
		}
		sum += p
	}
	if sum != 100 {
		return fmt.Errorf("split percentages %d/%d/%d sum to %d, want 100", pct[0], pct[1], pct[2], sum)
	}
	return nil
}

// rankHash orders the items of a class: a function of the seed and the key only, so an item's rank
// among the others does not depend on the input order, and adding an item shifts the others by at
// most one place.
func rankHash(seed uint64, key string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// classCounts is how many of n items of one class go to train, val and test. pct is used in
// proportion to its sum (a sum of 0 puts everything in train). Val and test get their rounded share,
// but a class of at least 3 items gets at least one val and one test item when their percentage is
// above 0, and keeps at least one train item when the train percentage is above 0.
func classCounts(n int, pct [3]int) [3]int {
	sum := pct[0] + pct[1] + pct[2]
	if n <= 0 {
		return [3]int{}
	}
	if sum <= 0 {
		return [3]int{n, 0, 0}
	}
	share := func(p int) int { return (2*n*p + sum) / (2 * sum) } // round half up, integers only
	val, test := share(pct[1]), share(pct[2])
	if n >= 3 {
		if pct[1] > 0 && val == 0 {
			val = 1
		}
		if pct[2] > 0 && test == 0 {
			test = 1
		}
	}
	// Keep the total within n, and one train item when train asks for some (n ≥ 3), taking from the
	// larger of val and test but never below the minimum of one above.
	limit := n
	if pct[0] > 0 && n >= 3 {
		limit = n - 1
	}
	for val+test > limit {
		floorVal, floorTest := 0, 0
		if n >= 3 && pct[1] > 0 {
			floorVal = 1
		}
		if n >= 3 && pct[2] > 0 {
			floorTest = 1
		}
		switch {
		case val >= test && val > floorVal:
			val--
		case test > floorTest:
			test--
		case val > floorVal:
			val--
		default:
			// Both at their minimum and still too many (only when limit < 2): give up train's item.
			limit = n
			if val+test > n {
				test = n - val
			}
		}
	}
	return [3]int{n - val - test, val, test}
}

// StratifiedSplit assigns each item to "train", "val" or "test"; the result is parallel to items.
//
// Items are grouped by Class. Within a class they are ordered by a hash of (seed, Key) and the first
// ones go to test, the next to val and the rest to train, in the proportions of pct (train, val, test;
// normally summing to 100, see ValidatePercentages; they are used in proportion to their sum). Shares
// are rounded per class; every class with at least 3 items gets at least one val and one test item
// when those percentages are above 0 (and keeps a train item when train's is).
//
// The result depends only on the seed, the percentages and the set of (Key, Class, Group) triples, not
// on the order of items. Keys should be unique; equal keys within a class are ordered by their position
// in items. It is FillGroupedSplits of a catalog that has no split yet: items that name a group are
// split by group, so every counterpart of an item lands in the same split, toward the same per-class
// shares and minimums, met a group at a time (a class drawn in groups that other classes' shares send
// to val or test can hold more than its share there).
func StratifiedSplit(items []SplitItem, seed uint64, pct [3]int) []string {
	return FillGroupedSplits(items, nil, seed, pct)
}

// Member is an item that already has its frozen split. A member without a Class (a product whose
// label was cleared after it got its split) still holds its group's split but counts for no class.
type Member struct {
	SplitItem
	Split string
}

// FillGroupedSplits splits the newcomers (items) of a catalog whose members already have frozen splits,
// where items may name a group (SplitItem.Group): the same item drawn in several styles. A held-out
// product whose counterpart in another style was trained on is not held out from a model that learns
// the item's content, so a group is never split:
//   - a newcomer of a group that already has a split joins it (the split of the group's first member
//     in members' order);
//   - the groups new to the catalog are split as a whole, one group at a time in the order of a hash of
//     the seed and the group: a group goes to test while any class it is drawn in lacks test items of
//     its share (StratifiedSplit's shares of the class's members and newcomers), else to val while any
//     lacks val items, else to train; a group is never held out where that would leave one of its
//     classes without a training item. So items drawn in every class split in the percentages, and
//     groups labelled a drawing at a time split by class as items do;
//   - newcomers without a group then fill what their class still lacks, as FillSplits fills it.
//
// Nothing that has a split moves. The result is parallel to items and does not depend on their order;
// members' order decides a group's split only where its members disagree (a catalog split before it had
// groups). Without groups it is FillSplits against the members' counts.
func FillGroupedSplits(items []SplitItem, members []Member, seed uint64, pct [3]int) []string {
	have := map[string][3]int{}
	count := func(class string, k int) {
		h := have[class]
		h[k]++
		have[class] = h
	}
	groupSplit := map[string]string{}
	for _, m := range members {
		k := slices.Index(Splits[:], m.Split)
		if k < 0 {
			continue
		}
		if m.Group != "" && groupSplit[m.Group] == "" {
			groupSplit[m.Group] = m.Split
		}
		if m.Class != "" {
			count(m.Class, k)
		}
	}

	out := make([]string, len(items))
	var loose []SplitItem
	var looseAt []int
	fresh := map[string][]int{} // a group new to the catalog: its newcomers
	for i, it := range items {
		switch {
		case it.Group == "":
			loose = append(loose, it)
			looseAt = append(looseAt, i)
		case groupSplit[it.Group] != "":
			out[i] = groupSplit[it.Group]
			count(it.Class, slices.Index(Splits[:], out[i]))
		default:
			fresh[it.Group] = append(fresh[it.Group], i)
		}
	}
	if len(fresh) > 0 {
		total := map[string]int{}
		for c, h := range have {
			total[c] = h[0] + h[1] + h[2]
		}
		for _, it := range items {
			if it.Group == "" || groupSplit[it.Group] == "" { // the newcomers not yet counted
				total[it.Class]++
			}
		}
		target := map[string][3]int{}
		for c, n := range total {
			target[c] = classCounts(n, pct)
		}
		type unit struct {
			group string
			hash  uint64
		}
		units := make([]unit, 0, len(fresh))
		for g := range fresh {
			units = append(units, unit{g, rankHash(seed, g)})
		}
		sort.Slice(units, func(a, b int) bool {
			if units[a].hash != units[b].hash {
				return units[a].hash < units[b].hash
			}
			return units[a].group < units[b].group
		})
		for _, u := range units {
			idx := fresh[u.group]
			n := map[string]int{} // the group's drawings per class
			for _, i := range idx {
				n[items[i].Class]++
			}
			lacks := func(k int) bool {
				for c := range n {
					if have[c][k] < target[c][k] {
						return true
					}
				}
				return false
			}
			keepsTrain := func() bool { // every class keeps room for a training item
				for c, m := range n {
					if pct[0] > 0 && target[c][0] > 0 && have[c][1]+have[c][2]+m > total[c]-1 {
						return false
					}
				}
				return true
			}
			k := 0
			switch {
			case lacks(2) && keepsTrain():
				k = 2
			case lacks(1) && keepsTrain():
				k = 1
			}
			for _, i := range idx {
				out[i] = Splits[k]
				count(items[i].Class, k)
			}
		}
	}
	for i, sp := range FillSplits(loose, have, seed, pct) {
		out[looseAt[i]] = sp
	}
	return out
}

// FillSplits assigns splits to newcomers (items) of classes whose other members already have frozen
// splits: have[class] counts those ([train, val, test]). It never moves a member that has one. Per
// class, the target is what StratifiedSplit would give the whole class (members and newcomers); the
// newcomers, in the order of a hash of (seed, Key), fill what test lacks of its target, then val, and
// the rest go to train. So a class assigned at once is split exactly as StratifiedSplit splits it, and
// one that grows a label at a time stays close to the percentages without anything ever moving. The
// result is parallel to items and does not depend on their order.
func FillSplits(items []SplitItem, have map[string][3]int, seed uint64, pct [3]int) []string {
	out := make([]string, len(items))
	type ranked struct {
		idx  int
		hash uint64
	}
	classes := map[string][]ranked{}
	var order []string
	for i, it := range items {
		if _, ok := classes[it.Class]; !ok {
			order = append(order, it.Class)
		}
		classes[it.Class] = append(classes[it.Class], ranked{i, rankHash(seed, it.Key)})
	}
	for _, c := range order {
		members := classes[c]
		sort.SliceStable(members, func(a, b int) bool {
			ma, mb := members[a], members[b]
			if ma.hash != mb.hash {
				return ma.hash < mb.hash
			}
			if ka, kb := items[ma.idx].Key, items[mb.idx].Key; ka != kb {
				return ka < kb
			}
			return ma.idx < mb.idx
		})
		h := have[c]
		target := classCounts(h[0]+h[1]+h[2]+len(members), pct)
		lack := func(k, left int) int { return max(0, min(target[k]-h[k], left)) }
		test := lack(2, len(members))
		val := lack(1, len(members)-test)
		for r, m := range members {
			switch {
			case r < test:
				out[m.idx] = Test
			case r < test+val:
				out[m.idx] = Val
			default:
				out[m.idx] = Train
			}
		}
	}
	return out
}

// LabelsToTrain is how many more items a class whose members are split as have ([train, val, test])
// needs before want of them are in train, when FillSplits splits the newcomers with pct (0 when it has
// them already). Val and test take their share first, so a class of 80/10/10 needs want+2 items while
// it is small. It returns -1 when no number of newcomers does it (train's percentage is 0).
func LabelsToTrain(have [3]int, want int, pct [3]int) int {
	if have[0] >= want {
		return 0
	}
	if pct[0] <= 0 {
		return -1
	}
	n := have[0] + have[1] + have[2]
	for m := 1; ; m++ {
		target := classCounts(n+m, pct)
		lack := func(k, left int) int { return max(0, min(target[k]-have[k], left)) }
		test := lack(2, m)
		val := lack(1, m-test)
		if have[0]+m-test-val >= want {
			return m
		}
	}
}
