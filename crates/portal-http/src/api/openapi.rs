//! The OpenAPI 3.1 description of the operator API, served at
//! `/api/openapi.json`. A test checks that every route the router serves is
//! described here and every described operation is served.

use std::sync::LazyLock;

use serde_json::{Value, json};

/// The document, rendered once.
pub(crate) static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["data"],
        "properties": { "data": { "type": "array", "items": schema(name) } }
    })
}

fn body(schema_value: Value, required: bool) -> Value {
    json!({ "required": required, "content": { "application/json": { "schema": schema_value } } })
}

fn answer(description: &str, schema_value: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema_value } } })
}

fn error(description: &str) -> Value {
    answer(description, schema("Error"))
}

/// One operation with the error answers every authenticated call can give.
fn op(
    summary: &str,
    tag: &str,
    ok: (&str, Value),
    extra: &[(&str, &str)],
    request: Option<Value>,
    params: Value,
) -> Value {
    let mut responses = json!({
        "401": error("Missing or invalid API key."),
        "500": error("Internal error; nothing about it is disclosed."),
    });
    responses[ok.0] = ok.1;
    for (status, description) in extra {
        responses[*status] = error(description);
    }
    let mut operation =
        json!({ "summary": summary, "tags": [tag], "responses": responses, "parameters": params });
    if let Some(request) = request {
        operation["requestBody"] = request;
        operation["responses"]["400"] = error("Malformed JSON.");
        operation["responses"]["413"] = error("Body too large.");
        operation["responses"]["415"] = error("Body is not JSON.");
        operation["responses"]["422"] = error("Invalid field (see `field`) or unknown field.");
    }
    operation
}

fn id_param(what: &str) -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "description": format!("The {what}'s id."), "schema": { "type": "string", "format": "uuid" } }])
}

fn query(names: &[(&str, &str, &str)]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|(name, kind, description)| {
                let schema_value = if *kind == "uuid" { json!({"type": "string", "format": "uuid"}) } else { json!({"type": "integer", "minimum": 1}) };
                json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema_value })
            })
            .collect(),
    )
}

fn none() -> Value {
    json!([])
}

fn document_paths(paths: &mut serde_json::Map<String, Value>, kind: &str, schema_name: &str) {
    let tag = format!("{kind}s");
    let base = format!("/api/crm/{kind}s");
    paths.insert(base.clone(), json!({
        "get": op(&format!("List {kind}s, newest issue date first"), &tag, ("200", answer("The list.", list_of(schema_name))),
            &[("400", "Malformed query."), ("404", "Unknown client."), ("422", "Malformed client_id.")], None,
            query(&[("client_id", "uuid", "Only this client's.")])),
        "post": op(&format!("Create a draft {kind}"), &tag, ("201", answer("Created.", schema(schema_name))),
            &[("404", "Unknown client."), ("409", "Duplicate number (`duplicate_number`).")],
            Some(body(schema(&format!("{schema_name}Create")), true)), none()),
    }));
    paths.insert(format!("{base}/{{id}}"), json!({
        "get": op(&format!("Read a {kind}"), &tag, ("200", answer("The document.", schema(schema_name))), &[("404", "Unknown id.")], None, id_param(kind)),
    }));
    paths.insert(format!("{base}/{{id}}/send"), json!({
        "post": op(
            &format!("Email the {kind} to a contact of its client, with a magic link scoped to both (a draft becomes sent)"),
            &tag, ("200", answer("Sent.", schema("SendResult"))),
            &[("404", "Unknown document or contact."), ("409", "Void document, inactive client or concurrent change."),
              ("502", "The mail server refused the email; nothing changed.")],
            Some(body(schema("SendRequest"), true)), id_param(kind)),
    }));
    paths.insert(format!("{base}/{{id}}/void"), json!({
        "post": op(&format!("Void a draft or sent {kind}"), &tag, ("200", answer("Voided.", schema(schema_name))),
            &[("404", "Unknown id."), ("409", "Paid or already void (`invalid_status`).")], None, id_param(kind)),
    }));
}

