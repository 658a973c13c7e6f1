package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/money"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// The input is checked against the services' own bounds (money, order,
// httpapi), so a saga never starts with input a step would refuse.

// Validate reports every problem of in at once, each naming its field, so
// an operator fixes the input in one go. dtid is the resolved DTID. It is
// what a starter checks: every rule, the newest included. The workflow
// runs the same rules, the ones added since sagas were in flight only
// for sagas started after them (saga.start, versions.go).
func (in Input) Validate(dtid string) error {
	return errors.Join(in.validateBase(dtid, ids.ValidateDTID), in.validateSKUBounds(), in.validateFields())
}

// validateSKUBounds holds each SKU to the order service's bound (a saga
// once accepted up to httpapi.MaxIDLen, charged, and was refused 400 at
// the order step).
func (in Input) validateSKUBounds() error {
	var errs []error
	for i, it := range in.Items {
		if len(it.SKU) > orderapi.MaxSKULen {
			errs = append(errs, fmt.Errorf("items[%d].sku: is %d characters long, at most %d are allowed", i, len(it.SKU), orderapi.MaxSKULen))
		}
	}
	return errors.Join(errs...)
}

// validateBase holds the rules every saga has been checked with since the
// first release; validateDTID checks the DTID (its rule grew a card-number
// check since, which sagas checked inline do not get).
func (in Input) validateBase(dtid string, validateDTID func(string) error) error {
	var errs []error
	if err := validateDTID(dtid); err != nil {
		errs = append(errs, fmt.Errorf("dtid: %w", err))
	}
	errs = append(errs, checkID("customer_id", in.CustomerID), checkID("profile_id", in.ProfileID))
	switch {
	case in.AmountCents <= 0:
		errs = append(errs, fmt.Errorf("amount_cents: must be positive, got %d", in.AmountCents))
	case in.AmountCents > money.MaxAmountCents:
		errs = append(errs, fmt.Errorf("amount_cents: %d is above the limit of %d", in.AmountCents, money.MaxAmountCents))
	}
	if !money.IsCurrency(in.Currency) {
		errs = append(errs, fmt.Errorf("currency: %q is not a supported ISO 4217 code", in.Currency))
	}
	errs = append(errs, in.validateItems()...)
	for _, p := range paymentapi.CardProblems(in.CardToken, in.CardLast4) {
		errs = append(errs, errors.New(p))
	}
	// Sorted, because this runs inside the workflow: map order would make the
	// failure message differ between a run and its replay. (workflowcheck
	// sees maps.Keys iterate a map; the sort makes the order fixed.)
	//workflowcheck:ignore
	for _, op := range slices.Sorted(maps.Keys(in.Faults)) {
		kind := in.Faults[op]
		if !slices.Contains(Operations(OrderSagaSteps()), ids.Operation(op)) {
			errs = append(errs, fmt.Errorf("faults: unknown operation %q", op))
		}
		if _, err := faults.ParseFault(kind); err != nil {
			errs = append(errs, fmt.Errorf("faults: operation %q: %w", op, err))
		}
	}
	return errors.Join(errs...)
}

func (in Input) validateItems() []error {
	if len(in.Items) == 0 {
		return []error{errors.New("items: at least one item is required")}
	}
	if len(in.Items) > orderapi.MaxItems {
		return []error{fmt.Errorf("items: %d items, at most %d are allowed", len(in.Items), orderapi.MaxItems)}
	}
	var errs []error
	var sum int64
	for i, it := range in.Items {
		if err := checkID(fmt.Sprintf("items[%d].sku", i), it.SKU); err != nil {
			errs = append(errs, err)
		}
		if it.Qty < 1 || it.Qty > orderapi.MaxQty {
			errs = append(errs, fmt.Errorf("items[%d].qty: must be between 1 and %d, got %d", i, orderapi.MaxQty, it.Qty))
		}
		if it.PriceCents < 0 || it.PriceCents > money.MaxAmountCents {
			errs = append(errs, fmt.Errorf("items[%d].price_cents: must be between 0 and %d, got %d", i, money.MaxAmountCents, it.PriceCents))
		}
		sum += int64(it.Qty) * it.PriceCents
	}
	if len(errs) == 0 && sum != in.AmountCents {
		errs = append(errs, fmt.Errorf("amount_cents: %d does not equal the items' total %d", in.AmountCents, sum))
	}
	return errs
}

func checkID(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fmt.Errorf("%s: is required", field)
	case len(v) > httpapi.MaxIDLen:
		return fmt.Errorf("%s: is %d characters long, at most %d are allowed", field, len(v), httpapi.MaxIDLen)
	case carddata.Contains(v):
		return fmt.Errorf("%s: holds a card number; a saga never takes one (card_token and card_last4 only)", field)
	}
	return nil
}

// UnmarshalJSON decodes saga input leniently, because the workflow
// decodes its input again on every replay: a strict decoder would make
// any field a later build removes fail every saga in flight. An unknown
// field is still most often a typo ("ammount_cents") that a Temporal CLI
// user must hear about, so the first one is kept, and the saga refuses it
// as invalid input (laterChecks), unless a later build retired it
// (retiredInputFields).
func (in *Input) UnmarshalJSON(data []byte) error {
	type plain Input // no methods, so no recursion
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	var unknown string
	if err != nil {
		name, isUnknown := strings.CutPrefix(err.Error(), "json: unknown field ")
		if !isUnknown {
			return fmt.Errorf("saga input: %w (fields: dtid, customer_id, profile_id, amount_cents, currency, items, faults)", err)
		}
		unknown = strings.Trim(name, `"`)
		p = plain{}
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("saga input: %w", err)
		}
	}
	*in = Input(p)
	in.unknownField = unknown
	return nil
}

// retiredInputFields are fields earlier builds took and this one does not:
// inputs of sagas started then still hold them, so they are not unknown.
// A field removed from Input is added here, never deleted.
func retiredInputFields() []string { return nil }

// validateFields refuses the input's unknown field, if any.
func (in Input) validateFields() error {
	if in.unknownField == "" || slices.Contains(retiredInputFields(), in.unknownField) {
		return nil
	}
	return fmt.Errorf("unknown field %q (fields: dtid, customer_id, profile_id, amount_cents, currency, items, card_token, card_last4, faults)", in.unknownField)
}
