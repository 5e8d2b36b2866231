package lambda

import "github.com/dop251/goja"

// hiddenIntrinsics are builtin objects no global property leads to.
var hiddenIntrinsics = goja.MustCompile("hidden intrinsics", `[
	Object.getPrototypeOf([][Symbol.iterator]()),
	Object.getPrototypeOf(""[Symbol.iterator]()),
	Object.getPrototypeOf(/a/[Symbol.matchAll]("")),
	Object.getPrototypeOf(new Map()[Symbol.iterator]()),
	Object.getPrototypeOf(new Set()[Symbol.iterator]()),
	Object.getPrototypeOf(function* () {}),
	Object.getPrototypeOf(async function () {}),
]`, true)

// hardenScript freezes every builtin reachable from the global object or
// from the hidden intrinsics, and makes the global object's own bindings
// read-only, so that nothing a call does to a builtin can reach the next
// call on the same runtime. It first turns a few prototype properties that
// code commonly shadows on its own objects (o.toString = ..., err.name =
// ...) into accessors that define the property on the object instead, as
// SES's enablePropertyOverrides does: on a frozen prototype a plain
// assignment would otherwise fail (the "override mistake").
var hardenScript = goja.MustCompile("harden", `(function (hidden) {
	"use strict";
	const freeze = Object.freeze, getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys,
		describe = Object.getOwnPropertyDescriptor, define = Object.defineProperty,
		hasOwn = Object.prototype.hasOwnProperty;
	function overridable(obj, names) {
		for (const name of names) {
			const desc = describe(obj, name);
			if (!desc || !("value" in desc)) continue;
			const value = desc.value;
			define(obj, name, {
				get: function () { return value; },
				set: function (v) {
					if (this === obj) throw new TypeError("Cannot assign to read only property '" + String(name) + "' of a builtin");
					if (hasOwn.call(this, name)) this[name] = v;
					else define(this, name, {value: v, writable: true, enumerable: true, configurable: true});
				},
				enumerable: desc.enumerable, configurable: false,
			});
		}
	}
	overridable(Object.prototype, ["constructor", "toString", "toLocaleString", "valueOf",
		"hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable"]);
	overridable(Function.prototype, ["constructor", "toString"]);
	overridable(Array.prototype, ["constructor", "toString"]);
	for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]) {
		overridable(E.prototype, ["constructor", "message", "name", "toString"]);
	}
	const seen = new Set([globalThis]); // the global object stays open to a call's own globals
	function harden(o) {
		if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) return;
		seen.add(o);
		for (const key of ownKeys(o)) {
			const d = describe(o, key);
			if ("value" in d) harden(d.value); else { harden(d.get); harden(d.set); }
		}
		harden(getProto(o));
		freeze(o);
	}
	for (const key of ownKeys(globalThis)) {
		const d = describe(globalThis, key);
		if ("value" in d) {
			harden(d.value);
			define(globalThis, key, {writable: false, configurable: false});
		} else {
			harden(d.get); harden(d.set);
			define(globalThis, key, {configurable: false});
		}
	}
	hidden.forEach(harden);
	harden(getProto(globalThis));
})`, true)

// harden runs hardenScript in sb's runtime, once, before any body.
func (sb *sandbox) harden() {
	rt := sb.rt
	hidden, err := rt.RunProgram(hiddenIntrinsics)
	if err != nil {
		panic(err)
	}
	fn, err := rt.RunProgram(hardenScript)
	if err != nil {
		panic(err)
	}
	sb.call(function(fn), goja.Undefined(), hidden)
}
