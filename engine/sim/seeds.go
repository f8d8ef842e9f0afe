package sim

import "math"

// Interval is a mean over independent repeats (seeds) with its two-sided 95% confidence interval
// (Student's t with N−1 degrees of freedom). Lo and Hi are NaN with fewer than two values.
type Interval struct {
	N            int
	Mean, SD     float64
	Lo, Hi       float64
	PerSeedValid []bool // which repeats had a value (the others are left out of N)
}

// t975 is the 0.975 quantile of Student's t for 1..30 degrees of freedom.
var t975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of freedom; beyond 30 the
// normal's 1.960 (within 4% of t there).
func TQuantile975(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(t975):
		return t975[df-1]
	default:
		return 1.960
	}
}

// MeanCI95 summarises values (NaN entries are repeats without a value and are left out).
func MeanCI95(values []float64) Interval {
	iv := Interval{Mean: math.NaN(), SD: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), PerSeedValid: make([]bool, len(values))}
	var sum float64
	for i, v := range values {
		if !math.IsNaN(v) {
			iv.PerSeedValid[i] = true
			iv.N++
			sum += v
		}
	}
	if iv.N == 0 {
		return iv
	}
	iv.Mean = sum / float64(iv.N)
	if iv.N < 2 {
		return iv
	}
	var ss float64
	for _, v := range values {
		if !math.IsNaN(v) {
			ss += (v - iv.Mean) * (v - iv.Mean)
		}
	}
	iv.SD = math.Sqrt(ss / float64(iv.N-1))
	half := TQuantile975(iv.N-1) * iv.SD / math.Sqrt(float64(iv.N))
	iv.Lo, iv.Hi = iv.Mean-half, iv.Mean+half
	return iv
}

// Pool adds up runs of the same policies on different shoppers (other seeds): counts are summed and
// rates recomputed from the sums; Series and ByStep are the first run's.
func Pool(runs []Results) Results {
	if len(runs) == 0 {
		return Results{}
	}
	out := Results{Styles: runs[0].Styles, Policies: make([]PolicyResult, len(runs[0].Policies))}
	copy(out.Policies, runs[0].Policies)
	for i := range out.Policies {
		out.Policies[i].Styles = append([]Counter(nil), runs[0].Policies[i].Styles...)
	}
	out.Users = runs[0].Users
	for _, r := range runs[1:] {
		out.Users += r.Users
		for i := range out.Policies {
			p, q := &out.Policies[i], r.Policies[i]
			p.Impressions += q.Impressions
			p.Clicks += q.Clicks
			p.Sessions += q.Sessions
			p.Slates += q.Slates
			p.Originals.Impressions += q.Originals.Impressions
			p.Originals.Clicks += q.Originals.Clicks
			p.Variants.Impressions += q.Variants.Impressions
			p.Variants.Clicks += q.Variants.Clicks
			for k := range p.Styles {
				p.Styles[k].Impressions += q.Styles[k].Impressions
				p.Styles[k].Clicks += q.Styles[k].Clicks
			}
		}
	}
	for i := range out.Policies {
		out.Policies[i].rates()
	}
	return out
}
