// Command stylestudio is Style Studio: with no arguments it opens the desktop app; with a subcommand it runs
// headless (demo, import, catalog, screenshot). This package only parses flags and wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	_ "a.localhost/earlyenv" // first of all packages: keeps Fyne from logging an error for the C locale
)

// command is one headless subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv carries the process's streams so subcommands stay testable.
type cliEnv struct {
	stdout, stderr io.Writer
}

func commands() map[string]command {
	return map[string]command{
		"demo":       {"seed a library with the built-in demo catalog", runDemo},
		"import":     {"import image files, folders or a CSV manifest", runImport},
		"catalog":    {"print catalog counts (products, images, labels per style)", runCatalog},
		"screenshot": {"render a screen to a PNG with the software renderer (no display needed)", runScreenshot},
		"styles":     {"list and edit the styles (label classes): add, rename, merge, remove, recolor, key, reorder", runStyles},
		"label":      {"label products from a CSV of sku,style (one undoable step)", runLabel},
		"export":     {"assign train/val/test splits and export the labeled products as a dataset", runExport},
		"classify":   {"train the style classifier and print its held-out accuracy", runClassify},
		"suggest":    {"list the next products to label, most useful first, with suggested styles", runSuggest},
		"bench":      {"benchmarks that print JSON: label-assist (active learning vs random)", runBench},
		"simulate":   {"simulate shoppers browsing the storefront feed and compare policies' click-through rates", runSimulate},
		"rank":       {"train or evaluate the feed's ranking model: rank train|eval", runRank},
		"train":      {"train the style-transfer GAN on the labeled products (checkpoints, sample grids, resume)", runTrain},
		"eval":       {"measure a training run: style accuracy, content SSIM, silhouette IoU, paired SSIM, Fréchet", runEval},
		"stylize":    {"restyle products with a training run's model (preview size or full resolution)", runStylize},
		"runs":       {"list the training runs (and import a bundle's results: runs import DIR)", runRuns},
		"bundle":     {"write a folder that trains a run with PyTorch on a GPU server or a Slurm cluster", runBundle},
		"backup":     {"write the whole library (catalog, images, models, checkpoints) into one verified zip file", runBackup},
		"restore":    {"restore a library from a backup file, checked before anything is replaced", runRestore},
		"gui":        {"open the desktop app (the default with no subcommand)", runGUI},
	}
}

func main() {
	passiveOpenMP()
	tuneGC(os.Args[1:])
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors that were already explained by flag's own usage output.
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) (code int) {
	// A user never sees a Go stack trace: report the panic in one line and where the full trace went.
	defer func() {
		if r := recover(); r != nil {
			code = reportPanic(r, stderr)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cliEnv{stdout: stdout, stderr: stderr}

	name := "gui"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" || (name == "gui" && len(args) > 0 && isHelpFlag(args[0])) {
		printUsage(stdout)
		return 0
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "stylestudio: unknown command %q\n\n", name)
		printUsage(stderr)
		return 2
	}
	if err := cmd.run(ctx, env, args); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			if err != errUsage { // flag printed its own complaints; a wrapped one carries ours
				fmt.Fprintf(stderr, "stylestudio %s: %s (see stylestudio %s --help)\n", name,
					strings.TrimPrefix(err.Error(), errUsage.Error()+": "), name)
			}
			return 2
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "stylestudio %s: interrupted\n", name)
			return 130
		}
		lib := libraryArg(args)
		fmt.Fprintf(stderr, "stylestudio %s: %s\n", name, withLibrary(err.Error(), lib))
		if h := cliHint(err); h != "" && !strings.Contains(err.Error(), "stylestudio ") {
			fmt.Fprintf(stderr, "  %s\n", withLibrary(h, lib))
		}
		return 1
	}
	return 0
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Style Studio: label product styles, train style transfer, preview, simulate a storefront.")
	fmt.Fprintln(w, "\nUsage:\n  stylestudio [--library DIR]            open the desktop app\n  stylestudio <command> [flags]          run headless")
	fmt.Fprintln(w, "\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'stylestudio <command> --help' for a command's flags.")
}

func reportPanic(r any, stderr io.Writer) int {
	f, err := os.CreateTemp("", "stylestudio-crash-*.txt")
	where := "(could not write a crash report)"
	if err == nil {
		fmt.Fprintf(f, "panic: %v\n\n%s", r, debug.Stack())
		if f.Close() == nil {
			where = f.Name()
		}
	}
	fmt.Fprintf(stderr, "stylestudio: internal error: %v\nThis is a bug; nothing in your library was changed by the failed step. Details: %s\n", r, where)
	return 70
}

// libraryArg is the --library value on the command line ("" when none was given).
func libraryArg(args []string) string {
	for i, a := range args {
		for _, f := range []string{"--library", "-library"} {
			if a == f && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, f+"="); ok {
				return v
			}
		}
	}
	return ""
}

var suggestedCommand = regexp.MustCompile("`stylestudio ([^`]*)`")

// withLibrary adds --library LIB to every command a message suggests that does not name a library: a
// copied hint acted on the default library (`stylestudio styles remove floral --move-to minimal`). Flags
// may stand anywhere, so it goes at the end.
func withLibrary(msg, lib string) string {
	if lib == "" {
		return msg
	}
	quoted := shellQuote(lib)
	return suggestedCommand.ReplaceAllStringFunc(msg, func(m string) string {
		inner := suggestedCommand.FindStringSubmatch(m)[1]
		if strings.Contains(inner, "--library") || strings.HasSuffix(inner, "--help") {
			return m
		}
		return "`stylestudio " + inner + " --library " + quoted + "`"
	})
}
