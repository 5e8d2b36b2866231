package mail

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Format says how interpolated values are written: as they are (Text: text
// bodies, subjects, from names) or HTML-escaped (HTML bodies).
type Format int

const (
	Text Format = iota
	HTML
)

// Template is a parsed template, safe for concurrent Render calls. Parse it
// once, when the template is saved, so an unsupported construct is refused
// then and not when a user is waiting for their email.
type Template struct {
	src    *source
	format Format
	nodes  []node
}

// Parse parses src in the FreeMarker subset FusionAuth's shipped email
// templates use; anything else is a *ParseError naming it and its line and
// column.
func Parse(src string, format Format) (*Template, error) {
	if len(src) > maxTemplateBytes {
		return nil, &ParseError{Line: 1, Column: 1, Msg: fmt.Sprintf("template is larger than %d bytes", maxTemplateBytes)}
	}
	p := &parser{s: newSource(src)}
	if err := p.scan(); err != nil {
		return nil, err
	}
	p.stripTagLines()
	nodes, err := p.build()
	if err != nil {
		return nil, err
	}
	return &Template{src: p.s, format: format, nodes: nodes}, nil
}

// Render renders the template against data (see Data). Values are text: in
// an HTML template every value is HTML-escaped, and no value is ever read
// as template source. A missing value without a default is a *RenderError.
func (t *Template) Render(data map[string]any) (string, error) {
	r := &renderer{html: t.format == HTML, data: data, globals: map[string]val{}}
	r.err = func(off int, format string, args ...any) error {
		line, col := t.src.lineCol(off)
		return &RenderError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	if err := r.nodes(t.nodes); err != nil {
		var m *missingErr
		if errors.As(err, &m) {
			return "", r.err(m.off, "%s is missing; give a default ((%s)!\"\") or test it first ([#if (%s)??])", m.what, m.what, m.what)
		}
		return "", err
	}
	return r.out.String(), nil
}

// Data turns Go values into template data the way FusionAuth exposes them:
// through their JSON form, so a storage.User is reachable as user.email,
// user.tenantId, user.data.x, exactly as in the user API.
func Data(values map[string]any) (map[string]any, error) {
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("mail: template data: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("mail: template data: %w", err)
	}
	return out, nil
}
