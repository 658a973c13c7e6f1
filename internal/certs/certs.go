// Package certs makes the small private PKI of Temporal's mTLS: a CA, a
// server certificate for the frontend and a client certificate per
// component, with crypto/x509 alone.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Lifetimes: the CA outlives many rotations of the leaves it signs.
const (
	caLifetime   = 5 * 365 * 24 * time.Hour
	leafLifetime = 365 * 24 * time.Hour
)

// Options say what [Make] makes.
type Options struct {
	// Dir receives a directory per holder, so that each can be given its
	// own and nothing else (compose mounts them as volume subpaths):
	// ca/ (ca.pem, ca.key: for this command only), server/ (server.pem,
	// server.key, ca.pem) and NAME/ (NAME.pem, NAME.key, ca.pem) for every
	// client.
	Dir string
	// ServerNames are the frontend's DNS names and IP addresses (its
	// certificate's SANs): what clients dial or name with their
	// server-name setting.
	ServerNames []string
	// Clients name the client certificates (their common name).
	Clients []string
	// ReadableKeys name the holders ("server" or a client) whose key is
	// made 0644 instead of 0600: for a container that runs as a user of
	// its own image, which could not read a key this command's user owns.
	// Its directory, mounted into that container alone, is what keeps it.
	ReadableKeys []string
}

// Made lists the files [Make] made; those that existed are kept.
type Made struct{ Files, Kept []string }

// Make makes whatever of the CA, the server and the client certificates
// is missing in o.Dir, signing new leaves with the CA that is there, so
// deleting one leaf's files and running it again rotates that leaf only.
// Keys are mode 0600, certificates 0644.
func Make(o Options) (Made, error) {
	var made Made
	if len(o.ServerNames) == 0 {
		return made, errors.New("certs: at least one server name is needed (the frontend's host name)")
	}
	caDir := filepath.Join(o.Dir, "ca")
	if err := os.MkdirAll(caDir, 0o700); err != nil {
		return made, fmt.Errorf("certs: %w", err)
	}
	ca, caKey, err := loadPair(caDir, "ca")
	if errors.Is(err, fs.ErrNotExist) {
		ca, caKey, err = issue(caDir, "ca", 0o600, &x509.Certificate{
			Subject: pkix.Name{CommonName: "sagatrace Temporal CA"}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotAfter: time.Now().Add(caLifetime),
		}, nil, nil)
		made.Files = append(made.Files, "ca")
	} else if err == nil {
		made.Kept = append(made.Kept, "ca")
	}
	if err != nil {
		return made, err
	}
	leaves := []struct {
		name string
		tmpl *x509.Certificate
	}{{"server", serverTemplate(o.ServerNames)}}
	for _, c := range o.Clients {
		leaves = append(leaves, struct {
			name string
			tmpl *x509.Certificate
		}{c, &x509.Certificate{Subject: pkix.Name{CommonName: c}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}})
	}
	caPEM, err := os.ReadFile(filepath.Join(caDir, "ca.pem"))
	if err != nil {
		return made, fmt.Errorf("certs: %w", err)
	}
	for _, l := range leaves {
		dir := filepath.Join(o.Dir, l.name)
		// Every holder checks its peer against the CA: a copy beside its
		// own pair, rewritten each run so it follows a new CA.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return made, fmt.Errorf("certs: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ca.pem"), caPEM, 0o644); err != nil {
			return made, fmt.Errorf("certs: %w", err)
		}
		if _, err := os.Stat(filepath.Join(dir, l.name+".pem")); err == nil {
			made.Kept = append(made.Kept, l.name)
			continue
		}
		l.tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		l.tmpl.NotAfter = time.Now().Add(leafLifetime)
		keyMode := os.FileMode(0o600)
		if slices.Contains(o.ReadableKeys, l.name) {
			keyMode = 0o644
		}
		if _, _, err := issue(dir, l.name, keyMode, l.tmpl, ca, caKey); err != nil {
			return made, err
		}
		made.Files = append(made.Files, l.name)
	}
	return made, nil
}

func serverTemplate(names []string) *x509.Certificate {
	// Client auth too: Temporal's services present the same certificate
	// to each other (internode mTLS).
	t := &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, n)
		}
	}
	return t
}

// issue makes a key and a certificate from tmpl, signed by parent (self-
// signed when nil), and writes NAME.pem and NAME.key (of keyMode).
func issue(dir, name string, keyMode os.FileMode, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s key: %w", name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s serial: %w", name, err)
	}
	tmpl.SerialNumber = serial
	// An hour's slack for clocks a little behind.
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: sign %s: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s key: %w", name, err)
	}
	// The key first: a certificate without its key would be kept by the
	// next run, and be useless.
	if err := writePEM(filepath.Join(dir, name+".key"), "PRIVATE KEY", keyDER, keyMode); err != nil {
		return nil, nil, err
	}
	if err := writePEM(filepath.Join(dir, name+".pem"), "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	werr := pem.Encode(f, &pem.Block{Type: kind, Bytes: der})
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}

// loadPair reads NAME.pem and NAME.key from dir.
func loadPair(dir, name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s.pem without its key: %w; delete it to make a new pair", name, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("certs: %s.pem or %s.key is not PEM", name, name)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s.pem: %w", name, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s.key: %w", name, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("certs: %s.key is not an ECDSA key", name)
	}
	return cert, key, nil
}
