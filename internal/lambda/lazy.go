package lambda

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/dop251/goja"
)

// lazyObject is populate's user or registration when the caller passes it
// as JSON (a json.RawMessage): the top level is split into members before
// the call, on the caller's goroutine, and each member becomes a JavaScript
// value only when the body first reads it. A body that reads user.email
// and user.data pays for those two, not for the registrations, memberships
// and preferences it never looks at; at a login's rate the whole user was
// most of a simple lambda's cost (docs/performance.md, "JWT populate
// lambdas").
//
// It behaves as the plain object JSON.parse would build, with members in
// sorted key order: reads, writes, deletes, listing, JSON.stringify and
// for-in work alike. As every goja dynamic object it cannot be frozen or
// sealed, take accessors or symbol-keyed members (each is a TypeError the
// body may catch). Its members are copies owned by the sandbox: a call
// abandoned at its deadline never reads the caller's memory.
type lazyObject struct {
	sb   *sandbox
	raw  map[string]json.RawMessage // members not yet converted
	vals map[string]goja.Value      // members converted or set by the body
	keys []string                   // the members present, in order
}

// newLazy splits a JSON object into members with a token reader, which
// hands each member's bytes over without decoding them (several times
// cheaper than encoding/json into a map of raw messages). Anything else
// (null, an array, malformed JSON) is converted at once, as toJS would.
func (sb *sandbox) newLazy(b json.RawMessage) goja.Value {
	raw, ok := sb.splitObject(b)
	if !ok {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			panic(err)
		}
		return sb.toJS(v)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return sb.rt.NewDynamicObject(&lazyObject{sb: sb, raw: raw, vals: make(map[string]goja.Value, 4), keys: keys})
}

// splitObject returns the members of the JSON object b, each a copy of its
// value's bytes; false when b is not one well-formed object (a repeated
// name is malformed too, as jsontext reads it).
// The sandbox's decoder and reader are reused call after call.
func (sb *sandbox) splitObject(b []byte) (map[string]json.RawMessage, bool) {
	if sb.dec == nil {
		sb.src = new(bytes.Reader)
		sb.dec = jsontext.NewDecoder(sb.src)
	}
	sb.src.Reset(b)
	defer sb.src.Reset(nil) // keep no reference to the caller's bytes
	dec := sb.dec
	dec.Reset(sb.src)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	raw := make(map[string]json.RawMessage, 32)
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
		raw[key] = json.RawMessage(bytes.Clone(v))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return raw, true
}

func (o *lazyObject) Get(key string) goja.Value {
	if v, ok := o.vals[key]; ok {
		return v
	}
	b, ok := o.raw[key]
	if !ok {
		return nil
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		panic(err) // not reached: the member came from a valid document
	}
	v := o.sb.toJS(x)
	delete(o.raw, key)
	o.vals[key] = v
	return v
}

func (o *lazyObject) Set(key string, val goja.Value) bool {
	if !o.Has(key) {
		o.keys = append(o.keys, key)
	}
	delete(o.raw, key)
	o.vals[key] = val
	return true
}

func (o *lazyObject) Has(key string) bool {
	if _, ok := o.vals[key]; ok {
		return true
	}
	_, ok := o.raw[key]
	return ok
}

func (o *lazyObject) Delete(key string) bool {
	if o.Has(key) {
		delete(o.raw, key)
		delete(o.vals, key)
		o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
	}
	return true
}

func (o *lazyObject) Keys() []string { return slices.Clone(o.keys) }
