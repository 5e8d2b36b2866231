package mail

import "strings"

// hash := '{' [expr ':' expr (',' expr ':' expr)*] '}'
func (p *parser) hash(off int) (expr, error) {
	h := &hashLit{off: off}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tOp && t.val == "}" {
			p.next()
			return h, nil
		}
		if len(h.keys) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		h.keys, h.vals = append(h.keys, k), append(h.vals, v)
	}
}

// stringAt decodes the literal at off (FreeMarker escapes) into text and
// ${...} parts, and returns the offset just past it. Results are cached.
func (p *parser) stringAt(off int) (*strLit, int, error) {
	if c, ok := p.s.strings[off]; ok {
		return c.lit, c.end, c.err
	}
	lit, end, err := p.decodeString(off)
	p.s.strings[off] = lexedString{lit, end, err}
	return lit, end, err
}

func (p *parser) decodeString(off int) (*strLit, int, error) {
	src, q := p.s.src, p.s.src[off]
	lit := &strLit{off: off}
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			lit.parts = append(lit.parts, strPart{text: b.String()})
			b.Reset()
		}
	}
	for i := off + 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == q:
			flush()
			return lit, i + 1, nil
		case c == '\\':
			i++
			if i == len(src) {
				break
			}
			r, ok := stringEscapes[src[i]]
			if !ok {
				return nil, 0, p.s.errorf(i-1, "unsupported escape \\%c in a string literal", src[i])
			}
			b.WriteByte(r)
		case c == '$' && i+1 < len(src) && src[i+1] == '{':
			flush()
			sub := &parser{s: p.s, i: i + 2, depth: p.depth + 1}
			if sub.depth > maxDepth {
				return nil, 0, p.s.errorf(i, "expressions nested too deeply")
			}
			e, err := sub.expr()
			if err != nil {
				return nil, 0, err
			}
			if err := sub.expect("}"); err != nil {
				return nil, 0, err
			}
			lit.parts = append(lit.parts, strPart{e: e})
			i = sub.i - 1
		default:
			b.WriteByte(c)
		}
	}
	return nil, 0, p.s.errorf(off, "string literal is not closed")
}

// stringEscapes are FreeMarker's one-character escapes
// (https://freemarker.apache.org/docs/dgui_template_exp.html#dgui_template_exp_direct_string).
var stringEscapes = map[byte]byte{
	'"': '"', '\'': '\'', '\\': '\\', 'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f',
	'l': '<', 'g': '>', 'a': '&', '{': '{', '$': '$',
}
