package lambda

import (
	"math"
	"strconv"

	"github.com/dop251/goja"
)

// goja's interrupt is checked between instructions, never inside a native
// builtin, and several builtins allocate in proportion to an argument or a
// length before returning: Math.max.apply(null, {length: 1e12}) or
// "x".repeat(2**40) end the whole process with a fatal out-of-memory, and
// new Array(1e9).join("x") grows until it does. The guards below check such
// sizes before the builtin runs, rebuild the few whose size cannot be known
// in advance with a running budget, and check the call's stop flag, so that
// each builtin's work is bounded by Config.MaxArrayLength and
// MaxStringLength. docs/decisions.md ("Lambda limits") lists them and what
// is left unbounded.

func (sb *sandbox) installGuards() {
	rt := sb.rt
	protos, err := rt.RunProgram(hiddenIntrinsics)
	if err != nil {
		panic(err)
	}
	// Spread, destructuring and Array.from drive the iterators' next from
	// Go: each step checks the stop flag. (The first five hidden intrinsics
	// are the iterator prototypes.)
	po := protos.ToObject(rt)
	for i := range 5 {
		sb.replace(po.Get(strconv.Itoa(i)).ToObject(rt), "next", sb.passThrough)
	}
	sb.disableFunctionConstructors(po)
	// The Symbol.for registry outlives a call and cannot be cleaned: a body
	// could park a string in it on every call of a pooled runtime.
	sb.replace(object(rt, "Symbol"), "for", func(goja.Callable, goja.FunctionCall) goja.Value {
		panic(rt.NewTypeError("lambda: Symbol.for is not available (its registry outlives a call)"))
	})
	sb.guardArrays(object(rt, "Array"))
	sb.guardStrings(object(rt, "String"), object(rt, "RegExp"))
	sb.guardRegExpCreation(object(rt, "String"), object(rt, "RegExp"))
	sb.guardCalls(object(rt, "Function"), object(rt, "Reflect"))
	sb.guardObjectKeys(object(rt, "Object"), object(rt, "Reflect"))
	json := object(rt, "JSON")
	sb.replace(json, "stringify", sb.stringify)
	sb.replace(json, "parse", sb.parseGuard)
}

func object(rt *goja.Runtime, name string) *goja.Object { return rt.Get(name).ToObject(rt) }

func (sb *sandbox) passThrough(orig goja.Callable, c goja.FunctionCall) goja.Value {
	return sb.call(orig, c.This, c.Arguments...)
}

// arrayLength is the length of the array-like a builtin is about to walk,
// refused past MaxArrayLength. It is read once here and once by the builtin,
// so it must not be able to change in between: arrays and strings are fine,
// other objects need an own data property (an accessor could answer 1 here
// and 1e12 to the builtin). Proxies do not exist in the sandbox.
func (sb *sandbox) arrayLength(v goja.Value) int64 {
	var n float64
	switch x := v.(type) {
	case goja.String:
		n = float64(x.Length())
	case *goja.Object:
		switch x.ClassName() {
		case "Array", "String":
			n = x.Get("length").ToFloat()
		default:
			desc := sb.call(sb.ownDesc, goja.Undefined(), x, sb.rt.ToValue("length"))
			if d, ok := desc.(*goja.Object); ok {
				if defined(d.Get("get")) || defined(d.Get("set")) {
					panic(sb.rt.NewTypeError("lambda limit: an array-like's length must be a plain value, not an accessor"))
				}
				n = d.Get("value").ToFloat()
			} else if l := x.Get("length"); l != nil && !goja.IsUndefined(l) {
				panic(sb.rt.NewTypeError("lambda limit: an array-like's length must be its own property"))
			}
		}
	default:
		return 0
	}
	if math.IsNaN(n) || n <= 0 {
		return 0
	}
	sb.checkCount(n)
	return int64(n)
}

