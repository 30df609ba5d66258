-- Documents as PDFs and statements: the account's letterhead (postal
-- address, accent colour, how to pay without the portal), its logo in a
-- table of its own (large, and read only when a document is rendered),
-- what an audited download concerned, and indexes that read a client's
-- statement a page at a time.

ALTER TABLE accounts ADD COLUMN address text;
ALTER TABLE accounts ADD COLUMN accent_colour text NOT NULL DEFAULT '#1f4e79'
    CHECK (accent_colour ~ '^#[0-9a-f]{6}$');
ALTER TABLE accounts ADD COLUMN payment_instructions text;

-- At most one logo per account, replaced whole.
CREATE TABLE account_logos (
    account_id uuid PRIMARY KEY REFERENCES accounts (id),
    format text NOT NULL CHECK (format IN ('png', 'svg')),
    bytes bytea NOT NULL CHECK (length(bytes) > 0),
    updated_at timestamptz NOT NULL
);

ALTER TABLE audit_events ADD COLUMN detail text;

-- A statement reads a client's invoices in one currency by issue date,
-- and its payments by time received, each after a keyset cursor; it
-- lists the currencies from the same indexes.
CREATE INDEX documents_statement_idx
    ON documents (account_id, client_id, kind, currency, issue_date, id);
CREATE INDEX payments_statement_idx
    ON payments (account_id, client_id, status, currency, received_at, id);
