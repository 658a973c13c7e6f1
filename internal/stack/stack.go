// Package stack starts everything `sagatrace dev` runs on one machine: NATS
// with JetStream in-process, Temporal's dev server and Jaeger as child
// processes, and the payment, order and scoring services and the saga
// worker in-process, each with its own tracer provider. The end-to-end
// tests start exactly the same stack on free ports.
package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/shutdown"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// Config says where the stack keeps its data and which ports it takes.
type Config struct {
	// RepoRoot holds tools/go.mod, from which the binaries are built.
	RepoRoot string
	// DataDir keeps Temporal's database, JetStream's files, the service
	// databases and the child processes' logs across restarts.
	DataDir string
	// Host is the address everything binds to.
	Host  string
	Ports Ports
	// Logger receives the components' structured logs.
	Logger *slog.Logger
	// Progress receives the human-readable start-up progress.
	Progress io.Writer
	// FaultsEnabled lets services honour fault plans (the dev stack's default).
	FaultsEnabled bool
	// TracingDisabled keeps spans but exports none.
	TracingDisabled bool
	// PayloadEncryption encrypts every saga payload Temporal stores with
	// the keys of CodecKeyFile (made on first start) and serves the codec
	// server the Temporal UI and CLI decode with (`sagatrace dev`'s default).
	PayloadEncryption bool
	// TemporalPragmas tune the Temporal dev server's SQLite file; nil means
	// DefaultTemporalPragmas.
	TemporalPragmas []string
	// BuildID is the saga worker's build ID in the sagatrace Worker
	// Deployment; "" means operator.DefaultBuildID().
	BuildID string
}

// Ports of every part; 0 picks a free port.
type Ports struct {
	Temporal, TemporalUI, TemporalHTTP, TemporalMetrics int
	JaegerQuery, JaegerQueryGRPC, OTLPGRPC, OTLPHTTP    int
	JaegerThriftHTTP, JaegerCompactUDP                  int
	NATS, Scoring, Console                              int
	// Codec is the payload codec server's (with PayloadEncryption).
	Codec int
	// Services holds the port of each ledger service (component.Services),
	// by name; a missing one is 0.
	Services map[string]int
}

// DefaultTemporalPragmas put the Temporal dev server's SQLite file in WAL
// mode with synchronous=normal: that doubled saga throughput here (measured
// with `sagatrace bench saga`); the file survives a crash of any process
// and may lose the last commits only on power loss — right for a dev stack.
func DefaultTemporalPragmas() []string { return []string{"journal_mode=wal", "synchronous=normal"} }

// DefaultPorts are the documented ports (docs/ARCHITECTURE.md, "Ports").
func DefaultPorts() Ports {
	return Ports{
		Temporal: 7233, TemporalUI: 8233, TemporalHTTP: 7243,
		JaegerQuery: 16686, JaegerQueryGRPC: 16685, OTLPGRPC: 4317, OTLPHTTP: 4318,
		JaegerThriftHTTP: 14268, JaegerCompactUDP: 6831,
		NATS: 4222, Scoring: 8083, Console: 8080, Codec: 8084, Services: servicePorts(),
	}
}

func servicePorts() map[string]int {
	ports := map[string]int{}
	for _, svc := range component.Services() {
		ports[svc.Name] = svc.Port
	}
	return ports
}

// Stack is the running stack.
type Stack struct {
	cfg      Config
	NATS     *devstack.NATS
	Temporal *devstack.Temporal
	Jaeger   *devstack.Jaeger
	// Tools are the binaries built from tools/go.mod the stack runs,
	// natscli and the Temporal CLI among them, for a caller to run too.
	Tools devstack.Tools
	// services are the ledger services, by name (Service).
	services map[string]*component.Running
	Scoring  *component.Running
	Worker   *component.Running
	Console  *component.Running
	// Codec is the payload codec server; nil without PayloadEncryption.
	Codec *component.Running
	// CodecUIEndpoint is the codec endpoint the Temporal UI is configured
	// with: a capability URL that decodes without a token for the UI's
	// origin only ("" without PayloadEncryption).
	CodecUIEndpoint string
	codecUISecret   string
	// Keys is the issuer key pair in the data dir that every part's
	// tokens are minted and checked with.
	Keys auth.KeyPair
	// NATSKeys are the NATS users' nkeys in the data dir: the server
	// accepts no one else.
	NATSKeys natsauth.Keys
	// NATSContext is the nats CLI context file of the operator user:
	// `nats --context NATSContext pub …`.
	NATSContext string
	// ConsoleLoginFile holds the token, minted at start, that logs in to
	// the console as the OS user (ConsoleLoginURL).
	ConsoleLoginFile string
	// CodecKeyFile holds the payload codec's keys; "" when payloads are
	// kept in clear (PayloadEncryption off).
	CodecKeyFile string
	stops        shutdown.Funcs
}

