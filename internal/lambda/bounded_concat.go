package lambda

import (
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// maxConcatLeaves bounds the operands of one concatenation (a chain of +,
// or a template literal) that are not literals.
const maxConcatLeaves = 4

// concat admits a chain of + or a template literal whose operands are at
// most maxConcatLeaves non-literals, each free of concatenations and
// assignments; the operands are checked against the written names once the
// whole body has been walked (reads).
func (p *proof) concat(e ast.Expression) bool {
	var leaves []ast.Expression
	var flatten func(e ast.Expression) bool
	flatten = func(e ast.Expression) bool {
		switch e := e.(type) {
		case *ast.BinaryExpression:
			if e.Operator == token.PLUS {
				return flatten(e.Left) && flatten(e.Right)
			}
		case *ast.TemplateLiteral:
			if e.Tag != nil {
				return false
			}
			for _, x := range e.Expressions {
				if !flatten(x) {
					return false
				}
			}
			return true
		case *ast.StringLiteral, *ast.NumberLiteral, *ast.BooleanLiteral, *ast.NullLiteral:
			return true
		}
		leaves = append(leaves, e)
		return len(leaves) <= maxConcatLeaves && p.expression(e)
	}
	if !flatten(e) {
		return false
	}
	p.operands = append(p.operands, leaves...)
	return true
}

// reads reports whether an operand of a concatenation reads nothing the
// body writes, and makes no string of its own: it holds no concatenation,
// no assignment and no member with a computed key. Its value is then part
// of the input, a literal, a builtin, or a builtin's conversion of one of
// them (a join, bounded by MaxStringLength), never a string the call made
// by concatenating.
func (p *proof) reads(e ast.Expression) bool {
	switch e := e.(type) {
	case nil:
		return true
	case *ast.Identifier:
		return !p.written[propName(string(e.Name))]
	case *ast.StringLiteral, *ast.NumberLiteral, *ast.BooleanLiteral, *ast.NullLiteral:
		return true
	case *ast.DotExpression:
		return !p.written[propName(string(e.Identifier.Name))] && p.reads(e.Left)
	case *ast.BracketExpression:
		name, ok := keyName(e.Member)
		return ok && !p.written[name] && p.reads(e.Left)
	case *ast.BinaryExpression:
		return e.Operator != token.PLUS && p.reads(e.Left) && p.reads(e.Right)
	case *ast.UnaryExpression:
		return e.Operator != token.INCREMENT && e.Operator != token.DECREMENT && p.reads(e.Operand)
	case *ast.ConditionalExpression:
		return p.reads(e.Test) && p.reads(e.Consequent) && p.reads(e.Alternate)
	case *ast.ArrayLiteral:
		for _, v := range e.Value {
			if !p.reads(v) {
				return false
			}
		}
		return true
	case *ast.OptionalChain:
		return p.reads(e.Expression)
	case *ast.Optional:
		return p.reads(e.Expression)
	default:
		return false
	}
}
