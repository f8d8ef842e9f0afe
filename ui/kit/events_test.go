package kit

import "testing"

func TestTopicsCarryTheirValuesInOrder(t *testing.T) {
	const loaded Topic[int] = "x.loaded"
	failed := Topic[error]("x.failed")
	e := NewEvents()
	var got []int
	loaded.On(e, func(n int) { got = append(got, n) })
	loaded.On(e, func(n int) { got = append(got, -n) })
	failed.On(e, func(error) { t.Error("another topic's listener ran") })
	loaded.Emit(e, 3)
	loaded.Emit(nil, 4) // no subscribers: nothing happens
	if len(got) != 2 || got[0] != 3 || got[1] != -3 {
		t.Fatalf("listeners saw %v", got)
	}
	var gotErr = error(nil)
	called := false
	failed = "x.failed2"
	failed.On(e, func(err error) { gotErr, called = err, true })
	failed.Emit(e, nil) // a nil error is a value like any other
	if !called || gotErr != nil {
		t.Fatalf("nil error: called %v, got %v", called, gotErr)
	}
}
