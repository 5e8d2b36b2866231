package lambda

import (
	"math"
	"strings"

	"github.com/dop251/goja"
)

// guardStrings bounds the string builtins whose result can outgrow their
// input: repeat and padding by an argument, concat and String.raw by their
// arguments, replacement by $-patterns, splitting and matching by one
// element per character. Each converts its receiver and arguments to
// primitives once and hands those to the builtin, so a toString or valueOf
// cannot answer the check and the builtin differently.
func (sb *sandbox) guardStrings(str, regexp *goja.Object) {
	proto := str.Get("prototype").ToObject(sb.rt)
	sb.replace(proto, "repeat", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		s := sb.this(orig, c)
		n := c.Argument(0).ToFloat()
		if n >= 1 && !math.IsInf(n, 1) && float64(s.Length())*math.Trunc(n) > float64(sb.cfg.MaxStringLength) {
			sb.spend(math.MaxInt)
		}
		return sb.call(orig, s, sb.rt.ToValue(n))
	})
	pad := func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		s := sb.this(orig, c)
		n := c.Argument(0).ToFloat()
		if n > float64(sb.cfg.MaxStringLength) {
			sb.spend(math.MaxInt)
		}
		fill := c.Argument(1)
		if !goja.IsUndefined(fill) {
			fill = sb.str(fill)
		}
		return sb.call(orig, s, sb.rt.ToValue(n), fill)
	}
	sb.replace(proto, "padStart", pad)
	sb.replace(proto, "padEnd", pad)
	sb.replace(proto, "concat", func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		var b goja.StringBuilder
		s := sb.this(orig, c)
		total := s.Length()
		b.WriteString(s)
		for _, a := range c.Arguments {
			p := sb.str(a)
			total += p.Length()
			sb.spend(total)
			b.WriteString(p)
		}
		return b.String()
	})
	sb.replace(proto, "split", sb.split)
	sb.replace(proto, "replace", sb.replaceString(false))
	sb.replace(proto, "replaceAll", sb.replaceString(true))
	sb.replaceSymbol(proto, goja.SymIterator, func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		s := sb.this(orig, c)
		sb.arrayLength(s)
		return sb.call(orig, s)
	})
	sb.replace(str, "raw", sb.raw)
	sb.guardRegExps(regexp.Get("prototype").ToObject(sb.rt))
}

// this converts a string builtin's receiver once; null and undefined are
// left for the builtin to refuse.
func (sb *sandbox) this(orig goja.Callable, c goja.FunctionCall) goja.String {
	if goja.IsUndefined(c.This) || goja.IsNull(c.This) {
		sb.call(orig, c.This, c.Arguments...)
	}
	return sb.str(c.This)
}

func (sb *sandbox) split(orig goja.Callable, c goja.FunctionCall) goja.Value {
	sep, limit := c.Argument(0), c.Argument(1)
	if o, ok := sep.(*goja.Object); ok && defined(o.GetSymbol(goja.SymSplit)) {
		return sb.call(orig, c.This, sep, limit) // a RegExp: its (guarded) Symbol.split does the work
	}
	s := sb.this(orig, c)
	if !goja.IsUndefined(limit) {
		l := toUint32(limit.ToFloat()) // the spec's ToUint32: -1 means 2³²-1
		limit = sb.rt.ToValue(l)
		if l <= uint32(sb.cfg.MaxArrayLength) {
			return sb.call(orig, s, sep, limit)
		}
	}
	if !goja.IsUndefined(sep) {
		sep = sb.str(sep)
		parts := s.Length() + 1
		if p := sep.String(); p != "" {
			parts = strings.Count(s.String(), p) + 1
		}
		sb.checkCount(float64(parts))
	}
	return sb.call(orig, s, sep, limit)
}

// replaceString bounds String.prototype.replace and replaceAll with a string
// pattern; a RegExp pattern goes to its guarded Symbol.replace.
func (sb *sandbox) replaceString(all bool) func(goja.Callable, goja.FunctionCall) goja.Value {
	return func(orig goja.Callable, c goja.FunctionCall) goja.Value {
		pat, repl := c.Argument(0), c.Argument(1)
		if o, ok := pat.(*goja.Object); ok && defined(o.GetSymbol(goja.SymReplace)) {
			return sb.call(orig, c.This, pat, repl)
		}
		s := sb.this(orig, c)
		pat = sb.str(pat)
		matches := 1
		if all {
			if p := pat.String(); p == "" {
				matches = s.Length() + 1
			} else {
				matches = strings.Count(s.String(), p)
			}
		}
		return sb.call(orig, s, pat, sb.replacement(s, repl, matches))
	}
}

// replacement checks the size a replacement can reach: each $ pattern can
// insert up to the whole string ($&, $`, $'), so a string replacement is
// bounded by len + matches×(len(repl) + dollars×len). A function
// replacement is JavaScript, called once per match, and interruptible.
func (sb *sandbox) replacement(s goja.String, repl goja.Value, matches int) goja.Value {
	if _, ok := goja.AssertFunction(repl); ok {
		return repl
	}
	r := sb.str(repl)
	repl = r
	dollars := strings.Count(repl.String(), "$")
	n, m := float64(s.Length()), float64(matches)
	if n+m*(float64(r.Length())+float64(dollars)*n) > float64(sb.cfg.MaxStringLength) {
		sb.spend(math.MaxInt)
	}
	return repl
}

// guardRegExps: the Symbol.* methods walk the whole string natively, making
// one match, piece or copy per position, so strings past MaxArrayLength are
// refused; replace is also bounded as replaceString is, counting every
// position as a match since the flags can be accessors.
func (sb *sandbox) guardRegExps(proto *goja.Object) {
	for _, sym := range []*goja.Symbol{goja.SymMatch, goja.SymMatchAll, goja.SymSplit, goja.SymReplace, goja.SymSearch} {
		replace := sym == goja.SymReplace
		sb.replaceSymbol(proto, sym, func(orig goja.Callable, c goja.FunctionCall) goja.Value {
			args := append([]goja.Value{}, c.Arguments...)
			if len(args) == 0 {
				args = append(args, goja.Undefined())
			}
			s := sb.str(args[0])
			args[0] = s
			sb.arrayLength(s)
			if replace && len(args) > 1 {
				args[1] = sb.replacement(s, args[1], s.Length()+1)
			}
			return sb.call(orig, c.This, args...)
		})
	}
}

// raw is String.raw with a running budget.
func (sb *sandbox) raw(_ goja.Callable, c goja.FunctionCall) goja.Value {
	raw := c.Argument(0).ToObject(sb.rt).Get("raw")
	if raw == nil {
		raw = goja.Undefined()
	}
	ro := raw.ToObject(sb.rt)
	n := sb.arrayLength(ro)
	var b goja.StringBuilder
	total := 0
	for i := int64(0); i < n; i++ {
		for _, v := range []goja.Value{ro.Get(itoa(i)), sub(c.Arguments, i+1, n)} {
			if v == nil {
				continue
			}
			s := sb.str(v)
			total += s.Length()
			sb.spend(total)
			b.WriteString(s)
		}
	}
	return b.String()
}

// sub is String.raw's substitution after raw[i-1], if there is one.
func sub(args []goja.Value, i, n int64) goja.Value {
	if i >= n || i >= int64(len(args)) {
		return nil
	}
	return args[i]
}

func toUint32(f float64) uint32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return uint32(int64(math.Mod(math.Trunc(f), 1<<32)))
}
