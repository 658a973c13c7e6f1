-- Orders and their audit trail. id columns are local: they never leave the
-- service (not in JSON, spans or logs); order_id is the public UUIDv7.
CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    order_id        TEXT    NOT NULL UNIQUE,
    dtid            TEXT    NOT NULL,
    customer_id     TEXT    NOT NULL,
    payment_id      TEXT    NOT NULL,
    amount_cents    BIGINT  NOT NULL CHECK (amount_cents > 0),
    currency        TEXT    NOT NULL,
    items           TEXT    NOT NULL, -- JSON array of {sku, qty, price_cents}
    state           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    request_hash    TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE INDEX orders_dtid ON orders (dtid, order_id);

-- One row per state change, written in the same transaction as the change.
CREATE TABLE order_events (
    id             INTEGER PRIMARY KEY,
    order_ref      INTEGER NOT NULL REFERENCES orders (id),
    dtid           TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE INDEX order_events_order ON order_events (order_ref, id);
CREATE INDEX order_events_dtid ON order_events (dtid);
