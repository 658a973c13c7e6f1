-- Payments and their audit trail. id columns are local: they never leave
-- the service (not in JSON, spans or logs); payment_id is the public UUIDv7.
CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    payment_id      TEXT    NOT NULL UNIQUE,
    dtid            TEXT    NOT NULL,
    customer_id     TEXT    NOT NULL,
    amount_cents    BIGINT  NOT NULL CHECK (amount_cents > 0),
    currency        TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    request_hash    TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE INDEX payments_dtid ON payments (dtid, payment_id);

-- One row per state change, written in the same transaction as the change.
CREATE TABLE payment_events (
    id             INTEGER PRIMARY KEY,
    payment        INTEGER NOT NULL REFERENCES payments (id),
    dtid           TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE INDEX payment_events_payment ON payment_events (payment, id);
CREATE INDEX payment_events_dtid ON payment_events (dtid);
