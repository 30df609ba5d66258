-- The portal's overview lists every outstanding invoice of a client on
-- every view: find them without walking the client's whole history.
CREATE INDEX documents_outstanding_idx ON documents (account_id, client_id)
    WHERE kind = 'invoice' AND status IN ('open', 'partially_paid') AND sent_at IS NOT NULL;
