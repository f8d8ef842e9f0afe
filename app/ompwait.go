package main

import (
	"os"
	"strings"
	"syscall"
)

// OpenMP threads (oneDNN's, through libgomp) spin while they wait for work by default. On two cores
// that spinning takes the CPU from the Go code between two oneDNN calls and from everything else
// running (the window, a second job): measured with 2-3 other busy processes, a GAN training step
// (bench train --size 64 --batch 16) took 2.9-3.9 s spinning against 1.2-1.3 s with OMP_WAIT_POLICY=
// PASSIVE, back to back, and the classifier's training profile showed a third of its CPU in libgomp.
// libgomp reads the variable when it is loaded, before any Go code runs, so the program sets it and
// starts itself again (same process id, arguments and environment otherwise). A policy set by the
// person (any value, ACTIVE included) is kept; so is a failed exec (the program then runs as it is).
const ompWaitEnv = "OMP_WAIT_POLICY"

func passiveOpenMP() {
	if _, set := os.LookupEnv(ompWaitEnv); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), ompWaitEnv+"=PASSIVE", ompWaitSetEnv+"=1")
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure
}

// ompWaitSetEnv marks an OMP_WAIT_POLICY that this program set (not the person).
const ompWaitSetEnv = "STYLESTUDIO_OMP_PASSIVE_SET"

// peerEnv is the environment for `bench train --peer`'s PyTorch: as the person started this program,
// so PyTorch runs with its own default wait policy unless they chose one.
func peerEnv() []string {
	var env []string
	ours := os.Getenv(ompWaitSetEnv) == "1"
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == ompWaitSetEnv || (ours && k == ompWaitEnv) {
			continue
		}
		env = append(env, kv)
	}
	return env
}
