//go:build !e2e

package main

// fyneDoMigrated declares FyneApp.toml's fyneDo migration, as `fyne build` does with the migrated_fynedo
// tag: the release build trusts that every widget call from a goroutine goes through fyne.Do and skips
// Fyne's thread checks. The e2e build (tag e2e) leaves it out, so Fyne logs any call off the UI goroutine
// ("Error in Fyne call thread") and the end-to-end suite fails on it.
const fyneDoMigrated = true
