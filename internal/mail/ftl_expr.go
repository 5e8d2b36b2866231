package mail

import (
	"strconv"
)

// Expression nodes. off is the byte offset for error positions.
type (
	expr interface{ offset() int }

	strLit struct {
		off   int
		parts []strPart // literal text and ${...} parts, in order
	}
	strPart struct {
		text string
		e    expr // nil for literal text
	}
	numLit struct {
		off int
		n   float64
	}
	boolLit struct {
		off int
		b   bool
	}
	hashLit struct {
		off        int
		keys, vals []expr
	}
	varRef struct {
		off  int
		name string
	}
	dotExpr struct {
		off  int
		x    expr
		name string
	}
	parenExpr struct {
		off int
		x   expr
	}
	// defaultExpr is x!def; def is nil for "x!" (an empty string).
	defaultExpr struct {
		off    int
		x, def expr
	}
	existsExpr struct {
		off int
		x   expr
	} // x??
	notExpr struct {
		off int
		x   expr
	}
	binExpr struct {
		off  int
		op   string
		l, r expr
	}
	builtinExpr struct {
		off  int
		x    expr
		name string
		args []expr
	}
)

func (e *strLit) offset() int      { return e.off }
func (e *numLit) offset() int      { return e.off }
func (e *boolLit) offset() int     { return e.off }
func (e *hashLit) offset() int     { return e.off }
func (e *varRef) offset() int      { return e.off }
func (e *dotExpr) offset() int     { return e.off }
func (e *parenExpr) offset() int   { return e.off }
func (e *defaultExpr) offset() int { return e.off }
func (e *existsExpr) offset() int  { return e.off }
func (e *notExpr) offset() int     { return e.off }
func (e *binExpr) offset() int     { return e.off }
func (e *builtinExpr) offset() int { return e.off }

// builtins lists the supported ?name built-ins and their argument counts:
// exactly those FusionAuth's shipped templates use.
var builtins = map[string]int{"url": 0, "html": 0, "has_content": 0, "then": 2}

const supportedBuiltins = "?url, ?html, ?has_content, ?then"

// expr parses: or := and ('||' and)*
func (p *parser) expr() (expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.s.errorf(p.i, "expressions nested too deeply")
	}
	return p.binary(0)
}

// binaryLevels from loosest to tightest.
var binaryLevels = [][]string{{"||"}, {"&&"}, {"==", "!="}, {"+"}}

func (p *parser) binary(level int) (expr, error) {
	if level == len(binaryLevels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tOp || !contains(binaryLevels[level], t.val) {
			if t.kind == tOp && unsupportedOp(t.val) {
				return nil, p.s.errorf(t.off, "operator %q is not supported (supported: ==, !=, &&, ||, !, +, ??, !default)", t.val)
			}
			return l, nil
		}
		p.next()
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binExpr{off: t.off, op: t.val, l: l, r: r}
		if level == 2 { // comparisons do not chain
			return l, nil
		}
	}
}

// unsupportedOp names operators FreeMarker has and this subset refuses
// (comparison and arithmetic beyond string '+').
func unsupportedOp(op string) bool {
	return contains([]string{"<=", ">=", "-", "*", "%", "=", ";", "[", "<"}, op) || op == "/"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unary := '!' unary | postfix
func (p *parser) unary() (expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tOp && t.val == "!" {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.s.errorf(t.off, "expressions nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{off: t.off, x: x}, nil
	}
	return p.postfix()
}

// postfix := primary ('.' ident | '?' builtin | '??' | '!' [primary])*
func (p *parser) postfix() (expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil || t.kind != tOp {
			return x, err
		}
		switch t.val {
		case ".":
			p.next()
			id, err := p.next()
			if err != nil {
				return nil, err
			}
			if id.kind != tIdent {
				return nil, p.s.errorf(id.off, "expected a name after '.', found %s", describe(id))
			}
			x = &dotExpr{off: t.off, x: x, name: id.val}
		case "??":
			p.next()
			x = &existsExpr{off: t.off, x: x}
		case "?":
			p.next()
			if x, err = p.builtin(t.off, x); err != nil {
				return nil, err
			}
		case "!":
			p.next()
			if x, err = p.defaultOf(t.off, x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

// defaultOf parses the optional default after "x!". A default is present
// when the next token can start an operand; "x!" alone defaults to "".
func (p *parser) defaultOf(off int, x expr) (expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	starts := t.kind == tString || t.kind == tNumber || t.kind == tIdent && t.val != "as" ||
		t.kind == tOp && (t.val == "(" || t.val == "{")
	if !starts {
		return &defaultExpr{off: off, x: x}, nil
	}
	def, err := p.postfix()
	if err != nil {
		return nil, err
	}
	return &defaultExpr{off: off, x: x, def: def}, nil
}

func (p *parser) builtin(off int, x expr) (expr, error) {
	id, err := p.next()
	if err != nil {
		return nil, err
	}
	if id.kind != tIdent {
		return nil, p.s.errorf(id.off, "expected a built-in name after '?', found %s", describe(id))
	}
	want, ok := builtins[id.val]
	if !ok {
		return nil, p.s.errorf(id.off, "built-in ?%s is not supported (supported: %s)", id.val, supportedBuiltins)
	}
	b := &builtinExpr{off: id.off, x: x, name: id.val}
	if want == 0 {
		return b, nil
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for i := range want {
		if i > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		b.args = append(b.args, a)
	}
	return b, p.expect(")")
}

// primary := string | number | true | false | ident | '(' expr ')' | '{' hash '}'
func (p *parser) primary() (expr, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tString:
		lit, _, err := p.stringAt(t.off)
		return lit, err
	case tNumber:
		n, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, p.s.errorf(t.off, "malformed number %q", t.val)
		}
		return &numLit{off: t.off, n: n}, nil
	case tIdent:
		switch t.val {
		case "true", "false":
			return &boolLit{off: t.off, b: t.val == "true"}, nil
		}
		return &varRef{off: t.off, name: t.val}, nil
	case tOp:
		switch t.val {
		case "(":
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return &parenExpr{off: t.off, x: x}, p.expect(")")
		case "{":
			return p.hash(t.off)
		case "[":
			return nil, p.s.errorf(t.off, "sequence literals and [index] access are not supported")
		}
	}
	return nil, p.s.errorf(t.off, "expected a value, found %s", describe(t))
}
