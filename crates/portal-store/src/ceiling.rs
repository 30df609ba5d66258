//! The SQL of the portal's hot pages as pgbench scripts, so a benchmark
//! can measure what PostgreSQL itself allows for them on the same machine
//! and in the same run: the statements a page runs, in its order, with the
//! values a request would bind written in as literals.

use diesel::pg::Pg;
use diesel::prelude::*;
use portal_domain::{AccountId, ClientId, DocumentId, PageRequest};
use uuid::Uuid;

use crate::stores::documents::document_query;
use crate::stores::overview::overview_query;
use crate::stores::session_context_query;

/// Whose pages the scripts read: a signed-in session of a client.
#[derive(Debug, Clone)]
pub struct CeilingParams {
    /// The hex SHA-256 of the session cookie's secret, as stored.
    pub secret_hash: String,
    pub account: Uuid,
    pub client: Uuid,
    pub contact: Uuid,
    pub session: Uuid,
    /// A document of the client, for its page.
    pub document: Uuid,
}

/// One pgbench transaction: the statements one `GET /portal` runs (the
/// session, the overview's first pages, the audit event).
pub fn home_script(p: &CeilingParams) -> String {
    let overview = overview_query(
        AccountId::from_uuid(p.account),
        ClientId::from_uuid(p.client),
        &PageRequest::first(portal_domain::service::DOCUMENTS_PER_PAGE),
        &PageRequest::first(portal_domain::service::PAYMENTS_PER_PAGE),
    );
    script(&[
        session_lookup(p),
        overview.postgres_literal(),
        audit_insert(p, "portal_viewed", None),
    ])
}

/// One pgbench transaction: the statements one `GET
/// /portal/documents/{id}` runs.
pub fn document_script(p: &CeilingParams) -> String {
    let document = document_query(
        AccountId::from_uuid(p.account),
        DocumentId::from_uuid(p.document),
    );
    script(&[
        session_lookup(p),
        document.postgres_literal(),
        audit_insert(p, "document_viewed", Some(p.document)),
    ])
}

fn script(statements: &[String]) -> String {
    statements
        .iter()
        .map(|s| format!("{};\n", s.trim()))
        .collect()
}

/// The session lookup as diesel writes it, its two binds (the hash and
/// `first()`'s limit of 1) written in.
fn session_lookup(p: &CeilingParams) -> String {
    let query = session_context_query!(p.secret_hash.clone()).limit(1);
    let text = diesel::debug_query::<Pg, _>(&query).to_string();
    let sql = text.split(" -- binds: ").next().unwrap_or_default();
    sql.replace("$2", "CAST(1 AS BIGINT)")
        .replace("$1", &quote(&p.secret_hash))
}

/// The audit event a view records, with a fresh id each run as a real
/// request has.
fn audit_insert(p: &CeilingParams, action: &str, document: Option<Uuid>) -> String {
    let document = document.map_or_else(|| "NULL".to_owned(), |d| format!("'{d}'::uuid"));
    format!(
        "INSERT INTO audit_events (id, account_id, client_id, contact_id, session_id, \
         document_id, payment_id, action, ip, user_agent, occurred_at, detail) VALUES \
         (gen_random_uuid(), '{}'::uuid, '{}'::uuid, '{}'::uuid, '{}'::uuid, {document}, NULL, \
         {}, '127.0.0.1', 'pgbench', now(), NULL)",
        p.account,
        p.client,
        p.contact,
        p.session,
        quote(action)
    )
}

/// `text` as a SQL string literal.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> CeilingParams {
        CeilingParams {
            secret_hash: "ab'cd".into(),
            account: Uuid::from_u128(1),
            client: Uuid::from_u128(2),
            contact: Uuid::from_u128(3),
            session: Uuid::from_u128(4),
            document: Uuid::from_u128(5),
        }
    }

    #[test]
    fn scripts_hold_the_pages_three_statements_with_no_placeholders_left() {
        for script in [home_script(&params()), document_script(&params())] {
            assert_eq!(script.matches(";\n").count(), 3, "{script}");
            assert!(!script.contains('?') && !script.contains('$'), "{script}");
            assert!(script.contains("'ab''cd'"), "{script}");
            assert!(
                script.contains("FROM ((((\"crm_client_portal_sessions\""),
                "{script}"
            );
            assert!(script.contains("INSERT INTO audit_events"), "{script}");
        }
        assert!(home_script(&params()).contains("FROM listed"));
        assert!(document_script(&params()).contains("FROM document_lines"));
    }
}
