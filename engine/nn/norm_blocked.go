package nn

import "math"

// The instance-norm kernels for NChw16c activations (see Layout). A (sample, channel block) is hw
// pixels of 16 channels each, so the 16 channels' sums run side by side: sixteen independent chains
// of additions per pass over the block, in the order the values lie in memory. Every per-plane value
// (mean, inv, the gradient sums) is indexed b·C + c as in the NCHW kernels.

// lanes is one pixel's values of a channel block, or one value per channel of a block.
type lanes = [Blk]float64

// blkStats returns the mean and 1/sqrt(var+eps) of every (sample, channel) plane of x in NChw16c.
func blkStats(x []float32, batch, channels int) (mean, inv []float32) {
	planes := batch * channels
	hw := len(x) / planes
	mean, inv = make([]float32, planes), make([]float32, planes)
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < channels/Blk; k++ {
			blk := x[(b*channels+k*Blk)*hw:][:hw*Blk]
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
				i := b*channels + k*Blk + l
				mean[i] = float32(s[l])
				inv[i] = float32(1 / math.Sqrt(q[l]/float64(hw)+INEpsilon))
			}
		}
	})
	return mean, inv
}

// blkApply is normApply for NChw16c.
func blkApply(y, x, gamma, beta, mean, inv []float32, batch, channels int, relu bool) {
	hw := len(x) / (batch * channels)
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < channels/Blk; k++ {
			var sc, sh [Blk]float32
			for l := range sc {
				i, c := b*channels+k*Blk+l, k*Blk+l
				sc[l] = inv[i] * gamma[c]
				sh[l] = beta[c] - mean[i]*sc[l]
			}
			off := (b*channels + k*Blk) * hw
			src, dst := x[off:][:hw*Blk], y[off:][:hw*Blk]
			for j := 0; j < len(src); j += Blk {
				v, o := src[j:j+Blk:j+Blk], dst[j:j+Blk:j+Blk]
				if relu {
					for l := range sc {
						z := v[l]*sc[l] + sh[l]
						o[l] = leaky(z, z, 0)
					}
					continue
				}
				for l := range sc {
					o[l] = v[l]*sc[l] + sh[l]
				}
			}
		}
	})
}

// blkSums is normSums for NChw16c: per plane Σdy and Σdy·x̂.
func blkSums(x, dy, mean, inv []float32, batch, channels int) (sd, sdx []float64) {
	planes := batch * channels
	hw := len(x) / planes
	sd, sdx = make([]float64, planes), make([]float64, planes)
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < channels/Blk; k++ {
			var m, iv [Blk]float32
			base := b*channels + k*Blk
			copy(m[:], mean[base:base+Blk])
			copy(iv[:], inv[base:base+Blk])
			off := base * hw
			p, g := x[off:][:hw*Blk], dy[off:][:hw*Blk]
			var s, t lanes
			for j := 0; j < len(p); j += Blk {
				v, d := p[j:j+Blk:j+Blk], g[j:j+Blk:j+Blk]
				for l := range s {
					s[l] += float64(d[l])
					t[l] += float64(d[l]) * float64((v[l]-m[l])*iv[l])
				}
			}
			copy(sd[base:base+Blk], s[:])
			copy(sdx[base:base+Blk], t[:])
		}
	})
	return sd, sdx
}

// blkInputGrad writes the instance norm's input gradient for NChw16c (see normOp.Do's NCHW loop).
func blkInputGrad(dx, x, gamma, dy, mean, inv []float32, sd, sdx []float64, batch, channels int) {
	hw := len(x) / (batch * channels)
	n := float32(hw)
	ForEachSample(batch, func(_, b int) {
		for k := 0; k < channels/Blk; k++ {
			var k1, k2, m, iv, gc [Blk]float32
			for l := range k1 {
				i := b*channels + k*Blk + l
				k1[l], k2[l] = float32(sd[i])/n, float32(sdx[i])/n
				m[l], iv[l] = mean[i], inv[i]
				gc[l] = gamma[k*Blk+l] * iv[l]
			}
			off := (b*channels + k*Blk) * hw
			p, g, d := x[off:][:hw*Blk], dy[off:][:hw*Blk], dx[off:][:hw*Blk]
			for j := 0; j < len(p); j += Blk {
				v, gg, o := p[j:j+Blk:j+Blk], g[j:j+Blk:j+Blk], d[j:j+Blk:j+Blk]
				for l := range k1 {
					o[l] = gc[l] * (gg[l] - k1[l] - (v[l]-m[l])*iv[l]*k2[l])
				}
			}
		}
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
