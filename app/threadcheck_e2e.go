//go:build e2e

package main

// fyneDoMigrated is false in the e2e build: Fyne's thread checks stay on (see threadcheck.go).
const fyneDoMigrated = false
