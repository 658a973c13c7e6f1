package ledger_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// The ledger's behaviour is tested once, through each service that is
// built on it, each on SQLite and PostgreSQL: what a service adds (its
// lifecycle, validation, columns) is tested in its own package.

var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// service describes one ledger service to the shared tests.
type service struct {
	name, audience          string
	collection              string // "payments"
	compensation            string // "refund"
	table, events, ref      string // entity and audit tables, the audit table's reference column
	write, compensate, read string // scopes
	faultCreate             ids.Operation
	faultCompensate         ids.Operation
	created                 []string // the states a create writes, in order
	compensated             string
	refusedType             string // a create refused by its error fault
	keyReused, notFound     string // problem types
	unavailable             string // the compensation's error fault
	storeSpansOfCreate      int
	request                 func(dtid string) map[string]any // a valid create request
	changes                 map[string]map[string]any        // other requests, by test name
	// serve builds the service with cfg; pay is the payment service it
	// reads, for a service that reads one (order checks the payment it is
	// paid by), else nil.
	serve        func(t testing.TB, cfg ledger.Config, pay *payments) servicetest.Build
	readsPayment bool
	newClient    func(baseURL string, hc *http.Client) client
}

// client is a service's real Client as the shared tests use it.
type client struct {
	create     func(ctx context.Context, key string, req map[string]any) (entity, error)
	compensate func(ctx context.Context, key, id string) (entity, error)
	// compensateDTID voids a DTID and compensates all of it.
	compensateDTID func(ctx context.Context, key, dtid string) ([]entity, error)
	get            func(ctx context.Context, id string) (entity, error)
	list           func(ctx context.Context, q httpapi.ListQuery) (httpapi.Page[entity], error)
}

// entity is what every ledger entity has.
type entity struct {
	ID, DTID, State string
	History         []httpapi.StateChange[string]
}

func view[S ~string](id, dtid string, state S, history []httpapi.StateChange[S]) entity {
	e := entity{ID: id, DTID: dtid, State: string(state), History: []httpapi.StateChange[string]{}}
	for _, c := range history {
		e.History = append(e.History, httpapi.StateChange[string]{State: string(c.State), CorrelationID: c.CorrelationID, At: c.At})
	}
	return e
}

// convert turns a request map into the service's request type.
func convert[R any](req map[string]any) (R, error) {
	var r R
	b, err := json.Marshal(req)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	return r, err
}

func viewPage[E any](page httpapi.Page[E], err error, one func(E) entity) (httpapi.Page[entity], error) {
	out := httpapi.Page[entity]{NextCursor: page.NextCursor}
	if page.Items != nil { // a nil page stays nil, for the tests to see it
		out.Items = make([]entity, 0, len(page.Items))
	}
	for _, e := range page.Items {
		out.Items = append(out.Items, one(e))
	}
	return out, err
}

// adapt makes the client the shared tests use of a service's Client: its
// create taking requests R, its two compensations, and the reads every
// ledger client shares; one views its entities E.
func adapt[E, R any](one func(E) entity,
	create func(ctx context.Context, key string, req R) (E, error),
	compensate func(ctx context.Context, key, id string) (E, error),
	compensateDTID func(ctx context.Context, key, dtid string) (httpapi.Voided[E], error),
	reads httpclient.Reads[E],
) client {
	return client{
		create: func(ctx context.Context, key string, req map[string]any) (entity, error) {
			r, err := convert[R](req)
			if err != nil {
				return entity{}, err
			}
			e, err := create(ctx, key, r)
			return one(e), err
		},
		compensate: func(ctx context.Context, key, id string) (entity, error) {
			e, err := compensate(ctx, key, id)
			return one(e), err
		},
		compensateDTID: func(ctx context.Context, key, dtid string) ([]entity, error) {
			out, err := compensateDTID(ctx, key, dtid)
			return viewAll(out.Items, one), err
		},
		get: func(ctx context.Context, id string) (entity, error) {
			e, err := reads.Get(ctx, id)
			return one(e), err
		},
		list: func(ctx context.Context, q httpapi.ListQuery) (httpapi.Page[entity], error) {
			page, err := reads.List(ctx, q)
			return viewPage(page, err, one)
		},
	}
}

func viewPayment(p paymentapi.Payment) entity { return view(p.PaymentID, p.DTID, p.State, p.History) }
func viewOrder(o orderapi.Order) entity       { return view(o.OrderID, o.DTID, o.State, o.History) }

