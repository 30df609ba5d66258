-- Payments made through a processor stay in the ledger, as manual ones
-- of another kind.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE payments_rebuilt (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    client_id text NOT NULL REFERENCES clients (id),
    currency text NOT NULL CHECK (length(currency) = 3),
    amount_minor integer NOT NULL CHECK (amount_minor > 0),
    method text NOT NULL CHECK (method IN ('manual')),
    manual_kind text CHECK (manual_kind IN ('bank_transfer', 'check', 'cash', 'other')),
    reference text,
    received_at text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at text NOT NULL,
    version integer NOT NULL DEFAULT 0 CHECK (version >= 0)
);
INSERT INTO payments_rebuilt (id, account_id, client_id, currency, amount_minor, method,
                              manual_kind, reference, received_at, status, created_at, version)
SELECT id, account_id, client_id, currency, amount_minor, 'manual',
       CASE WHEN method = 'manual' THEN manual_kind ELSE 'other' END,
       reference, received_at, status, created_at, version
FROM payments;
DROP TABLE payments;
ALTER TABLE payments_rebuilt RENAME TO payments;
CREATE INDEX payments_account_idx ON payments (account_id, received_at DESC, id DESC);
CREATE INDEX payments_client_idx ON payments (account_id, client_id, received_at DESC, id DESC);

DROP TABLE processor_events;
DROP TABLE checkout_allocations;
DROP TABLE checkouts;
DROP TABLE payment_methods;
DROP TABLE processor_customers;
DROP TABLE processor_connections;

ALTER TABLE accounts DROP COLUMN allow_partial_payments;

COMMIT;
PRAGMA foreign_keys = ON;
