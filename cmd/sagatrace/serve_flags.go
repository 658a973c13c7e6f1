package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/workflows"
)

// serveSpec is one component's flags, bound, and how to start it once they
// are parsed.
type serveSpec struct {
	logLevel *string
	common   *component.Common
	start    startFunc
}

// defineServe declares the flags of `serve name` on fs: those every
// component has, then the component's own.
func defineServe(ctx context.Context, fs *flag.FlagSet, name string) (*serveSpec, error) {
	spec := &serveSpec{common: &component.Common{}}
	common := spec.common
	spec.logLevel = fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&common.OTLPEndpoint, "otlp-endpoint", "", "OTLP/HTTP base URL, e.g. http://jaeger:4318 (empty: OTEL_EXPORTER_OTLP_* variables)")
	if name != "console" && name != "codec" {
		fs.BoolVar(&common.FaultsEnabled, "faults", false, "honour fault plans from drills (never in production)")
	}
	if name != "worker" {
		fs.Float64Var(&common.PerIP.Rate, "ip-rate-limit", ratelimit.DefaultIPRate, "requests per second each client address (IPv6: each /64) may sustain, checked before authentication; more are answered 429 with Retry-After")
		fs.IntVar(&common.PerIP.Burst, "ip-rate-burst", ratelimit.DefaultIPBurst, "requests each client address may send at once")
	}
	svc, isService := component.ServiceNamed(name)
	switch {
	case isService:
		spec.start = defineServeService(ctx, fs, svc, common)
	case name == "scoring":
		spec.start = defineServeScoring(ctx, fs, common)
	case name == "worker":
		spec.start = defineServeWorker(ctx, fs, common)
	case name == "console":
		spec.start = defineServeConsole(ctx, fs, common)
	case name == "codec":
		spec.start = defineServeCodec(ctx, fs, common)
	default:
		return nil, usageError{fmt.Sprintf("unknown component %q: want %s, scoring, worker, console or codec", name, strings.Join(serviceNames(), ", "))}
	}
	return spec, nil
}

// startFunc starts a component once its flags are parsed, with common as
// they set it.
type startFunc = func() (*component.Running, error)

// defineServeService declares the flags of a ledger service (payment,
// order): its store, its write limits and the service it calls.
func defineServeService(ctx context.Context, fs *flag.FlagSet, svc component.Service, common *component.Common) startFunc {
	srv := defineServer(fs, svc.Port)
	dbURL := fs.String("database-url", svc.Name+".db", "SQLite file path, or a postgres:// URL for PostgreSQL")
	var limits ratelimit.Config
	fs.Float64Var(&limits.Rate, "rate-limit", ratelimit.DefaultRate, "writes per second each caller (token subject) may sustain; more are answered 429 with Retry-After")
	fs.IntVar(&limits.Burst, "rate-burst", ratelimit.DefaultBurst, "writes each caller may send at once (the size of its token bucket)")
	var calls component.Upstream
	if svc.Calls != "" {
		defineUpstream(fs, svc, &calls)
	}
	return func() (*component.Running, error) {
		return svc.Start(ctx, component.ServiceConfig{Common: *common, Listen: srv.listen, DatabaseURL: *dbURL, Auth: srv.auth, Limits: limits, Calls: calls})
	}
}

