package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"stylestudio/store"
)

// stylesListJSON is the stable `styles list --json` contract: every style in display order.
type stylesListJSON struct {
	Styles []styleJSON `json:"styles"`
}

type styleJSON struct {
	Name    string `json:"name"`
	Key     string `json:"key"`
	Labeled int    `json:"labeled"`
	Color   string `json:"color"`
}

const stylesAbout = `Manage the library's styles (the label classes):
  list                      list the styles in display order with their key, colour and labeled products
  add NAME                  add a style at the end (next palette colour, first free key 1–9)
  rename OLD NEW            rename a style; its labels follow it
  merge FROM INTO           move every label of FROM to INTO, then delete FROM (cannot be undone)
  remove NAME               delete a style; refused while products carry it unless --move-to STYLE
  recolor NAME #rrggbb      set a style's colour
  key NAME KEY              set a style's one-character shortcut key ("" or none clears it)
  reorder NAME...           put these styles first, in this order; the others follow in their current order
Style names match case-insensitively. Flags may come before or after the verb.`

func runStyles(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "styles", "--library DIR [--json] list|add NAME|rename OLD NEW|merge FROM INTO|remove NAME [--move-to STYLE]|recolor NAME #rrggbb|key NAME KEY|reorder NAME...", stylesAbout)
	lib := libraryFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	moveTo := fs.String("move-to", "", "remove: first move the removed style's labels to this style")
	pos, err := parseInterspersedFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return cliUsageError(env, fs, "missing verb: list, add, rename, merge, remove, recolor, key or reorder")
	}
	verb, rest := pos[0], pos[1:]
	want := map[string]int{"list": 0, "add": 1, "rename": 2, "merge": 2, "remove": 1, "recolor": 2, "key": 2}
	n, known := want[verb]
	switch {
	case verb == "reorder":
		if len(rest) == 0 {
			return cliUsageError(env, fs, "reorder needs at least one style name")
		}
	case !known:
		return cliUsageError(env, fs, fmt.Sprintf("unknown verb %q: want list, add, rename, merge, remove, recolor, key or reorder", verb))
	case len(rest) != n:
		takes := "no arguments"
		if n > 0 {
			takes = countNoun(n, "argument", "arguments")
		}
		return cliUsageError(env, fs, fmt.Sprintf("%s takes %s, got %d", verb, takes, len(rest)))
	}
	if *moveTo != "" && verb != "remove" {
		return cliUsageError(env, fs, "--move-to only applies to remove")
	}

	db, err := openLibrary(ctx, *lib)
	if err != nil {
		return err
	}
	defer db.Close()
	c := stylesCmd{ctx: ctx, env: env, db: db, json: *asJSON}
	switch verb {
	case "list":
		return c.list()
	case "add":
		return c.add(rest[0])
	case "rename":
		return c.rename(rest[0], rest[1])
	case "merge":
		return c.merge(rest[0], rest[1])
	case "remove":
		return c.remove(rest[0], *moveTo)
	case "recolor":
		return c.recolor(rest[0], rest[1])
	case "key":
		return c.key(rest[0], rest[1])
	default:
		return c.reorder(rest)
	}
}

// stylesCmd runs one verb of `styles` on an open library.
type stylesCmd struct {
	ctx  context.Context
	env  *cliEnv
	db   *store.DB
	json bool
}

// list prints every style with its key, colour and labeled count (from db.Stats).
func (c stylesCmd) list() error {
	styles, err := c.db.Styles(c.ctx)
	if err != nil {
		return err
	}
	st, err := c.db.Stats(c.ctx)
	if err != nil {
		return err
	}
	labeled := make(map[string]int, len(st.Styles))
	for _, s := range st.Styles {
		labeled[s.Name] = s.Labeled
	}
	out := stylesListJSON{Styles: []styleJSON{}}
	for _, s := range styles {
		out.Styles = append(out.Styles, styleJSON{Name: s.Name, Key: s.Key, Labeled: labeled[s.Name], Color: s.Color})
	}
	if c.json {
		return c.printJSON(out)
	}
	if len(out.Styles) == 0 {
		fmt.Fprintf(c.env.stdout, "No styles in %s; add one with `stylestudio styles add NAME`.\n", c.db.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(c.env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tCOLOUR\tLABELED")
	for _, s := range out.Styles {
		key := s.Key
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", key, s.Name, s.Color, s.Labeled)
	}
	return tw.Flush()
}

func (c stylesCmd) add(name string) error {
	s, err := c.db.AddStyle(c.ctx, name, "", "")
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "name": s.Name, "key": s.Key, "color": s.Color})
	}
	fmt.Fprintf(c.env.stdout, "Added style %q (key %s, colour %s).\n", s.Name, styleKeyText(s.Key), s.Color)
	return nil
}

