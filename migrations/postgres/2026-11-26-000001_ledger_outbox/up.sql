-- Payments and the ledger invoices derive from them, document versions
-- for compare-and-set, whom documents were sent to, the outbox, idempotent
-- requests, named API keys, contacts that can be deactivated, account
-- time zones, and keyset indexes for every paged list.

ALTER TABLE accounts ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

ALTER TABLE api_keys ADD COLUMN name text NOT NULL DEFAULT 'Default';
-- The key's first characters; unknown for keys made before this.
ALTER TABLE api_keys ADD COLUMN prefix text;
CREATE INDEX api_keys_account_idx ON api_keys (account_id, created_at, id);

ALTER TABLE contacts ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE contacts ADD COLUMN updated_at timestamptz;
UPDATE contacts SET updated_at = created_at;
ALTER TABLE contacts ALTER COLUMN updated_at SET NOT NULL;
CREATE INDEX contacts_client_idx ON contacts (account_id, client_id, created_at, id);

ALTER TABLE audit_events ADD COLUMN payment_id uuid;
DROP INDEX audit_events_client_idx;
CREATE INDEX audit_events_client_idx ON audit_events (account_id, client_id, occurred_at DESC, id DESC);

-- Documents: a version that every status write compares and counts up,
-- and statuses per kind. A sent invoice is open until payments say
-- otherwise; one with nothing to pay was settled when it was sent.
ALTER TABLE documents ADD COLUMN version bigint NOT NULL DEFAULT 0 CHECK (version >= 0);
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
UPDATE documents
SET status = CASE WHEN total_minor > 0 THEN 'open' ELSE 'paid' END,
    paid_at = CASE WHEN total_minor > 0 THEN NULL ELSE COALESCE(paid_at, sent_at) END
WHERE kind = 'invoice' AND status = 'sent';
ALTER TABLE documents ADD CONSTRAINT documents_status_check CHECK (
    (kind = 'invoice' AND status IN ('draft', 'open', 'partially_paid', 'paid', 'void'))
    OR (kind IN ('estimate', 'contract') AND status IN ('draft', 'sent', 'void'))
);
CREATE INDEX documents_account_created_idx ON documents (account_id, created_at DESC, id DESC);
CREATE INDEX documents_client_created_idx ON documents (account_id, client_id, created_at DESC, id DESC);

CREATE TABLE payments (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    currency text NOT NULL CHECK (length(currency) = 3),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    -- The method's family, and for a manual payment how it arrived.
    method text NOT NULL CHECK (method IN ('manual')),
    manual_kind text CHECK (manual_kind IN ('bank_transfer', 'check', 'cash', 'other')),
    reference text,
    received_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at timestamptz NOT NULL,
    -- Counted up by every refund, which compares it.
    version bigint NOT NULL DEFAULT 0 CHECK (version >= 0)
);
CREATE INDEX payments_account_idx ON payments (account_id, received_at DESC, id DESC);
CREATE INDEX payments_client_idx ON payments (account_id, client_id, received_at DESC, id DESC);

