-- Payments made through a processor stay in the ledger, as manual ones
-- of another kind.
DROP INDEX payments_pending_processor_idx;
DROP INDEX payments_charge_idx;
ALTER TABLE payments DROP CONSTRAINT payments_charge_check;
ALTER TABLE payments DROP CONSTRAINT payments_method_details_check;
UPDATE payments SET method = 'manual', manual_kind = 'other' WHERE method <> 'manual';
ALTER TABLE payments DROP COLUMN failure;
ALTER TABLE payments DROP COLUMN processor_charge_ref;
ALTER TABLE payments DROP COLUMN processor_connection_id;
ALTER TABLE payments DROP COLUMN processor;
ALTER TABLE payments DROP COLUMN method_last4;
ALTER TABLE payments DROP COLUMN card_brand;
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check CHECK (method IN ('manual'));

DROP TABLE processor_events;
DROP TABLE checkout_allocations;
DROP TABLE checkouts;
DROP TABLE payment_methods;
DROP TABLE processor_customers;
DROP TABLE processor_connections;

ALTER TABLE accounts DROP COLUMN allow_partial_payments;