fn paths() -> Value {
    let mut paths = serde_json::Map::new();
    paths.insert("/api/openapi.json".into(), json!({
        "get": { "summary": "This document", "tags": ["meta"], "security": [], "responses": { "200": { "description": "OpenAPI 3.1 JSON." } } }
    }));
    paths.insert("/api/crm/account".into(), json!({
        "get": op("Read the account and its portal settings", "account", ("200", answer("The account.", schema("Account"))), &[], None, none()),
        "patch": op("Change the name or portal settings (checked as a whole)", "account", ("200", answer("The account.", schema("Account"))), &[], Some(body(schema("AccountPatch"), true)), none()),
    }));
    paths.insert("/api/crm/clients".into(), json!({
        "get": op("List client companies, oldest first", "clients", ("200", answer("The list.", list_of("Client"))), &[], None, none()),
        "post": op("Create a client company", "clients", ("201", answer("Created.", schema("Client"))), &[], Some(body(schema("ClientCreate"), true)), none()),
    }));
    paths.insert("/api/crm/clients/{id}".into(), json!({
        "get": op("Read a client", "clients", ("200", answer("The client.", schema("Client"))), &[("404", "Unknown id.")], None, id_param("client")),
        "patch": op("Rename a client or change portal_enabled/active. Closing the portal revokes live sessions and unused links", "clients",
            ("200", answer("The client, with what closing its portal ended.", schema("ClientUpdated"))), &[("404", "Unknown id.")], Some(body(schema("ClientPatch"), true)), id_param("client")),
    }));
    paths.insert("/api/crm/clients/{id}/contacts".into(), json!({
        "get": op("List a client's billing contacts", "clients", ("200", answer("The list.", list_of("Contact"))), &[("404", "Unknown id.")], None, id_param("client")),
    }));
    paths.insert("/api/crm/clients/{id}/audit-events".into(), json!({
        "get": op("A client's audit trail, newest first: which contact did what, from where", "clients", ("200", answer("The list.", list_of("AuditEvent"))),
            &[("400", "Malformed query."), ("404", "Unknown id.")], None,
            {
                let mut params = id_param("client");
                if let (Some(list), Value::Array(more)) = (params.as_array_mut(), query(&[("limit", "int", "At most this many (default 100, max 500).")])) { list.extend(more); }
                params
            }),
    }));
    paths.insert("/api/crm/contacts".into(), json!({
        "post": op("Add a billing contact to a client", "contacts", ("201", answer("Created.", schema("Contact"))),
            &[("404", "Unknown client."), ("409", "The client has a contact with this email (`duplicate_email`).")], Some(body(schema("ContactCreate"), true)), none()),
    }));
    paths.insert("/api/crm/contacts/{id}".into(), json!({
        "get": op("Read a contact", "contacts", ("200", answer("The contact.", schema("Contact"))), &[("404", "Unknown id.")], None, id_param("contact")),
    }));
    paths.insert("/api/crm/contacts/{id}/portal-link".into(), json!({
        "post": op("Generate a fresh single-use magic link for a contact (optionally emailed)", "contacts", ("201", answer("The link; its URL is shown only here.", schema("PortalLink"))),
            &[("404", "Unknown contact or document."), ("409", "Portal disabled, client inactive, or draft document."), ("502", "The email was refused; the link was revoked.")],
            Some(body(schema("PortalLinkRequest"), false)), id_param("contact")),
    }));
    paths.insert("/api/crm/client-portal-sessions".into(), json!({
        "get": op("List portal sessions, newest first", "sessions", ("200", answer("The list.", list_of("Session"))),
            &[("400", "Malformed query."), ("422", "Malformed id in the query.")], None,
            query(&[("client_id", "uuid", "Only this client's."), ("contact_id", "uuid", "Only this contact's."), ("limit", "int", "At most this many (default 50, max 200).")])),
        "post": op("Create a pending session for a contact and the one-time URL that activates it", "sessions", ("201", answer("Created.", schema("SessionCreated"))),
            &[("404", "Unknown contact or document."), ("409", "Portal disabled, client inactive, or draft document.")], Some(body(schema("SessionCreate"), true)), none()),
    }));
    paths.insert("/api/crm/client-portal-sessions/{id}".into(), json!({
        "get": op("Session status (pending, active, expired, revoked), times, IP, user agent, contact and audit trail", "sessions",
            ("200", answer("The session.", schema("Session"))), &[("404", "Unknown id.")], None, id_param("session")),
    }));
    paths.insert("/api/crm/client-portal-sessions/{id}/revoke".into(), json!({
        "post": op("End a session now (no error if it already ended)", "sessions", ("200", answer("The session.", schema("Session"))), &[("404", "Unknown id.")], None, id_param("session")),
    }));
    document_paths(&mut paths, "invoice", "Invoice");
    document_paths(&mut paths, "estimate", "Estimate");
    document_paths(&mut paths, "contract", "Contract");
    paths.insert("/api/crm/invoices/{id}/mark-paid".into(), json!({
        "post": op("Mark a sent invoice paid (payment received outside the portal)", "invoices", ("200", answer("Paid.", schema("Invoice"))),
            &[("404", "Unknown id."), ("409", "Not a sent invoice (`invalid_status`).")], None, id_param("invoice")),
    }));
    Value::Object(paths)
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn nullable_time() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

fn document_schema(kind: &str, date_field: Option<&str>) -> Value {
    let mut properties = json!({
        "id": { "type": "string", "format": "uuid" },
        "object": { "const": kind },
        "client_id": { "type": "string", "format": "uuid" },
        "number": { "type": "string" },
        "title": { "type": ["string", "null"] },
        "status": { "enum": ["draft", "sent", "paid", "void"] },
        "currency": { "type": "string", "description": "ISO 4217 code." },
        "issue_date": { "type": "string", "format": "date" },
        "lines": { "type": "array", "items": schema("Line") },
        "total": { "type": "integer", "description": "Minor units (cents)." },
        "amount_due": { "type": "integer", "description": "Minor units; 0 unless a sent, unpaid invoice." },
        "created_at": time(), "sent_at": nullable_time(), "paid_at": nullable_time(), "voided_at": nullable_time(),
    });
    if let Some(field) = date_field {
        properties[field] = json!({ "type": ["string", "null"], "format": "date" });
    }
    json!({ "type": "object", "properties": properties })
}

fn document_create(date_field: Option<(&str, bool)>, lines_required: bool) -> Value {
    let mut required = vec!["client_id", "number", "currency", "issue_date"];
    let mut properties = json!({
        "client_id": { "type": "string", "format": "uuid" },
        "number": { "type": "string", "maxLength": 64, "description": "Unique per account and kind." },
        "title": { "type": "string", "maxLength": 2000 },
        "currency": { "type": "string", "example": "USD" },
        "issue_date": { "type": "string", "format": "date" },
        "lines": { "type": "array", "items": schema("LineInput"), "maxItems": 500 },
    });
    if let Some((field, needed)) = date_field {
        properties[field] = json!({ "type": "string", "format": "date" });
        if needed {
            required.push(field);
        }
    }
    if lines_required {
        required.push("lines");
    }
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": properties })
}

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                "code": { "type": "string", "description": "Stable, machine-readable." },
                "message": { "type": "string", "description": "For people." },
                "field": { "type": "string", "description": "The offending input field, for validation errors." }
            } } }
        },
        "Account": { "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" },
            "session_lifetime_seconds": { "type": "integer" }, "idle_timeout_seconds": { "type": "integer" }, "link_lifetime_seconds": { "type": "integer" },
            "public_url": { "type": ["string", "null"] }, "portal_url": { "type": "string" }, "created_at": time(), "updated_at": time()
        } },
        "AccountPatch": { "type": "object", "additionalProperties": false, "properties": {
            "name": { "type": "string" },
            "session_lifetime_seconds": { "type": "integer", "minimum": 3600, "maximum": 7_776_000 },
            "idle_timeout_seconds": { "type": "integer", "minimum": 300, "description": "At most the session lifetime." },
            "link_lifetime_seconds": { "type": "integer", "minimum": 900, "maximum": 2_592_000 },
            "public_url": { "type": ["string", "null"], "description": "null: use the server's URL." }
        } },
        "Client": { "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" },
            "portal_enabled": { "type": "boolean" }, "active": { "type": "boolean" }, "created_at": time(), "updated_at": time()
        } },
        "ClientUpdated": { "allOf": [schema("Client"), { "type": "object", "properties": {
            "sessions_revoked": { "type": "integer" },
            "notice": { "type": "string", "description": "Present when this change closed the client's portal." }
        } }] },
        "ClientCreate": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
            "name": { "type": "string", "maxLength": 200 }, "portal_enabled": { "type": "boolean", "default": true }
        } },
        "ClientPatch": { "type": "object", "additionalProperties": false, "properties": {
            "name": { "type": "string" }, "portal_enabled": { "type": "boolean" }, "active": { "type": "boolean" }
        } },
        "Contact": { "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" }, "client_id": { "type": "string", "format": "uuid" },
            "name": { "type": "string" }, "email": { "type": "string", "format": "email" }, "created_at": time()
        } },
        "ContactCreate": { "type": "object", "additionalProperties": false, "required": ["client_id", "name", "email"], "properties": {
            "client_id": { "type": "string", "format": "uuid" }, "name": { "type": "string", "maxLength": 200 }, "email": { "type": "string", "format": "email" }
        } },
        "Line": { "type": "object", "properties": {
            "description": { "type": "string" }, "quantity": { "type": "number" },
            "unit_amount": { "type": "integer" }, "amount": { "type": "integer", "description": "quantity × unit_amount, rounded half away from zero." }
        } },
        "LineInput": { "type": "object", "additionalProperties": false, "required": ["description", "quantity", "unit_amount"], "properties": {
            "description": { "type": "string", "maxLength": 2000 },
            "quantity": { "type": ["number", "string"], "description": "Positive, at most 3 decimals." },
            "unit_amount": { "type": "integer", "description": "Minor units; negative for a discount." }
        } },
        "Invoice": document_schema("invoice", Some("due_date")),
        "Estimate": document_schema("estimate", Some("valid_until")),
        "Contract": document_schema("contract", None),
        "InvoiceCreate": document_create(Some(("due_date", true)), true),
        "EstimateCreate": document_create(Some(("valid_until", false)), true),
        "ContractCreate": document_create(None, false),
        "SendRequest": { "type": "object", "additionalProperties": false, "required": ["contact_id"], "properties": {
            "contact_id": { "type": "string", "format": "uuid", "description": "A contact of the document's client." }
        } },
        "SendResult": { "type": "object", "properties": {
            "document": { "type": "object" }, "sent_to": { "type": "string" },
            "portal_link_included": { "type": "boolean" }, "link_expires_at": nullable_time(), "notice": { "type": "string" }
        } },
        "PortalLinkRequest": { "type": "object", "additionalProperties": false, "properties": {
            "document_id": { "type": "string", "format": "uuid", "description": "Open the portal on this document." },
            "send_email": { "type": "boolean", "default": false }
        } },
        "PortalLink": { "type": "object", "properties": {
            "url": { "type": "string" }, "expires_at": time(), "contact_id": { "type": "string" },
            "document_id": { "type": ["string", "null"] }, "emailed": { "type": "boolean" }
        } },
        "SessionCreate": { "type": "object", "additionalProperties": false, "required": ["contact_id"], "properties": {
            "contact_id": { "type": "string", "format": "uuid" }, "document_id": { "type": "string", "format": "uuid" }
        } },
        "Session": { "type": "object", "properties": {
            "id": { "type": "string", "format": "uuid" },
            "status": { "enum": ["pending", "active", "expired", "revoked"] },
            "client_id": { "type": "string" }, "contact_id": { "type": "string" }, "contact": schema("Contact"),
            "created_at": time(), "activated_at": nullable_time(), "expires_at": time(), "last_seen_at": nullable_time(),
            "revoked_at": nullable_time(), "revoke_reason": { "enum": ["signed_out", "operator", "portal_disabled", "replaced", null] },
            "ip_address": { "type": ["string", "null"] }, "user_agent": { "type": ["string", "null"] },
            "events": { "type": "array", "items": schema("AuditEvent") }
        } },
        "SessionCreated": { "allOf": [schema("Session"), { "type": "object", "properties": {
            "url": { "type": "string", "description": "Opens once to activate the session." }, "link_expires_at": time()
        } }] },
        "AuditEvent": { "type": "object", "properties": {
            "id": { "type": "string" },
            "action": { "enum": ["document_sent", "link_issued", "session_started", "portal_viewed", "document_viewed", "signed_out", "session_revoked"] },
            "client_id": { "type": "string" }, "contact_id": { "type": ["string", "null"] }, "session_id": { "type": ["string", "null"] },
            "document_id": { "type": ["string", "null"] }, "ip_address": { "type": ["string", "null"] }, "user_agent": { "type": ["string", "null"] },
            "occurred_at": time()
        } }
    })
}

fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Billing client portal: operator API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Manage client companies, billing contacts and documents, send documents with magic links, and inspect portal sessions and their audit trail. Amounts are integer minor units. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."
        },
        "security": [{ "apiKey": [] }],
        "paths": paths(),
        "components": {
            "securitySchemes": { "apiKey": { "type": "http", "scheme": "bearer", "description": "An account's API key (`psk_…`), from `portal-server accounts create`." } },
            "schemas": schemas()
        }
    })
}
