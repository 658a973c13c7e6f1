package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Problem types of malformed requests.
const (
	TypeInvalidBody           = "invalid-body"
	TypeInvalidField          = "invalid-field"
	TypeInvalidIdempotencyKey = "invalid-idempotency-key"
)

// MaxIdempotencyKeyLen bounds the Idempotency-Key header: it is stored in a
// unique column.
const MaxIdempotencyKeyLen = 255

// DecodeJSON decodes r's body into dst strictly: the Content-Type must be
// JSON, the body at most maxBytes, every field known to dst, the types
// right, and exactly one JSON value. Failures are KindInvalid errors whose
// message names what is wrong, so a client can fix its request.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return Invalid(TypeInvalidBody, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return Invalid(TypeInvalidBody, describeJSONError(err)).Wrap(err)
	}
	// A second value ("{} {}") or trailing garbage is a client bug that
	// would otherwise be silently ignored.
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Invalid(TypeInvalidBody, describeJSONError(err)).Wrap(err)
		}
		return Invalid(TypeInvalidBody, "request body must hold a single JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unknownFd = "json: unknown field "
	)
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty"
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit)
	case errors.As(err, &syntax):
		return fmt.Sprintf("request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body is truncated JSON"
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q must be %s", typeErr.Field, jsonKind(typeErr.Type))
	case errors.As(err, &typeErr):
		return fmt.Sprintf("request body must be %s", jsonKind(typeErr.Type))
	case strings.HasPrefix(err.Error(), unknownFd):
		// encoding/json has no typed error for this; the message is stable.
		return "unknown field " + strings.TrimPrefix(err.Error(), unknownFd)
	default:
		return "request body is not valid JSON"
	}
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

// RequireIdempotencyKey returns the request's Idempotency-Key: present,
// at most MaxIdempotencyKeyLen characters, printable ASCII. Writes are
// retried by sagas, so a write without a key could apply twice.
func RequireIdempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get(ids.HeaderIdempotencyKey)
	switch {
	case key == "":
		return "", Invalid(TypeInvalidIdempotencyKey, "header Idempotency-Key is required")
	case len(key) > MaxIdempotencyKeyLen:
		return "", Invalid(TypeInvalidIdempotencyKey,
			fmt.Sprintf("header Idempotency-Key is %d characters long, at most %d are allowed", len(key), MaxIdempotencyKeyLen))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", Invalid(TypeInvalidIdempotencyKey, "header Idempotency-Key may hold only printable ASCII characters")
		}
	}
	return key, nil
}
