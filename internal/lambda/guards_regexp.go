package lambda

import (
	"strconv"

	"github.com/dop251/goja"
)

// maxPatternLength bounds a regular expression compiled at run time, in
// UTF-16 units. Compiling is one native step whose cost grows with the
// pattern: in plain goja, twelve megabytes of "(a)" ran for over 30 s and
// passed 1.7 GB. Patterns written in the body are bounded by the body.
const maxPatternLength = 16 << 10

// guardRegExpCreation bounds every way to compile a pattern made at run
// time: the RegExp constructor (replaced by a guard that keeps
// RegExp.prototype, so instanceof and subclasses work), RegExp.prototype.compile,
// and match, matchAll and search given a string, which compile it.
func (sb *sandbox) guardRegExpCreation(str, regexp *goja.Object) {
	rt := sb.rt
	create, _ := goja.AssertConstructor(regexp)
	guard := rt.ToValue(func(c goja.ConstructorCall) *goja.Object {
		sb.checkStop()
		args := sb.patternArgs(c.Arguments)
		obj, err := create(c.NewTarget, args...)
		if err != nil {
			panic(err)
		}
		return obj
	}).ToObject(rt)
	sb.nameLike(guard, regexp)
	proto := regexp.Get("prototype")
	must(guard.DefineDataProperty("prototype", proto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE))
	must(proto.ToObject(rt).DefineDataProperty("constructor", guard, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	must(rt.GlobalObject().DefineDataProperty("RegExp", guard, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE))
	sb.replace(proto.ToObject(rt), "compile", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		return sb.call(orig, c.This, sb.patternArgs(c.Arguments)...)
	})
	sproto := str.Get("prototype").ToObject(rt)
	for name, sym := range map[string]*goja.Symbol{"match": goja.SymMatch, "matchAll": goja.SymMatchAll, "search": goja.SymSearch} {
		sb.replace(sproto, name, func(orig goja.Callable, c goja.FunctionCall) goja.Value {
			if o, ok := c.Argument(0).(*goja.Object); ok && defined(o.GetSymbol(sym)) {
				return sb.call(orig, c.This, c.Arguments...)
			}
			return sb.call(orig, c.This, sb.patternArgs(c.Arguments)...)
		})
	}
}

// patternArgs converts a pattern (unless it is a RegExp, whose source is
// already bounded) and flags to strings once, refusing a long pattern.
func (sb *sandbox) patternArgs(in []goja.Value) []goja.Value {
	args := append([]goja.Value{}, in...)
	for len(args) < 2 {
		args = append(args, goja.Undefined())
	}
	if o, ok := args[0].(*goja.Object); !ok || o.ClassName() != "RegExp" {
		if !goja.IsUndefined(args[0]) {
			p := sb.str(args[0])
			if p.Length() > maxPatternLength {
				sb.throwRange("a regular expression of more than " + strconv.Itoa(maxPatternLength) + " characters")
			}
			args[0] = p
		}
	}
	if !goja.IsUndefined(args[1]) {
		args[1] = sb.str(args[1])
	}
	return args
}