// checkCount refuses a walk over more than MaxArrayLength elements.
func (sb *sandbox) checkCount(n float64) {
	if n > float64(sb.cfg.MaxArrayLength) {
		sb.throwRange("length " + strconv.FormatFloat(n, 'f', -1, 64) + " is over " + strconv.Itoa(sb.cfg.MaxArrayLength))
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func (sb *sandbox) guardArrays(array *goja.Object) {
	proto := array.Get("prototype").ToObject(sb.rt)
	for _, name := range proto.GetOwnPropertyNames() {
		switch name {
		case "constructor", "length", "toString": // toString calls join
		case "join", "toLocaleString":
			sb.replace(proto, name, sb.join)
		case "concat":
			sb.replace(proto, name, sb.concat)
		case "flat":
			sb.replace(proto, name, sb.flat)
		case "flatMap":
			sb.replace(proto, name, sb.flatMap)
		default:
			sb.replace(proto, name, func(orig goja.Callable, c goja.FunctionCall) goja.Value {
				sb.arrayLength(c.This)
				return sb.call(orig, c.This, c.Arguments...)
			})
		}
	}
	// Array.prototype[Symbol.iterator] is the same function as values.
	if err := proto.DefineDataPropertySymbol(goja.SymIterator, proto.Get("values"),
		goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		panic(err)
	}
	sb.replace(array, "from", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		if o, ok := c.Argument(0).(*goja.Object); !ok || !defined(o.GetSymbol(goja.SymIterator)) {
			sb.arrayLength(c.Argument(0))
		}
		return sb.call(orig, c.This, c.Arguments...)
	})
}

// join is Array.prototype.join with a running budget, since the size of its
// result is known only as it is built. Like goja's own, it answers "" for an
// array already being joined (a cycle); unlike it, it also bounds the
// nesting, which goja's recursion through toString does not. It also serves
// toLocaleString, converting elements with toString.
func (sb *sandbox) join(_ goja.Callable, c goja.FunctionCall) goja.Value {
	o := c.This.ToObject(sb.rt)
	for _, j := range sb.joining {
		if j == o {
			return sb.rt.ToValue("")
		}
	}
	if len(sb.joining) >= sb.cfg.MaxCallDepth {
		sb.throwRange("arrays nested too deep to join")
	}
	sb.joining = append(sb.joining, o)
	defer func() { sb.joining = sb.joining[:len(sb.joining)-1] }()
	n := sb.arrayLength(o)
	var sep goja.String = sb.str(sb.rt.ToValue(","))
	if s := c.Argument(0); !goja.IsUndefined(s) {
		sep = sb.str(s)
	}
	var b goja.StringBuilder
	total := 0
	for i := int64(0); i < n; i++ {
		if i > 0 {
			total += sep.Length()
			sb.spend(total)
			b.WriteString(sep)
		}
		if el := o.Get(strconv.FormatInt(i, 10)); el != nil && !goja.IsUndefined(el) && !goja.IsNull(el) {
			s := sb.str(el)
			total += s.Length()
			sb.spend(total)
			b.WriteString(s)
		}
		if i&1023 == 1023 {
			sb.checkStop()
		}
	}
	return b.String()
}

// spend refuses a string result longer than MaxStringLength.
func (sb *sandbox) spend(total int) {
	if total > sb.cfg.MaxStringLength {
		sb.throwRange("a string of more than " + strconv.Itoa(sb.cfg.MaxStringLength) + " characters")
	}
}

// str is ToString as a goja.String (goja's own ToString leaves numbers and
// booleans as they are). An object's toString runs once, here.
func (sb *sandbox) str(v goja.Value) goja.String {
	s := v.ToString()
	if gs, ok := s.(goja.String); ok {
		return gs
	}
	return sb.rt.ToValue(s.String()).(goja.String)
}

// concat refuses a result longer than MaxArrayLength. An object that sets
// Symbol.isConcatSpreadable is refused: its length could not be checked.
func (sb *sandbox) concat(orig goja.Callable, c goja.FunctionCall) goja.Value {
	total := int64(0)
	for _, v := range append([]goja.Value{c.This}, c.Arguments...) {
		o, ok := v.(*goja.Object)
		switch {
		case !ok:
			total++
		case defined(o.GetSymbol(goja.SymIsConcatSpreadable)):
			panic(sb.rt.NewTypeError("lambda limit: Symbol.isConcatSpreadable is not supported"))
		case o.ClassName() == "Array":
			total += sb.arrayLength(o)
		default:
			total++
		}
	}
	if total > int64(sb.cfg.MaxArrayLength) {
		sb.throwRange("concat of more than " + strconv.Itoa(sb.cfg.MaxArrayLength) + " elements")
	}
	return sb.call(orig, c.This, c.Arguments...)
}

// defined reports whether a property read found a value other than
// undefined (goja answers nil for a missing property).
func defined(v goja.Value) bool { return v != nil && !goja.IsUndefined(v) }

// disableFunctionConstructors makes Function, and the generator and async
// function constructors reached through their prototypes, throw: code
// compiled at run time would escape the compile-time BigInt check. The
// global Function keeps Function.prototype, so instanceof Function works.
func (sb *sandbox) disableFunctionConstructors(hidden *goja.Object) {
	rt := sb.rt
	refuse := rt.ToValue(func(goja.ConstructorCall) *goja.Object {
		panic(rt.NewTypeError("lambda: code cannot be compiled at run time"))
	}).ToObject(rt)
	sb.nameLike(refuse, object(rt, "Function"))
	fnProto := object(rt, "Function").Get("prototype")
	must(refuse.DefineDataProperty("prototype", fnProto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE))
	must(rt.GlobalObject().DefineDataProperty("Function", refuse, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_FALSE))
	protos := []*goja.Object{fnProto.ToObject(rt)}
	for _, i := range []int{5, 6} { // the generator and async function prototypes
		protos = append(protos, hidden.Get(strconv.Itoa(i)).ToObject(rt))
	}
	for _, p := range protos {
		must(p.DefineDataProperty("constructor", refuse, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
