package mail

func (r *renderer) binary(e *binExpr) (val, error) {
	switch e.op {
	case "&&", "||":
		l, err := r.cond(e.l)
		if err != nil {
			return val{}, err
		}
		if l == (e.op == "||") { // short-circuit as FreeMarker does
			return val{k: kBool, b: l}, nil
		}
		rb, err := r.cond(e.r)
		return val{k: kBool, b: rb}, err
	case "==", "!=":
		l, err := r.eval(e.l)
		if err != nil {
			return val{}, err
		}
		rv, err := r.eval(e.r)
		if err != nil {
			return val{}, err
		}
		for _, side := range []struct {
			v val
			x expr
		}{{l, e.l}, {rv, e.r}} {
			if side.v.k == kMissing {
				return val{}, &missingErr{off: start(side.x), what: exprString(side.x)}
			}
		}
		eq, ok := equal(l, rv)
		if !ok {
			return val{}, r.err(e.off, "cannot compare %s with %s", kindNames[l.k], kindNames[rv.k])
		}
		return val{k: kBool, b: eq == (e.op == "==")}, nil
	}
	// "+": numbers add, anything printable concatenates (FreeMarker's rule).
	l, err := r.eval(e.l)
	if err != nil {
		return val{}, err
	}
	rv, err := r.eval(e.r)
	if err != nil {
		return val{}, err
	}
	if l.k == kNum && rv.k == kNum {
		return val{k: kNum, n: l.n + rv.n}, nil
	}
	ls, err := r.printable(e.l)
	if err != nil {
		return val{}, err
	}
	rs, err := r.printable(e.r)
	if err != nil {
		return val{}, err
	}
	return val{k: kStr, s: ls.s + rs.s, safe: ls.safe && rs.safe}, nil
}

func (r *renderer) builtin(e *builtinExpr) (val, error) {
	if e.name == "has_content" {
		v, err := r.lenient(e.x)
		return val{k: kBool, b: v.hasContent()}, err
	}
	if e.name == "then" {
		b, err := r.cond(e.x)
		if err != nil {
			return val{}, err
		}
		if b {
			return r.eval(e.args[0])
		}
		return r.eval(e.args[1])
	}
	v, err := r.printable(e.x)
	if err != nil {
		return val{}, err
	}
	if e.name == "url" {
		return val{k: kStr, s: urlEscape(v.s), safe: v.safe}, nil
	}
	// ?html: escaped once; an HTML template does not escape it again.
	return val{k: kStr, s: htmlEscape(v.s), safe: true}, nil
}

func (r *renderer) hash(e *hashLit) (val, error) {
	h := make(map[string]any, len(e.keys))
	for i := range e.keys {
		k, err := r.printable(e.keys[i])
		if err != nil {
			return val{}, err
		}
		v, err := r.eval(e.vals[i])
		if err != nil {
			return val{}, err
		}
		h[k.s] = toData(v)
	}
	return val{k: kHash, h: h}, nil
}

// toData is the inverse of fromData (a literal's safety is not kept: a
// value read back out of a hash is treated as data).
func toData(v val) any {
	switch v.k {
	case kStr:
		return v.s
	case kNum:
		return v.n
	case kBool:
		return v.b
	case kHash:
		return v.h
	case kSeq:
		return v.q
	}
	return nil
}

// exprString is the source form of a variable path, for error messages.
func exprString(e expr) string {
	switch e := e.(type) {
	case *varRef:
		return e.name
	case *dotExpr:
		return exprString(e.x) + "." + e.name
	case *parenExpr:
		return "(" + exprString(e.x) + ")"
	case *builtinExpr:
		return exprString(e.x) + "?" + e.name
	case *defaultExpr:
		return exprString(e.x) + "!"
	case *strLit:
		return "a string literal"
	}
	return "the expression"
}

// start is the offset where expression e begins, for messages about all of it.
func start(e expr) int {
	switch e := e.(type) {
	case *dotExpr:
		return start(e.x)
	case *builtinExpr:
		return start(e.x)
	case *defaultExpr:
		return start(e.x)
	case *existsExpr:
		return start(e.x)
	case *binExpr:
		return start(e.l)
	}
	return e.offset()
}
