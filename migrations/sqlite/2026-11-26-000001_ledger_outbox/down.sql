PRAGMA foreign_keys = OFF;
BEGIN;

DROP TABLE idempotency_keys;
DROP TABLE outbox_attachments;
DROP TABLE outbox_link_requests;
DROP TABLE outbox_emails;
DROP TABLE outbox;
DROP TABLE document_recipients;
DROP TABLE refund_allocations;
DROP TABLE refunds;
DROP TABLE payment_allocations;
DROP TABLE payments;

CREATE TABLE documents_rebuilt (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    client_id text NOT NULL REFERENCES clients (id),
    kind text NOT NULL CHECK (kind IN ('invoice', 'estimate', 'contract')),
    number text NOT NULL,
    title text,
    status text NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'void')),
    currency text NOT NULL CHECK (length(currency) = 3),
    total_minor integer NOT NULL,
    issue_date text NOT NULL,
    due_date text,
    created_at text NOT NULL,
    sent_at text,
    paid_at text,
    voided_at text,
    CONSTRAINT documents_number_key UNIQUE (account_id, kind, number)
);
INSERT INTO documents_rebuilt (id, account_id, client_id, kind, number, title, status, currency,
                               total_minor, issue_date, due_date, created_at, sent_at, paid_at,
                               voided_at)
SELECT id, account_id, client_id, kind, number, title,
       CASE WHEN status IN ('open', 'partially_paid') THEN 'sent' ELSE status END,
       currency, total_minor, issue_date, due_date, created_at, sent_at, paid_at, voided_at
FROM documents;
DROP TABLE documents;
ALTER TABLE documents_rebuilt RENAME TO documents;
CREATE INDEX documents_client_idx ON documents (account_id, client_id, issue_date DESC);

DROP INDEX audit_events_client_idx;
CREATE INDEX audit_events_client_idx ON audit_events (account_id, client_id, occurred_at DESC, seq DESC);
ALTER TABLE audit_events DROP COLUMN payment_id;

DROP INDEX contacts_client_idx;
ALTER TABLE contacts DROP COLUMN updated_at;
ALTER TABLE contacts DROP COLUMN active;

DROP INDEX api_keys_account_idx;
ALTER TABLE api_keys DROP COLUMN prefix;
ALTER TABLE api_keys DROP COLUMN name;

ALTER TABLE accounts DROP COLUMN time_zone;

COMMIT;
PRAGMA foreign_keys = ON;
