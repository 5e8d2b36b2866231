package jsonnum

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// ErrOutOfRange is a number whose magnitude a float64 cannot hold.
var ErrOutOfRange = errors.New("number out of range")

// Options makes the JSON v2 decoder keep a number in an any as an
// encoding/json.Number (refusing one beyond a float64's range, ErrOutOfRange)
// and the encoder write such a Number as the number it holds; without it v2
// writes a Number as a JSON string. Pass it to every v2 Unmarshal and
// Marshal that can see free-form JSON.
var Options = json.JoinOptions(
	json.WithUnmarshalers(json.UnmarshalFromFunc(unmarshalAny)),
	json.WithMarshalers(json.MarshalToFunc(marshalNumber)),
)

// unmarshalAny decodes a number into an any; anything else is left to the
// decoder (SkipFunc), whose objects and arrays come back here for their
// members.
func unmarshalAny(dec *jsontext.Decoder, v *any) error {
	if dec.PeekKind() != '0' {
		return json.SkipFunc
	}
	b, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return ErrOutOfRange // the decoder read b as a JSON number: only the range can fail
	}
	*v = stdjson.Number(b)
	return nil
}

func marshalNumber(enc *jsontext.Encoder, n stdjson.Number) error {
	if n == "" {
		return enc.WriteToken(jsontext.Int(0)) // as encoding/json writes the zero Number
	}
	if v := jsontext.Value(n); v.Kind() != '0' || !v.IsValid() {
		return fmt.Errorf("jsonnum: invalid number literal %q", string(n))
	}
	return enc.WriteValue(jsontext.Value(n))
}

// Unmarshal decodes one JSON value from b into v as encoding/json.Unmarshal
// does, except that a number decoded into an any is a json.Number.
func Unmarshal(b []byte, v any) error {
	dec := stdjson.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("jsonnum: data after the JSON value")
	}
	return nil
}
