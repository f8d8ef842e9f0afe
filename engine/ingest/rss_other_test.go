//go:build !linux

package ingest

func resetPeakRSS() bool { return false }

func peakRSS() int64 { return -1 }