func (c stylesCmd) rename(oldName, newName string) error {
	s, err := c.find(oldName)
	if err != nil {
		return err
	}
	if err := c.db.RenameStyle(c.ctx, s.ID, newName); err != nil {
		return rewordStoreError(err, fmt.Sprintf("rename style %d to %q: ", s.ID, strings.TrimSpace(newName)),
			fmt.Sprintf("rename style %q to %q: ", s.Name, strings.TrimSpace(newName)))
	}
	name := strings.TrimSpace(newName)
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "old": s.Name, "name": name})
	}
	fmt.Fprintf(c.env.stdout, "Renamed style %q to %q.\n", s.Name, name)
	return nil
}

func (c stylesCmd) merge(fromName, intoName string) error {
	from, err := c.find(fromName)
	if err != nil {
		return err
	}
	into, err := c.find(intoName)
	if err != nil {
		return err
	}
	if from.ID == into.ID {
		return fmt.Errorf("cannot merge style %q into itself", from.Name)
	}
	moved, err := c.db.MergeStyles(c.ctx, from.ID, into.ID, "cli")
	if err != nil {
		return rewordStoreError(err, fmt.Sprintf("merge style %d into %d: ", from.ID, into.ID),
			fmt.Sprintf("merge style %q into %q: ", from.Name, into.Name))
	}
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "from": from.Name, "into": into.Name, "moved": moved})
	}
	fmt.Fprintf(c.env.stdout, "Merged style %q into %q: %s moved; %q is gone.\n",
		from.Name, into.Name, countNoun(moved, "product", "products"), from.Name)
	return nil
}

func (c stylesCmd) remove(name, moveToName string) error {
	s, err := c.find(name)
	if err != nil {
		return err
	}
	var target store.Style
	if strings.TrimSpace(moveToName) != "" {
		if target, err = c.find(moveToName); err != nil {
			return fmt.Errorf("--move-to: %w", err)
		}
		if target.ID == s.ID {
			return fmt.Errorf("--move-to names the style being removed (%q); choose another style", s.Name)
		}
	}
	moved := 0
	if target.ID != 0 {
		st, err := c.db.Stats(c.ctx)
		if err != nil {
			return err
		}
		for _, sc := range st.Styles {
			if sc.Name == s.Name {
				moved = sc.Labeled
			}
		}
	}
	if err := c.db.DeleteStyle(c.ctx, s.ID, target.ID, "cli"); err != nil {
		prefix := fmt.Sprintf("delete style %d: ", s.ID)
		if errors.Is(err, store.ErrInUse) {
			return &rewordedError{err: err, msg: strings.TrimPrefix(err.Error(), prefix) +
				fmt.Sprintf(". Nothing was changed: pass --move-to STYLE to move them first (e.g. `stylestudio styles remove %s --move-to %s`)",
					shellQuote(s.Name), shellQuote(c.otherStyleName(s.ID)))}
		}
		return rewordStoreError(err, prefix, fmt.Sprintf("remove style %q: ", s.Name))
	}
	if c.json {
		out := map[string]any{"ok": true, "removed": s.Name, "moved": moved}
		if target.ID != 0 {
			out["move_to"] = target.Name
		}
		return c.printJSON(out)
	}
	if target.ID != 0 {
		fmt.Fprintf(c.env.stdout, "Removed style %q; %s moved to %q.\n", s.Name, countNoun(moved, "product", "products"), target.Name)
	} else {
		fmt.Fprintf(c.env.stdout, "Removed style %q.\n", s.Name)
	}
	return nil
}

func (c stylesCmd) recolor(name, color string) error {
	s, err := c.find(name)
	if err != nil {
		return err
	}
	col := strings.ToLower(strings.TrimSpace(color))
	if len(col) == 6 && !strings.HasPrefix(col, "#") {
		col = "#" + col // the shell eats an unquoted #…; accept the bare hex digits too
	}
	if err := c.db.RecolorStyle(c.ctx, s.ID, col); err != nil {
		return rewordStoreError(err, fmt.Sprintf("recolor style %d: ", s.ID), fmt.Sprintf("recolor style %q: ", s.Name))
	}
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "name": s.Name, "color": col})
	}
	fmt.Fprintf(c.env.stdout, "Style %q is now %s.\n", s.Name, col)
	return nil
}