// Start builds the tools if needed and starts every part, waiting until each
// is ready. On failure, whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.TemporalPragmas == nil {
		cfg.TemporalPragmas = DefaultTemporalPragmas()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The data dir holds the issuer's private key, databases and logs of
	// every request: its owner's alone, also when it existed before.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	s := &Stack{cfg: cfg}
	if err := s.start(ctx); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, errors.Join(err, s.Stop(stopCtx))
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	cfg := s.cfg
	var err error
	if s.Tools, err = devstack.BuildTools(ctx, cfg.RepoRoot, cfg.Progress); err != nil {
		return err
	}
	fmt.Fprintln(cfg.Progress, "starting NATS with JetStream (in-process)…")
	authDir := filepath.Join(cfg.DataDir, "nats-auth")
	if s.NATSKeys, err = natsauth.Ensure(authDir); err != nil {
		return err
	}
	s.NATS, err = devstack.StartNATS(ctx, devstack.NATSOptions{
		Host: cfg.Host, Port: cfg.Ports.NATS, StoreDir: filepath.Join(cfg.DataDir, "nats"), Users: s.NATSKeys.Users(),
	})
	if err != nil {
		return err
	}
	s.onStop(func(context.Context) error { s.NATS.Shutdown(); return nil })
	s.NATSContext = filepath.Join(authDir, "sagatrace.json")
	if err := natsauth.WriteContext(s.NATSContext, s.NATS.ClientURL(), s.NATSKeys.Seeds[natsauth.Operator]); err != nil {
		return err
	}

	if cfg.PayloadEncryption {
		if err := s.planCodecServer(); err != nil {
			return err
		}
	}
	if err := s.startProcesses(ctx, s.Tools); err != nil {
		return err
	}
	return s.startComponents(ctx)
}

// startProcesses starts Temporal and Jaeger side by side: each takes a few
// seconds, and neither needs the other.
func (s *Stack) startProcesses(ctx context.Context, tools devstack.Tools) error {
	cfg := s.cfg
	fmt.Fprintln(cfg.Progress, "starting Temporal dev server and Jaeger…")
	temporalLog, err := s.logFile("temporal.log")
	if err != nil {
		return err
	}
	jaegerLog, err := s.logFile("jaeger.log")
	if err != nil {
		return err
	}
	type result struct {
		t   *devstack.Temporal
		j   *devstack.Jaeger
		err error
	}
	tc, jc := make(chan result, 1), make(chan result, 1)
	go func() {
		t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
			Binary: tools.Temporal, Host: cfg.Host, Port: cfg.Ports.Temporal, UIPort: cfg.Ports.TemporalUI, UICodecEndpoint: s.CodecUIEndpoint,
			HTTPPort: cfg.Ports.TemporalHTTP, MetricsPort: cfg.Ports.TemporalMetrics,
			DBFile: filepath.Join(cfg.DataDir, "temporal.db"), SQLitePragmas: cfg.TemporalPragmas,
			Stdout: temporalLog, Stderr: temporalLog,
		})
		tc <- result{t: t, err: err}
	}()
	go func() {
		j, err := devstack.StartJaeger(ctx, devstack.JaegerOptions{
			Binary: tools.Jaeger, Host: cfg.Host, ConfigDir: filepath.Join(cfg.DataDir, "jaeger"),
			OTLPGRPCPort: cfg.Ports.OTLPGRPC, OTLPHTTPPort: cfg.Ports.OTLPHTTP,
			QueryHTTPPort: cfg.Ports.JaegerQuery, QueryGRPCPort: cfg.Ports.JaegerQueryGRPC,
			ThriftHTTPPort: cfg.Ports.JaegerThriftHTTP, CompactUDPPort: cfg.Ports.JaegerCompactUDP,
			Stdout: jaegerLog, Stderr: jaegerLog,
		})
		jc <- result{j: j, err: err}
	}()
	tr, jr := <-tc, <-jc
	if tr.t != nil {
		s.Temporal = tr.t
		s.onStop(s.Temporal.Stop)
	}
	if jr.j != nil {
		s.Jaeger = jr.j
		s.onStop(s.Jaeger.Stop)
	}
	return errors.Join(tr.err, jr.err)
}

