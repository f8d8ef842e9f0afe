package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"stylestudio/internal/faultfs"
)

// On a disk that fills up, writes fail with ErrDiskFull (which is also syscall.ENOSPC), whether the
// object file or SQLite ran out of space first; everything stored before stays readable and intact, and
// a library on a full disk is refused at open with a message that says so.
func TestDiskFullKeepsWhatWasStored(t *testing.T) {
	ctx := context.Background()
	dir := faultfs.Mount(t, 2<<20)
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 5 {
		mustAdd(t, db, testRecord(uint64(i+1), 20<<10, fmt.Sprintf("OLD-%d", i), "old", "tops", "boho"))
	}
	free := faultfs.FillLeaving(t, dir, 100<<10)
	var failed error
	added := 0
	for i := range 200 {
		// Small images, so that SQLite (thumbnails, rows) fills up too, not only objects/.
		r := testRecord(uint64(100+i), 4<<10, fmt.Sprintf("NEW-%d", i), "new", "tops", "luxe")
		r.Thumb = make([]byte, 8<<10)
		if _, err := db.AddRecord(ctx, r); err != nil {
			failed = err
			break
		}
		added++
	}
	t.Logf("after %d more records: %v", added, failed)
	if !errors.Is(failed, ErrDiskFull) || !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("writing onto a full disk: %v; want ErrDiskFull and ENOSPC", failed)
	}
	if got := count(t, db, `SELECT count(*) FROM products`); got != 5+added {
		t.Errorf("%d products, want %d", got, 5+added)
	}
	var check string
	if err := db.sql.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	for i := range 5 {
		r := testRecord(uint64(i+1), 20<<10, "", "", "", "")
		if b, err := db.ReadObject(r.Image.Hash); err != nil || len(b) != 20<<10 {
			t.Errorf("old image %d: %d bytes, %v", i, len(b), err)
		}
	}

	faultfs.Fill(t, dir)
	_, err = Open(ctx, dir)
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "is full") {
		t.Errorf("opening a library on a full disk: %v", err)
	}
	free()
}
