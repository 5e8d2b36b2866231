package lambda

import (
	"context"
	"log/slog"
	"math"
	"math/big"
	"strings"

	"github.com/dop251/goja"
)

// maxClaimDepth bounds how deeply a claim's value may nest.
const maxClaimDepth = 32

// export reads the claims back from the jwt object after populate: its own
// enumerable string keys, in order. A claim set to null or undefined is
// removed (FusionAuth serializes claims without nulls). A claim whose value
// cannot be encoded as JSON — a function, symbol, BigInt, NaN or ±Infinity
// anywhere in it, a cycle, or nesting past maxClaimDepth — is dropped whole,
// with the reason, rather than half-kept. Inside a claim, undefined members
// are left out and undefined array elements become null, as JSON.stringify
// does, and toJSON is applied once, so a Date becomes its ISO string.
// Getters run here, so this runs inside the call's limits, as a native
// function, where goja turns their exceptions and interrupts into errors.
func (sb *sandbox) export(jwt goja.Value) (claims map[string]any, dropped []string, err error) {
	// The keys are listed by goja's Object.keys (an array of the names),
	// which allocates half what Object.Keys does; listing an ordinary
	// object runs no JavaScript.
	keys, err := sb.objectKeys(goja.Undefined(), jwt)
	if err != nil {
		return nil, nil, err
	}
	ex := &exporter{sb: sb, left: sb.cfg.MaxClaimsBytes, jwt: jwt, keys: keys.ToObject(sb.rt)}
	sb.exporting = ex
	defer func() { sb.exporting = nil }()
	if _, err = sb.exportFn(goja.Undefined()); err != nil {
		return nil, nil, err
	}
	if ex.left < 0 {
		return nil, nil, errTooLarge
	}
	return ex.claims, ex.dropped, nil
}

// exportClaims is export's native function, made once per sandbox (a
// function object per call costs more than the rest of export); it reads
// sb.exporting, set by export for the length of the call.
func (sb *sandbox) exportClaims(goja.FunctionCall) goja.Value {
	ex := sb.exporting
	if ex == nil {
		return goja.Undefined()
	}
	obj := ex.jwt.ToObject(sb.rt)
	n := ex.keys.Get("length").ToInteger()
	ex.claims = make(map[string]any, n)
	for i := range n {
		k := ex.keys.Get(itoa(i)).String()
		v := obj.Get(k)
		if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
			continue
		}
		ex.left -= len(k) + 4
		g, why := ex.value(v, 0)
		if ex.left < 0 {
			return goja.Undefined()
		}
		if why != "" {
			ex.dropped = append(ex.dropped, k+" ("+why+")")
			continue
		}
		ex.claims[k] = g
	}
	return goja.Undefined()
}

type exporter struct {
	sb      *sandbox
	left    int
	path    []*goja.Object
	jwt     goja.Value
	keys    *goja.Object // Object.keys(jwt), listed before the claims are read
	claims  map[string]any
	dropped []string
}

// value converts one JavaScript value; why is set when it cannot be encoded.
// toJSON is applied once, as JSON.stringify does.
func (ex *exporter) value(v goja.Value, depth int) (g any, why string) {
	if o, ok := v.(*goja.Object); ok {
		if toJSON, ok := goja.AssertFunction(o.Get("toJSON")); ok {
			v = ex.sb.call(toJSON, o)
		}
	}
	return ex.convert(v, depth)
}

func (ex *exporter) convert(v goja.Value, depth int) (g any, why string) {
	ex.sb.checkStop()
	if ex.left -= 8; ex.left < 0 {
		return nil, ""
	}
	switch x := v.(type) {
	case nil:
		return nil, ""
	case goja.String:
		ex.left -= x.Length()
		return x.String(), ""
	case *goja.Symbol:
		return nil, "a symbol"
	case *goja.Object:
		return ex.object(x, depth)
	}
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, ""
	}
	switch p := v.Export().(type) {
	case float64:
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return nil, "not a finite number"
		}
		return p, ""
	case *big.Int:
		return nil, "a BigInt"
	default:
		return p, "" // bool, int64
	}
}

func (ex *exporter) object(o *goja.Object, depth int) (any, string) {
	sb := ex.sb
	if _, ok := goja.AssertFunction(o); ok {
		return nil, "a function"
	}
	switch o.ClassName() {
	case "String", "Number", "Boolean", "BigInt":
		return ex.convert(sb.rt.ToValue(o.Export()), depth)
	}
	for _, p := range ex.path {
		if p == o {
			return nil, "a cycle"
		}
	}
	if depth >= maxClaimDepth {
		return nil, "nested too deep"
	}
	ex.path = append(ex.path, o)
	defer func() { ex.path = ex.path[:len(ex.path)-1] }()
	if o.ClassName() == "Array" {
		n := sb.arrayLength(o)
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			g, why := ex.value(o.Get(itoa(i)), depth+1)
			if why != "" || ex.left < 0 {
				return nil, why
			}
			out = append(out, g)
		}
		return out, ""
	}
	out := map[string]any{}
	for _, k := range o.Keys() {
		el := o.Get(k)
		if el == nil || goja.IsUndefined(el) {
			continue
		}
		ex.left -= len(k) + 4
		g, why := ex.value(el, depth+1)
		if why != "" || ex.left < 0 {
			return nil, why
		}
		out[k] = g
	}
	return out, ""
}

// logConsole writes a call's console output: one record per level and call,
// as FusionAuth writes at most one Event Log entry per type and invocation.
func (e *Engine) logConsole(ctx context.Context, l Lambda, entries []entry) {
	levels := []struct {
		name  string
		level slog.Level
	}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"error", slog.LevelError}}
	for _, lv := range levels {
		var lines []string
		for _, en := range entries {
			if en.level == lv.name {
				lines = append(lines, en.text)
			}
		}
		if len(lines) > 0 {
			e.cfg.Logger.Log(ctx, lv.level, "lambda console output", "lambdaId", l.ID, "lambdaName", l.Name,
				"output", strings.Join(lines, "\n"))
		}
	}
}
