package mail

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// The template language is the part of FreeMarker that FusionAuth's shipped
// email templates use (https://freemarker.apache.org/docs/ref.html; the
// templates are listed in docs/decisions.md). This file finds positions and
// reads expression tokens; ftl_parse.go builds the tree.

// maxTemplateBytes bounds one template; FusionAuth's own are under 2 KiB.
const maxTemplateBytes = 256 << 10

// maxDepth bounds nesting of expressions and directives, so a template of
// ten thousand '(' is an error, not a stack overflow.
const maxDepth = 64

// ParseError says what in a template is not supported or malformed, and where.
type ParseError struct {
	Line, Column int // 1-based; Column counts characters
	Msg          string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// source maps byte offsets to line and column.
type source struct {
	src        string
	lineStarts []int
	// strings caches string literals by offset: peek and the parser read a
	// literal more than once, and literals nest through ${...}, so without
	// it nested literals cost exponential time.
	strings map[int]lexedString
}

type lexedString struct {
	lit *strLit
	end int
	err error
}

func newSource(src string) *source {
	s := &source{src: src, lineStarts: []int{0}, strings: map[int]lexedString{}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	return s
}

// lineCol returns the 1-based line and character column of offset off.
func (s *source) lineCol(off int) (int, int) {
	off = min(max(off, 0), len(s.src))
	line := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off }) - 1
	return line + 1, utf8.RuneCountInString(s.src[s.lineStarts[line]:off]) + 1
}

func (s *source) errorf(off int, format string, args ...any) *ParseError {
	line, col := s.lineCol(off)
	return &ParseError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString // val holds nothing; the parser re-reads the literal for ${} parts
	tNumber
	tOp
)

type tok struct {
	kind tokKind
	val  string
	off  int
}

// operators in longest-first order. Only those the grammar accepts are
// parsed; the others are lexed so the error can name them.
var operators = []string{"??", "!=", "==", "&&", "||", "<=", ">=", "/]", "/>", "!", "?", "=", "+", "-", "*", "/", "%", "(", ")", "{", "}", "[", "]", ".", ",", ":", "<", ">", ";"}

// next reads the expression token at p.i, skipping white space.
func (p *parser) next() (tok, error) {
	src := p.s.src
	for p.i < len(src) && strings.IndexByte(" \t\r\n", src[p.i]) >= 0 {
		p.i++
	}
	start := p.i
	if p.i >= len(src) {
		return tok{kind: tEOF, off: start}, nil
	}
	c := src[p.i]
	switch {
	case c == '"' || c == '\'':
		_, end, err := p.stringAt(p.i)
		if err != nil {
			return tok{}, err
		}
		p.i = end
		return tok{kind: tString, val: src[start:end], off: start}, nil
	case c == 'r' && p.i+1 < len(src) && (src[p.i+1] == '"' || src[p.i+1] == '\''):
		return tok{}, p.s.errorf(start, "raw string literals (r\"...\") are not supported")
	case c >= '0' && c <= '9':
		for p.i < len(src) && (src[p.i] >= '0' && src[p.i] <= '9' || src[p.i] == '.' && p.i+1 < len(src) && src[p.i+1] >= '0' && src[p.i+1] <= '9') {
			p.i++
		}
		return tok{kind: tNumber, val: src[start:p.i], off: start}, nil
	case isIdentStart(c):
		for p.i < len(src) && isIdentPart(src[p.i]) {
			p.i++
		}
		return tok{kind: tIdent, val: src[start:p.i], off: start}, nil
	}
	for _, op := range operators {
		if strings.HasPrefix(src[p.i:], op) {
			p.i += len(op)
			return tok{kind: tOp, val: op, off: start}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(src[p.i:])
	return tok{}, p.s.errorf(start, "unexpected character %q in an expression", r)
}

// peek reads the next token without consuming it.
func (p *parser) peek() (tok, error) {
	save := p.i
	t, err := p.next()
	p.i = save
	return t, err
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// expect consumes operator op or fails naming what was found.
func (p *parser) expect(op string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tOp || t.val != op {
		return p.s.errorf(t.off, "expected %q, found %s", op, describe(t))
	}
	return nil
}

func describe(t tok) string {
	switch t.kind {
	case tEOF:
		return "the end of the template"
	case tString:
		return "a string"
	}
	return fmt.Sprintf("%q", t.val)
}
