package lambda

import (
	"reflect"

	"github.com/dop251/goja"
)

// shape counts the own properties of the global object without listing
// them, so that clean can tell in constant time that a call added nothing
// there (the common case). goja's public API only lists: Object.keys of
// the global object walks its hundred-odd builtins and looks each one up,
// which a login's or refresh's cold caches made the largest single part of
// a lambda's cost (docs/performance.md, "JWT populate lambdas"). The counts
// are read from goja's object representation by reflection (read only:
// the length of the list of string keys, the size of the symbol-keyed
// map); when goja's representation is not the one expected, shape is not
// valid and clean lists the keys as before. TestGlobalShapeIsRead fails
// when that happens, so that a goja upgrade does not silently lose it.
type shape struct {
	obj   reflect.Value // the global object's implementation (a struct)
	names []int         // index path to baseObject.propNames ([]unistring.String)
	syms  []int         // index path to baseObject.symValues (*orderedMap)
	size  []int         // index path in orderedMap to size (int)
	valid bool
}

// newShape finds the fields in g's implementation; the zero shape if any
// is missing or of another kind.
func newShape(g *goja.Object) (s shape) {
	defer func() {
		if recover() != nil {
			s = shape{}
		}
	}()
	self := reflect.ValueOf(g).Elem().FieldByName("self")
	if self.Kind() != reflect.Interface || self.IsNil() {
		return shape{}
	}
	impl := self.Elem()
	if impl.Kind() != reflect.Pointer || impl.Elem().Kind() != reflect.Struct {
		return shape{}
	}
	obj := impl.Elem()
	names, ok := obj.Type().FieldByName("propNames")
	if !ok || names.Type.Kind() != reflect.Slice {
		return shape{}
	}
	syms, ok := obj.Type().FieldByName("symValues")
	if !ok || syms.Type.Kind() != reflect.Pointer || syms.Type.Elem().Kind() != reflect.Struct {
		return shape{}
	}
	size, ok := syms.Type.Elem().FieldByName("size")
	if !ok || size.Type.Kind() != reflect.Int {
		return shape{}
	}
	return shape{obj: obj, names: names.Index, syms: syms.Index, size: size.Index, valid: true}
}

// count returns the number of own string-keyed and symbol-keyed properties.
func (s shape) count() (names, symbols int) {
	names = s.obj.FieldByIndex(s.names).Len()
	if m := s.obj.FieldByIndex(s.syms); !m.IsNil() {
		symbols = int(m.Elem().FieldByIndex(s.size).Int())
	}
	return names, symbols
}
