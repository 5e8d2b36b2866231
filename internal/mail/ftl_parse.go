package mail

import (
	"strings"
)

// parser reads one template. syntax is '[' or '<' once the first FTL tag
// has decided it, as FreeMarker's auto-detection does
// (https://freemarker.apache.org/docs/dgui_misc_alternativesyntax.html).
type parser struct {
	s      *source
	i      int
	depth  int
	syntax byte
	items  []item
}

type itemKind int

const (
	iText itemKind = iota
	iInterp
	iComment
	iOpen  // [#name ...]
	iClose // [/#name]
)

// item is one piece of the template in source order, before nesting.
type item struct {
	kind     itemKind
	off, end int // byte span in the source
	text     string
	e        expr
	name     string // directive name
	args     *directiveArgs
}

type directiveArgs struct {
	e        expr   // if, elseif, list, assign, setting
	key, val string // list loop variables; assign/setting name in key
}

// scan splits the template into items.
func (p *parser) scan() error {
	src := p.s.src
	for p.i < len(src) {
		next, kind := p.nextMarker()
		if next > p.i {
			p.items = append(p.items, item{kind: iText, off: p.i, end: next, text: src[p.i:next]})
		}
		if next == len(src) {
			return nil
		}
		p.i = next
		var err error
		switch kind {
		case "${":
			err = p.scanInterp()
		case "#--":
			err = p.scanComment()
		case "#":
			err = p.scanDirective()
		case "/#":
			err = p.scanClose()
		case "@", "/@":
			err = p.s.errorf(p.i, "macro calls (%c@...) are not supported", src[p.i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextMarker finds the next "${" or FTL tag start at or after p.i and
// returns its offset and kind, or len(src). A tag of the other syntax than
// the one already in use is an error, not silent text: it would reach the
// reader as "<#if ...>".
func (p *parser) nextMarker() (int, string) {
	src := p.s.src
	for i := p.i; i < len(src); i++ {
		c := src[i]
		if c == '$' && i+1 < len(src) && src[i+1] == '{' {
			return i, "${"
		}
		if c != '[' && c != '<' {
			continue
		}
		rest := src[i+1:]
		kind := ""
		switch {
		case strings.HasPrefix(rest, "#--"):
			kind = "#--"
		case strings.HasPrefix(rest, "#") && len(rest) > 1 && isIdentStart(rest[1]):
			kind = "#"
		case strings.HasPrefix(rest, "/#"):
			kind = "/#"
		case strings.HasPrefix(rest, "@") && len(rest) > 1 && isIdentStart(rest[1]):
			kind = "@"
		case strings.HasPrefix(rest, "/@"):
			kind = "/@"
		}
		if kind == "" {
			continue
		}
		if p.syntax == 0 {
			p.syntax = c
		}
		return i, kind
	}
	return len(src), ""
}

// checkSyntax refuses a tag of the other syntax.
func (p *parser) checkSyntax(off int) error {
	if p.s.src[off] != p.syntax {
		first := "[#...]"
		if p.syntax == '<' {
			first = "<#...>"
		}
		return p.s.errorf(off, "this template uses %s tags; a tag of the other syntax here would be sent as text", first)
	}
	return nil
}

// closer is the end of a tag: "]" or ">".
func (p *parser) closer() string { return map[byte]string{'[': "]", '<': ">"}[p.syntax] }

func (p *parser) scanInterp() error {
	start := p.i
	p.i += 2
	e, err := p.expr()
	if err != nil {
		return err
	}
	if err := p.expect("}"); err != nil {
		return err
	}
	p.items = append(p.items, item{kind: iInterp, off: start, end: p.i, e: e})
	return nil
}

func (p *parser) scanComment() error {
	if err := p.checkSyntax(p.i); err != nil {
		return err
	}
	start := p.i
	end := "--" + p.closer()
	n := strings.Index(p.s.src[p.i+4:], end)
	if n < 0 {
		return p.s.errorf(start, "comment is not closed with %q", end)
	}
	p.i += 4 + n + len(end)
	p.items = append(p.items, item{kind: iComment, off: start, end: p.i})
	return nil
}

func (p *parser) scanClose() error {
	if err := p.checkSyntax(p.i); err != nil {
		return err
	}
	start := p.i
	p.i += 3
	id, err := p.next()
	if err != nil {
		return err
	}
	if id.kind != tIdent {
		return p.s.errorf(id.off, "expected a directive name after %c/#", p.syntax)
	}
	if err := p.expect(p.closer()); err != nil {
		return err
	}
	p.items = append(p.items, item{kind: iClose, off: start, end: p.i, name: id.val})
	return nil
}

// scanDirective reads [#name args] or [#name args /].
func (p *parser) scanDirective() error {
	if err := p.checkSyntax(p.i); err != nil {
		return err
	}
	start := p.i
	p.i += 2
	id, _ := p.next() // nextMarker saw an identifier start
	args, err := p.directiveArgs(id)
	if err != nil {
		return err
	}
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tOp || t.val != p.closer() && t.val != map[byte]string{'[': "/]", '<': "/>"}[p.syntax] {
		return p.s.errorf(t.off, "expected %q to end [#%s], found %s", p.closer(), id.val, describe(t))
	}
	p.items = append(p.items, item{kind: iOpen, off: start, end: p.i, name: id.val, args: args})
	return nil
}

// directiveArgs parses what follows a directive name.
func (p *parser) directiveArgs(id tok) (*directiveArgs, error) {
	a := &directiveArgs{}
	var err error
	switch id.val {
	case "if", "elseif":
		a.e, err = p.expr()
	case "else":
	case "list":
		return p.listArgs()
	case "assign":
		a.key, a.e, err = p.assignment("assign")
	case "setting":
		a.key, a.e, err = p.assignment("setting")
		if err == nil {
			err = p.checkSetting(id.off, a)
		}
	default:
		return nil, p.s.errorf(id.off, "directive #%s is not supported (supported: #if, #elseif, #else, #list, #assign, #setting url_escaping_charset, comments)", id.val)
	}
	return a, err
}

// listArgs parses "seq as item" or "hash as key, value".
func (p *parser) listArgs() (*directiveArgs, error) {
	a := &directiveArgs{}
	var err error
	if a.e, err = p.expr(); err != nil {
		return nil, err
	}
	as, err := p.next()
	if err != nil {
		return nil, err
	}
	if as.kind != tIdent || as.val != "as" {
		return nil, p.s.errorf(as.off, "expected \"as\" in #list, found %s", describe(as))
	}
	name, err := p.ident("a loop variable")
	if err != nil {
		return nil, err
	}
	a.key = name
	if t, _ := p.peek(); t.kind == tOp && t.val == "," {
		p.next()
		if a.val, err = p.ident("a value variable"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (p *parser) ident(what string) (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.kind != tIdent {
		return "", p.s.errorf(t.off, "expected %s, found %s", what, describe(t))
	}
	return t.val, nil
}

// assignment parses "name = expr" (one assignment per directive).
func (p *parser) assignment(directive string) (string, expr, error) {
	name, err := p.ident("a variable name after #" + directive)
	if err != nil {
		return "", nil, err
	}
	if err := p.expect("="); err != nil {
		return "", nil, err
	}
	e, err := p.expr()
	if err != nil {
		return "", nil, err
	}
	if t, _ := p.peek(); t.kind == tIdent {
		return "", nil, p.s.errorf(t.off, "one assignment per #%s is supported", directive)
	}
	return name, e, nil
}

// checkSetting accepts only url_escaping_charset="UTF-8", the one setting
// FusionAuth's templates use; URL escaping is always UTF-8 here.
func (p *parser) checkSetting(off int, a *directiveArgs) error {
	lit, ok := a.e.(*strLit)
	if a.key != "url_escaping_charset" || !ok || len(lit.parts) != 1 || lit.parts[0].e != nil ||
		!strings.EqualFold(lit.parts[0].text, "UTF-8") {
		return p.s.errorf(off, "only #setting url_escaping_charset=\"UTF-8\" is supported")
	}
	return nil
}