func (s *Stack) startComponents(ctx context.Context) error {
	cfg := s.cfg
	common := component.Common{
		OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint(), TracingDisabled: cfg.TracingDisabled,
		Logger: cfg.Logger, FaultsEnabled: cfg.FaultsEnabled,
	}
	// One issuer key pair, kept in the data dir across restarts: the
	// services and the console check tokens with its public key, the
	// worker mints its own with its private key, and so does the operator
	// (`sagatrace token`); the console reads with a token file.
	keys, err := auth.EnsureKeyPair(filepath.Join(cfg.DataDir, "auth", "issuer.key"), filepath.Join(cfg.DataDir, "auth", "issuer.pub"))
	if err != nil {
		return fmt.Errorf("auth keys: %w", err)
	}
	s.Keys = keys
	if cfg.PayloadEncryption {
		// Made once and kept, like the issuer key: sagas encrypted with it
		// must still decrypt after a restart.
		s.CodecKeyFile = CodecKeyFile(cfg.DataDir)
		if _, err := payloadcodec.EnsureKeyFile(s.CodecKeyFile); err != nil {
			return fmt.Errorf("payload codec keys: %w", err)
		}
	}
	serviceAuth := component.ServiceAuth{PublicKeyFile: keys.PublicKeyFile}
	clientAuth := auth.ClientConfig{KeyFile: keys.PrivateKeyFile}
	db := func(name string) string { return filepath.Join(cfg.DataDir, name+".db") }
	listen := func(port int) string { return fmt.Sprintf("%s:%d", cfg.Host, port) }
	fmt.Fprintln(cfg.Progress, "starting the services…")
	s.services = map[string]*component.Running{}
	serviceURLs := map[string]string{}
	for _, svc := range component.Services() {
		sc := component.ServiceConfig{Common: common, Listen: listen(cfg.Ports.Services[svc.Name]), DatabaseURL: db(svc.Name), Auth: serviceAuth}
		if svc.Calls != "" {
			if sc.Calls, err = s.upstream(ctx, svc, serviceURLs[svc.Calls]); err != nil {
				return err
			}
		}
		r, err := svc.Start(ctx, sc)
		if err != nil {
			return err
		}
		s.onStop(r.Stop)
		s.services[svc.Name], serviceURLs[svc.Name] = r, r.URL()
	}
	if s.Scoring, err = component.StartScoring(ctx, component.ScoringConfig{
		Common: common, Listen: listen(cfg.Ports.Scoring), DatabaseURL: db("scoring"), NATSURL: s.NATS.ClientURL(),
		NATSSeedFile: s.NATSKeys.Seeds[natsauth.Scoring], Auth: serviceAuth,
	}); err != nil {
		return err
	}
	s.onStop(s.Scoring.Stop)
	fmt.Fprintln(cfg.Progress, "starting the saga worker…")
	if s.Worker, err = component.StartWorker(ctx, component.WorkerConfig{
		Common: common, TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
		ServiceURLs: serviceURLs, NATSURL: s.NATS.ClientURL(), NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker], Auth: clientAuth,
		CodecKeyFile: s.CodecKeyFile,
		// The stack's one worker is the build being run: it takes the
		// sagas of the build that ran on this data dir before.
		Deployment: component.WorkerDeployment{Name: operator.DeploymentName, BuildID: cmp.Or(cfg.BuildID, operator.DefaultBuildID()), MakeCurrent: component.MakeCurrentAlways},
		AutoRetry:  workflows.DefaultAutoRetry(),
	}); err != nil {
		return err
	}
	s.onStop(s.Worker.Stop)
	consoleToken, err := s.consoleTokens(ctx)
	if err != nil {
		return err
	}
	if s.Console, err = component.StartConsole(ctx, component.ConsoleConfig{
		Common: common, Listen: listen(cfg.Ports.Console), TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
		JaegerURL: s.Jaeger.QueryURL(), TemporalUIURL: s.Temporal.UIURL(),
		PaymentURL: serviceURLs[paymentapi.Audience], OrderURL: serviceURLs[orderapi.Audience], ScoringURL: s.Scoring.URL(),
		Login: serviceAuth, TokenFile: consoleToken, CheckHost: true,
		CodecKeyFile: s.CodecKeyFile,
	}); err != nil {
		return err
	}
	s.onStop(s.Console.Stop)
	if cfg.PayloadEncryption {
		return s.startCodecServer(ctx, common, serviceAuth)
	}
	return nil
}