var services = []service{
	{
		name: "payment", audience: paymentapi.Audience, collection: "payments", compensation: "refund",
		table: "payments", events: "payment_events", ref: "payment",
		write: paymentapi.ScopeWrite, compensate: paymentapi.ScopeRefund, read: paymentapi.ScopeRead,
		faultCreate: paymentapi.OpCharge, faultCompensate: paymentapi.OpRefund,
		created: []string{"stored", "initiated", "completed"}, compensated: "refunded",
		refusedType: paymentapi.TypePaymentDeclined, keyReused: paymentapi.TypeIdempotencyKeyReused,
		notFound: paymentapi.TypePaymentNotFound, unavailable: paymentapi.TypeRefundUnavailable,
		storeSpansOfCreate: 4, // voided, create, advance to initiated, advance to completed
		request: func(dtid string) map[string]any {
			return map[string]any{"dtid": dtid, "customer_id": "c-1", "amount_cents": 1299, "currency": "USD"}
		},
		changes: map[string]map[string]any{
			"different_amount_is_refused":   {"amount_cents": 1300},
			"different_customer_is_refused": {"customer_id": "c-2"},
		},
		serve: func(t testing.TB, cfg ledger.Config, _ *payments) servicetest.Build {
			return servicetest.Payment(t, cfg)
		},
		newClient: func(baseURL string, hc *http.Client) client {
			c := paymentapi.NewClient(baseURL, hc)
			return adapt(viewPayment, c.Charge, c.Refund, c.RefundDTID, c.Reads)
		},
	},
	{
		name: "order", audience: orderapi.Audience, collection: "orders", compensation: "cancel",
		table: "orders", events: "order_events", ref: "order_ref",
		write: orderapi.ScopeWrite, compensate: orderapi.ScopeCancel, read: orderapi.ScopeRead,
		faultCreate: orderapi.OpCreate, faultCompensate: orderapi.OpCancel,
		created: []string{"confirmed"}, compensated: "cancelled",
		refusedType: orderapi.TypeOrderRejected, keyReused: orderapi.TypeIdempotencyKeyReused,
		notFound: orderapi.TypeOrderNotFound, unavailable: orderapi.TypeCancelUnavailable,
		storeSpansOfCreate: 3, // voided, by_key, create
		request: func(dtid string) map[string]any {
			return map[string]any{"dtid": dtid, "customer_id": "c-1", "payment_id": "0197a1b2-0000-7000-8000-000000000001",
				"amount_cents": 2299, "currency": "USD",
				"items": []map[string]any{{"sku": "sku-1", "qty": 1, "price_cents": 1299}, {"sku": "sku-2", "qty": 2, "price_cents": 500}}}
		},
		changes: map[string]map[string]any{
			"different_items_are_refused":  {"items": []map[string]any{{"sku": "sku-9", "qty": 1, "price_cents": 2299}}},
			"different_payment_is_refused": {"payment_id": "p-2"},
		},
		readsPayment: true,
		serve: func(t testing.TB, cfg ledger.Config, pay *payments) servicetest.Build {
			return servicetest.Order(t, cfg, pay.url)
		},
		newClient: func(baseURL string, hc *http.Client) client {
			c := orderapi.NewClient(baseURL, hc)
			return adapt(viewOrder, c.Create, c.Cancel, c.CancelDTID, c.Reads)
		},
	},
}

// env is one service under test on the shared rig.
type env struct {
	*servicetest.Env
	svc     service
	backend dbtest.Backend // the zero Backend for an env opened on a given database
	client  client
}

// eachService runs test for every service on every backend, as the
// subtests "payment/sqlite", "order/postgres", ….
func eachService(t *testing.T, test func(t *testing.T, svc service, backend dbtest.Backend)) {
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			backends.Each(t, func(t *testing.T, backend dbtest.Backend) { test(t, svc, backend) })
		})
	}
}

// eachEnv runs test for every service on every backend, each served with
// cfg on a fresh database: the head of every test of one server.
func eachEnv(t *testing.T, cfg ledger.Config, test func(t *testing.T, e *env)) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) { test(t, newEnv(t, svc, backend, cfg)) })
}

