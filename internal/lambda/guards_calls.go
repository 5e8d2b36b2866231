package lambda

import (
	"strconv"

	"github.com/dop251/goja"
)

// flat is Array.prototype.flat rebuilt with a count: a small array of
// shared sub-arrays expands exponentially. The result is a plain array
// (Symbol.species is not consulted).
func (sb *sandbox) flat(_ goja.Callable, c goja.FunctionCall) goja.Value {
	o := c.This.ToObject(sb.rt)
	depth := 1.0
	if d := c.Argument(0); !goja.IsUndefined(d) {
		if depth = d.ToFloat(); depth != depth {
			depth = 0
		}
	}
	var out []any
	sb.flatten(o, depth, 0, &out)
	return sb.rt.NewArray(out...)
}

func (sb *sandbox) flatten(o *goja.Object, depth float64, level int, out *[]any) {
	if level >= sb.cfg.MaxCallDepth {
		sb.throwRange("arrays nested too deep to flatten")
	}
	n := sb.arrayLength(o)
	for i := int64(0); i < n; i++ {
		el := o.Get(strconv.FormatInt(i, 10))
		if el == nil { // a hole
			continue
		}
		if a, ok := el.(*goja.Object); ok && depth >= 1 && a.ClassName() == "Array" {
			sb.flatten(a, depth-1, level+1, out)
			continue
		}
		if len(*out) >= sb.cfg.MaxArrayLength {
			sb.throwRange("flat of more than " + strconv.Itoa(sb.cfg.MaxArrayLength) + " elements")
		}
		*out = append(*out, el)
		sb.checkStop()
	}
}

// flatMap checks each array its callback returns before goja spreads it.
func (sb *sandbox) flatMap(orig goja.Callable, c goja.FunctionCall) goja.Value {
	sb.arrayLength(c.This)
	fn, ok := goja.AssertFunction(c.Argument(0))
	if !ok {
		return sb.call(orig, c.This, c.Arguments...)
	}
	checked := sb.rt.ToValue(func(cc goja.FunctionCall) goja.Value {
		v := sb.call(fn, cc.This, cc.Arguments...)
		if a, ok := v.(*goja.Object); ok && a.ClassName() == "Array" {
			sb.arrayLength(a)
		}
		return v
	})
	sb.nameLike(checked.ToObject(sb.rt), c.Argument(0).ToObject(sb.rt))
	return sb.call(orig, c.This, checked, c.Argument(1))
}

// guardCalls: apply, Reflect.apply and Reflect.construct copy an array-like
// into a Go slice sized by its length, before any check. The guards copy it
// themselves, once, within the limit, and pass the builtin a real array.
func (sb *sandbox) guardCalls(function, reflect *goja.Object) {
	sb.replace(function.Get("prototype").ToObject(sb.rt), "apply", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		return sb.call(orig, c.This, c.Argument(0), sb.argumentList(c.Argument(1)))
	})
	sb.replace(reflect, "apply", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		return sb.call(orig, c.This, c.Argument(0), c.Argument(1), sb.argumentList(c.Argument(2)))
	})
	sb.replace(reflect, "construct", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		args := []goja.Value{c.Argument(0), sb.argumentList(c.Argument(1))}
		if len(c.Arguments) > 2 {
			args = append(args, c.Arguments[2])
		}
		return sb.call(orig, c.This, args...)
	})
}

func (sb *sandbox) argumentList(v goja.Value) goja.Value {
	o, ok := v.(*goja.Object)
	if !ok {
		return v // undefined and null mean no arguments; anything else makes the builtin throw
	}
	n := o.Get("length")
	if n == nil {
		return sb.rt.NewArray()
	}
	l := n.ToFloat()
	if l != l || l < 0 {
		l = 0
	}
	if l > float64(sb.cfg.MaxArrayLength) {
		sb.throwRange("more than " + strconv.Itoa(sb.cfg.MaxArrayLength) + " arguments")
	}
	list := make([]any, int(l))
	for i := range list {
		el := o.Get(strconv.Itoa(i))
		if el == nil {
			el = goja.Undefined()
		}
		list[i] = el
	}
	return sb.rt.NewArray(list...)
}

// guardObjectKeys: the key-listing builtins list one key per character of a
// string argument; a string past MaxArrayLength is refused.
func (sb *sandbox) guardObjectKeys(object, reflect *goja.Object) {
	check := func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		for _, a := range c.Arguments {
			if s, ok := a.(goja.String); ok {
				sb.arrayLength(s)
			} else if o, ok := a.(*goja.Object); ok && o.ClassName() == "String" {
				sb.arrayLength(o)
			}
		}
		return sb.call(orig, c.This, c.Arguments...)
	}
	for _, name := range []string{"keys", "values", "entries", "getOwnPropertyNames", "getOwnPropertyDescriptors", "assign"} {
		sb.replace(object, name, check)
	}
	sb.replace(reflect, "ownKeys", check)
	// A call's globals must stay deletable (sandbox.clean).
	notGlobal := func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		if o, ok := c.Argument(0).(*goja.Object); ok && o == sb.rt.GlobalObject() && sb.hardened {
			panic(sb.rt.NewTypeError("lambda: the global object takes only plain assignments"))
		}
		return sb.call(orig, c.This, c.Arguments...)
	}
	for _, name := range []string{"defineProperty", "defineProperties", "preventExtensions", "seal", "freeze"} {
		sb.replace(object, name, notGlobal)
	}
	for _, name := range []string{"defineProperty", "preventExtensions"} {
		sb.replace(reflect, name, notGlobal)
	}
}
