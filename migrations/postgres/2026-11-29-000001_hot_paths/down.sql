DROP INDEX documents_outstanding_idx;
