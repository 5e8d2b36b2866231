package mail

import (
	"errors"
	"fmt"
	"strings"
)

// maxOutputBytes bounds a rendered template (a #list over a large data
// value cannot make a message of unbounded size).
const maxOutputBytes = 1 << 20

// maxRenderSteps bounds a render's work: each node run and each pass of
// a #list body is a step. Loops that print nothing are bounded by it, not
// by maxOutputBytes: four nested #lists over a 40-item value in a user's
// data are 2.6 million passes. A shipped template takes a few hundred.
const maxRenderSteps = 1_000_000

// RenderError says why a template could not be rendered against the data
// (a value it needs is missing, or has the wrong type), and where.
type RenderError struct {
	Line, Column int
	Msg          string
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// missingErr is a missing value used where one is needed. Inside (...)!default
// and (...)?? it counts as missing instead of failing, as in FreeMarker.
type missingErr struct {
	off  int
	what string
}

func (e *missingErr) Error() string { return e.what + " is missing" }

type renderer struct {
	html    bool
	out     strings.Builder
	data    map[string]any
	globals map[string]val
	loops   []map[string]val
	err     func(off int, format string, args ...any) error
	steps   int
}

func (r *renderer) nodes(ns []node) error {
	if r.steps += 1 + len(ns); r.steps > maxRenderSteps {
		return r.err(0, "rendering takes more than %d steps", maxRenderSteps)
	}
	for _, n := range ns {
		if err := r.node(n); err != nil {
			return err
		}
		if r.out.Len() > maxOutputBytes {
			return r.err(0, "rendered output exceeds %d bytes", maxOutputBytes)
		}
	}
	return nil
}

func (r *renderer) node(n node) error {
	switch n := n.(type) {
	case *textNode:
		r.out.WriteString(n.s)
	case *interpNode:
		return r.interp(n.e)
	case *assignNode:
		v, err := r.eval(n.e)
		if err != nil {
			return err
		}
		r.globals[n.name] = v
	case *ifNode:
		for i, c := range n.conds {
			ok, err := r.cond(c)
			if err != nil {
				return err
			}
			if ok {
				return r.nodes(n.bodies[i])
			}
		}
		return r.nodes(n.els)
	case *listNode:
		return r.list(n)
	}
	return nil
}

func (r *renderer) interp(e expr) error {
	v, err := r.eval(e)
	if err != nil {
		return err
	}
	if v.k == kMissing {
		what := exprString(e)
		return r.err(start(e), "%s is missing; give a default (%s!\"\") or test it first ([#if %s??])", what, what, what)
	}
	s, ok := v.text()
	if !ok {
		return r.err(start(e), "%s is %s and cannot be printed", exprString(e), kindNames[v.k])
	}
	if r.html && !v.safe {
		s = htmlEscape(s)
	}
	r.out.WriteString(s)
	return nil
}

func (r *renderer) cond(e expr) (bool, error) {
	v, err := r.eval(e)
	if err != nil {
		return false, err
	}
	if v.k != kBool {
		return false, r.err(start(e), "%s is %s, not a boolean", exprString(e), kindNames[v.k])
	}
	return v.b, nil
}

func (r *renderer) list(n *listNode) error {
	v, err := r.eval(n.seq)
	if err != nil {
		return err
	}
	scope := map[string]val{}
	r.loops = append(r.loops, scope)
	defer func() { r.loops = r.loops[:len(r.loops)-1] }()
	switch {
	case v.k == kSeq && n.val == "":
		for _, x := range v.q {
			scope[n.key] = fromData(x)
			if err := r.nodes(n.body); err != nil {
				return err
			}
		}
		if len(v.q) == 0 {
			return r.nodes(n.els)
		}
	case v.k == kHash:
		for _, k := range sortedKeys(v.h) {
			scope[n.key] = val{k: kStr, s: k}
			if n.val != "" {
				scope[n.val] = fromData(v.h[k])
			}
			if err := r.nodes(n.body); err != nil {
				return err
			}
		}
		if len(v.h) == 0 {
			return r.nodes(n.els)
		}
	case v.k == kMissing:
		return r.err(start(n.seq), "%s is missing; give a default (%s!{})", exprString(n.seq), exprString(n.seq))
	default:
		return r.err(start(n.seq), "#list needs a sequence (as x) or a hash (as key, value); %s is %s", exprString(n.seq), kindNames[v.k])
	}
	return nil
}

func (r *renderer) lookup(name string) val {
	for i := len(r.loops) - 1; i >= 0; i-- {
		if v, ok := r.loops[i][name]; ok {
			return v
		}
	}
	if v, ok := r.globals[name]; ok {
		return v
	}
	return fromData(r.data[name])
}

// lenient evaluates the operand of !, ?? and ?has_content: a parenthesised
// operand's missing parts count as missing instead of failing.
func (r *renderer) lenient(e expr) (val, error) {
	v, err := r.eval(e)
	var m *missingErr
	if _, paren := e.(*parenExpr); paren && errors.As(err, &m) {
		return val{}, nil
	}
	return v, err
}

func (r *renderer) eval(e expr) (val, error) {
	switch e := e.(type) {
	case *strLit:
		return r.str(e)
	case *numLit:
		return val{k: kNum, n: e.n}, nil
	case *boolLit:
		return val{k: kBool, b: e.b}, nil
	case *hashLit:
		return r.hash(e)
	case *varRef:
		return r.lookup(e.name), nil
	case *parenExpr:
		return r.eval(e.x)
	case *dotExpr:
		x, err := r.eval(e.x)
		if err != nil {
			return val{}, err
		}
		switch x.k {
		case kHash:
			return fromData(x.h[e.name]), nil
		case kMissing:
			return val{}, &missingErr{off: start(e.x), what: exprString(e.x)}
		}
		return val{}, r.err(e.off, "%s is %s and has no .%s", exprString(e.x), kindNames[x.k], e.name)
	case *defaultExpr:
		v, err := r.lenient(e.x)
		if err != nil || v.k != kMissing {
			return v, err
		}
		if e.def == nil {
			return val{k: kStr, safe: true}, nil
		}
		return r.eval(e.def)
	case *existsExpr:
		v, err := r.lenient(e.x)
		return val{k: kBool, b: v.k != kMissing}, err
	case *notExpr:
		b, err := r.cond(e.x)
		return val{k: kBool, b: !b}, err
	case *binExpr:
		return r.binary(e)
	case *builtinExpr:
		return r.builtin(e)
	}
	return val{}, r.err(e.offset(), "unsupported expression")
}

func (r *renderer) str(e *strLit) (val, error) {
	out := val{k: kStr, safe: true}
	var b strings.Builder
	for _, p := range e.parts {
		if p.e == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := r.printable(p.e)
		if err != nil {
			return val{}, err
		}
		b.WriteString(v.s)
		out.safe = out.safe && v.safe
	}
	out.s = b.String()
	return out, nil
}

// printable evaluates e to a string value (numbers and booleans as text).
func (r *renderer) printable(e expr) (val, error) {
	v, err := r.eval(e)
	if err != nil {
		return val{}, err
	}
	if v.k == kMissing {
		return val{}, &missingErr{off: start(e), what: exprString(e)}
	}
	s, ok := v.text()
	if !ok {
		return val{}, r.err(start(e), "%s is %s, not a string", exprString(e), kindNames[v.k])
	}
	return val{k: kStr, s: s, safe: v.safe || v.k != kStr}, nil
}
