package quality

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// correlated draws n vectors of dimension d with correlated, unequal-variance components.
func correlated(rng *rand.Rand, n, d int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		z := make([]float64, d)
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		v := make([]float64, d)
		for j := range v {
			v[j] = float64(j+1) * z[j]
			if j > 0 {
				v[j] += 0.8 * z[j-1]
			}
		}
		out[i] = v
	}
	return out
}

func shifted(xs [][]float64, by []float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, v := range xs {
		w := make([]float64, len(v))
		for j := range v {
			w[j] = v[j] + by[j]
		}
		out[i] = w
	}
	return out
}

func mustFrechet(t *testing.T, a, b [][]float64) float64 {
	t.Helper()
	d, err := Frechet(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFrechetIdenticalSetsIsZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := correlated(rng, 200, 6)
	if d := mustFrechet(t, a, a); d > 1e-9 {
		t.Errorf("Frechet of a set with itself = %v, want 0", d)
	}
}

func TestFrechetOfShiftedSetIsShiftSquared(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := correlated(rng, 100, 5)
	shift := []float64{1, -2, 0.5, 3, 0}
	want := 1 + 4 + 0.25 + 9.0
	if d := mustFrechet(t, a, shifted(a, shift)); math.Abs(d-want) > 1e-8 {
		t.Errorf("Frechet of a set and its copy shifted by %v = %v, want |shift|² = %v", shift, d, want)
	}
}

func TestFrechetOneDimensionClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := make([][]float64, 50), make([][]float64, 80)
	for i := range a {
		a[i] = []float64{2 + 3*rng.NormFloat64()}
	}
	for i := range b {
		b[i] = []float64{-1 + 0.5*rng.NormFloat64()}
	}
	m1, s1 := meanStd(a)
	m2, s2 := meanStd(b)
	want := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2)
	d := mustFrechet(t, a, b)
	if math.Abs(d-want) > 1e-9*want {
		t.Errorf("1-D Frechet = %v, want (μ1−μ2)² + (σ1−σ2)² = %v", d, want)
	}
	if d2 := mustFrechet(t, b, a); math.Abs(d2-d) > 1e-9*d {
		t.Errorf("Frechet not symmetric: %v vs %v", d, d2)
	}
}

func meanStd(xs [][]float64) (float64, float64) {
	var m float64
	for _, v := range xs {
		m += v[0]
	}
	m /= float64(len(xs))
	var ss float64
	for _, v := range xs {
		ss += (v[0] - m) * (v[0] - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

// In two dimensions Tr((A^½ B A^½)^½) has a closed form, √(Tr(AB) + 2√(det A det B)), because
// A^½ B A^½ has AB's eigenvalues; this checks the matrix square roots where A and B do not commute.
func TestFrechetTwoDimensionsClosedForm(t *testing.T) {
	a := [][]float64{{0, 0}, {2, 1}, {1, 3}, {-1, 0}, {3, 3}, {0, -2}}
	b := [][]float64{{1, 1}, {1, -1}, {4, 0}, {2, 2}, {0, 5}}
	muA, covA := gaussianFit(a, 2)
	muB, covB := gaussianFit(b, 2)
	A := [2][2]float64{{covA.At(0, 0), covA.At(0, 1)}, {covA.At(1, 0), covA.At(1, 1)}}
	B := [2][2]float64{{covB.At(0, 0), covB.At(0, 1)}, {covB.At(1, 0), covB.At(1, 1)}}
	trAB := A[0][0]*B[0][0] + A[0][1]*B[1][0] + A[1][0]*B[0][1] + A[1][1]*B[1][1]
	detA := A[0][0]*A[1][1] - A[0][1]*A[1][0]
	detB := B[0][0]*B[1][1] - B[0][1]*B[1][0]
	if A[0][1]*B[0][0] == B[0][1]*A[0][0] {
		t.Fatal("test covariances commute; pick other points")
	}
	d0, d1 := muA[0]-muB[0], muA[1]-muB[1]
	want := d0*d0 + d1*d1 + A[0][0] + A[1][1] + B[0][0] + B[1][1] - 2*math.Sqrt(trAB+2*math.Sqrt(detA*detB))
	if d := mustFrechet(t, a, b); math.Abs(d-want) > 1e-9*want {
		t.Errorf("2-D Frechet = %v, want %v", d, want)
	}
}

// Fewer vectors than dimensions give singular covariances; the result must still be finite and
// match the shift for a shifted copy.
func TestFrechetSingularCovariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	a := correlated(rng, 3, 8)
	shift := make([]float64, 8)
	shift[2] = 2
	d := mustFrechet(t, a, shifted(a, shift))
	if math.IsNaN(d) || math.Abs(d-4) > 1e-6 {
		t.Errorf("rank-deficient shifted copy: Frechet = %v, want 4", d)
	}
	if d := mustFrechet(t, a, a); d > 1e-6 {
		t.Errorf("rank-deficient identical sets: Frechet = %v, want 0", d)
	}
}

func TestFrechetErrors(t *testing.T) {
	ok := [][]float64{{1, 2}, {3, 4}, {5, 7}}
	for _, c := range []struct {
		name string
		a, b [][]float64
		want string
	}{
		{"one vector", [][]float64{{1, 2}}, ok, "at least 2"},
		{"empty set", ok, nil, "at least 2"},
		{"dimension mismatch", ok, [][]float64{{1, 2, 3}, {4, 5, 6}}, "3 features"},
		{"ragged", [][]float64{{1, 2}, {3}}, ok, "vector 1 has 1 features"},
		{"empty vectors", [][]float64{{}, {}}, [][]float64{{}, {}}, "empty"},
		{"NaN", ok, [][]float64{{1, 2}, {math.NaN(), 4}}, "NaN"},
	} {
		_, err := Frechet(c.a, c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
