package jsonnum_test

import (
	stdjson "encoding/json"
	"errors"
	"testing"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
)

const doc = `{"big":9007199254740993,"huge":12345678901234567890,"list":[-0,0.1,1E+2],"tiny":1e-400,"s":"9"}`

// TestOptionsKeepNumbersAsSent: JSON v2 with Options decodes every number in
// an any to a json.Number and encodes it back as the same text; without the
// marshaler a Number would be written as a string.
func TestOptionsKeepNumbersAsSent(t *testing.T) {
	var v struct {
		Data map[string]any `json:"data"`
		Any  any            `json:"any"`
		N    float64        `json:"n"`
	}
	in := `{"data":` + doc + `,"any":12345678901234567890,"n":1.5}`
	if err := json.Unmarshal([]byte(in), &v, jsonnum.Options); err != nil {
		t.Fatal(err)
	}
	if v.Data["big"] != stdjson.Number("9007199254740993") || v.Any != stdjson.Number("12345678901234567890") || v.N != 1.5 {
		t.Fatalf("decoded %#v", v)
	}
	out, err := json.Marshal(v, jsonnum.Options, json.Deterministic(true))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"data":{"big":9007199254740993,"huge":12345678901234567890,"list":[-0,0.1,1E+2],"s":"9","tiny":1e-400},"any":12345678901234567890,"n":1.5}`; string(out) != want {
		t.Fatalf("encoded %s\nwant    %s", out, want)
	}
	if std, _ := stdjson.Marshal(v.Data); string(std) != `{"big":9007199254740993,"huge":12345678901234567890,"list":[-0,0.1,1E+2],"s":"9","tiny":1e-400}` {
		t.Fatalf("encoding/json wrote %s", std)
	}
}

// TestOptionsRefuseNumbersBeyondFloatRange: 1e400 has no float64, so no
// lambda or most clients could read it back: refused, with its place.
func TestOptionsRefuseNumbersBeyondFloatRange(t *testing.T) {
	for _, in := range []string{`{"a":{"b":1e400}}`, `{"a":{"b":[-1E309]}}`} {
		var v map[string]any
		err := json.Unmarshal([]byte(in), &v, jsonnum.Options)
		var se *json.SemanticError
		if !errors.Is(err, jsonnum.ErrOutOfRange) || !errors.As(err, &se) || se.JSONPointer == "" {
			t.Fatalf("%s: err = %v; want ErrOutOfRange at a JSON pointer", in, err)
		}
	}
}

// TestMarshalRefusesANumberThatIsNot: a json.Number holding anything but a
// JSON number is an error, as in encoding/json, never injected text.
func TestMarshalRefusesANumberThatIsNot(t *testing.T) {
	for _, n := range []stdjson.Number{`"x"`, `1,"y":2`, `NaN`, `01`} {
		if out, err := json.Marshal(map[string]any{"n": n}, jsonnum.Options); err == nil {
			t.Fatalf("%q encoded as %s", n, out)
		}
	}
	if out, _ := json.Marshal(map[string]any{"n": stdjson.Number("")}, jsonnum.Options); string(out) != `{"n":0}` {
		t.Fatalf("empty Number encoded as %s, want 0 as encoding/json writes it", out)
	}
}

// TestUnmarshalKeepsNumbers: the storage decoder keeps numbers in an any as
// json.Number and refuses trailing data as encoding/json.Unmarshal does.
func TestUnmarshalKeepsNumbers(t *testing.T) {
	var v map[string]any
	if err := jsonnum.Unmarshal([]byte(doc+"\n"), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := stdjson.Marshal(v)
	if want := `{"big":9007199254740993,"huge":12345678901234567890,"list":[-0,0.1,1E+2],"s":"9","tiny":1e-400}`; string(out) != want {
		t.Fatalf("round trip %s\nwant       %s", out, want)
	}
	for _, bad := range []string{`{} {}`, `{}x`, `{"a":`} {
		if err := jsonnum.Unmarshal([]byte(bad), &v); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
