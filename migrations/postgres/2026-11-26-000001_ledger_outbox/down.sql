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

DROP INDEX documents_client_created_idx;
DROP INDEX documents_account_created_idx;
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
UPDATE documents SET status = 'sent' WHERE kind = 'invoice' AND status IN ('open', 'partially_paid');
ALTER TABLE documents ADD CONSTRAINT documents_status_check
    CHECK (status IN ('draft', 'sent', 'paid', 'void'));
ALTER TABLE documents DROP COLUMN version;

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
