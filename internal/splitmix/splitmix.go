// Package splitmix holds SplitMix64's finaliser, the one fixed scatter of 64-bit values the engine and
// the app use: the shopper simulation's stream ids, the Label screen's order of unranked products, the
// fill queue's order within a style and the labeling replay's.
package splitmix

// Mix is SplitMix64's finaliser: a bijection of x whose outputs look unrelated for neighbouring inputs.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
