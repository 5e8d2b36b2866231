package lambda

import (
	"math/big"
	"reflect"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
)

// BigInt arithmetic runs in math/big inside one VM instruction, out of
// reach of the interrupt and of any guard: `1n << 10000000000000n` asks for
// a terabyte at once and ends the process with a fatal out-of-memory. So a
// lambda has no BigInt at all: the BigInt global is removed, dynamic code
// (eval, the Function constructors) is disabled, and a body with a BigInt
// literal is refused. Without a first BigInt, no operator can make one.

// bigIntLiteral returns the offset of the first BigInt literal in a parsed
// program, or -1. It walks the syntax tree by reflection, so no node type
// can be missed.
func bigIntLiteral(prog *ast.Program) file.Idx {
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value) file.Idx
	walk = func(v reflect.Value) file.Idx {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] || v.Type() == reflect.TypeFor[*file.File]() {
				return -1
			}
			seen[v.Pointer()] = true
			if n, ok := v.Interface().(*ast.NumberLiteral); ok {
				if _, isBig := n.Value.(*big.Int); isBig {
					return n.Idx
				}
				return -1
			}
			return walk(v.Elem())
		case reflect.Interface:
			if v.IsNil() {
				return -1
			}
			return walk(v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					if at := walk(v.Field(i)); at >= 0 {
						return at
					}
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				if at := walk(v.Index(i)); at >= 0 {
					return at
				}
			}
		}
		return -1
	}
	return walk(reflect.ValueOf(prog))
}