// defineServeScoring declares the scoring service's flags: its store, its
// stream and partitions, and its flush policy.
func defineServeScoring(ctx context.Context, fs *flag.FlagSet, common *component.Common) startFunc {
	srv := defineServer(fs, 8083)
	var cfg component.ScoringConfig
	fs.StringVar(&cfg.DatabaseURL, "database-url", "scoring.db", "SQLite file path, or a postgres:// URL for PostgreSQL")
	defineNATS(fs, &cfg.NATSURL, &cfg.NATSSeedFile, natsauth.Scoring, "")
	fs.IntVar(&cfg.PartitionCount, "partition-count", 16, "N of the stream's partition(N,1) transform; the same on every instance")
	owned := fs.String("partitions", "", "pin this instance to these partitions, e.g. 0-7 or 0,2,4 (empty: share all partitions evenly with the other instances, taking over those of one that dies)")
	fs.DurationVar(&cfg.MemberTTL, "member-ttl", 3*time.Second, "an instance that stops renewing its membership for this long loses its partitions to the others: the takeover bound after a crash")
	fs.IntVar(&cfg.Stream.Replicas, "stream-replicas", 1, "replicas of the scoring stream and its DLQ when this instance creates them (3 on a NATS cluster)")
	fs.Int64Var(&cfg.Stream.MaxBytes, "stream-max-bytes", scoring.DefaultStreamMaxBytes, "bytes the scoring stream may hold; when full, publishes are refused (discard new), never unscored events dropped")
	fs.DurationVar(&cfg.Stream.MaxAge, "stream-max-age", scoring.DefaultStreamMaxAge, "how long events stay in the scoring stream (replayable)")
	maxMsg := fs.Int("stream-max-msg-size", scoring.DefaultStreamMaxMsgSize, "largest message the scoring stream accepts, headers included, in bytes")
	fs.BoolVar(&cfg.Stream.Update, "stream-update", false, "apply --stream-* to an existing stream whose settings differ (without it they are only logged); never changes the partition count")
	def := scoring.DefaultFlushPolicy()
	fs.DurationVar(&cfg.Flush.Interval, "flush-interval", def.Interval, "longest an event waits in memory before its batch is written, while events flow")
	fs.IntVar(&cfg.Flush.MaxEvents, "flush-max-events", def.MaxEvents, "events per partition batch before it is written early")
	fs.DurationVar(&cfg.Flush.Idle, "flush-idle", def.Idle, "a partition that received nothing for this long writes what it holds")
	return func() (*component.Running, error) {
		var err error
		if cfg.Partitions, err = parsePartitions(*owned); err != nil {
			return nil, usageError{"--partitions: " + err.Error()}
		}
		if *maxMsg < 1 || *maxMsg > 1<<24 {
			return nil, usageError{"--stream-max-msg-size: between 1 and 16777216 bytes"}
		}
		cfg.Stream.MaxMsgSize = int32(*maxMsg)
		cfg.Common, cfg.Listen, cfg.Auth = *common, srv.listen, srv.auth
		return component.StartScoring(ctx, cfg)
	}
}

// defineServeWorker declares the saga worker's flags: Temporal and its
// Worker Deployment, the services and the stream it calls, the automatic
// retry of a parked saga.
func defineServeWorker(ctx context.Context, fs *flag.FlagSet, common *component.Common) startFunc {
	var clientAuth auth.ClientConfig
	defineClientAuth(fs, &clientAuth, "")
	var cfg component.WorkerConfig
	defineTemporal(fs, &cfg.TemporalAddress, &cfg.Namespace)
	temporalTLS := defineTemporalTLS(fs)
	urls := defineServiceURLs(fs)
	defineNATS(fs, &cfg.NATSURL, &cfg.NATSSeedFile, natsauth.Worker, "")
	defineServeCodecKeyFile(fs, &cfg.CodecKeyFile)
	fs.StringVar(&cfg.TaskQueue, "task-queue", workflows.TaskQueue, "Temporal task queue to poll; sagas run on the queue they were started on (drills run their own worker on a queue of their own)")
	defineDeployment(fs, &cfg.Deployment)
	def := workflows.DefaultAutoRetry()
	fs.DurationVar(&cfg.AutoRetry.Every, "auto-retry-every", def.Every, "a parked saga retries its failing compensation by itself this long after each park (0: never, it waits for an operator alone); the schedule of the worker that first parks a saga is recorded in it")
	fs.DurationVar(&cfg.AutoRetry.For, "auto-retry-for", def.For, "no automatic retry starts later than this after the saga first parked; then it waits for an operator")
	return func() (*component.Running, error) {
		cfg.Common, cfg.Auth, cfg.ServiceURLs, cfg.TemporalTLS = *common, clientAuth, values(urls), *temporalTLS
		return component.StartWorker(ctx, cfg)
	}
}

