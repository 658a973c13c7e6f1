package httpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// DecodeJSON decodes r's body into dst strictly: the Content-Type must be
// JSON, the body at most maxBytes, every field known to dst, the types
// right, and exactly one JSON value. Failures are KindInvalid errors whose
// message names what is wrong, so a client can fix its request — except a
// body over maxBytes, which is a KindTooLarge (413) error, refused by its
// Content-Length before a byte is read when the client declared one.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return Invalid(httpapi.TypeInvalidBody, "Content-Type must be application/json")
	}
	if r.ContentLength > maxBytes {
		return bodyTooLarge(maxBytes)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// A second value ("{} {}") or trailing garbage is a client bug that
	// would otherwise be silently ignored.
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return Invalid(httpapi.TypeInvalidBody, "request body must hold a single JSON value")
	}
	return nil
}

// LimitBody bounds r's body to maxBytes for handlers that do not decode it
// (a refund has no body): a declared Content-Length over the limit is a
// KindTooLarge error at once, and a longer chunked body fails the read.
func LimitBody(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	if r.ContentLength > maxBytes {
		return bodyTooLarge(maxBytes)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	return nil
}

// DiscardBody reads and drops r's body, for writes that take none (a
// refund, a cancel): a client may send "{}", but a streamed body past the
// limit LimitBody set is only found by reading it, and is a KindTooLarge
// error like any other.
func DiscardBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyTooLarge(tooLarge.Limit).Wrap(err)
		}
		return Invalid(httpapi.TypeInvalidBody, "request body could not be read").Wrap(err)
	}
	return nil
}

func bodyTooLarge(limit int64) *Error {
	return TooLarge(httpapi.TypeBodyTooLarge, fmt.Sprintf("request body is larger than %d bytes", limit))
}

// decodeError turns a decoding failure into the error to answer.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyTooLarge(tooLarge.Limit).Wrap(err)
	}
	return Invalid(httpapi.TypeInvalidBody, describeJSONError(err)).Wrap(err)
}

func describeJSONError(err error) string {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		unknownFd = "json: unknown field "
	)
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty"
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
// at most httpapi.MaxIdempotencyKeyLen characters, printable ASCII. Writes are
// retried by sagas, so a write without a key could apply twice.
func RequireIdempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get(ids.HeaderIdempotencyKey)
	switch {
	case key == "":
		return "", Invalid(httpapi.TypeInvalidIdempotencyKey, "header Idempotency-Key is required")
	case len(key) > httpapi.MaxIdempotencyKeyLen:
		return "", Invalid(httpapi.TypeInvalidIdempotencyKey,
			fmt.Sprintf("header Idempotency-Key is %d characters long, at most %d are allowed", len(key), httpapi.MaxIdempotencyKeyLen))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", Invalid(httpapi.TypeInvalidIdempotencyKey, "header Idempotency-Key may hold only printable ASCII characters")
		}
	}
	return key, nil
}

// MaxBody bounds the bodies of the requests it wraps to maxBytes, as
// LimitBody does.
func MaxBody(maxBytes int64) Middleware {
	return func(h HandlerFunc) HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if err := LimitBody(w, r, maxBytes); err != nil {
				return err
			}
			return h(w, r)
		}
	}
}
