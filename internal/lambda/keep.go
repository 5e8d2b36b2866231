package lambda

import (
	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
)

// keepable reports whether a body's populate function may be kept by a
// runtime and called again by later calls, instead of running the body's
// top level anew for every call (which makes a fresh populate, and fresh
// top-level functions, each time: docs/decisions.md, "Lambda isolation").
// Keeping it is safe when nothing one call does can be seen by the next
// through the kept functions, which holds when:
//
//   - the top level holds only declarations of plain functions (not async,
//     not generators), each name declared once, one of them populate, and
//     string-literal statements ("use strict"): no top-level variable a call
//     could change;
//   - each of those names occurs elsewhere only as the callee of a direct
//     call, name(...): no code can get hold of the function objects (to set
//     a property, reach a prototype, or reassign the binding), since new
//     name(), name.x, passing name along or assigning to it all name it
//     otherwise;
//   - the identifier arguments occurs nowhere (arguments.callee is the
//     function).
//
// Everything else a call can reach is made for the call (its arguments,
// every object its code creates) or is the frozen builtins and the global
// object, which clean restores as for any body. Anything the analysis
// cannot place makes it answer false.
func keepable(prog *ast.Program) bool {
	all, calls := identifierCounts(prog)
	if all["arguments"] != 0 {
		return false
	}
	declared := map[string]bool{}
	for _, st := range prog.Body {
		switch st := st.(type) {
		case *ast.EmptyStatement:
		case *ast.ExpressionStatement:
			if _, ok := st.Expression.(*ast.StringLiteral); !ok {
				return false
			}
		case *ast.FunctionDeclaration:
			f := st.Function
			if f == nil || f.Name == nil || f.Async || f.Generator || declared[string(f.Name.Name)] {
				return false
			}
			declared[string(f.Name.Name)] = true
		default:
			return false
		}
	}
	if !declared["populate"] {
		return false
	}
	for name := range declared {
		if all[name] != 1+calls[name] {
			return false
		}
	}
	return true
}

// maxKept bounds the populate functions a runtime keeps; past it they are
// all dropped (a body's top level then runs again, once).
const maxKept = 64

// keep keeps populate of a keepable body for the runtime's later calls.
func (sb *sandbox) keep(c *compiled, populate goja.Callable) {
	if sb.kept == nil || len(sb.kept) >= maxKept {
		sb.kept = make(map[*compiled]goja.Callable)
	}
	sb.kept[c] = populate
}
