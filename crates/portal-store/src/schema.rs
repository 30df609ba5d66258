//! The diesel schema, shared by both backends through [`crate::sql_types`].

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    accounts (id) {
        id -> DbUuid,
        name -> Text,
        session_lifetime_seconds -> BigInt,
        idle_timeout_seconds -> BigInt,
        link_lifetime_seconds -> BigInt,
        public_url -> Nullable<Text>,
        demo -> Bool,
        created_at -> UtcTime,
        updated_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    api_keys (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        key_hash -> Text,
        created_at -> UtcTime,
        revoked_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    clients (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        name -> Text,
        portal_enabled -> Bool,
        active -> Bool,
        created_at -> UtcTime,
        updated_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    contacts (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        name -> Text,
        email -> Text,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    documents (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        kind -> Text,
        number -> Text,
        title -> Nullable<Text>,
        status -> Text,
        currency -> Text,
        total_minor -> BigInt,
        issue_date -> Date,
        due_date -> Nullable<Date>,
        created_at -> UtcTime,
        sent_at -> Nullable<UtcTime>,
        paid_at -> Nullable<UtcTime>,
        voided_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    document_lines (document_id, position) {
        document_id -> DbUuid,
        position -> Integer,
        description -> Text,
        quantity_thousandths -> BigInt,
        unit_amount_minor -> BigInt,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    magic_links (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        contact_id -> DbUuid,
        document_id -> Nullable<DbUuid>,
        session_id -> Nullable<DbUuid>,
        token_hash -> Text,
        purpose -> Text,
        created_at -> UtcTime,
        expires_at -> UtcTime,
        used_at -> Nullable<UtcTime>,
        revoked_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    crm_client_portal_sessions (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        contact_id -> DbUuid,
        link_id -> DbUuid,
        secret_hash -> Nullable<Text>,
        created_at -> UtcTime,
        activated_at -> Nullable<UtcTime>,
        expires_at -> UtcTime,
        last_seen_at -> Nullable<UtcTime>,
        revoked_at -> Nullable<UtcTime>,
        revoke_reason -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    audit_events (seq) {
        seq -> BigInt,
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        contact_id -> Nullable<DbUuid>,
        session_id -> Nullable<DbUuid>,
        document_id -> Nullable<DbUuid>,
        action -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        occurred_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    link_requests (id) {
        id -> DbUuid,
        email -> Text,
        ip -> Nullable<Text>,
        requested_at -> UtcTime,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    api_keys,
    clients,
    contacts,
    documents,
    document_lines,
    magic_links,
    crm_client_portal_sessions,
    audit_events,
    link_requests,
);
