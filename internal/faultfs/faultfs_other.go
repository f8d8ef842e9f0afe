//go:build !linux

package faultfs

import "errors"

var errNoSpace = errors.New("no space left on device")

var errUnsupported = errors.New("tmpfs mounts are only available on Linux")

func mount(dir string, size int64) error      { return errUnsupported }
func unmount(dir string) error                { return errUnsupported }
func remount(dir string, readOnly bool) error { return errUnsupported }
