//! The store contract on SQLite.

mod common;

portal_domain::store_contract_tests!(common::sqlite);
