package drill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
)

// The proxies the drill puts between its own worker and the stack, to
// break what a fault plan cannot: the token a request carries, the
// worker's connection to NATS.

// tokenProxy forwards the worker's requests to the payment service; on the
// charge's attempt expiredOnAttempt it replaces the worker's token with an
// expired one, as if the token the worker cached had expired between two
// attempts, and notes the service's answer per DTID.
type tokenProxy struct {
	srv     *http.Server
	url     string
	rp      *httputil.ReverseProxy
	expired string

	mu      sync.Mutex
	answers map[string]int // DTID → status the service gave the expired token
}

// expiredOnAttempt is the charge attempt that carries the expired token:
// the one after the attempt that committed and lost its answer.
const expiredOnAttempt = "2"

// chargePath is where a charge is POSTed.
const chargePath = "/v1/payments"

func startTokenProxy(target, expired string) (*tokenProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("payment URL %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("token proxy: %w", err)
	}
	p := &tokenProxy{url: "http://" + ln.Addr().String(), expired: expired, answers: map[string]int{},
		rp: &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = u.Host }}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }() // ends with Close
	return p, nil
}

func (p *tokenProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != chargePath || r.Header.Get(faults.HeaderAttempt) != expiredOnAttempt {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "token proxy: read the charge: "+err.Error(), http.StatusBadGateway)
		return
	}
	var charge struct {
		DTID string `json:"dtid"`
	}
	_ = json.Unmarshal(body, &charge) // a charge without a DTID is the service's to refuse
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+p.expired)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p.rp.ServeHTTP(rec, r)
	p.mu.Lock()
	p.answers[charge.DTID] = rec.status
	p.mu.Unlock()
}

// answer is the status the service gave the expired token of dtid's
// charge, and whether it was ever sent.
func (p *tokenProxy) answer(dtid string) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.answers[dtid]
	return s, ok
}

func (p *tokenProxy) close() error { return p.srv.Close() }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// tcpProxy relays TCP connections to upstream until cut: then it closes
// every connection and refuses new ones — to its clients, the server is
// gone — until restored.
type tcpProxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startTCPProxy(upstream string) (*tcpProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tcp proxy: %w", err)
	}
	p := &tcpProxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			continue
		}
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// track registers a relayed pair, unless the proxy was cut meanwhile.
func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	// One side ended: end both, as a dead server or client would.
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut closes every relayed connection and refuses new ones.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// restore lets connections through again.
func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// close stops the proxy and every connection it relays.
func (p *tcpProxy) close() error {
	err := p.ln.Close()
	p.cut()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// natsHostPort is the host:port of a nats:// URL.
func natsHostPort(natsURL string) (string, error) {
	u, err := url.Parse(natsURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("NATS URL %q: want nats://host:port", natsURL)
	}
	return u.Host, nil
}
