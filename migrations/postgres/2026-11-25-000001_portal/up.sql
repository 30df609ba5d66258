-- The portal's tables on PostgreSQL. Times are timestamptz (UTC in the
-- application), ids are uuid, money is bigint minor units.

CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    session_lifetime_seconds bigint NOT NULL CHECK (session_lifetime_seconds > 0),
    idle_timeout_seconds bigint NOT NULL CHECK (idle_timeout_seconds > 0),
    link_lifetime_seconds bigint NOT NULL CHECK (link_lifetime_seconds > 0),
    public_url text,
    demo boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX accounts_demo_idx ON accounts (created_at, id) WHERE demo;

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    key_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE clients (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    name text NOT NULL,
    portal_enabled boolean NOT NULL,
    active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX clients_account_idx ON clients (account_id, created_at, id);

CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT contacts_client_email_key UNIQUE (client_id, email)
);
CREATE INDEX contacts_account_email_idx ON contacts (account_id, email);

CREATE TABLE documents (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    kind text NOT NULL CHECK (kind IN ('invoice', 'estimate', 'contract')),
    number text NOT NULL,
    title text,
    status text NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'void')),
    currency text NOT NULL CHECK (length(currency) = 3),
    total_minor bigint NOT NULL,
    issue_date date NOT NULL,
    due_date date,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    paid_at timestamptz,
    voided_at timestamptz,
    CONSTRAINT documents_number_key UNIQUE (account_id, kind, number)
);
CREATE INDEX documents_client_idx ON documents (account_id, client_id, issue_date DESC);

CREATE TABLE document_lines (
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position integer NOT NULL,
    description text NOT NULL,
    quantity_thousandths bigint NOT NULL CHECK (quantity_thousandths > 0),
    unit_amount_minor bigint NOT NULL,
    amount_minor bigint NOT NULL,
    PRIMARY KEY (document_id, position)
);

CREATE TABLE magic_links (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    contact_id uuid NOT NULL REFERENCES contacts (id),
    document_id uuid REFERENCES documents (id),
    -- The pending session this link activates (API-created sessions).
    session_id uuid,
    token_hash text NOT NULL UNIQUE,
    purpose text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX magic_links_unused_idx ON magic_links (client_id) WHERE used_at IS NULL AND revoked_at IS NULL;

CREATE TABLE crm_client_portal_sessions (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    contact_id uuid NOT NULL REFERENCES contacts (id),
    -- One link, at most one session: single use holds in the schema too.
    link_id uuid NOT NULL UNIQUE REFERENCES magic_links (id),
    secret_hash text UNIQUE,
    created_at timestamptz NOT NULL,
    activated_at timestamptz,
    expires_at timestamptz NOT NULL,
    last_seen_at timestamptz,
    revoked_at timestamptz,
    revoke_reason text,
    ip text,
    user_agent text
);
CREATE INDEX sessions_account_idx ON crm_client_portal_sessions (account_id, created_at DESC, id DESC);
CREATE INDEX sessions_live_idx ON crm_client_portal_sessions (client_id) WHERE revoked_at IS NULL;

CREATE TABLE audit_events (
    seq bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    account_id uuid NOT NULL REFERENCES accounts (id),
    client_id uuid NOT NULL REFERENCES clients (id),
    contact_id uuid,
    session_id uuid,
    document_id uuid,
    action text NOT NULL,
    ip text,
    user_agent text,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX audit_events_client_idx ON audit_events (account_id, client_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_session_idx ON audit_events (session_id, occurred_at, seq);

CREATE TABLE link_requests (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    ip text,
    requested_at timestamptz NOT NULL
);
CREATE INDEX link_requests_ip_idx ON link_requests (ip, requested_at);
CREATE INDEX link_requests_email_idx ON link_requests (email, requested_at);
CREATE INDEX link_requests_time_idx ON link_requests (requested_at);