func (c stylesCmd) key(name, key string) error {
	s, err := c.find(name)
	if err != nil {
		return err
	}
	k := strings.TrimSpace(key)
	if strings.EqualFold(k, "none") {
		k = ""
	}
	if err := c.db.SetStyleKey(c.ctx, s.ID, k); err != nil {
		return rewordStoreError(err, fmt.Sprintf("set shortcut of style %d to %q: ", s.ID, k),
			fmt.Sprintf("set the key of style %q: ", s.Name))
	}
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "name": s.Name, "key": k})
	}
	if k == "" {
		fmt.Fprintf(c.env.stdout, "Style %q has no shortcut key now.\n", s.Name)
	} else {
		fmt.Fprintf(c.env.stdout, "Style %q now has the shortcut key %s.\n", s.Name, k)
	}
	return nil
}

// reorder puts the named styles first, in the given order; the others keep their relative order after them.
func (c stylesCmd) reorder(names []string) error {
	styles, err := c.db.Styles(c.ctx)
	if err != nil {
		return err
	}
	listed := map[int64]bool{}
	var ids []int64
	var order []string
	for _, n := range names {
		s, err := c.find(n)
		if err != nil {
			return err
		}
		if listed[s.ID] {
			return fmt.Errorf("style %q is listed twice", s.Name)
		}
		listed[s.ID] = true
		ids = append(ids, s.ID)
		order = append(order, s.Name)
	}
	for _, s := range styles {
		if !listed[s.ID] {
			ids = append(ids, s.ID)
			order = append(order, s.Name)
		}
	}
	if err := c.db.ReorderStyles(c.ctx, ids); err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"ok": true, "order": order})
	}
	fmt.Fprintf(c.env.stdout, "Style order: %s\n", strings.Join(order, ", "))
	return nil
}

// find resolves a style name (case-insensitively); an unknown name's error lists the existing styles.
func (c stylesCmd) find(name string) (store.Style, error) {
	return findStyleByName(c.ctx, c.db, name)
}

// otherStyleName names some style other than id, for examples in messages.
func (c stylesCmd) otherStyleName(id int64) string {
	styles, _ := c.db.Styles(c.ctx)
	for _, s := range styles {
		if s.ID != id {
			return s.Name
		}
	}
	return "STYLE"
}

func (c stylesCmd) printJSON(v any) error {
	enc := json.NewEncoder(c.env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// findStyleByName resolves a style name with db.StyleByName; an unknown name's error names it and lists
// the existing styles (or says there are none).
func findStyleByName(ctx context.Context, db *store.DB, name string) (store.Style, error) {
	s, err := db.StyleByName(ctx, name)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return s, err
	}
	styles, lerr := db.Styles(ctx)
	if lerr != nil {
		return store.Style{}, errors.Join(err, lerr)
	}
	if len(styles) == 0 {
		return store.Style{}, &rewordedError{err: err,
			msg: fmt.Sprintf("no style named %q: the library has no styles yet; add one with `stylestudio styles add NAME`", strings.TrimSpace(name))}
	}
	return store.Style{}, &rewordedError{err: err,
		msg: fmt.Sprintf("no style named %q; the styles are: %s", strings.TrimSpace(name), styleNames(styles))}
}

// styleNames lists styles for messages: "Minimal, Boho, Vintage".
func styleNames(styles []store.Style) string {
	names := make([]string, len(styles))
	for i, s := range styles {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func styleKeyText(k string) string {
	if k == "" {
		return "none"
	}
	return k
}

// shellQuote quotes a name or path for a shell command line in a message when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// rewordedError shows a friendlier message while still matching the original error under errors.Is.
type rewordedError struct {
	err error
	msg string
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }

// rewordStoreError replaces a store error's id-based prefix (e.g. `rename style 3 to "x": `) with a
// name-based one; errors without that prefix are returned unchanged.
func rewordStoreError(err error, storePrefix, prefix string) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, storePrefix) {
		return err
	}
	return &rewordedError{err: err, msg: prefix + strings.TrimPrefix(msg, storePrefix)}
}

// parseInterspersedFlags parses flags that may come before, between or after positional arguments
// (parseFlags) and returns the positional ones.
func parseInterspersedFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// cliUsageError reports a wrong command line like flag does (the reason, then the usage) and exits 2.
func cliUsageError(env *cliEnv, fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(env.stderr, "stylestudio %s: %s\n", fs.Name(), msg)
	fs.Usage()
	return errUsage
}
