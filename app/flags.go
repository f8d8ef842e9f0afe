package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"stylestudio/store"
)

// newFlags builds a subcommand's flag set whose --help prints a usage line, a description and the flags.
func newFlags(env *cliEnv, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: stylestudio %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags wherever they stand among the positional arguments and maps flag errors to
// errUsage (flag already printed the reason and usage); fs.Args() is then the positional arguments in
// order, everything after "--" among them. Go's flag package alone stops at the first non-flag: a stray
// word silently dropped every flag after it (`catalog extra --library L` read the default library).
// A subcommand that takes no positional argument refuses them with noArgs.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := parseOnce(fs, args); err != nil {
			return err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Parse the positionals alone once more, after "--", so that fs.Args() returns them.
	return parseOnce(fs, append([]string{"--"}, pos...))
}

// parseOnce is one flag.Parse with its errors mapped to errUsage.
func parseOnce(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(io.Discard)
			return err
		}
		return errUsage
	}
	return nil
}

// noArgs refuses positional arguments for a subcommand that takes none (a usage error, exit 2).
func noArgs(env *cliEnv, fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return cliUsageError(env, fs, fmt.Sprintf("unexpected argument %q (this command takes only flags)", fs.Arg(0)))
	}
	return nil
}

// libraryFlag registers --library with the default library folder as its documented default.
func libraryFlag(fs *flag.FlagSet) *string {
	return fs.String("library", "", "library folder holding catalog.db and objects/ (default: the user's data folder, stylestudio/)")
}

// openLibrary opens (creating if needed) the library at dir, or the default library when dir is empty.
func openLibrary(ctx context.Context, dir string) (*store.DB, error) {
	dir, err := libraryDir(dir)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, dir)
}

// openExistingLibrary opens the library at dir (or the default one) only when it is one: a command that
// reads a library must not make an empty one where a path was mistyped and report zeros from it
// (`catalog --library /tmp/typo` created catalog.db and objects/ there and printed an empty catalog).
func openExistingLibrary(ctx context.Context, dir string) (*store.DB, error) {
	dir, err := libraryDir(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a Style Studio library (it has no %s): check the path, or make one with `stylestudio import --library %s FOLDER` or `stylestudio demo --library %s`",
			dir, store.DBFile, dir, dir)
	}
	return store.Open(ctx, dir)
}

// splitList splits a comma-separated flag value, dropping blanks ("a, b,," → [a b]).
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