// defineServeConsole declares the console's flags: where it reads
// Temporal, Jaeger and the services, and who may log in.
func defineServeConsole(ctx context.Context, fs *flag.FlagSet, common *component.Common) startFunc {
	srv := defineServer(fs, 8080)
	var cfg component.ConsoleConfig
	defineTemporal(fs, &cfg.TemporalAddress, &cfg.Namespace)
	temporalTLS := defineTemporalTLS(fs)
	defineServeCodecKeyFile(fs, &cfg.CodecKeyFile)
	fs.StringVar(&cfg.JaegerURL, "jaeger-url", "http://127.0.0.1:16686", "Jaeger query base URL the console reads")
	fs.StringVar(&cfg.JaegerLinkURL, "jaeger-link-url", "", "Jaeger base URL as a browser reaches it, for links (empty: --jaeger-url)")
	fs.BoolVar(&cfg.JaegerUI, "jaeger-ui", false, "that Jaeger serves its UI (official images): trace links go there too, beside the console's own trace view")
	fs.StringVar(&cfg.TemporalUIURL, "temporal-ui-url", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links")
	urls := defineServiceURLs(fs)
	fs.StringVar(&cfg.ScoringURL, "scoring-url", "http://127.0.0.1:8083", "scoring service base URL")
	fs.StringVar(&cfg.TokenFile, "token-file", "", "`file` holding the console's own bearer token for reading the services (audiences payment,order,scoring; scopes payments:read,orders:read,scores:read), "+
		"re-read every 30 s; the console holds no private key: `sagatrace token --aud payment,order,scoring --scope payments:read,orders:read,scores:read --subject console --out FILE --renew` keeps it fresh")
	defineList(fs, "allowed-host", "a Host the console answers to, name or name:port (repeatable, or comma-separated); any other Host is refused with 421, which closes DNS rebinding. "+
		"Given once, the listening address, localhost and 127.0.0.1 on its port are allowed too (default: Host not checked)", &cfg.AllowedHosts)
	return func() (*component.Running, error) {
		cfg.Common, cfg.Listen, cfg.Login, cfg.TemporalTLS = *common, srv.listen, srv.auth, *temporalTLS
		cfg.PaymentURL, cfg.OrderURL = *urls[paymentapi.Audience], *urls[orderapi.Audience]
		return component.StartConsole(ctx, cfg)
	}
}

// defineServeCodec declares the codec server's flags: its keys and the
// Temporal UIs that may call it.
func defineServeCodec(ctx context.Context, fs *flag.FlagSet, common *component.Common) startFunc {
	srv := defineServer(fs, 8084)
	var cfg component.CodecConfig
	fs.StringVar(&cfg.KeyFile, "codec-key-file", "", "`file` of the payload codec's keys, the workers' (required)")
	defineList(fs, "ui-origin", "origin of a Temporal Web UI whose pages may call the codec server (CORS), e.g. https://temporal.example.com (repeatable or comma-separated)", &cfg.UIOrigins)
	return func() (*component.Running, error) {
		cfg.Common, cfg.Listen, cfg.Auth = *common, srv.listen, srv.auth
		return component.StartCodec(ctx, cfg)
	}
}

// defineUpstream declares how svc reaches the service it calls:
// --payment-url and --payment-token-file for order.
func defineUpstream(fs *flag.FlagSet, svc component.Service, up *component.Upstream) {
	called, _ := component.ServiceNamed(svc.Calls)
	fs.StringVar(&up.URL, svc.Calls+"-url", fmt.Sprintf("http://127.0.0.1:%d", called.Port),
		fmt.Sprintf("%s service base URL: the %s service reads the %s of every request from it before it writes (a %s it cannot read is a retryable 503)", svc.Calls, svc.Name, svc.Calls, svc.Calls))
	fs.StringVar(&up.TokenFile, svc.Calls+"-token-file", "",
		fmt.Sprintf("`file` holding the bearer token for the %s service (audience %s, scope %s), re-read every 30 s so a rotated token is picked up; "+
			"required unless --auth-disabled. The %s service holds no private key: `sagatrace token --aud %[2]s --scope %[3]s --subject %[4]s --out FILE --renew` "+
			"keeps the file fresh (`sagatrace dev` does it itself)", svc.Calls, svc.Calls, strings.Join(svc.CallScopes, ","), svc.Name))
}

// defineDeployment declares the saga worker's Worker Deployment version.
func defineDeployment(fs *flag.FlagSet, d *component.WorkerDeployment) {
	fs.StringVar(&d.Name, "deployment-name", operator.DeploymentName, "Temporal Worker Deployment this worker is a version of (empty: an unversioned worker, which gets sagas only while no version is current)")
	fs.StringVar(&d.BuildID, "build-id", operator.DefaultBuildID(), "this build's ID in the deployment; the default is the binary's VCS revision, or \""+operator.UnstampedBuildID+"\" for a binary built without one (go build -buildvcs=false, no .git)")
	d.MakeCurrent = component.MakeCurrentFirst
	fs.Func("make-current", "when this worker makes its build the current version, which gets every saga's next workflow task: first (only while none is current), always (a single worker, as sagatrace dev runs it), never (an operator runs 'sagatrace deployment set-current' once the build polls) (default first)",
		func(v string) error {
			if !slices.Contains(component.MakeCurrentModes(), component.MakeCurrent(v)) {
				return fmt.Errorf("want one of %v", component.MakeCurrentModes())
			}
			d.MakeCurrent = component.MakeCurrent(v)
			return nil
		})
}

// defineNATS declares where NATS is and the nkey seed to connect with as
// role.
// defaultSeed is "" for a component, the dev stack's seed of role for a
// command run against `sagatrace dev`.
func defineNATS(fs *flag.FlagSet, url, seedFile *string, role natsauth.Role, defaultSeed string) {
	fs.StringVar(url, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(seedFile, "nats-nkey", defaultSeed, fmt.Sprintf("`file` holding the nkey seed (SU…, mode 0600) of the NATS user %q to connect as; "+
		"empty: connect without credentials, which a server with users refuses ('sagatrace nats-keys' makes the seeds, `sagatrace dev` keeps them in DATA_DIR/nats-auth)", role))
}

// defineTemporal declares where the Temporal frontend is.
func defineTemporal(fs *flag.FlagSet, address, namespace *string) {
	fs.StringVar(address, "temporal-address", "127.0.0.1:7233", "Temporal frontend host:port")
	fs.StringVar(namespace, "namespace", "default", "Temporal namespace")
}

// defineTemporalTLS declares the client's mTLS material for the Temporal
// frontend; none given means plaintext (the dev server).
func defineTemporalTLS(fs *flag.FlagSet) *temporalclient.TLS {
	t := &temporalclient.TLS{}
	fs.StringVar(&t.CAFile, "temporal-tls-ca", "", "`file` of the CA (PEM) that signed Temporal's frontend certificate; with --temporal-tls-cert and --temporal-tls-key, Temporal is reached over mutual TLS ('sagatrace certs' makes them)")
	fs.StringVar(&t.CertFile, "temporal-tls-cert", "", "`file` of this client's certificate (PEM) for Temporal's mutual TLS")
	fs.StringVar(&t.KeyFile, "temporal-tls-key", "", "`file` of this client's private key (PEM, mode 0600) for Temporal's mutual TLS")
	fs.StringVar(&t.ServerName, "temporal-tls-server-name", "", "name Temporal's frontend certificate must carry (empty: the host of --temporal-address)")
	return t
}

// defineServeCodecKeyFile declares --codec-key-file of a component that
// talks to Temporal; unlike the CLI's it has no default: a component in
// production names its key file, or runs in clear and logs so.
func defineServeCodecKeyFile(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "codec-key-file", "", "`file` of the payload codec's keys (JSON, 0600, `sagatrace codec-key rotate` makes one): saga payloads are encrypted with its first key "+
		"and decrypted with any; every client and worker of the namespace needs the same file (empty: payloads in clear)")
}

// defineServiceURLs declares --<name>-url for every ledger service.
func defineServiceURLs(fs *flag.FlagSet) map[string]*string {
	urls := map[string]*string{}
	for _, svc := range component.Services() {
		urls[svc.Name] = fs.String(svc.Name+"-url", fmt.Sprintf("http://127.0.0.1:%d", svc.Port), svc.Name+" service base URL")
	}
	return urls
}

// values reads the flags defineServiceURLs declared.
func values(urls map[string]*string) map[string]string {
	out := make(map[string]string, len(urls))
	for name, u := range urls {
		out[name] = *u
	}
	return out
}

// serviceNames lists the ledger services, for help texts and errors.
func serviceNames() []string {
	var names []string
	for _, svc := range component.Services() {
		names = append(names, svc.Name)
	}
	return names
}

// serverFlags are what every component that serves HTTP declares: where
// it listens and how it checks the tokens of its callers.
type serverFlags struct {
	listen string
	auth   component.ServiceAuth
}

// defineServer declares --listen, on port by default, and the token
// checking flags of an HTTP server.
func defineServer(fs *flag.FlagSet, port int) *serverFlags {
	var s serverFlags
	fs.StringVar(&s.listen, "listen", fmt.Sprintf(":%d", port), "HTTP listen address")
	defineServiceAuth(fs, &s.auth)
	return &s
}

// defineList declares a flag that may be given again, each value a
// comma-separated list, appending to *list.
func defineList(fs *flag.FlagSet, name, usage string, list *[]string) {
	fs.Func(name, usage, func(v string) error {
		*list = append(*list, auth.SplitList(v)...)
		return nil
	})
}

// defineServiceAuth declares how a service checks bearer tokens.
func defineServiceAuth(fs *flag.FlagSet, a *component.ServiceAuth) {
	fs.StringVar(&a.PublicKeyFile, "auth-public-key", "", "`file` of the token issuer's Ed25519 public key, PEM, or a directory of *.pub files, or a comma-separated list of either: "+
		"every key verifies the tokens naming it (kid), so a new key is added beside the old one and the old one removed once its tokens expired (required unless --auth-disabled; 'sagatrace keygen' makes a pair)")
	fs.StringVar(&a.Issuer, "auth-issuer", auth.DefaultIssuer, "the iss claim tokens must carry")
	fs.DurationVar(&a.MaxTokenLifetime, "auth-max-token-lifetime", auth.DefaultMaxLifetime, "the longest lifetime (exp − iat) a token may have; a longer one is refused")
	fs.BoolVar(&a.Disabled, "auth-disabled", false, "serve the API without authentication: every caller may do everything (never in production)")
}

// defineClientAuth declares where a caller of the services gets its
// tokens; defaultKey is the --auth-key default ("" for none).
func defineClientAuth(fs *flag.FlagSet, c *auth.ClientConfig, defaultKey string) {
	fs.StringVar(&c.KeyFile, "auth-key", defaultKey, "`file` of the token issuer's Ed25519 private key, PEM: short-lived tokens are minted with it for each service called")
	fs.StringVar(&c.TokenFile, "auth-token-file", "", "`file` holding a bearer token to send instead of minting (its audience must list every service called, with the scopes needed there); re-read every 30 s")
	fs.StringVar(&c.Issuer, "auth-issuer", auth.DefaultIssuer, "the iss claim of minted tokens")
}

// envName is the environment variable of a flag: --nats-url → SAGATRACE_NATS_URL.
func envName(flagName string) string {
	return "SAGATRACE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag of fs whose environment variable is set. A bad
// value is reported under the variable's name, which is what the operator
// wrote.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := lookup(envName(f.Name))
		if !ok || err != nil {
			return
		}
		if setErr := fs.Set(f.Name, v); setErr != nil {
			err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, setErr)
		}
	})
	return err
}
