package lambda

import "testing"

// TestGlobalShapeIsRead: clean tells in constant time that a call left the
// global object as it was by reading goja's own counts (shape). If a goja
// upgrade changes its representation, clean silently falls back to listing
// the global object's keys on every call, several times slower; this test
// says so.
func TestGlobalShapeIsRead(t *testing.T) {
	sb := newSandbox(Config{}.withDefaults())
	if !sb.shape.valid {
		t.Fatal("the global object's property counts cannot be read from this goja version (see shape.go)")
	}
	names, syms := sb.shape.count()
	if names != sb.names || syms != sb.allSymbols {
		t.Fatalf("counts %d/%d, want %d/%d", names, syms, sb.names, sb.allSymbols)
	}
	if _, err := sb.rt.RunString(`leaked = 1; globalThis[Symbol.iterator] = 2;`); err != nil {
		t.Fatal(err)
	}
	if n, s := sb.shape.count(); n != names+1 || s != syms+1 {
		t.Errorf("after adding a global and a symbol-keyed global: counts %d/%d, want %d/%d", n, s, names+1, syms+1)
	}
	if _, err := sb.rt.RunString(`delete globalThis[Symbol.iterator];`); err != nil {
		t.Fatal(err)
	}
	if !sb.clean() {
		t.Fatal("clean refused a global object with one added global")
	}
	if n, s := sb.shape.count(); n != names || s != syms {
		t.Errorf("after clean: counts %d/%d, want %d/%d", n, s, names, syms)
	}
	if v := sb.rt.Get("leaked"); v != nil {
		t.Errorf("leaked = %v after clean", v)
	}
}
