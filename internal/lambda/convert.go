package lambda

import (
	"encoding/json"
	"slices"

	"github.com/dop251/goja"
)

// args are populate's arguments, built as plain JavaScript values.
type args struct {
	jwt, user, registration, context goja.Value
	// A reconcile call's (reconcileArguments): its other two arguments.
	reconcile       bool
	idToken, tokens goja.Value
}

// arguments builds populate's arguments in sb's runtime from the caller's
// values. It runs on the caller's goroutine, before the call starts, so that
// a call abandoned at its deadline never reads memory the caller has since
// reused; it runs no JavaScript. An argument the body cannot read is passed
// as undefined, and a Lazy one is then never called.
func (sb *sandbox) arguments(in Input, unread unread) (a *args, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, errArguments{p}
		}
	}()
	if in.reconcile != nil {
		return sb.reconcileArguments(in.reconcile), nil
	}
	a = &args{jwt: sb.toJS(in.Claims), user: goja.Undefined(), registration: goja.Undefined(), context: goja.Undefined()}
	if !unread[argUser] {
		a.user = sb.object(in.User)
	}
	if !unread[argRegistration] {
		a.registration = sb.object(in.Registration)
	}
	if !unread[argContext] {
		ctx := sb.rt.NewObject()
		sb.define(ctx, "scopes", sb.toJS(append([]string{}, in.Scopes...)))
		a.context = ctx
	}
	return a, nil
}

// object converts Input.User or Input.Registration; nil is undefined.
func (sb *sandbox) object(v any) goja.Value {
	if lazy, ok := v.(Lazy); ok {
		v = lazy()
	}
	switch x := v.(type) {
	case nil:
		return goja.Undefined()
	case map[string]any:
		if x == nil {
			return goja.Undefined()
		}
	case json.RawMessage:
		if x == nil {
			return goja.Undefined()
		}
		return sb.newLazy(x)
	}
	return sb.toJS(v)
}

type errArguments struct{ p any }

func (e errArguments) Error() string { return "lambda: arguments cannot be converted" }

// toJS converts a Go value as JSON would see it into a fresh JavaScript
// value. Object members are defined in sorted key order, so a body that
// lists them sees the same order every call. Types other than the common
// ones go through encoding/json and the runtime's JSON.parse.
func (sb *sandbox) toJS(v any) goja.Value {
	rt := sb.rt
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case string, bool, int, int32, int64, uint32, float64:
		return rt.ToValue(x)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return rt.NewArray(items...)
	case []any:
		items := make([]any, len(x))
		for i, el := range x {
			items[i] = sb.toJS(el)
		}
		return rt.NewArray(items...)
	case []map[string]any:
		items := make([]any, len(x))
		for i, el := range x {
			items[i] = sb.toJS(el)
		}
		return rt.NewArray(items...)
	case map[string]any:
		obj := rt.NewObject()
		for _, k := range sortedKeys(x) {
			sb.put(obj, k, sb.toJS(x[k]))
		}
		return obj
	case map[string]string:
		obj := rt.NewObject()
		for _, k := range sortedKeys(x) {
			sb.put(obj, k, rt.ToValue(x[k]))
		}
		return obj
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w, err := sb.jsonParse(goja.Undefined(), rt.ToValue(string(b)))
	if err != nil {
		panic(err)
	}
	return w
}

// define creates an own enumerable data property, as JSON.parse does: no
// setter on the (frozen, partly accessor) Object.prototype is consulted, so
// a member named toString or __proto__ is just a member.
func (sb *sandbox) define(obj *goja.Object, k string, v goja.Value) {
	if err := obj.DefineDataProperty(k, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		panic(err)
	}
}

// put is define for a fresh object made by NewObject, whose prototype is
// the frozen Object.prototype: for a name Object.prototype does not have,
// a plain set creates exactly the property define would (an own
// enumerable, writable, configurable data property; no setter or read-only
// property is found on the way), at half the allocations. Names
// Object.prototype has (__proto__, toString, ...) are defined.
func (sb *sandbox) put(obj *goja.Object, k string, v goja.Value) {
	if sb.protoNames[k] {
		sb.define(obj, k, v)
		return
	}
	if err := obj.Set(k, v); err != nil {
		panic(err)
	}
}

// sortedKeys is m's keys in order, in one allocation.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
