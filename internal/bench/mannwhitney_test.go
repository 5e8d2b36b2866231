package bench

import (
	"math"
	"testing"
)

// scipy.stats.mannwhitneyu's documented example (the males' and females'
// ages of the Conover example): U = 17, asymptotic p = 0.11134688653314041.
func TestMannWhitneyMatchesScipyExample(t *testing.T) {
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	u, p := MannWhitney(males, females)
	if u != 17 || math.Abs(p-0.11134688653314041) > 1e-12 {
		t.Fatalf("U = %v, p = %v; scipy: 17, 0.11134688653314041", u, p)
	}
	// Swapped, U is the other sample's; the two-sided p is the same.
	if u, p2 := MannWhitney(females, males); u != 3 || p2 != p {
		t.Fatalf("swapped: U = %v, p = %v", u, p2)
	}
}

// A small case with ties, by hand: x = 1, 2, 2 and y = 2, 3 rank 1, 3, 3
// and 3, 5; R₁ = 7, U = 1; σ² = 3·2/12 · (6 − (3³−3)/(5·4)) = 2.4;
// z = (5 − 3 − ½)/√2.4, p = erfc(z/√2) = 0.33292…
func TestMannWhitneyCorrectsTies(t *testing.T) {
	u, p := MannWhitney([]float64{1, 2, 2}, []float64{2, 3})
	want := math.Erfc(1.5 / math.Sqrt(2.4) / math.Sqrt2)
	if u != 1 || math.Abs(p-want) > 1e-12 || math.Abs(p-0.33292) > 1e-4 {
		t.Fatalf("U = %v, p = %v; want 1, %v", u, p, want)
	}
	// Without the tie correction σ² would be 3 and p 0.386: a different answer.
	if math.Abs(p-math.Erfc(1.5/math.Sqrt(3)/math.Sqrt2)) < 1e-3 {
		t.Fatal("ties were not corrected")
	}
}

// Identical samples cannot be told apart; clearly separated ones can.
func TestMannWhitneySeparatesShiftedSamples(t *testing.T) {
	var a, b []float64
	for i := range 200 {
		a = append(a, float64(i))
		b = append(b, float64(i)+150)
	}
	if _, p := MannWhitney(a, a); p != 1 {
		t.Fatalf("identical samples: p = %v, want 1", p)
	}
	if _, p := MannWhitney(a, b); p > 1e-6 {
		t.Fatalf("shifted samples: p = %v, want tiny", p)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Fatalf("median = %v", m)
	}
}
