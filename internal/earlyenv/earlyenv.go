// Package earlyenv fixes the environment before any other package initialises.
//
// Fyne reads the locale while its lang package initialises, before main runs, and logs an error with
// a source path for the C/POSIX locale ("C.UTF-8" included), which is what servers and containers
// use. Go initialises ready packages in import-path order, so this package lives in its own module
// whose path sorts before fyne.io: its init runs first and says what C means (untranslated English)
// through LANGUAGE, the variable the locale lookup reads first. A LANGUAGE the user set is kept.
package earlyenv

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	loc := os.Getenv("LC_ALL")
	if loc == "" {
		loc = os.Getenv("LC_MESSAGES")
	}
	if loc == "" {
		loc = os.Getenv("LANG")
	}
	if loc == "" || loc == "C" || loc == "POSIX" || strings.HasPrefix(loc, "C.") {
		os.Setenv("LANGUAGE", "en")
	}
}
