package lambda

import (
	"errors"
	"strconv"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/token"
)

// bounded reports whether a body is proved to run only its own code, each
// statement at most once, and builtins that the guards bound: such a call
// runs on the caller's goroutine (Engine.run), since no step of it that the
// watch's interrupt cannot split does more than work linear in its input
// (or bounded by the guards). The call
// still has its watch: the deadline interrupts it and the memory limit
// stops it, as on a runtime's goroutine (docs/decisions.md, "Lambda calls").
//
// A body is bounded when it is keepable, declares no function but
// populate, populate's parameters are plain names, and populate's body holds
// only the statements and expressions that proof.statement and
// proof.expression admit. What that excludes, and why:
//
//   - loops of every kind, labels, and any function, arrow, class, getter,
//     setter or method: without them every statement runs at most once, and
//     the only JavaScript that runs is populate's own (keepable already
//     makes populate callable only by name, and calls are excluded);
//   - calls (but for console's methods: consoleMethods), new, tagged
//     templates, instanceof (which calls Symbol.hasInstance with any
//     argument), spread, destructuring and for-of (which run iterators),
//     with, this, regular-expression literals and yield/await: no builtin
//     is called with arguments the body chooses;
//   - writes to the names through which a runtime calls a value implicitly
//     (hookNames: toString, valueOf, toJSON, __proto__, ...) and writes
//     through a computed member other than a literal key: an implicit
//     conversion then calls only the frozen builtins' own methods with
//     this a body's value (Object.prototype.toString, Array.prototype.join,
//     guarded to MaxStringLength, ...), whose work is linear in that
//     value;
//   - concatenations (a chain of +, or a template literal, which goja joins
//     in one instruction) of more than maxConcatLeaves operands that are not
//     literals, operands that hold a concatenation or an assignment, and
//     operands that read a name the body writes anywhere (a variable, or a
//     property of any object): a concatenation then joins parts of the
//     input, literals, and builtins' conversions of them (a join is bounded
//     by MaxStringLength), never a string the call made by concatenating, so
//     no statement can double what an earlier one built (s = s + s, thirty
//     times, would be a gigabyte in steps the interrupt cannot split);
//     += is excluded for the same reason.
//
// So the body's work is bounded by its size times its input's, no step
// amplifies, and the longest step that the interrupt cannot split is a
// guarded builtin or one concatenation of at most maxConcatLeaves parts of
// the input. Anything the analysis cannot place answers false: such a body
// keeps the hand-off to the runtime's goroutine.
func bounded(prog *ast.Program) bool {
	if !keepable(prog) {
		return false
	}
	var populate *ast.FunctionLiteral
	for _, st := range prog.Body {
		if fd, ok := st.(*ast.FunctionDeclaration); ok {
			if populate != nil {
				return false // a helper: keepable allows it, calls are excluded anyway
			}
			populate = fd.Function
		}
	}
	params := populate.ParameterList
	if params == nil || params.Rest != nil {
		return false
	}
	pr := proof{written: map[string]bool{}}
	named := map[string]bool{}
	for _, b := range params.List {
		id, ok := b.Target.(*ast.Identifier)
		if !ok || b.Initializer != nil || hookNames[string(id.Name)] {
			return false
		}
		named[string(id.Name)] = true
	}
	if populate.Body == nil || !pr.statements(populate.Body.List) {
		return false
	}
	if pr.logs && (named["console"] || pr.written["console"]) {
		return false // console is then not the frozen global
	}
	for _, e := range pr.operands {
		if !pr.reads(e) {
			return false
		}
	}
	return true
}

// hookNames are the property names through which goja calls a value that a
// body did not call: conversions (toString, valueOf, toLocaleString), the
// claims' export (toJSON), the prototype chain (__proto__), and names
// builtins read to find a function (constructor, prototype, then). A
// bounded body may not name them at all.
var hookNames = map[string]bool{
	"toString": true, "valueOf": true, "toLocaleString": true, "toJSON": true,
	"__proto__": true, "constructor": true, "prototype": true, "then": true,
}

