package nn

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaRunsOnThisGo builds a tiny graph, runs it and checks the value and gradient. Old versions of
// go4.org/unsafe/assume-no-moving-gc panic at start on Go 1.26, so this fails fast if that pin regresses.
func TestGorgoniaRunsOnThisGo(t *testing.T) {
	g := gorgonia.NewGraph()
	w := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 2), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	x := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(2), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, -1}))))
	y := gorgonia.Must(gorgonia.Mul(w, x))                                 // [1-2, 3-4] = [-1, -1]
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(y)))) // 2
	if _, err := gorgonia.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := loss.Value().Data().(float32); math.Abs(float64(got)-2) > 1e-6 {
		t.Fatalf("loss = %v, want 2", got)
	}
	grad, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	// d/dw sum((w x)^2) = 2 y x^T = 2 * [-1,-1]^T [1,-1] = [[-2, 2], [-2, 2]]
	want := []float32{-2, 2, -2, 2}
	for i, v := range grad.Data().([]float32) {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("grad = %v, want %v", grad.Data(), want)
		}
	}
}
