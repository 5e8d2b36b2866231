package lambda

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/dop251/goja"
)

// lazyObject is populate's user or registration when the caller passes it
// as JSON (a json.RawMessage): the document is copied before the call, on
// the caller's goroutine; its top level is split into members only when the
// body first touches the object (reads, writes, lists or asks for a
// member), and each member becomes a JavaScript value only when the body
// first reads it. A body that reads user.email and user.data pays for those
// two, not for the registrations, memberships and preferences it never
// looks at, and a body that never touches the user pays for neither; at a
// login's rate the whole user was most of a simple lambda's cost
// (docs/performance.md, "JWT populate lambdas").
//
// It behaves as the plain object JSON.parse would build, with members in
// sorted key order: reads, writes, deletes, listing, JSON.stringify and
// for-in work alike. As every goja dynamic object it cannot be frozen or
// sealed, take accessors or symbol-keyed members (each is a TypeError the
// body may catch). Its members are copies owned by the sandbox: a call
// abandoned at its deadline never reads the caller's memory. A document
// that turns out malformed when split fails the call (ReasonInternal), as a
// malformed document did when it was split before the call; one the body
// never touches is never split.
type lazyObject struct {
	sb   *sandbox
	doc  []byte                // the sandbox's copy of the document until it is split, then nil
	raw  []member              // the document's members, sorted by key; val nil once converted or removed
	vals map[string]goja.Value // members converted or set by the body (made on first use)
	keys []string              // the members present, in order
}

// member is one member of the JSON object, its value's bytes a slice of the
// sandbox's copy of the document.
type member struct {
	key string
	val json.RawMessage
}

// newLazy copies a JSON object for lazyObject, which splits it on first
// use. Anything else (null, an array, a string) is converted at once, as
// toJS would; so is a document that does not start as an object, malformed
// or not, which fails here as before.
func (sb *sandbox) newLazy(b json.RawMessage) goja.Value {
	if !startsObject(b) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			panic(err)
		}
		return sb.toJS(v)
	}
	return sb.rt.NewDynamicObject(&lazyObject{sb: sb, doc: bytes.Clone(b)})
}

// startsObject reports whether b's first non-space byte opens an object.
func startsObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '{'
	}
	return false
}

// split splits the document into members, once, on the call's goroutine
// (the document is the sandbox's own copy). A malformed document panics:
// the call fails as internal (execute recovers it).
func (o *lazyObject) split() {
	if o.doc == nil {
		return
	}
	raw, ok := o.sb.splitObject(o.doc)
	if !ok {
		panic("lambda: the JSON object passed to the lambda is malformed")
	}
	o.doc = nil
	slices.SortFunc(raw, func(a, b member) int { return strings.Compare(a.key, b.key) })
	keys := make([]string, len(raw))
	for i, m := range raw {
		keys[i] = m.key
	}
	o.raw, o.keys = raw, keys
}

// splitObject returns the members of the JSON object doc, each value a
// slice of doc, which must be the sandbox's own copy; false when doc is not
// one well-formed object (a repeated name is malformed too, as jsontext
// reads it). The sandbox's decoder and reader are reused call after call.
func (sb *sandbox) splitObject(doc []byte) ([]member, bool) {
	if sb.dec == nil {
		sb.src = new(bytes.Reader)
		sb.dec = jsontext.NewDecoder(sb.src)
	}
	sb.src.Reset(doc)
	defer sb.src.Reset(nil) // keep no reference to the document
	dec := sb.dec
	dec.Reset(sb.src)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	raw := make([]member, 0, 16)
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		key := name.String() // before the next read voids the token
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false
		}
		end := int(dec.InputOffset())
		raw = append(raw, member{key, json.RawMessage(doc[end-len(v) : end : end])})
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return raw, true
}

// find is the index of key's unconverted member, or -1.
func (o *lazyObject) find(key string) int {
	i, ok := slices.BinarySearchFunc(o.raw, key, func(m member, k string) int { return strings.Compare(m.key, k) })
	if !ok || o.raw[i].val == nil {
		return -1
	}
	return i
}

func (o *lazyObject) Get(key string) goja.Value {
	o.split()
	if v, ok := o.vals[key]; ok {
		return v
	}
	i := o.find(key)
	if i < 0 {
		return nil
	}
	var x any
	if err := json.Unmarshal(o.raw[i].val, &x); err != nil {
		panic(err) // not reached: the member came from a valid document
	}
	v := o.sb.toJS(x)
	o.raw[i].val = nil
	o.setVal(key, v)
	return v
}

func (o *lazyObject) setVal(key string, v goja.Value) {
	if o.vals == nil {
		o.vals = make(map[string]goja.Value, 4)
	}
	o.vals[key] = v
}

// drop forgets key's unconverted member, if any.
func (o *lazyObject) drop(key string) {
	if i := o.find(key); i >= 0 {
		o.raw[i].val = nil
	}
}

func (o *lazyObject) Set(key string, val goja.Value) bool {
	o.split()
	if !o.Has(key) {
		o.keys = append(o.keys, key)
	}
	o.drop(key)
	o.setVal(key, val)
	return true
}

func (o *lazyObject) Has(key string) bool {
	o.split()
	if _, ok := o.vals[key]; ok {
		return true
	}
	return o.find(key) >= 0
}

func (o *lazyObject) Delete(key string) bool {
	o.split()
	if o.Has(key) {
		o.drop(key)
		delete(o.vals, key)
		o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
	}
	return true
}

func (o *lazyObject) Keys() []string {
	o.split()
	return slices.Clone(o.keys)
}
