package payment

import (
	"embed"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// migrations holds the directory migrations, with a directory per dialect
// in it (see database.Migrate): the versions the ledger does not write.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store keeps payments and their audit rows (see ledger.Store).
type Store = ledger.Store[paymentapi.Payment, paymentapi.State]

// schema is the payments table as the ledger sees it: a function, as Go
// has no constant structs.
func schema() ledger.Schema[paymentapi.Payment, paymentapi.State] {
	return ledger.Schema[paymentapi.Payment, paymentapi.State]{
		Name: "payment", Table: "payments", IDColumn: "payment_id",
		Audit:   database.AuditTable{Name: "payment_events", Ref: "payment"},
		Columns: []string{"customer_id", "amount_cents", "currency", "card_token", "card_last4"},
		InitColumns: `customer_id TEXT NOT NULL,
			amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
			currency TEXT NOT NULL`,
		Common: func(p *paymentapi.Payment) ledger.Common[paymentapi.State] {
			return ledger.Common[paymentapi.State]{ID: &p.PaymentID, DTID: &p.DTID, State: &p.State,
				CreatedAt: &p.CreatedAt, UpdatedAt: &p.UpdatedAt, History: &p.History}
		},
		Values: func(p *paymentapi.Payment) ([]any, error) {
			return []any{p.CustomerID, p.AmountCents, p.Currency, p.CardToken, p.CardLast4}, nil
		},
		Scan: func(p *paymentapi.Payment) ([]any, func() error) {
			return []any{&p.CustomerID, &p.AmountCents, &p.Currency, &p.CardToken, &p.CardLast4}, nil
		},
	}
}
