DROP INDEX payments_statement_idx;
DROP INDEX documents_statement_idx;

ALTER TABLE audit_events DROP COLUMN detail;

DROP TABLE account_logos;

ALTER TABLE accounts DROP COLUMN payment_instructions;
ALTER TABLE accounts DROP COLUMN accent_colour;
ALTER TABLE accounts DROP COLUMN address;
