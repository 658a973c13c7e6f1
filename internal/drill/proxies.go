package drill

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
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
	// filter, when set, relays the server's bytes to the client, and
	// watch the client's to the server, in place of a plain copy.
	filter, watch relayFunc

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// relayFunc relays src to dst until either ends.
type relayFunc func(dst io.Writer, src io.Reader) error

// startTCPProxy relays to upstream: the server's bytes through filter and
// the client's through watch, each a plain copy when nil.
func startTCPProxy(upstream string, filter, watch relayFunc) (*tcpProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tcp proxy: %w", err)
	}
	p := &tcpProxy{ln: ln, upstream: upstream, filter: filter, watch: watch, conns: map[net.Conn]struct{}{}}
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
		go p.pipe(c, up, p.filter)
		go p.pipe(up, c, p.watch)
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

func (p *tcpProxy) pipe(dst, src net.Conn, relay relayFunc) {
	defer p.wg.Done()
	if relay == nil {
		_, _ = io.Copy(dst, src)
	} else {
		_ = relay(dst, src) // any end of either side ends both
	}
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

// ackLoser reads the NATS protocol between the worker and the server and
// drops the first lose PubAcks of each profile's score event: the stream
// stored the event, the worker never hears so — a PubAck lost on the way.
// It knows a PubAck by its subject: the reply subject (a request's own
// inbox) of a publish to a scoring subject.
type ackLoser struct {
	lose int

	mu      sync.Mutex
	replyTo map[string]string // reply subject → profile of the publish
	dropped map[string]int    // profile → PubAcks dropped
}

func newAckLoser(lose int) *ackLoser {
	return &ackLoser{lose: lose, replyTo: map[string]string{}, dropped: map[string]int{}}
}

// watch relays the client's bytes unchanged, noting the reply subject of
// every publish of a score event.
func (a *ackLoser) watch(dst io.Writer, src io.Reader) error {
	return relayFrames(dst, src, func(f natsFrame) bool {
		// PUB subject [reply] size; HPUB subject [reply] hsize size.
		withReply := (f.op == "PUB" && len(f.args) == 3) || (f.op == "HPUB" && len(f.args) == 4)
		if withReply && strings.HasPrefix(f.args[0], scoringapi.SubjectPrefix) {
			a.mu.Lock()
			a.replyTo[f.args[1]] = strings.TrimPrefix(f.args[0], scoringapi.SubjectPrefix)
			a.mu.Unlock()
		}
		return true
	})
}

// filter relays the server's bytes, less the PubAcks it loses.
func (a *ackLoser) filter(dst io.Writer, src io.Reader) error {
	return relayFrames(dst, src, func(f natsFrame) bool {
		return (f.op != "MSG" && f.op != "HMSG") || len(f.args) == 0 || !a.loses(f.args[0])
	})
}

// relayFrames relays src to dst one NATS operation at a time, those that
// keep says to keep, until either side ends.
func relayFrames(dst io.Writer, src io.Reader, keep func(natsFrame) bool) error {
	r := bufio.NewReader(src)
	for {
		f, err := readNATSFrame(r)
		if err != nil {
			return err
		}
		if !keep(f) {
			continue
		}
		if _, err := dst.Write(f.raw); err != nil {
			return err
		}
	}
}

// loses reports whether the message to subject is a PubAck to lose.
func (a *ackLoser) loses(subject string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	profile, ok := a.replyTo[subject]
	if !ok || a.dropped[profile] >= a.lose {
		return false
	}
	a.dropped[profile]++
	return true
}

// lost is how many PubAcks of profile's event were dropped.
func (a *ackLoser) lost(profile string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped[profile]
}

// natsFrame is one protocol operation as read off the wire: its op (upper
// case), its arguments, and every byte of it, payload included.
type natsFrame struct {
	op   string
	args []string
	raw  []byte
}

// readNATSFrame reads one operation: a control line, and for the ops that
// carry one (PUB, HPUB, MSG, HMSG) its payload, whose size is the line's
// last argument.
func readNATSFrame(r *bufio.Reader) (natsFrame, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return natsFrame{}, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return natsFrame{raw: []byte(line)}, nil
	}
	f := natsFrame{op: strings.ToUpper(fields[0]), args: fields[1:], raw: []byte(line)}
	switch f.op {
	case "PUB", "HPUB", "MSG", "HMSG":
	default:
		return f, nil
	}
	if len(f.args) == 0 {
		return f, fmt.Errorf("nats: %s without arguments", f.op)
	}
	size, err := strconv.Atoi(f.args[len(f.args)-1])
	if err != nil || size < 0 {
		return f, fmt.Errorf("nats: %s: bad size %q", f.op, f.args[len(f.args)-1])
	}
	payload := make([]byte, size+2) // and its CRLF
	if _, err := io.ReadFull(r, payload); err != nil {
		return f, err
	}
	f.raw = append(f.raw, payload...)
	return f, nil
}
