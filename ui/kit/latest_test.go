package kit

import "testing"

func TestLatestMakesOlderTicketsStale(t *testing.T) {
	var l Latest
	a := l.Next()
	if !a.Current() {
		t.Fatal("a fresh ticket is stale")
	}
	b := l.Next()
	if a.Current() || !b.Current() {
		t.Fatalf("after a second request: a current %v, b current %v", a.Current(), b.Current())
	}
	l.Invalidate()
	if b.Current() {
		t.Fatal("Invalidate left a ticket current")
	}
	if (Ticket{}).Current() {
		t.Fatal("the zero ticket is current")
	}
}
