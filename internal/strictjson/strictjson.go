// Package strictjson is the one JSON decoder of what clients send
// sagatrace — service API bodies and scoring events: exactly one value,
// no unknown member, no member twice, and names matched exactly, case
// included. encoding/json takes the last of two "dtid" members and lets
// "DTID" fill the dtid field, so a proxy or a validator that reads the
// body another way could be shown one request while the service acts on
// another; go-json-experiment (the upstream of encoding/json/v2) refuses
// all three by default, and decodes at a fraction of encoding/json's cost.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Options are the decoding options of strict JSON, for a hot path that
// calls json.Unmarshal itself (scoring events; json.Unmarshal refuses a
// second value on its own, Unmarshal only words that better). They are
// stated although most are the library's defaults: a default changing
// upstream must not loosen what is accepted.
func Options() json.Options {
	return json.JoinOptions(
		json.RejectUnknownMembers(true),
		json.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false),
	)
}

// Unmarshal decodes data, which must hold exactly one JSON value, into v
// strictly. Its errors are the library's (json.SemanticError,
// jsontext.SyntacticError), or ErrNotOneValue; Describe words them for
// a client.
func Unmarshal(data []byte, v any) error {
	opts := Options()
	dec := jsontext.NewDecoder(bytes.NewReader(data), opts)
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	val = val.Clone() // valid only until the decoder's next read

	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return ErrNotOneValue
	}
	return json.Unmarshal(val, v, opts)
}

// ErrNotOneValue is a body holding a second value or trailing garbage
// ("{} {}"), a client bug that would otherwise be ignored.
var ErrNotOneValue = errors.New("JSON holds more than one value")

// IsUnknownMember reports whether err is a member that the target does
// not have (a misspelt or wrongly cased name among them).
func IsUnknownMember(err error) bool { return errors.Is(err, json.ErrUnknownName) }

// Describe words an error of Unmarshal for the client that sent the JSON,
// naming the field at fault as a path of names ("items.qty"); what is the
// JSON value ("request body", "event").
func Describe(err error, what string) string {
	var (
		syn *jsontext.SyntacticError
		sem *json.SemanticError
	)
	switch {
	case errors.Is(err, io.EOF):
		return what + " is empty"
	case errors.Is(err, ErrNotOneValue):
		return what + " must hold a single JSON value"
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syn):
		return fmt.Sprintf("field %q appears more than once; send each field once", fieldPath(syn.JSONPointer))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return what + " is truncated JSON"
	case errors.As(err, &syn):
		return fmt.Sprintf("%s is not valid JSON (at byte %d)", what, syn.ByteOffset)
	case IsUnknownMember(err) && errors.As(err, &sem):
		in := ""
		if parent := fieldPath(sem.JSONPointer.Parent()); parent != "" {
			in = fmt.Sprintf(" in %q", parent)
		}
		return fmt.Sprintf("unknown field %q%s (field names are matched exactly, case included)", sem.JSONPointer.LastToken(), in)
	case errors.As(err, &sem) && sem.GoType != nil && sem.JSONPointer != "":
		return fmt.Sprintf("field %q must be %s", fieldPath(sem.JSONPointer), jsonKind(sem.GoType))
	case errors.As(err, &sem) && sem.GoType != nil:
		return fmt.Sprintf("%s must be %s", what, jsonKind(sem.GoType))
	default:
		return what + " is not valid JSON"
	}
}

// fieldPath turns a JSON Pointer ("/items/0/qty") into the names of the
// fields it goes through ("items.qty"), as a client's code names them.
func fieldPath(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			continue // an array index
		}
		names = append(names, tok)
	}
	return strings.Join(names, ".")
}

// jsonKind names, in JSON terms, what a Go type accepts.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "of type " + t.String()
	}
}