// proof walks populate's body. It admits only the node types listed in
// statement and expression; anything else fails the proof.
type proof struct {
	written  map[string]bool  // every name assigned or declared, and every property name written
	operands []ast.Expression // the operands of every concatenation
	logs     bool             // the body calls console's methods
}

// numericKey stands in written for every property written with a number
// literal as its key, and for every string key a number could name: jwt[1]
// and jwt["1"] are the same property, so a write through one and a read
// through the other must meet.
const numericKey = "0"

// numberLike reports whether a string key could be the name of a number
// key (ToString of a number literal: "1", "1.5", "1e+21", "Infinity"). It
// answers yes for more than that (any string ParseFloat reads, "NaN"):
// too many names taken for written only makes fewer bodies bounded.
func numberLike(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange) || s == "Infinity" || s == "NaN"
}

func (p *proof) statements(list []ast.Statement) bool {
	for _, st := range list {
		if !p.statement(st) {
			return false
		}
	}
	return true
}

func (p *proof) statement(st ast.Statement) bool {
	switch st := st.(type) {
	case *ast.EmptyStatement:
		return true
	case *ast.BlockStatement:
		return p.statements(st.List)
	case *ast.ExpressionStatement:
		return p.expression(st.Expression)
	case *ast.IfStatement:
		return p.expression(st.Test) && p.statement(st.Consequent) &&
			(st.Alternate == nil || p.statement(st.Alternate))
	case *ast.ReturnStatement:
		return st.Argument == nil || p.expression(st.Argument)
	case *ast.ThrowStatement:
		return p.expression(st.Argument)
	case *ast.VariableStatement:
		return p.bindings(st.List)
	case *ast.LexicalDeclaration:
		return p.bindings(st.List)
	case *ast.TryStatement:
		if !p.statement(st.Body) || st.Finally != nil && !p.statement(st.Finally) {
			return false
		}
		c := st.Catch
		return c == nil || (c.Parameter == nil || p.target(c.Parameter)) && p.statement(c.Body)
	case *ast.SwitchStatement:
		if !p.expression(st.Discriminant) {
			return false
		}
		for _, c := range st.Body {
			if c.Test != nil && !p.expression(c.Test) || !p.statements(c.Consequent) {
				return false
			}
		}
		return true
	case *ast.BranchStatement:
		return st.Token == token.BREAK && st.Label == nil // out of a switch; there are no loops
	default:
		return false
	}
}

func (p *proof) bindings(list []*ast.Binding) bool {
	for _, b := range list {
		if _, ok := b.Target.(*ast.Identifier); !ok || !p.target(b.Target) ||
			b.Initializer != nil && !p.expression(b.Initializer) {
			return false
		}
	}
	return true
}

// target admits what may be assigned to, and records its name as written:
// a name, a dot member or a member with a literal key, none of them a hook
// name.
func (p *proof) target(e ast.Expression) bool {
	switch e := e.(type) {
	case *ast.Identifier:
		return p.write(e)
	case *ast.DotExpression:
		return p.write(&e.Identifier) && p.expression(e.Left)
	case *ast.BracketExpression:
		return p.write(e.Member) && p.expression(e.Left)
	default:
		return false
	}
}

// write records a written name: an identifier, or a string or number
// literal used as a property key. A hook name, or anything else, fails.
func (p *proof) write(key ast.Expression) bool {
	name, ok := keyName(key)
	if ok {
		p.written[name] = true
	}
	return ok
}

// keyName is a property key's name, for an identifier or a string or
// number literal that is not a hook name; every number is numericKey.
func keyName(key ast.Expression) (string, bool) {
	var name string
	switch k := key.(type) {
	case *ast.Identifier:
		name = string(k.Name)
	case *ast.StringLiteral:
		name = string(k.Value)
	case *ast.NumberLiteral:
		return numericKey, true
	default:
		return "", false
	}
	return propName(name), !hookNames[name]
}

