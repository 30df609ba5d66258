-- Payments through processors: each account's processor connection (its
-- secrets sealed under the server key), clients as customers there, the
-- methods saved there (references and display data only: no card number
-- ever reaches the portal), checkouts (a pay form's one-time token), the
-- webhook events applied, and payments that went through a processor.
-- Accounts choose whether clients may pay part of an invoice.

ALTER TABLE accounts ADD COLUMN allow_partial_payments boolean NOT NULL DEFAULT false;

-- One connection per account; a new one replaces it. Customers, methods
-- and checkouts name the connection they were made under and outlive it,
-- unused, so they carry no foreign key to it.
CREATE TABLE processor_connections (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    kind text NOT NULL CHECK (kind IN ('test', 'stripe', 'authorize_net')),
    -- What is not secret, as `name=value` lines.
    public text NOT NULL,
    -- The secrets, sealed: a dump of the database reveals none.
    sealed_secrets bytea NOT NULL,
    created_at timestamptz NOT NULL,
    last_ok_at timestamptz,
    last_error text,
    last_error_at timestamptz,
    CONSTRAINT processor_connections_account_key UNIQUE (account_id),
    CHECK ((last_error IS NULL) = (last_error_at IS NULL))
);

-- A client as a customer at the processor, one per connection.
CREATE TABLE processor_customers (
    connection_id uuid NOT NULL,
    client_id uuid NOT NULL REFERENCES clients (id),
    account_id uuid NOT NULL REFERENCES accounts (id),
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (connection_id, client_id)
);

-- Methods saved at the processor, recorded once it confirmed them.
CREATE TABLE payment_methods (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    connection_id uuid NOT NULL,
    reference text NOT NULL,
    method_type text NOT NULL CHECK (method_type IN ('card', 'bank_account')),
    brand text CHECK (brand IN ('visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb',
                                'unionpay', 'other')),
    last4 text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    exp_month integer CHECK (exp_month BETWEEN 1 AND 12),
    exp_year integer CHECK (exp_year BETWEEN 2000 AND 2099),
    bank_name text,
    is_default boolean NOT NULL,
    added_by uuid REFERENCES contacts (id),
    created_at timestamptz NOT NULL,
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
    ON payment_methods (connection_id, client_id) WHERE is_default;

-- A pay form's one-time token: submitted at most once.
CREATE TABLE checkouts (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    contact_id uuid NOT NULL REFERENCES contacts (id),
    session_id uuid NOT NULL REFERENCES crm_client_portal_sessions (id),
    connection_id uuid NOT NULL,
    -- The payment it becomes (written when submitted).
    payment_id uuid NOT NULL,
    currency text NOT NULL CHECK (length(currency) = 3),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    submitted_at timestamptz
);
CREATE INDEX checkouts_open_expiry_idx ON checkouts (expires_at) WHERE submitted_at IS NULL;

CREATE TABLE checkout_allocations (
    checkout_id uuid NOT NULL REFERENCES checkouts (id) ON DELETE CASCADE,
    position integer NOT NULL,
    document_id uuid NOT NULL REFERENCES documents (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (checkout_id, position)
);

-- Webhook events applied, each once per account and processor.
CREATE TABLE processor_events (
    account_id uuid NOT NULL REFERENCES accounts (id),
    processor text NOT NULL CHECK (processor IN ('test', 'stripe', 'authorize_net')),
    event_id text NOT NULL,
    event_type text NOT NULL,
    -- The payment it settled, if any (not a foreign key: an event may
    -- name a payment the portal does not know).
    payment_id uuid,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, processor, event_id)
);

-- Payments: a card or bank debit through a processor, besides manual
-- ones; the processor, connection and charge; why a failed one failed.
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check
    CHECK (method IN ('manual', 'card', 'bank_debit'));
ALTER TABLE payments ADD COLUMN card_brand text
    CHECK (card_brand IN ('visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay',
                          'other'));
ALTER TABLE payments ADD COLUMN method_last4 text CHECK (method_last4 ~ '^[0-9]{4}$');
ALTER TABLE payments ADD COLUMN processor text
    CHECK (processor IN ('test', 'stripe', 'authorize_net'));
ALTER TABLE payments ADD COLUMN processor_connection_id uuid;
ALTER TABLE payments ADD COLUMN processor_charge_ref text;
ALTER TABLE payments ADD COLUMN failure text;
ALTER TABLE payments ADD CONSTRAINT payments_method_details_check CHECK (
    (method = 'manual') = (manual_kind IS NOT NULL)
    AND (method = 'card') = (card_brand IS NOT NULL)
    AND (method <> 'manual' OR method_last4 IS NULL)
);
ALTER TABLE payments ADD CONSTRAINT payments_charge_check
    CHECK ((processor IS NULL) = (processor_connection_id IS NULL));
CREATE INDEX payments_charge_idx ON payments (account_id, processor, processor_charge_ref)
    WHERE processor_charge_ref IS NOT NULL;
CREATE INDEX payments_pending_processor_idx ON payments (created_at, id)
    WHERE status = 'pending' AND processor IS NOT NULL;
