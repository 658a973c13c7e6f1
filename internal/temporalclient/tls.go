package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// TLS locates a client's mTLS material for the Temporal frontend. The
// zero value is plaintext (the dev server).
type TLS struct {
	// CAFile is the PEM CA that signed the frontend's certificate.
	CAFile string
	// CertFile and KeyFile are this client's certificate and key (PEM),
	// which a frontend requiring client certificates checks.
	CertFile, KeyFile string
	// ServerName is the name the frontend's certificate must carry; empty:
	// the host of the address dialled.
	ServerName string
}

// Enabled says whether any TLS setting is given.
func (t TLS) Enabled() bool { return t != TLS{} }

// Config builds the client's TLS configuration, or nil when t is zero.
// A key others than its owner may read is refused, as ssh refuses one.
func (t TLS) Config() (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	if t.CAFile == "" || t.CertFile == "" || t.KeyFile == "" {
		return nil, errors.New("temporal TLS: the CA, the client certificate and its key are all needed (--temporal-tls-ca, --temporal-tls-cert, --temporal-tls-key); `sagatrace certs` makes them")
	}
	caPEM, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("temporal TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("temporal TLS CA %s: no PEM certificate in it", t.CAFile)
	}
	if err := secretfile.Check(t.KeyFile, "temporal TLS key"); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("temporal TLS client certificate: %w", err)
	}
	return &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: t.ServerName, MinVersion: tls.VersionTLS12,
	}, nil
}
