package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// Key files are PEM: the private key PKCS #8 ("PRIVATE KEY", what
// `openssl genpkey -algorithm ed25519` writes), the public key PKIX
// ("PUBLIC KEY", `openssl pkey -pubout`).

// KeyPair is the issuer's key pair and where it is kept.
type KeyPair struct {
	Private        ed25519.PrivateKey
	Public         ed25519.PublicKey
	PrivateKeyFile string
	PublicKeyFile  string
}

// GenerateKey returns a new Ed25519 key pair.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	return pub, priv, nil
}

// EncodePrivateKey returns key as a PKCS #8 PEM block.
func EncodePrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey returns key as a PKIX PEM block.
func EncodePublicKey(key ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads an Ed25519 private key from PEM.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	return parseKey[ed25519.PrivateKey](data, "PRIVATE KEY", "PKCS #8", x509.ParsePKCS8PrivateKey)
}

// ParsePublicKey reads an Ed25519 public key from PEM.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	return parseKey[ed25519.PublicKey](data, "PUBLIC KEY", "PKIX", x509.ParsePKIXPublicKey)
}

// parseKey decodes the PEM block of blockType ("PRIVATE KEY") in data
// with parse, for the syntax it names, and requires an Ed25519 key: the
// private and the public key differ only in these.
func parseKey[K ed25519.PrivateKey | ed25519.PublicKey](data []byte, blockType, syntax string, parse func([]byte) (any, error)) (K, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != blockType {
		return nil, fmt.Errorf("not a PEM %q block (%s)", blockType, syntax)
	}
	k, err := parse(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(K)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 %s", k, strings.ToLower(blockType))
	}
	return key, nil
}

// LoadPrivateKey reads the issuer's private key file. A file that its
// group or others may read or write is refused, as ssh refuses such a key:
// whoever reads it mints any token.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	k, err := loadKey(path, "private key", ParsePrivateKey)
	if err != nil {
		return nil, err
	}
	if err := secretfile.Check(path, "private key"); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadPublicKey reads the issuer's public key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	return loadKey(path, "public key", ParsePublicKey)
}

// loadKey reads the key file at path with parse; what names the key in
// errors.
func loadKey[K ed25519.PrivateKey | ed25519.PublicKey](path, what string, parse func([]byte) (K, error)) (K, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	k, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return k, nil
}

// EnsureKeyPair returns the key pair kept in privPath and pubPath, making
// it first when privPath does not exist: the private key readable by its
// owner only (0600), the public key by anyone. An existing private key is
// kept (tokens minted with it stay valid across restarts) and its public
// key file rewritten when missing or different.
func EnsureKeyPair(privPath, pubPath string) (KeyPair, error) {
	kp := KeyPair{PrivateKeyFile: privPath, PublicKeyFile: pubPath}
	priv, err := LoadPrivateKey(privPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, priv, err = GenerateKey(); err != nil {
			return kp, err
		}
		pemBytes, err := EncodePrivateKey(priv)
		if err != nil {
			return kp, err
		}
		if err := secretfile.Write(privPath, pemBytes, 0o600); err != nil {
			return kp, err
		}
	case err != nil:
		return kp, err
	}
	kp.Private = priv
	kp.Public = priv.Public().(ed25519.PublicKey)
	pubPEM, err := EncodePublicKey(kp.Public)
	if err != nil {
		return kp, err
	}
	if old, err := os.ReadFile(pubPath); err != nil || !bytes.Equal(old, pubPEM) {
		if err := secretfile.Write(pubPath, pubPEM, 0o644); err != nil {
			return kp, err
		}
	}
	return kp, nil
}
