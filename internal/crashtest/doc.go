// Package crashtest holds Style Studio's crash-safety harness (its tests are the whole package): it
// builds the real stylestudio binary once, runs it on temporary libraries and kills it with SIGKILL at
// seeded random moments during import, labeling and undo, training (checkpoint writes), dataset
// export, stylize and simulation logging. After every kill it checks the library the way the next
// start would find it: SQLite's integrity and foreign keys, every object file against its SHA-256
// name, every referenced object present, every acknowledged label present, the latest complete
// checkpoint loading; and it re-runs the interrupted command to completion and compares the result
// with an uninterrupted run (same counts, same labels, bit-identical training weights).
//
// The harness is slow by unit-test standards (about two minutes on two cores), so `go test ./...` skips
// it; run it with
//
//	make crash
//	STYLESTUDIO_CRASHTEST=1 go test -tags openblas -count=1 -v ./internal/crashtest
//
// Environment:
//
//	STYLESTUDIO_CRASHTEST=1   run the harness (otherwise TestCrash skips)
//	CRASHTEST_KILLS=N         kill points in all, spread over the scenarios (default 60)
//	CRASHTEST_SEED=S          seed of the kill moments and the generated work (default 1)
//	STYLESTUDIO_BIN=PATH      use this binary instead of building one
//	CRASHTEST_DIR=DIR         where the temporary libraries go (default: the test's temp folder)
//
// A failure message names the scenario, the kill number and the delay, so `CRASHTEST_SEED=S go test
// -run TestCrash/<scenario>` replays the same kill moments (the exact point a delay lands on still
// depends on the machine's speed).
package crashtest
