package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// KeyID returns the key ID (the JWS "kid") of an Ed25519 public key: its
// JWK thumbprint (RFC 7638, SHA-256, base64url). It is derived, not
// chosen, so the issuer and every service agree on it from the key alone:
// no flag to keep in step, no ID that can name the wrong key, and
// `jose`/`step` compute the same one.
func KeyID(key ed25519.PublicKey) string {
	// RFC 7638 §3: the required members of the OKP JWK (RFC 8037), in
	// lexicographic order, without whitespace.
	jwk := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(key) + `"}`
	sum := sha256.Sum256([]byte(jwk))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeySet is the issuer public keys a service accepts, by key ID. It holds
// several while keys rotate: a token of the new key verifies alongside
// the old one's until the old key is removed from the set.
type KeySet struct {
	byID map[string]ed25519.PublicKey
}

// NewKeySet returns the set of keys.
func NewKeySet(keys ...ed25519.PublicKey) KeySet {
	s := KeySet{byID: make(map[string]ed25519.PublicKey, len(keys))}
	for _, k := range keys {
		s.byID[KeyID(k)] = k
	}
	return s
}

// Len returns how many keys the set holds.
func (s KeySet) Len() int { return len(s.byID) }

// IDs returns the key IDs of the set, sorted.
func (s KeySet) IDs() []string {
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// errUnknownKey is a token whose kid names no key of the set.
var errUnknownKey = errors.New("unknown key ID")

// keyFor returns what verifies t: the key its kid names, or, for a token
// without a kid (minted before key IDs), every key of the set.
func (s KeySet) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		set := jwt.VerificationKeySet{}
		for _, id := range s.IDs() {
			set.Keys = append(set.Keys, s.byID[id])
		}
		return set, nil
	}
	k, ok := s.byID[kid]
	if !ok {
		return nil, fmt.Errorf("%w %q", errUnknownKey, kid)
	}
	return k, nil
}

// LoadKeySet reads the public keys of paths: each a PEM public key file,
// or a directory whose every *.pub file is one (so rotating is adding a
// file, and retiring a key deleting it). Paths may also be given as one
// comma-separated list, as an environment variable gives them. An empty
// directory is an error: a service with no key would refuse every token.
func LoadKeySet(paths ...string) (KeySet, error) {
	var files []string
	for _, p := range paths {
		for _, p := range strings.Split(p, ",") { // not SplitList: a path may hold a space
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			info, err := os.Stat(p)
			if err != nil {
				return KeySet{}, fmt.Errorf("read public key: %w", err)
			}
			if !info.IsDir() {
				files = append(files, p)
				continue
			}
			matches, err := filepath.Glob(filepath.Join(p, "*.pub"))
			if err != nil {
				return KeySet{}, err
			}
			if len(matches) == 0 {
				return KeySet{}, fmt.Errorf("public key directory %s holds no *.pub file", p)
			}
			files = append(files, matches...)
		}
	}
	if len(files) == 0 {
		return KeySet{}, errors.New("no public key file given")
	}
	var keys []ed25519.PublicKey
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), ".") {
			continue // a temporary file of an atomic write
		}
		k, err := LoadPublicKey(f)
		if err != nil {
			return KeySet{}, err
		}
		keys = append(keys, k)
	}
	return NewKeySet(keys...), nil
}