// upstream is how svc reaches the service it calls, at url (started
// before it, component.Services' order): a token file in the data dir,
// minted with the stack's key and renewed at half its life until the stack
// stops, so the service itself never holds the private key — as in
// production, where `sagatrace token --out --renew` or a secret manager
// keeps the file.
func (s *Stack) upstream(ctx context.Context, svc component.Service, url string) (component.Upstream, error) {
	if url == "" {
		return component.Upstream{}, fmt.Errorf("%s calls %s, which is not started before it", svc.Name, svc.Calls)
	}
	path := filepath.Join(s.cfg.DataDir, "auth", svc.Name+"-"+svc.Calls+".token")
	g := auth.Grant{Subject: svc.Name, Audience: []string{svc.Calls}, Scopes: svc.CallScopes}
	if err := s.keepTokenFile(ctx, path, g); err != nil {
		return component.Upstream{}, err
	}
	return component.Upstream{URL: url, TokenFile: path}, nil
}

// keepTokenFile writes a token for g to path now, so its reader finds it
// at start, and renews it at half its life until the stack stops.
func (s *Stack) keepTokenFile(ctx context.Context, path string, g auth.Grant) error {
	iss := auth.NewIssuer(s.Keys.Private, "")
	if err := iss.WriteTokenFile(path, g); err != nil {
		return err
	}
	renewCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := iss.RenewTokenFile(renewCtx, path, g); err != nil {
			s.cfg.Logger.Error("renewing a token file stopped; calls with it fail once it expires",
				slog.String("subject", g.Subject), slog.String("file", path), slog.String("error", err.Error()))
		}
	}()
	s.onStop(func(context.Context) error { cancel(); <-done; return nil })
	return nil
}

// ConsoleLoginTTL is how long the login token `sagatrace dev` mints at
// start stays valid: a working day, within the services' default maximum
// lifetime; after it, `sagatrace token --aud console …` mints another.
const ConsoleLoginTTL = 12 * time.Hour

// consoleTokens gives the console what production gives it: a token file
// of read scopes only (the console never holds the private key), kept
// fresh, whose path it returns; and mints the token the person at the
// terminal logs in with (console:read and sagas:operate, named after
// their OS user, who the sagas record as the operator of console
// actions), kept in the data dir for scripts and tests.
func (s *Stack) consoleTokens(ctx context.Context) (string, error) {
	read := component.ConsoleReadScopes()
	g := auth.Grant{Subject: "console"}
	for _, aud := range slices.Sorted(maps.Keys(read)) {
		g.Audience, g.Scopes = append(g.Audience, aud), append(g.Scopes, read[aud])
	}
	path := filepath.Join(s.cfg.DataDir, "auth", "console.token")
	if err := s.keepTokenFile(ctx, path, g); err != nil {
		return "", err
	}
	s.ConsoleLoginFile = filepath.Join(s.cfg.DataDir, "auth", "console-login.token")
	login := auth.Grant{Subject: operatorName(), Audience: []string{auth.AudienceConsole},
		Scopes: []string{auth.ScopeConsoleRead, auth.ScopeSagasOperate}, TTL: ConsoleLoginTTL}
	if err := auth.NewIssuer(s.Keys.Private, "").WriteTokenFile(s.ConsoleLoginFile, login); err != nil {
		return "", err
	}
	return path, nil
}

// operatorName is who runs `sagatrace dev`: the OS user.
func operatorName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "dev"
}

// ConsoleLoginURL is the console's login page with the login token in its
// fragment, which the browser keeps to itself: the page posts it and
// keeps it in a cookie.
func (s *Stack) ConsoleLoginURL() (string, error) {
	b, err := os.ReadFile(s.ConsoleLoginFile)
	if err != nil {
		return "", fmt.Errorf("console login token: %w", err)
	}
	return s.Console.URL() + "/login#token=" + strings.TrimSpace(string(b)), nil
}

// Service returns the running ledger service called name (see
// component.Services), or nil.
func (s *Stack) Service(name string) *component.Running { return s.services[name] }

func (s *Stack) onStop(f func(context.Context) error) { s.stops.Add(f) }

func (s *Stack) logFile(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.cfg.DataDir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	s.onStop(func(context.Context) error { return f.Close() })
	return f, nil
}

// Stop stops everything in reverse order of start: the worker first, so no
// new hop begins, then the services, then the infrastructure.
func (s *Stack) Stop(ctx context.Context) error { return s.stops.Run(ctx) }
