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
        time_zone -> Text,
        allow_partial_payments -> Bool,
        demo -> Bool,
        created_at -> UtcTime,
        updated_at -> UtcTime,
        address -> Nullable<Text>,
        accent_colour -> Text,
        payment_instructions -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    account_logos (account_id) {
        account_id -> DbUuid,
        format -> Text,
        bytes -> Binary,
        updated_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    api_keys (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        name -> Text,
        prefix -> Nullable<Text>,
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
        active -> Bool,
        created_at -> UtcTime,
        updated_at -> UtcTime,
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
        version -> BigInt,
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
        payment_id -> Nullable<DbUuid>,
        action -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        occurred_at -> UtcTime,
        detail -> Nullable<Text>,
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

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    payments (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        currency -> Text,
        amount_minor -> BigInt,
        method -> Text,
        manual_kind -> Nullable<Text>,
        card_brand -> Nullable<Text>,
        method_last4 -> Nullable<Text>,
        reference -> Nullable<Text>,
        received_at -> UtcTime,
        status -> Text,
        created_at -> UtcTime,
        version -> BigInt,
        processor -> Nullable<Text>,
        processor_connection_id -> Nullable<DbUuid>,
        processor_charge_ref -> Nullable<Text>,
        failure -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    payment_allocations (payment_id, position) {
        payment_id -> DbUuid,
        position -> Integer,
        document_id -> DbUuid,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    refunds (id) {
        id -> DbUuid,
        payment_id -> DbUuid,
        payment_version -> BigInt,
        amount_minor -> BigInt,
        reason -> Nullable<Text>,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    refund_allocations (refund_id, position) {
        refund_id -> DbUuid,
        position -> Integer,
        document_id -> DbUuid,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    document_recipients (document_id, contact_id) {
        document_id -> DbUuid,
        contact_id -> DbUuid,
        first_sent_at -> UtcTime,
        last_sent_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    outbox (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        topic -> Text,
        kind -> Text,
        recipient -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> UtcTime,
        last_error -> Nullable<Text>,
        created_at -> UtcTime,
        sent_at -> Nullable<UtcTime>,
        claim_token -> Nullable<DbUuid>,
        lease_until -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    outbox_emails (outbox_id) {
        outbox_id -> DbUuid,
        recipient_name -> Text,
        from_name -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_key -> Nullable<Text>,
        link_id -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    outbox_link_requests (outbox_id) {
        outbox_id -> DbUuid,
        previous_contact_id -> Nullable<DbUuid>,
        previous_document_id -> Nullable<DbUuid>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    outbox_attachments (outbox_id, position) {
        outbox_id -> DbUuid,
        position -> Integer,
        filename -> Text,
        content_type -> Text,
        content -> Binary,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    idempotency_keys (account_id, key) {
        account_id -> DbUuid,
        key -> Text,
        fingerprint -> Text,
        claim -> Nullable<DbUuid>,
        lease_until -> Nullable<UtcTime>,
        response_status -> Nullable<Integer>,
        response_content_type -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> UtcTime,
        expires_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    processor_connections (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        kind -> Text,
        public -> Text,
        sealed_secrets -> Binary,
        created_at -> UtcTime,
        last_ok_at -> Nullable<UtcTime>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    processor_customers (connection_id, client_id) {
        connection_id -> DbUuid,
        client_id -> DbUuid,
        account_id -> DbUuid,
        reference -> Text,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    payment_methods (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        connection_id -> DbUuid,
        reference -> Text,
        method_type -> Text,
        brand -> Nullable<Text>,
        last4 -> Text,
        exp_month -> Nullable<Integer>,
        exp_year -> Nullable<Integer>,
        bank_name -> Nullable<Text>,
        is_default -> Bool,
        added_by -> Nullable<DbUuid>,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    checkouts (id) {
        id -> DbUuid,
        account_id -> DbUuid,
        client_id -> DbUuid,
        contact_id -> DbUuid,
        session_id -> DbUuid,
        connection_id -> DbUuid,
        payment_id -> DbUuid,
        currency -> Text,
        amount_minor -> BigInt,
        created_at -> UtcTime,
        expires_at -> UtcTime,
        submitted_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::DbUuid;

    checkout_allocations (checkout_id, position) {
        checkout_id -> DbUuid,
        position -> Integer,
        document_id -> DbUuid,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, UtcTime};

    processor_events (account_id, processor, event_id) {
        account_id -> DbUuid,
        processor -> Text,
        event_id -> Text,
        event_type -> Text,
        payment_id -> Nullable<DbUuid>,
        recorded_at -> UtcTime,
    }
}

diesel::table! {
    /// diesel's record of applied migrations, read to tell whether the
    /// schema is up to date.
    __diesel_schema_migrations (version) {
        version -> Text,
    }
}

diesel::table! {
    deployment (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    account_logos,
    api_keys,
    clients,
    contacts,
    documents,
    document_lines,
    magic_links,
    crm_client_portal_sessions,
    audit_events,
    link_requests,
    payments,
    payment_allocations,
    refunds,
    refund_allocations,
    document_recipients,
    outbox,
    outbox_emails,
    outbox_link_requests,
    outbox_attachments,
    idempotency_keys,
    processor_connections,
    processor_customers,
    payment_methods,
    checkouts,
    checkout_allocations,
    processor_events,
    deployment,
);
