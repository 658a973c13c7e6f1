package httpserver

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/strictjson"
)

// DecodeJSON decodes r's body into dst strictly (internal/strictjson):
// the Content-Type must be JSON, the body at most maxBytes, every field
// known to dst and named exactly (case included), none twice, the types
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
	// Read whole before decoding: the body is bounded, and a duplicate
	// member is only known once the object is read anyway.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyTooLarge(tooLarge.Limit).Wrap(err)
		}
		return Invalid(httpapi.TypeInvalidBody, "request body could not be read").Wrap(err)
	}
	if err := strictjson.Unmarshal(body, dst); err != nil {
		return Invalid(httpapi.TypeInvalidBody, strictjson.Describe(err, "request body")).Wrap(err)
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
