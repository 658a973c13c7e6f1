package temporalclient_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/certs"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
)

// mtlsServer listens on 127.0.0.1 with dir's server certificate, requires
// a client certificate signed by dir's CA, and reports each handshake's
// outcome with the client's common name.
func mtlsServer(t *testing.T, dir string) (string, <-chan string) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server", "server.pem"), filepath.Join(dir, "server", "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "server", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	outcomes := make(chan string, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
			if err := tc.Handshake(); err != nil {
				outcomes <- "refused: " + err.Error()
			} else {
				outcomes <- "client " + tc.ConnectionState().PeerCertificates[0].Subject.CommonName
			}
			tc.Close()
		}
	}()
	return ln.Addr().String(), outcomes
}

func makeCerts(t *testing.T, clients ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	if _, err := certs.Make(certs.Options{Dir: dir, ServerNames: []string{"temporal", "127.0.0.1"}, Clients: clients, ReadableKeys: []string{"server"}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestClientWithTheMadeCertsCompletesTheMutualHandshake(t *testing.T) {
	dir := makeCerts(t, "worker", "console")
	other := makeCerts(t, "worker") // another CA: the server must not trust it
	addr, outcomes := mtlsServer(t, dir)
	tests := []struct {
		name    string
		tls     temporalclient.TLS
		wantErr string // in the client's handshake error; "" means success
		server  string // prefix of the server's outcome
	}{
		{name: "worker_by_name", tls: temporalclient.TLS{CAFile: filepath.Join(dir, "worker", "ca.pem"), CertFile: filepath.Join(dir, "worker", "worker.pem"),
			KeyFile: filepath.Join(dir, "worker", "worker.key"), ServerName: "temporal"}, server: "client worker"},
		{name: "console_by_ip", tls: temporalclient.TLS{CAFile: filepath.Join(dir, "worker", "ca.pem"), CertFile: filepath.Join(dir, "console", "console.pem"),
			KeyFile: filepath.Join(dir, "console", "console.key")}, server: "client console"},
		{name: "client_cert_of_another_ca", tls: temporalclient.TLS{CAFile: filepath.Join(dir, "worker", "ca.pem"), CertFile: filepath.Join(other, "worker", "worker.pem"),
			KeyFile: filepath.Join(other, "worker", "worker.key"), ServerName: "temporal"}, wantErr: "certificate", server: "refused"},
		{name: "server_of_another_ca", tls: temporalclient.TLS{CAFile: filepath.Join(other, "worker", "ca.pem"), CertFile: filepath.Join(dir, "worker", "worker.pem"),
			KeyFile: filepath.Join(dir, "worker", "worker.key"), ServerName: "temporal"}, wantErr: "unknown authority", server: "refused"},
		{name: "wrong_server_name", tls: temporalclient.TLS{CAFile: filepath.Join(dir, "worker", "ca.pem"), CertFile: filepath.Join(dir, "worker", "worker.pem"),
			KeyFile: filepath.Join(dir, "worker", "worker.key"), ServerName: "elsewhere"}, wantErr: "elsewhere", server: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.tls.Config()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ServerName == "" {
				cfg.ServerName = "127.0.0.1" // what gRPC takes from the address
			}
			conn, err := tls.Dial("tcp", addr, cfg)
			if err == nil {
				// TLS 1.3: the server's verdict on the client's certificate
				// arrives with the first read.
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, err = conn.Read(make([]byte, 1))
				conn.Close()
				if err != nil && strings.Contains(err.Error(), "EOF") {
					err = nil // the server closed after a good handshake
				}
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("handshake err = %v, want one containing %q", err, tt.wantErr)
			}
			select {
			case got := <-outcomes:
				if !strings.HasPrefix(got, tt.server) {
					t.Errorf("server saw %q, want %q…", got, tt.server)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server saw no handshake")
			}
		})
	}
}

func TestTLSConfigRefusesIncompleteOrExposedMaterial(t *testing.T) {
	dir := makeCerts(t, "worker")
	full := temporalclient.TLS{CAFile: filepath.Join(dir, "worker", "ca.pem"), CertFile: filepath.Join(dir, "worker", "worker.pem"), KeyFile: filepath.Join(dir, "worker", "worker.key")}
	if cfg, err := (temporalclient.TLS{}).Config(); cfg != nil || err != nil {
		t.Errorf("zero TLS: %v, %v; want plaintext", cfg, err)
	}
	noKey := full
	noKey.KeyFile = ""
	if _, err := noKey.Config(); err == nil || !strings.Contains(err.Error(), "sagatrace certs") {
		t.Errorf("without a key: %v", err)
	}
	if err := os.Chmod(full.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := full.Config(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a 0644 key: %v, want refused", err)
	}
}

func TestMakeKeepsWhatExistsAndRotatesALeaf(t *testing.T) {
	dir := makeCerts(t, "worker")
	ca, _ := os.ReadFile(filepath.Join(dir, "ca", "ca.pem"))
	worker, _ := os.ReadFile(filepath.Join(dir, "worker", "worker.pem"))
	if err := os.Remove(filepath.Join(dir, "worker", "worker.pem")); err != nil {
		t.Fatal(err)
	}
	made, err := certs.Make(certs.Options{Dir: dir, ServerNames: []string{"temporal"}, Clients: []string{"worker"}, ReadableKeys: []string{"server"}})
	if err != nil {
		t.Fatal(err)
	}
	ca2, _ := os.ReadFile(filepath.Join(dir, "worker", "ca.pem"))
	worker2, _ := os.ReadFile(filepath.Join(dir, "worker", "worker.pem"))
	if string(ca2) != string(ca) || string(worker2) == string(worker) || strings.Join(made.Files, ",") != "worker" {
		t.Errorf("made %v: the CA must be kept and the deleted leaf made anew", made.Files)
	}
	for file, want := range map[string]os.FileMode{"ca/ca.key": 0o600, "worker/worker.key": 0o600, "server/server.key": 0o644, "worker/ca.pem": 0o644} {
		info, err := os.Stat(filepath.Join(dir, file))
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want %04o", file, info.Mode().Perm(), err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "worker", "ca.key")); err == nil {
		t.Error("the CA's key is in a holder's directory")
	}
}
