//! The store contract on PostgreSQL.

mod common;

portal_domain::store_contract_tests!(common::postgres);
