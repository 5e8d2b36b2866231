package mail

import (
	"strconv"
	"strings"
)

// Template nodes after nesting.
type (
	node interface{}

	textNode   struct{ s string }
	interpNode struct{ e expr }
	ifNode     struct {
		conds  []expr   // if and elseif conditions
		bodies [][]node // one per condition
		els    []node
	}
	listNode struct {
		off      int
		seq      expr
		key, val string
		body     []node
		els      []node
	}
	assignNode struct {
		name string
		e    expr
	}
)

// stripTagLines applies FreeMarker's white-space stripping
// (https://freemarker.apache.org/docs/dgui_misc_whitespace.html): on a line
// that holds only FTL tags, comments and white space, the white space and
// the line break are dropped, so a directive on its own line leaves no blank
// line in a text email.
func (p *parser) stripTagLines() {
	lines := len(p.s.lineStarts)
	hasTag, hasContent := make([]bool, lines+1), make([]bool, lines+1)
	for _, it := range p.items {
		first, _ := p.s.lineCol(it.off)
		last, _ := p.s.lineCol(max(it.end-1, it.off))
		switch it.kind {
		case iText:
			for i := 0; i < len(it.text); i++ {
				if strings.IndexByte(" \t\r\n", it.text[i]) < 0 {
					l, _ := p.s.lineCol(it.off + i)
					hasContent[l] = true
				}
			}
		case iInterp:
			for l := first; l <= last; l++ {
				hasContent[l] = true
			}
		default:
			for l := first; l <= last; l++ {
				hasTag[l] = true
			}
		}
	}
	for k, it := range p.items {
		if it.kind != iText {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(it.text); i++ {
			l, _ := p.s.lineCol(it.off + i)
			if hasTag[l] && !hasContent[l] && strings.IndexByte(" \t\r\n", it.text[i]) >= 0 {
				continue
			}
			b.WriteByte(it.text[i])
		}
		p.items[k].text = b.String()
	}
}

// build nests the items into a tree, checking that every #if and #list is
// closed and every #elseif, #else and close tag has its opener.
func (p *parser) build() ([]node, error) {
	nodes, stop, err := p.buildUntil(0)
	if err != nil {
		return nil, err
	}
	if stop < len(p.items) {
		it := p.items[stop]
		return nil, p.s.errorf(it.off, "%s without a matching opening directive", tagName(it))
	}
	return nodes, nil
}

func tagName(it item) string {
	if it.kind == iClose {
		return "[/#" + it.name + "]"
	}
	return "#" + it.name
}

// buildUntil collects nodes from item k until an item that belongs to an
// enclosing directive (#elseif, #else, a close tag) and returns its index.
func (p *parser) buildUntil(k int) ([]node, int, error) {
	var out []node
	for k < len(p.items) {
		it := p.items[k]
		switch {
		case it.kind == iText:
			if it.text != "" {
				out = append(out, &textNode{s: it.text})
			}
		case it.kind == iInterp:
			out = append(out, &interpNode{e: it.e})
		case it.kind == iComment:
		case it.kind == iClose, it.name == "elseif", it.name == "else":
			return out, k, nil
		case it.name == "if":
			n, next, err := p.buildIf(k)
			if err != nil {
				return nil, 0, err
			}
			out, k = append(out, n), next
			continue
		case it.name == "list":
			n, next, err := p.buildList(k)
			if err != nil {
				return nil, 0, err
			}
			out, k = append(out, n), next
			continue
		case it.name == "assign":
			out = append(out, &assignNode{name: it.args.key, e: it.args.e})
		}
		k++
	}
	return out, k, nil
}

func (p *parser) buildIf(k int) (node, int, error) {
	open := p.items[k]
	n := &ifNode{conds: []expr{open.args.e}}
	body, k, err := p.buildUntil(k + 1)
	if err != nil {
		return nil, 0, err
	}
	n.bodies = append(n.bodies, body)
	for k < len(p.items) {
		it := p.items[k]
		switch {
		case it.kind == iClose && it.name == "if":
			return n, k + 1, nil
		case it.kind == iOpen && it.name == "elseif" && n.els == nil:
			body, k, err = p.buildUntil(k + 1)
			n.conds, n.bodies = append(n.conds, it.args.e), append(n.bodies, body)
		case it.kind == iOpen && it.name == "else" && n.els == nil:
			n.els, k, err = p.buildUntil(k + 1)
			if n.els == nil {
				n.els = []node{}
			}
		default:
			return nil, 0, p.s.errorf(it.off, "%s inside #if (opened at %s); expected [/#if]", tagName(it), p.where(open.off))
		}
		if err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, p.s.errorf(open.off, "#if is not closed")
}

func (p *parser) buildList(k int) (node, int, error) {
	open := p.items[k]
	n := &listNode{off: open.off, seq: open.args.e, key: open.args.key, val: open.args.val}
	var err error
	n.body, k, err = p.buildUntil(k + 1)
	if err != nil {
		return nil, 0, err
	}
	if k < len(p.items) && p.items[k].kind == iOpen && p.items[k].name == "else" {
		if n.els, k, err = p.buildUntil(k + 1); err != nil {
			return nil, 0, err
		}
	}
	if k < len(p.items) && p.items[k].kind == iClose && p.items[k].name == "list" {
		return n, k + 1, nil
	}
	if k < len(p.items) {
		it := p.items[k]
		return nil, 0, p.s.errorf(it.off, "%s inside #list (opened at %s); expected [/#list]", tagName(it), p.where(open.off))
	}
	return nil, 0, p.s.errorf(open.off, "#list is not closed")
}

func (p *parser) where(off int) string {
	e := p.s.errorf(off, "")
	return "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
}
