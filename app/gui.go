package main

import (
	"context"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"stylestudio/assets"
	"stylestudio/ui"
	"stylestudio/ui/kit"
)

// appID matches FyneApp.toml; it keys the app's preferences and storage.
const appID = "com.stylestudio.app"

func runGUI(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "gui", "[--library DIR]", "Open the Style Studio window. An empty library is seeded with the demo catalog.")
	lib := libraryFlag(fs)
	readyFile := fs.String("ready-file", "", "write the product count to this file once the catalog grid has loaded (for scripted tests)")
	noDemo := fs.Bool("no-demo", false, "do not seed an empty library with the demo catalog")
	startReport := e2eFlags(fs)
	startPerf := perfFlags(fs, env.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(env, fs); err != nil {
		return err
	}
	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()

	// Matches FyneApp.toml when built with plain `go build` (which does not read it).
	fyneapp.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Style Studio", Version: "0.1.0", Build: 1,
		Icon: fyne.NewStaticResource("icon.png", assets.Icon()), Migrations: map[string]bool{"fyneDo": fyneDoMigrated}})
	a := fyneapp.NewWithID(appID)
	w := a.NewWindow("Style Studio — " + db.Dir())

	appCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shell := ui.NewShell(kit.Deps{Ctx: appCtx, DB: db, Window: w, DriverLoop: true})
	w.SetContent(shell.Object())
	w.SetMainMenu(shell.MainMenu())
	w.SetOnDropped(shell.Dropped)
	shell.InstallKeys(w.Canvas())
	w.Resize(fyne.NewSize(1280, 800))

	if *readyFile != "" {
		written := false
		shell.Catalog().OnLoaded(func(n int) {
			if written || n == 0 {
				return
			}
			written = true
			if err := os.WriteFile(*readyFile, []byte(fmt.Sprintf("%d\n", n)), 0o644); err != nil {
				fmt.Fprintf(env.stderr, "stylestudio: write ready file: %v\n", err)
			}
		})
	}
	shell.Start()
	startReport(ctx, a, shell, w)
	startPerf(appCtx, shell)
	if !*noDemo {
		shell.SeedDemoIfEmpty(ui.DemoProducts)
	}
	// Ctrl+C or SIGTERM quits like closing the window: Fyne's driver catches both signals itself and
	// quits the app (then Shell.Close below stops background work and closes the catalog). Here UI updates
	// only stop at once: calling Quit here as well raced Fyne's own, and a Quit that ran after the driver
	// had shut GLFW down panicked (seen once in the smoke test). This goroutine can lose the race with
	// Fyne's quit; DriverLoop makes Deps.Do drop what Fyne would then run off the UI thread.
	go func() {
		select {
		case <-ctx.Done():
			shell.Quitting()
		case <-appCtx.Done():
		}
	}()
	if ctx.Err() != nil { // a signal before the driver runs, which Fyne's handler would not see
		shell.Close()
		return nil
	}
	w.ShowAndRun()
	shell.Close() // labels shown on screen are written before the catalog closes
	cancel()
	return nil
}
