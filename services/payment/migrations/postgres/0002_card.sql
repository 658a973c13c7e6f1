-- The card a payment was charged to: the card processor's token and the
-- last four digits, never the number (paymentapi.Payment). Payments made before
-- this version, and charges that name no card, have ''.
ALTER TABLE payments ADD COLUMN card_token TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN card_last4 TEXT NOT NULL DEFAULT '';
