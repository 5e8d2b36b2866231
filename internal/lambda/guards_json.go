package lambda

import (
	"math"

	"github.com/dop251/goja"
)

// maxJSONDepth bounds the nesting JSON.parse and JSON.stringify accept; both
// recurse in Go, once per level, out of reach of MaxCallDepth.
const maxJSONDepth = 256

// stringify runs JSON.stringify on a snapshot: a copy of the value made
// here with a budget, applying toJSON and a replacer function as
// JSON.stringify would, each exactly once. The builtin then serializes the
// copy, which has no getters, toJSON or shared parts left, so its output is
// bounded by the budget. A DAG of shared arrays (each doubling the output)
// or a getter answering differently on a second read is caught here.
func (sb *sandbox) stringify(orig goja.Callable, c goja.FunctionCall) goja.Value {
	replacer, space := c.Argument(1), c.Argument(2)
	s := &snapshot{sb: sb, left: sb.cfg.MaxStringLength}
	if fn, ok := goja.AssertFunction(replacer); ok {
		s.replacer, replacer = fn, goja.Undefined()
	} else if o, ok := replacer.(*goja.Object); ok && o.ClassName() == "Array" {
		sb.arrayLength(o)
	}
	if o, ok := space.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			space = sb.rt.ToValue(o.ToFloat())
		case "String":
			space = sb.str(o)
		}
	}
	switch v := space.(type) {
	case goja.String:
		s.gap = min(10, v.Length())
	default:
		if f := space.ToFloat(); !goja.IsUndefined(space) && f >= 1 {
			s.gap = int(math.Min(10, f))
		}
	}
	holder := sb.rt.NewObject()
	if err := holder.Set("", c.Argument(0)); err != nil {
		panic(err)
	}
	v := s.value(holder, "", c.Argument(0), 0)
	return sb.call(orig, goja.Undefined(), v, replacer, space)
}

type snapshot struct {
	sb       *sandbox
	replacer goja.Callable
	gap      int
	left     int
	path     []*goja.Object
}

func (s *snapshot) spend(n int) {
	if s.left -= n; s.left < 0 {
		s.sb.spend(math.MaxInt)
	}
}

func (s *snapshot) value(holder *goja.Object, key string, v goja.Value, depth int) goja.Value {
	sb := s.sb
	sb.checkStop()
	if o, ok := v.(*goja.Object); ok {
		if toJSON, ok := goja.AssertFunction(o.Get("toJSON")); ok {
			v = sb.call(toJSON, o, sb.rt.ToValue(key))
		}
	}
	if s.replacer != nil {
		v = sb.call(s.replacer, holder, sb.rt.ToValue(key), v)
	}
	s.spend(len(key) + 4 + depth*s.gap)
	o, ok := v.(*goja.Object)
	if !ok {
		if str, ok := v.(goja.String); ok {
			s.spend(str.Length())
		} else {
			s.spend(24)
		}
		return v
	}
	if _, callable := goja.AssertFunction(o); callable {
		return v // omitted by JSON.stringify
	}
	switch o.ClassName() {
	case "String", "Number", "Boolean", "BigInt":
		s.spend(len(o.String()))
		return v
	}
	for _, p := range s.path {
		if p == o {
			panic(sb.rt.NewTypeError("Converting circular structure to JSON"))
		}
	}
	if depth >= maxJSONDepth {
		sb.throwRange("JSON nested more than 256 levels deep")
	}
	s.path = append(s.path, o)
	defer func() { s.path = s.path[:len(s.path)-1] }()
	if o.ClassName() == "Array" {
		n := sb.arrayLength(o)
		items := make([]any, n)
		for i := range items {
			el := o.Get(itoa(int64(i)))
			if el == nil {
				el = goja.Undefined()
			}
			items[i] = s.value(o, itoa(int64(i)), el, depth+1)
		}
		arr := sb.rt.NewArray(items...)
		_ = arr.SetPrototype(nil) // no inherited toJSON for the builtin to find
		return arr
	}
	out := sb.rt.CreateObject(nil)
	for _, k := range o.Keys() {
		el := o.Get(k)
		if el == nil {
			el = goja.Undefined()
		}
		el = s.value(o, k, el, depth+1)
		if _, fn := goja.AssertFunction(el); fn && k == "toJSON" {
			continue // already applied above
		}
		if err := out.Set(k, el); err != nil {
			panic(err)
		}
	}
	return out
}

// parseGuard refuses JSON text nested deeper than maxJSONDepth before
// goja's recursive decoder sees it: a few megabytes of "[" would otherwise
// take the goroutine's stack past Go's limit, which ends the process.
func (sb *sandbox) parseGuard(orig goja.Callable, c goja.FunctionCall) goja.Value {
	text := sb.str(c.Argument(0))
	if jsonDepth(text.String()) > maxJSONDepth {
		sb.throwRange("JSON nested more than 256 levels deep")
	}
	args := append([]goja.Value{text}, c.Arguments[min(1, len(c.Arguments)):]...)
	return sb.call(orig, c.This, args...)
}

// jsonDepth is the deepest nesting of [ and { in text, outside strings.
func jsonDepth(text string) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
		case ch == '"':
			inString = true
		case ch == '[' || ch == '{':
			depth++
			deepest = max(deepest, depth)
		case ch == ']' || ch == '}':
			depth--
		}
	}
	return deepest
}
