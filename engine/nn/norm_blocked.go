package nn

import "math"

// The instance-norm kernels for NChw16c activations (see Layout). A (sample, channel block) is hw
// pixels of 16 channels each, so the 16 channels' sums run side by side: sixteen independent chains
// of additions per pass over the block, in the order the values lie in memory. Every per-plane value
// (mean, inv, the gradient sums) is indexed b·C + c as in the NCHW kernels. The per-sample loops are
// blk*Sample: in C (vectorised) in the oneDNN build, the only one that keeps activations blocked,
// and the Go versions below elsewhere (tests).

// lanes is one value per channel of a block.
type lanes = [Blk]float64

// blkStats returns the mean and 1/sqrt(var+eps) of every (sample, channel) plane of x in NChw16c.
func blkStats(x []float32, batch, channels int) (mean, inv []float32) {
	planes := batch * channels
	hw := len(x) / planes
	mean, inv = make([]float32, planes), make([]float32, planes)
	ForEachSample(batch, func(_, b int) {
		p := b * channels
		blkStatsSample(x[p*hw:][:channels*hw], hw, mean[p:][:channels], inv[p:][:channels])
	})
	return mean, inv
}

// blkApply is normApply for NChw16c.
func blkApply(y, x, gamma, beta, mean, inv []float32, batch, channels int, relu bool) {
	hw := len(x) / (batch * channels)
	ForEachSample(batch, func(_, b int) {
		sc, sh := make([]float32, channels), make([]float32, channels)
		for c := range sc {
			i := b*channels + c
			sc[c] = inv[i] * gamma[c]
			sh[c] = beta[c] - mean[i]*sc[c]
		}
		p := b * channels * hw
		blkApplySample(y[p:][:channels*hw], x[p:][:channels*hw], hw, sc, sh, relu)
	})
}

// blkSums is normSums for NChw16c: per plane Σdy and Σdy·x̂.
func blkSums(x, dy, mean, inv []float32, batch, channels int) (sd, sdx []float64) {
	planes := batch * channels
	hw := len(x) / planes
	sd, sdx = make([]float64, planes), make([]float64, planes)
	ForEachSample(batch, func(_, b int) {
		p := b * channels
		blkSumsSample(x[p*hw:][:channels*hw], dy[p*hw:][:channels*hw], hw, mean[p:][:channels], inv[p:][:channels],
			sd[p:][:channels], sdx[p:][:channels])
	})
	return sd, sdx
}

// blkInputGrad writes the instance norm's input gradient for NChw16c (see normOp.Do's NCHW loop).
func blkInputGrad(dx, x, gamma, dy, mean, inv []float32, sd, sdx []float64, batch, channels int) {
	hw := len(x) / (batch * channels)
	n := float32(hw)
	ForEachSample(batch, func(_, b int) {
		k := make([]float32, 5*channels) // k1, k2, mean, inv, gamma·inv per channel
		k1, k2, m, iv, gc := k[:channels], k[channels:2*channels], k[2*channels:3*channels], k[3*channels:4*channels], k[4*channels:]
		for c := range k1 {
			i := b*channels + c
			k1[c], k2[c] = float32(sd[i])/n, float32(sdx[i])/n
			m[c], iv[c] = mean[i], inv[i]
			gc[c] = gamma[c] * iv[c]
		}
		p := b * channels * hw
		blkInputGradSample(dx[p:][:channels*hw], x[p:][:channels*hw], dy[p:][:channels*hw], hw, k1, k2, m, iv, gc)
	})
}

// blkPlaneSums returns Σdy per (sample, channel) plane of dy in NChw16c.
func blkPlaneSums(dy []float32, batch, channels int) []float64 {
	hw := len(dy) / (batch * channels)
	out := make([]float64, batch*channels)
	for b := 0; b < batch; b++ {
		for k := 0; k < channels/Blk; k++ {
			base := b*channels + k*Blk
			g := dy[base*hw:][:hw*Blk]
			var s lanes
			for j := 0; j < len(g); j += Blk {
				d := g[j : j+Blk : j+Blk]
				for l := range s {
					s[l] += float64(d[l])
				}
			}
			copy(out[base:base+Blk], s[:])
		}
	}
	return out
}