// newEnv serves svc with cfg on a fresh database of backend.
func newEnv(t *testing.T, svc service, backend dbtest.Backend, cfg ledger.Config) *env {
	t.Helper()
	var pay *payments
	if svc.readsPayment {
		pay = newPayments(t, backend)
	}
	e := openEnv(t, svc, backend.URL(t), cfg, pay)
	e.backend = backend
	return e
}

// openEnv serves svc with cfg on the database at dbURL, reading pay.
// When svc reads a payment, its requests are paid at pay first.
func openEnv(t *testing.T, svc service, dbURL string, cfg ledger.Config, pay *payments) *env {
	t.Helper()
	e := servicetest.New(t, svc.name, dbURL, svc.serve(t, cfg, pay))
	if pay != nil {
		unpaid := svc.request
		svc.request = func(dtid string) map[string]any {
			req := unpaid(dtid)
			req["payment_id"] = pay.paymentFor(t, req)
			return req
		}
	}
	return &env{Env: e, svc: svc, client: svc.newClient(e.URL, e.HTTPClient)}
}

// payments is a real payment service for a service that checks the
// payment it is paid by (order): each DTID is charged there once, for the
// request's customer, amount and currency.
type payments struct {
	url    string
	client *paymentapi.Client
	mu     sync.Mutex
	paid   map[string]string // DTID → payment ID
}

func newPayments(t *testing.T, backend dbtest.Backend) *payments {
	e, client := servicetest.ReadPayments(t, backend.URL(t))
	return &payments{url: e.URL, client: client, paid: map[string]string{}}
}

// paymentFor returns the ID of the completed payment of req's DTID.
func (p *payments) paymentFor(t *testing.T, req map[string]any) string {
	dtid, _ := req["dtid"].(string)
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, ok := p.paid[dtid]; ok {
		return id
	}
	charge, err := convert[paymentapi.ChargeRequest](req)
	if err != nil {
		t.Fatal(err)
	}
	made, err := p.client.Charge(context.Background(), ids.IdempotencyKey(dtid, "payment-of-the-order"), charge)
	if err != nil || made.State != paymentapi.StateCompleted {
		t.Fatalf("pay for dtid %s: %+v, %v", dtid, made, err)
	}
	p.paid[dtid] = made.PaymentID
	return made.PaymentID
}

// createOne creates an entity of a valid request for dtid, in a hop of its
// own and under the step's idempotency key, and fails the test if it
// cannot. It returns the entity with the hop's context and trace ID.
func (e *env) createOne(t *testing.T, dtid string) (made entity, ctx context.Context, traceID string) {
	t.Helper()
	ctx, traceID = e.Hop(t, dtid)
	made, err := e.client.create(ctx, ids.IdempotencyKey(dtid, e.svc.name), e.svc.request(dtid))
	if err != nil {
		t.Fatal(err)
	}
	return made, ctx, traceID
}

// path is the service's collection, or one entity's path with its
// compensation when given.
func (e *env) path(parts ...string) string {
	p := "/v1/" + e.svc.collection
	for _, s := range parts {
		p += "/" + s
	}
	return p
}

// body is a valid create request of a new DTID, as JSON.
func (e *env) body(t *testing.T, dtid string) string {
	b, err := json.Marshal(e.svc.request(dtid))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// event is an audit row as stored; a local type, so tests write it unkeyed.
type event servicetest.Event

// events returns the audit rows of an entity, oldest first.
func (e *env) events(t *testing.T, id string) []event {
	t.Helper()
	rows := e.Events(t, `SELECT ev.dtid, ev.state, ev.correlation_id FROM `+e.svc.events+` ev
		JOIN `+e.svc.table+` x ON x.id = ev.`+e.svc.ref+` WHERE x.`+e.svc.name+`_id = $1 ORDER BY ev.id`, id)
	out := make([]event, len(rows))
	for i, r := range rows {
		out[i] = event(r)
	}
	return out
}

// with returns the service's request for dtid with fields changed.
func (s service) with(dtid string, fields map[string]any) map[string]any {
	req := s.request(dtid)
	for k, v := range fields {
		req[k] = v
	}
	return req
}

func viewAll[T any](items []T, view func(T) entity) []entity {
	out := make([]entity, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return out
}

func statesOf(h []httpapi.StateChange[string]) []string {
	out := make([]string, len(h))
	for i, c := range h {
		out[i] = c.State
	}
	return out
}