CREATE TABLE payment_allocations (
    payment_id uuid NOT NULL REFERENCES payments (id),
    position integer NOT NULL,
    document_id uuid NOT NULL REFERENCES documents (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (payment_id, position),
    CONSTRAINT payment_allocations_document_key UNIQUE (payment_id, document_id)
);
CREATE INDEX payment_allocations_document_idx ON payment_allocations (document_id);

CREATE TABLE refunds (
    id uuid PRIMARY KEY,
    payment_id uuid NOT NULL REFERENCES payments (id),
    -- The payment version this refund made: the order refunds happened in.
    payment_version bigint NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    reason text,
    created_at timestamptz NOT NULL,
    CONSTRAINT refunds_payment_version_key UNIQUE (payment_id, payment_version)
);

CREATE TABLE refund_allocations (
    refund_id uuid NOT NULL REFERENCES refunds (id),
    position integer NOT NULL,
    document_id uuid NOT NULL REFERENCES documents (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (refund_id, position)
);
CREATE INDEX refund_allocations_document_idx ON refund_allocations (document_id);

-- Invoices marked paid before the ledger existed keep their status: each
-- gets a succeeded manual payment of its total, with the invoice's id.
INSERT INTO payments (id, account_id, client_id, currency, amount_minor, method, manual_kind,
                      reference, received_at, status, created_at, version)
SELECT id, account_id, client_id, currency, total_minor, 'manual', 'other',
       'Recorded before the payment ledger', COALESCE(paid_at, sent_at, created_at),
       'succeeded', COALESCE(paid_at, sent_at, created_at), 0
FROM documents
WHERE kind = 'invoice' AND status = 'paid' AND total_minor > 0;
INSERT INTO payment_allocations (payment_id, position, document_id, amount_minor)
SELECT id, 0, id, total_minor
FROM documents
WHERE kind = 'invoice' AND status = 'paid' AND total_minor > 0;

-- Whom each document was sent to: first and latest send.
CREATE TABLE document_recipients (
    document_id uuid NOT NULL REFERENCES documents (id),
    contact_id uuid NOT NULL REFERENCES contacts (id),
    first_sent_at timestamptz NOT NULL,
    last_sent_at timestamptz NOT NULL,
    PRIMARY KEY (document_id, contact_id)
);
INSERT INTO document_recipients (document_id, contact_id, first_sent_at, last_sent_at)
SELECT e.document_id, e.contact_id, min(e.occurred_at), max(e.occurred_at)
FROM audit_events e
JOIN documents d ON d.id = e.document_id
JOIN contacts c ON c.id = e.contact_id
WHERE e.action = 'document_sent'
GROUP BY e.document_id, e.contact_id;

-- Side effects waiting for delivery, and where each stands. A claimed
-- item is held by its claim until its lease runs out. What an item does
-- is kept beside it, by kind, so claiming reads only small rows.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    topic text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email', 'link_request')),
    -- The email's recipient, or the address a new link was asked for.
    recipient text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'sending', 'failed', 'sent', 'dead')),
    attempts integer NOT NULL CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    claim_token uuid,
    lease_until timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, created_at, id) WHERE status IN ('pending', 'failed');
CREATE INDEX outbox_lease_idx ON outbox (lease_until) WHERE status = 'sending';
CREATE INDEX outbox_account_idx ON outbox (account_id, created_at DESC, id DESC);
CREATE INDEX outbox_account_status_idx ON outbox (account_id, status, created_at DESC, id DESC);
CREATE INDEX outbox_status_idx ON outbox (status);

-- An email to send. Its bodies may hold the placeholder a link's token
-- replaces at delivery; link_id names that link.
CREATE TABLE outbox_emails (
    outbox_id uuid PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    recipient_name text NOT NULL,
    from_name text NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    message_key text,
    link_id uuid
);

-- A client's request for a new link, fulfilled by the outbox worker.
CREATE TABLE outbox_link_requests (
    outbox_id uuid PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    previous_contact_id uuid,
    previous_document_id uuid,
    ip text,
    user_agent text,
    CHECK ((previous_contact_id IS NULL) = (previous_document_id IS NULL))
);

CREATE TABLE outbox_attachments (
    outbox_id uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    position integer NOT NULL,
    filename text NOT NULL,
    content_type text NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (outbox_id, position)
);

-- Operator requests under an Idempotency-Key: in progress under a claim
-- until a lease ends, or completed with the (sealed) answer to replay.
CREATE TABLE idempotency_keys (
    account_id uuid NOT NULL REFERENCES accounts (id),
    key text NOT NULL,
    fingerprint text NOT NULL,
    claim uuid,
    lease_until timestamptz,
    response_status integer,
    response_content_type text,
    response_body bytea,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, key),
    CHECK ((claim IS NULL) = (response_status IS NOT NULL))
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