// goBlkStatsSample computes one sample's plane statistics (x is its channels·hw values).
func goBlkStatsSample(x []float32, hw int, mean, inv []float32) {
	for k := 0; k < len(mean)/Blk; k++ {
		blk := x[k*Blk*hw:][:hw*Blk]
		var s, q lanes
		for j := 0; j < len(blk); j += Blk {
			v := blk[j : j+Blk : j+Blk]
			for l := range s {
				s[l] += float64(v[l])
			}
		}
		for l := range s {
			s[l] /= float64(hw)
		}
		for j := 0; j < len(blk); j += Blk {
			v := blk[j : j+Blk : j+Blk]
			for l := range q {
				d := float64(v[l]) - s[l]
				q[l] += d * d
			}
		}
		for l := range s {
			mean[k*Blk+l] = float32(s[l])
			inv[k*Blk+l] = float32(1 / math.Sqrt(q[l]/float64(hw)+INEpsilon))
		}
	}
}

// goBlkApplySample writes y = x·sc[c] + sh[c] (then max(y, 0) with relu) for one sample.
func goBlkApplySample(y, x []float32, hw int, sc, sh []float32, relu bool) {
	for k := 0; k < len(sc)/Blk; k++ {
		a, c := sc[k*Blk:][:Blk:Blk], sh[k*Blk:][:Blk:Blk]
		src, dst := x[k*Blk*hw:][:hw*Blk], y[k*Blk*hw:][:hw*Blk]
		for j := 0; j < len(src); j += Blk {
			v, o := src[j:j+Blk:j+Blk], dst[j:j+Blk:j+Blk]
			for l := range o {
				z := v[l]*a[l] + c[l]
				if relu {
					z = leaky(z, z, 0)
				}
				o[l] = z
			}
		}
	}
}

// goBlkSumsSample writes one sample's Σdy and Σdy·x̂ per plane.
func goBlkSumsSample(x, dy []float32, hw int, mean, inv []float32, sd, sdx []float64) {
	for k := 0; k < len(mean)/Blk; k++ {
		m, iv := mean[k*Blk:][:Blk:Blk], inv[k*Blk:][:Blk:Blk]
		p, g := x[k*Blk*hw:][:hw*Blk], dy[k*Blk*hw:][:hw*Blk]
		var s, t lanes
		for j := 0; j < len(p); j += Blk {
			v, d := p[j:j+Blk:j+Blk], g[j:j+Blk:j+Blk]
			for l := range s {
				s[l] += float64(d[l])
				t[l] += float64(d[l]) * float64((v[l]-m[l])*iv[l])
			}
		}
		copy(sd[k*Blk:][:Blk], s[:])
		copy(sdx[k*Blk:][:Blk], t[:])
	}
}

// goBlkInputGradSample writes dx = gc·(dy − k1 − (x − m)·iv·k2) per channel for one sample.
func goBlkInputGradSample(dx, x, dy []float32, hw int, k1, k2, m, iv, gc []float32) {
	for k := 0; k < len(k1)/Blk; k++ {
		a, b := k1[k*Blk:][:Blk:Blk], k2[k*Blk:][:Blk:Blk]
		mm, ii, gg := m[k*Blk:][:Blk:Blk], iv[k*Blk:][:Blk:Blk], gc[k*Blk:][:Blk:Blk]
		p, g, d := x[k*Blk*hw:][:hw*Blk], dy[k*Blk*hw:][:hw*Blk], dx[k*Blk*hw:][:hw*Blk]
		for j := 0; j < len(p); j += Blk {
			v, u, o := p[j:j+Blk:j+Blk], g[j:j+Blk:j+Blk], d[j:j+Blk:j+Blk]
			for l := range o {
				o[l] = gg[l] * (u[l] - a[l] - (v[l]-mm[l])*ii[l]*b[l])
			}
		}
	}
}
