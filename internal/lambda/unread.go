package lambda

import (
	"reflect"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
)

// argument is one of populate's arguments after jwt.
type argument int

const (
	argUser argument = iota
	argRegistration
	argContext
)

// unread is the set of populate's arguments (user, registration, context)
// that no code in a body can read: Populate then neither builds them nor
// asks the caller for them (Input.User as a Lazy). A body such as
// `function populate(jwt, user) { jwt.a = 1; }` reads none of the three; one
// that names user reads it.
type unread [3]bool

// unreadArguments works out, from the syntax tree alone, which arguments a
// body cannot read. It answers "read" whenever it cannot prove otherwise. An
// argument is unread when:
//
//   - populate is one top-level function declaration, and the name populate
//     occurs nowhere else in the body (so the function that runs is that
//     one: the wrapper returns the value of populate after the top level ran);
//   - the identifier arguments occurs nowhere in the body (nothing can reach
//     an argument except by its parameter; eval and the Function
//     constructors, which could name either, are not available to lambdas,
//     and a function's arguments property throws);
//   - the declaration has no parameter at the argument's position and no
//     rest parameter, or its parameter there is a plain identifier that
//     occurs nowhere else in the body: not in populate, not in a nested
//     function, not as a property name (counted too, to keep this simple).
//
// Identifiers are collected by walking every node of the tree by
// reflection, as bigIntLiteral does, so no node type can be missed; the
// parser has already decoded escapes such as \u0075ser into names.
func unreadArguments(prog *ast.Program) (u unread) {
	var decl *ast.FunctionLiteral
	for _, st := range prog.Body {
		if fd, ok := st.(*ast.FunctionDeclaration); ok && fd.Function != nil && fd.Function.Name != nil &&
			fd.Function.Name.Name == "populate" {
			if decl != nil {
				return unread{}
			}
			decl = fd.Function
		}
	}
	if decl == nil || decl.ParameterList == nil {
		return unread{}
	}
	names, _ := identifierCounts(prog)
	if names["populate"] != 1 || names["arguments"] != 0 {
		return unread{}
	}
	params := decl.ParameterList
	for a := argUser; a <= argContext; a++ {
		i := int(a) + 1 // jwt is parameter 0
		if i >= len(params.List) {
			u[a] = params.Rest == nil
			continue
		}
		id, ok := params.List[i].Target.(*ast.Identifier)
		u[a] = ok && names[string(id.Name)] == 1
	}
	return u
}

// identifierCounts counts the occurrences of every identifier in prog, by
// name: references, declarations, parameters, labels and property names
// (all), and separately those that are the callee of a call, f(...) (calls).
func identifierCounts(prog *ast.Program) (all, calls map[string]int) {
	all, calls = map[string]int{}, map[string]int{}
	seen := map[uintptr]bool{}
	callees := map[*ast.Identifier]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] || v.Type() == reflect.TypeFor[*file.File]() {
				return
			}
			seen[v.Pointer()] = true
			switch n := v.Interface().(type) {
			case *ast.Identifier:
				all[string(n.Name)]++
				if callees[n] {
					calls[string(n.Name)]++
				}
				return
			case *ast.CallExpression:
				if id, ok := n.Callee.(*ast.Identifier); ok {
					callees[id] = true
				}
			}
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[ast.Identifier]() {
				all[v.FieldByName("Name").String()]++
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(prog))
	return all, calls
}
