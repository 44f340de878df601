//go:build rtlsdr && cgo

package rtlsdr

// This file holds the one //export of the binding. cgo allows only
// declarations in the preamble of a file that exports, so the C trampoline
// that calls it lives in rtlsdr_cgo.go.

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export goAsyncCallback
func goAsyncCallback(buf *C.uchar, n C.uint32_t, handle C.uintptr_t) {
	cb := cgo.Handle(handle).Value().(func([]byte))
	cb(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)))
}
