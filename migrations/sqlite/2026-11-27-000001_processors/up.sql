-- Payments through processors: each account's processor connection (its
-- secrets sealed under the server key), clients as customers there, the
-- methods saved there (references and display data only: no card number
-- ever reaches the portal), checkouts (a pay form's one-time token), the
-- webhook events applied, and payments that went through a processor.
-- Accounts choose whether clients may pay part of an invoice.
--
-- SQLite cannot change a CHECK constraint in place: the payments table is
-- rebuilt, with foreign keys off so that dropping the old table trips
-- neither its allocations nor its refunds. The whole change is one
-- transaction, and it refuses to commit if any foreign key is left
-- dangling.

PRAGMA foreign_keys = OFF;
BEGIN;

ALTER TABLE accounts ADD COLUMN allow_partial_payments integer NOT NULL DEFAULT 0;

-- One connection per account; a new one replaces it. Customers, methods
-- and checkouts name the connection they were made under and outlive it,
-- unused, so they carry no foreign key to it.
CREATE TABLE processor_connections (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    kind text NOT NULL CHECK (kind IN ('test', 'stripe', 'authorize_net')),
    -- What is not secret, as `name=value` lines.
    public text NOT NULL,
    -- The secrets, sealed: a copy of the database file reveals none.
    sealed_secrets blob NOT NULL,
    created_at text NOT NULL,
    last_ok_at text,
    last_error text,
    last_error_at text,
    CONSTRAINT processor_connections_account_key UNIQUE (account_id),
    CHECK ((last_error IS NULL) = (last_error_at IS NULL))
);

-- A client as a customer at the processor, one per connection.
CREATE TABLE processor_customers (
    connection_id text NOT NULL,
    client_id text NOT NULL REFERENCES clients (id),
    account_id text NOT NULL REFERENCES accounts (id),
    reference text NOT NULL,
    created_at text NOT NULL,
    PRIMARY KEY (connection_id, client_id)
);

-- Methods saved at the processor, recorded once it confirmed them.
CREATE TABLE payment_methods (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    client_id text NOT NULL REFERENCES clients (id),
    connection_id text NOT NULL,
    reference text NOT NULL,
    method_type text NOT NULL CHECK (method_type IN ('card', 'bank_account')),
    brand text CHECK (brand IN ('visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb',
                                'unionpay', 'other')),
    last4 text NOT NULL CHECK (length(last4) = 4 AND last4 GLOB '[0-9][0-9][0-9][0-9]'),
    exp_month integer CHECK (exp_month BETWEEN 1 AND 12),
    exp_year integer CHECK (exp_year BETWEEN 2000 AND 2099),
    bank_name text,
    is_default integer NOT NULL,
    added_by text REFERENCES contacts (id),
    created_at text NOT NULL,
    CONSTRAINT payment_methods_reference_key UNIQUE (connection_id, reference),
    CHECK ((method_type = 'card') = (brand IS NOT NULL)),
    CHECK ((exp_month IS NULL) = (exp_year IS NULL)),
    CHECK (method_type = 'card' OR exp_month IS NULL),
    CHECK (method_type = 'bank_account' OR bank_name IS NULL)
);
CREATE INDEX payment_methods_client_idx
    ON payment_methods (account_id, connection_id, client_id, created_at, id);
-- At most one default per client and connection.
CREATE UNIQUE INDEX payment_methods_default_key
    ON payment_methods (connection_id, client_id) WHERE is_default = 1;

-- A pay form's one-time token: submitted at most once.
CREATE TABLE checkouts (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES contacts (id),
    session_id text NOT NULL REFERENCES crm_client_portal_sessions (id),
    connection_id text NOT NULL,
    -- The payment it becomes (written when submitted).
    payment_id text NOT NULL,
    currency text NOT NULL CHECK (length(currency) = 3),
    amount_minor integer NOT NULL CHECK (amount_minor > 0),
    created_at text NOT NULL,
    expires_at text NOT NULL,
    submitted_at text
);
CREATE INDEX checkouts_open_expiry_idx ON checkouts (expires_at) WHERE submitted_at IS NULL;

CREATE TABLE checkout_allocations (
    checkout_id text NOT NULL REFERENCES checkouts (id) ON DELETE CASCADE,
    position integer NOT NULL,
    document_id text NOT NULL REFERENCES documents (id),
    amount_minor integer NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (checkout_id, position)
);

-- Webhook events applied, each once per account and processor.
CREATE TABLE processor_events (
    account_id text NOT NULL REFERENCES accounts (id),
    processor text NOT NULL CHECK (processor IN ('test', 'stripe', 'authorize_net')),
    event_id text NOT NULL,
    event_type text NOT NULL,
    -- The payment it settled, if any (not a foreign key: an event may
    -- name a payment the portal does not know).
    payment_id text,
    recorded_at text NOT NULL,
    PRIMARY KEY (account_id, processor, event_id)
);

-- Payments: a card or bank debit through a processor, besides manual
-- ones; the processor, connection and charge; why a failed one failed.
CREATE TABLE payments_rebuilt (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    client_id text NOT NULL REFERENCES clients (id),
    currency text NOT NULL CHECK (length(currency) = 3),
    amount_minor integer NOT NULL CHECK (amount_minor > 0),
    -- The method's family, and what is known of it: for a manual payment
    -- how it arrived, for a card its brand and last four digits.
    method text NOT NULL CHECK (method IN ('manual', 'card', 'bank_debit')),
    manual_kind text CHECK (manual_kind IN ('bank_transfer', 'check', 'cash', 'other')),
    card_brand text CHECK (card_brand IN ('visa', 'mastercard', 'amex', 'discover', 'diners',
                                          'jcb', 'unionpay', 'other')),
    method_last4 text CHECK (length(method_last4) = 4
                             AND method_last4 GLOB '[0-9][0-9][0-9][0-9]'),
    reference text,
    received_at text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at text NOT NULL,
    -- Counted up by every refund and settlement, which compare it.
    version integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    processor text CHECK (processor IN ('test', 'stripe', 'authorize_net')),
    processor_connection_id text,
    processor_charge_ref text,
    failure text,
    CONSTRAINT payments_method_details_check CHECK (
        (method = 'manual') = (manual_kind IS NOT NULL)
        AND (method = 'card') = (card_brand IS NOT NULL)
        AND (method <> 'manual' OR method_last4 IS NULL)
    ),
    CONSTRAINT payments_charge_check
        CHECK ((processor IS NULL) = (processor_connection_id IS NULL))
);
INSERT INTO payments_rebuilt (id, account_id, client_id, currency, amount_minor, method,
                              manual_kind, reference, received_at, status, created_at, version)
SELECT id, account_id, client_id, currency, amount_minor, method, manual_kind, reference,
       received_at, status, created_at, version
FROM payments;
DROP TABLE payments;
ALTER TABLE payments_rebuilt RENAME TO payments;
CREATE INDEX payments_account_idx ON payments (account_id, received_at DESC, id DESC);
CREATE INDEX payments_client_idx ON payments (account_id, client_id, received_at DESC, id DESC);
CREATE INDEX payments_charge_idx ON payments (account_id, processor, processor_charge_ref)
    WHERE processor_charge_ref IS NOT NULL;
CREATE INDEX payments_pending_processor_idx ON payments (created_at, id)
    WHERE status = 'pending' AND processor IS NOT NULL;

-- Refuse to commit with any foreign key left dangling.
CREATE TEMP TABLE migration_foreign_key_check (dangling integer NOT NULL CHECK (dangling = 0));
INSERT INTO migration_foreign_key_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE migration_foreign_key_check;

COMMIT;
PRAGMA foreign_keys = ON;