// propName is the name written records for a name or key: numericKey for
// one a number could name (jwt.Infinity is jwt[1e999]), else the name.
func propName(name string) string {
	if numberLike(name) {
		return numericKey
	}
	return name
}

func (p *proof) expressions(list []ast.Expression) bool {
	for _, e := range list {
		if e != nil && !p.expression(e) { // nil is an array literal's hole
			return false
		}
	}
	return true
}

func (p *proof) expression(e ast.Expression) bool {
	switch e := e.(type) {
	case *ast.Identifier:
		return !hookNames[string(e.Name)]
	case *ast.StringLiteral, *ast.NumberLiteral, *ast.BooleanLiteral, *ast.NullLiteral:
		return true
	case *ast.TemplateLiteral:
		return e.Tag == nil && p.concat(e)
	case *ast.BinaryExpression:
		if e.Operator == token.PLUS {
			return p.concat(e)
		}
		return e.Operator != token.INSTANCEOF && p.expression(e.Left) && p.expression(e.Right)
	case *ast.ArrayLiteral:
		return p.expressions(e.Value)
	case *ast.ObjectLiteral:
		for _, prop := range e.Value {
			if !p.property(prop) {
				return false
			}
		}
		return true
	case *ast.AssignExpression:
		// += (which the parser records as +) reads its target back into a
		// concatenation.
		return e.Operator != token.PLUS && e.Operator != token.ADD_ASSIGN && p.target(e.Left) && p.expression(e.Right)
	case *ast.UnaryExpression:
		if e.Operator == token.INCREMENT || e.Operator == token.DECREMENT {
			return p.target(e.Operand)
		}
		return p.expression(e.Operand)
	case *ast.ConditionalExpression:
		return p.expression(e.Test) && p.expression(e.Consequent) && p.expression(e.Alternate)
	case *ast.SequenceExpression:
		return p.expressions(e.Sequence)
	case *ast.DotExpression:
		return !hookNames[string(e.Identifier.Name)] && p.expression(e.Left)
	case *ast.BracketExpression:
		return p.expression(e.Left) && p.expression(e.Member)
	case *ast.OptionalChain:
		return p.expression(e.Expression)
	case *ast.Optional:
		return p.expression(e.Expression)
	case *ast.CallExpression:
		return p.console(e)
	default:
		return false
	}
}

// consoleMethods are the console functions (installConsole) a bounded body
// may call, as console.log(...): each converts and keeps its arguments only
// up to MaxConsoleBytes, so a call costs at most one argument's conversion,
// linear in the input. The console object and the global binding are
// frozen; a body could only shadow the name, and then it is not bounded.
var consoleMethods = map[string]bool{"log": true, "info": true, "debug": true, "error": true}

func (p *proof) console(e *ast.CallExpression) bool {
	d, ok := e.Callee.(*ast.DotExpression)
	if !ok || !consoleMethods[string(d.Identifier.Name)] {
		return false
	}
	if id, ok := d.Left.(*ast.Identifier); !ok || id.Name != "console" {
		return false
	}
	p.logs = true
	return p.expressions(e.ArgumentList)
}

// property admits a plain keyed value ({a: x, "b": y, 1: z}) and a
// shorthand ({a}), recording the key as written; not a computed key, a
// getter, setter or method, or a spread.
func (p *proof) property(prop ast.Property) bool {
	switch prop := prop.(type) {
	case *ast.PropertyKeyed:
		return prop.Kind == ast.PropertyKindValue && !prop.Computed && p.write(prop.Key) && p.expression(prop.Value)
	case *ast.PropertyShort:
		return prop.Initializer == nil && p.write(&prop.Name) && p.expression(&prop.Name)
	default:
		return false
	}
}
