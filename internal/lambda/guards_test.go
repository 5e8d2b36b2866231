package lambda

import (
	"testing"

	"github.com/dop251/goja"
)

// TestGuardedBuiltinsBehaveAsBuiltins: the guards rebuild or wrap builtins;
// for ordinary inputs each expression must give what plain goja gives.
func TestGuardedBuiltinsBehaveAsBuiltins(t *testing.T) {
	exprs := []string{
		`[1, null, undefined, "a", [2, [3]], {}].join()`,
		`[1, 2, 3].join(" - ")`,
		`[1, 2].join(undefined)`,
		`String([1, [2, [3, [4]]]])`,
		`(function () { var a = [1, 2]; a.push(a); return a.join(); })()`,
		`[1.5, -0, 1e21, true].toLocaleString()`,
		`Array.prototype.join.call({length: 3, 0: "a", 2: "c"}, "+")`,
		`Array.prototype.join.call("abc", ".")`,
		`[1, [2, [3, [4, [5]]]]].flat().length + ":" + [1, [2, [3, [4, [5]]]]].flat(Infinity).join()`,
		`[1, , 3, [4, , 6]].flat().join("|")`,
		`[[1], [2]].flat(0).length`,
		`[1, 2, 3].flatMap(x => [x, x * 2]).join()`,
		`[1, 2].flatMap(x => x).join()`,
		`[1].concat([2, 3], 4, [[5]]).length`,
		`Array.from("héllo").join("|")`,
		`Array.from({length: 3}, (_, i) => i * i).join()`,
		`Array.from(new Set([1, 1, 2])).join()`,
		`Math.max.apply(null, [1, 5, 3])`,
		`Math.max.apply(null, {length: 2, 0: 4, 1: 9})`,
		`Math.max.apply(null)`,
		`Reflect.apply(Math.min, null, [4, 2])`,
		`Reflect.construct(Date, [0]).getTime()`,
		`(function () { class A { constructor() { this.n = new.target.name; } } class B extends A {} return Reflect.construct(A, [], B).n; })()`,
		`"ab".repeat(3)`,
		`"ab".repeat(0) + "|" + "".repeat(5)`,
		`"5".padStart(3, "0") + "5".padEnd(4, "xy") + "abc".padStart(2)`,
		`"a".concat("b", 1, null, [2, 3])`,
		`"a,b,,c".split(",").length + ":" + "abc".split("").join("|") + ":" + "a1b2c".split(/\d/).join()`,
		`"a,b,c".split(",", 2).join()`,
		`"a,b,c".split(",", -1).length`,
		`"x".split().length`,
		`"aXbXc".replace("X", "-") + "aXbXc".replaceAll("X", "$&$&")`,
		`"abc".replace(/b/g, "[$'|$\u0060]")`,
		`"abc".replace(/(b)/, (m, g) => g.toUpperCase())`,
		`"aaa".replaceAll("", "-")`,
		`"2024-01-02".match(/(\d+)-(\d+)/)[2] + [..."a1b22".matchAll(/\d+/g)].length`,
		`"abc".search(/c/)`,
		`[..."héllo"].length`,
		`String.raw` + "`a\\n${1}b${2}`",
		`String.raw({raw: ["x", "y", "z"]}, 1, 2, 3)`,
		`Object.keys("abc").join() + Object.values("ab").join() + Object.entries({a: 1}).join()`,
		`Object.getOwnPropertyNames("ab").length`,
		`JSON.stringify({a: [1, "x", null, undefined, () => 1], b: {c: new Date(0)}, u: undefined})`,
		`JSON.stringify({a: 1, b: [1, 2]}, null, 2)`,
		`JSON.stringify({a: 1, b: [1, 2]}, null, "--")`,
		`JSON.stringify({a: 1, b: 2, c: {a: 3, d: 4}}, ["a", "c"])`,
		`JSON.stringify({a: 1, b: "x"}, (k, v) => typeof v === "number" ? v * 10 : v)`,
		`JSON.stringify({toJSON(k) { return "key:" + k; }})`,
		`JSON.stringify([new Number(3), new String("s"), new Boolean(false)])`,
		`JSON.stringify("he said \"hi\"\n") + JSON.stringify(1.5) + JSON.stringify(null) + JSON.stringify(undefined)`,
		`JSON.stringify({"__proto__": 1, "toString": 2})`,
		`(function () { try { var o = {}; o.o = o; JSON.stringify(o); } catch (e) { return e.name; } })()`,
		`JSON.parse('{"a":[1,{"b":"c"}]}').a[1].b + JSON.parse("[1,2]", (k, v) => typeof v === "number" ? v + 1 : v).join()`,
		`[3, 1, 2].sort().join() + [1, 2, 3].map(x => x * 2).filter(x => x > 2).reduce((a, b) => a + b)`,
		`[1, 2, 3].includes(2) + "," + [1, 2, 3].indexOf(3) + "," + [1, 2, 3].at(-1) + "," + [1, 2, 3].slice(1).join()`,
		`(function () { var s = 0; for (var x of [1, 2, 3]) s += x; var [a, ...rest] = [4, 5, 6]; return s + a + rest.length; })()`,
		`Math.max(...[1, 7, 3]) + Object.fromEntries([["a", 1]]).a`,
		`Object.assign({}, {a: 1}, "xy")[1]`,
		`new RegExp("a+", "g").test("caab") + "," + RegExp("b").source + "," + (/x/ instanceof RegExp) + "," + (new RegExp(/y/i)).flags`,
		`(function () { class R extends RegExp { hi() { return "hi" + this.source; } } var r = new R("z+"); return r.hi() + (r instanceof R) + (r instanceof RegExp) + r.test("zz"); })()`,
		`"a1b2".match("\\d").index + "," + "xyz".search("z") + "," + [..."a1b2".matchAll("\\d")].length + "," + /q/.constructor.name`,
		`"aaa".split(/a/).length + "," + "abc".replace(/b/, "$&$&")`,
		`[[].map.name, [].map.length, "".repeat.name, JSON.stringify.name, Function.name, RegExp.name, ""[Symbol.iterator].name, RegExp.prototype[Symbol.replace].name, Math.max.apply.name].join()`,
	}
	plain := goja.New()
	e, _ := newTestEngine(t, Config{})
	for _, expr := range exprs {
		want, err := plain.RunString("String(" + expr + ")")
		if err != nil {
			t.Fatalf("%s: plain goja: %v", expr, err)
		}
		claims := mustSucceed(t, populate(t, e, "function populate(jwt) { jwt.out = String("+expr+"); }"))
		if claims["out"] != want.String() {
			t.Errorf("%s\n got %q\nwant %q", expr, claims["out"], want.String())
		}
	}
}
