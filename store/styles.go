package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Style is a label class.
type Style struct {
	ID       int64
	Name     string
	Color    string // "#rrggbb"
	Key      string // keyboard shortcut ("1"…"9" by default), "" for none
	Position int    // display order
}

// Styles lists every style in display order.
func (db *DB) Styles(ctx context.Context) ([]Style, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT id, name, color, shortcut_key, position FROM styles ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list styles: %w", err)
	}
	defer rows.Close()
	var out []Style
	for rows.Next() {
		var s Style
		if err := rows.Scan(&s.ID, &s.Name, &s.Color, &s.Key, &s.Position); err != nil {
			return nil, fmt.Errorf("list styles: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list styles: %w", err)
	}
	return out, nil
}

// AddStyle creates a style at the end of the order. An empty color gets the next palette colour and
// an empty key the first free one of 1–9 (or none). A name (case-insensitive) or key already in use
// fails with ErrDuplicate. color must be "#rrggbb"; key at most one character.
func (db *DB) AddStyle(ctx context.Context, name, color, key string) (Style, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Style{}, errors.New("add style: empty name")
	}
	color = strings.ToLower(strings.TrimSpace(color))
	if color != "" && !validColor(color) {
		return Style{}, fmt.Errorf("add style %q: colour %q is not #rrggbb", name, color)
	}
	key = strings.TrimSpace(key)
	if utf8.RuneCountInString(key) > 1 {
		return Style{}, fmt.Errorf("add style %q: shortcut key %q is more than one character", name, key)
	}
	var st Style
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = insertStyle(ctx, tx, name, color, key, db.stamp())
		return err
	})
	if err != nil {
		return Style{}, fmt.Errorf("add style %q: %w", name, err)
	}
	return st, nil
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		if !strings.ContainsRune("0123456789abcdef", rune(c[i])) {
			return false
		}
	}
	return true
}

// EnsureStyle creates the style when no style of that name (case-insensitive) exists; an existing style is
// left unchanged. A shortcut key already used by another style falls back to the next free one.
func (db *DB) EnsureStyle(ctx context.Context, name, color, key string) error {
	styles, err := db.Styles(ctx)
	if err != nil {
		return err
	}
	for _, s := range styles {
		if strings.EqualFold(s.Name, strings.TrimSpace(name)) {
			return nil
		}
		if s.Key == key {
			key = ""
		}
	}
	_, err = db.AddStyle(ctx, name, color, key)
	return err
}
