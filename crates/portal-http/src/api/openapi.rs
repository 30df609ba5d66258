//! The OpenAPI 3.1 document of the operator API. Paths, parameters, bodies
//! and answers come from the handlers' `#[utoipa::path]` and the wire
//! types; this file adds what every operation shares, from the layers
//! that really do it: the API key, the error answers of the extractors
//! (malformed JSON, oversized bodies, bad query strings, unknown ids), and
//! `Idempotency-Key` on every `POST`.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AdditionalProperties, SchemaFormat};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Ref,
    RefOr, Required, Schema,
};

use super::schema::idempotency_key_schema;
use crate::error::ErrorBody;

const DESCRIPTION: &str = "The operator API of the billing client portal. \
Authenticate with `Authorization: Bearer <API key>`; every call is scoped to the key's account. \
Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` with stable codes. \
Lists are paged: `limit` (1 to 100, default 50) and the opaque `cursor` from the previous page's `next_cursor`. \
Every `POST` takes an optional `Idempotency-Key`: a retry with the same key and body gets the first answer again. \
The processors' webhooks (`/webhooks/...`) take no API key: each delivery is signed by the processor.";

const TAGS: [(&str, &str); 11] = [
    (
        "account",
        "The operator's account, its portal settings, its documents' branding and its processor.",
    ),
    ("api-keys", "The account's operator API keys."),
    (
        "clients",
        "Client companies, their statements and their audit trail.",
    ),
    ("contacts", "Billing contacts and their portal links."),
    (
        "sessions",
        "Portal sessions (`crm_client_portal_sessions`).",
    ),
    (
        "invoices",
        "Invoices, what is paid on them and what is due, and their PDFs.",
    ),
    ("estimates", "Estimates."),
    ("contracts", "Contracts."),
    (
        "payments",
        "Payments received outside the portal or through the processor, refunds, and receipts.",
    ),
    ("outbox", "Emails and link requests queued for delivery."),
    (
        "webhooks",
        "Events the connected processor sends, signed by it; no API key.",
    ),
];

/// The document before any operation is added.
pub(super) fn base() -> OpenApi {
    let bearer = {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some("An account's API key.".to_owned());
        SecurityScheme::Http(http)
    };
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Billing client portal: operator API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .license(Some(
                    LicenseBuilder::new()
                        .name("AGPL-3.0-or-later")
                        .identifier(Some("AGPL-3.0-or-later"))
                        .build(),
                ))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .schema_from::<ErrorBody>()
                .security_scheme("api_key", bearer)
                .build(),
        ))
        .security(Some([SecurityRequirement::new(
            "api_key",
            Vec::<String>::new(),
        )]))
        .tags(Some(TAGS.map(|(name, description)| {
            TagBuilder::new()
                .name(name)
                .description(Some(description))
                .build()
        })))
        .build()
}

/// Adds what every operation of the API shares. The webhooks, outside
/// `/api`, document their own answers.
pub(super) fn finish(mut document: OpenApi) -> OpenApi {
    let optional_bodies = optional_bodies(&document);
    let bodies_with_ids = bodies_with_ids(&document);
    for (path, item) in &mut document.paths.paths {
        if !path.starts_with("/api/") {
            continue;
        }
        let has_id = path.contains("{id}");
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.patch, false),
            (&mut item.put, false),
            (&mut item.delete, false),
        ];
        for (operation, is_post) in operations {
            if let Some(operation) = operation.as_mut() {
                shared(operation, has_id, is_post);
                refers_by_id(operation, &bodies_with_ids);
                may_be_empty(operation, &optional_bodies);
            }
        }
    }
    document
}

/// The request schemas with no required property: a body of them may be
/// left out, since an empty body reads as `{}`.
fn optional_bodies(document: &OpenApi) -> Vec<String> {
    let Some(components) = &document.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter(|(_, schema)| {
            matches!(schema, RefOr::T(Schema::Object(object))
                if object.required.is_empty()
                    && matches!(object.additional_properties.as_deref(), Some(AdditionalProperties::FreeForm(false))))
        })
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect()
}

/// Whether `schema` is a UUID string (an id), nullable or not.
fn is_id(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object))
        if matches!(&object.format, Some(SchemaFormat::Custom(format)) if format == "uuid"))
}

/// The request schemas that name other objects by id.
fn bodies_with_ids(document: &OpenApi) -> Vec<String> {
    let Some(components) = &document.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter(|(_, schema)| {
            matches!(schema, RefOr::T(Schema::Object(object))
                if object.properties.values().any(is_id))
        })
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect()
}

/// Documents what an id in the query or the body that names nothing
/// answers: 404, and 422 for a malformed id filter.
fn refers_by_id(operation: &mut Operation, bodies_with_ids: &[String]) {
    let id_filter = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in == ParameterIn::Query && p.schema.as_ref().is_some_and(is_id),
        RefOr::Ref(_) => false,
    });
    if id_filter {
        error(
            operation,
            "404",
            "The id filter names nothing in this account (`not_found`).",
        );
        error(
            operation,
            "422",
            "A malformed id filter (`validation_failed`).",
        );
    }
    let id_in_body = match &operation.request_body {
        Some(RefOr::T(body)) => body.content.values().any(|content| match content {
            RefOr::T(content) => {
                matches!(&content.schema, Some(RefOr::Ref(r)) if bodies_with_ids.contains(&r.ref_location))
            }
            RefOr::Ref(_) => false,
        }),
        _ => false,
    };
    if id_in_body {
        error(
            operation,
            "404",
            "An id in the body names no client, contact or document of this account (`not_found`).",
        );
    }
}

/// Marks the request body optional when its schema is one of `optional`.
fn may_be_empty(operation: &mut Operation, optional: &[String]) {
    let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
        return;
    };
    let refers_to_optional = body.content.values().any(|content| match content {
        RefOr::T(content) => {
            matches!(&content.schema, Some(RefOr::Ref(r)) if optional.contains(&r.ref_location))
        }
        RefOr::Ref(_) => false,
    });
    if refers_to_optional {
        body.required = Some(Required::False);
        body.description
            .get_or_insert_with(|| "Only the fields to set; may be left out.".to_owned());
    }
}

fn shared(operation: &mut Operation, has_id: bool, is_post: bool) {
    // Doc comments wrap; a summary is one line.
    if let Some(summary) = operation.summary.as_mut() {
        *summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    // A JSON body meets the JSON extractor's refusals; a body of another
    // kind (an image) documents its own.
    let has_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| match body {
            RefOr::T(body) => body.content.contains_key("application/json"),
            RefOr::Ref(_) => true,
        });
    let query: Vec<&str> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.as_str()),
            _ => None,
        })
        .collect();
    let paged = query.contains(&"limit");
    let has_query = !query.is_empty();
    error(operation, "401", "No valid API key (`unauthorized`).");
    error(
        operation,
        "500",
        "Something failed on the server (`internal_error`); nothing about it is disclosed. A `POST` with an `Idempotency-Key` may be retried.",
    );
    if has_id {
        error(
            operation,
            "404",
            "No such object in this account (`not_found`).",
        );
    }
    if paged {
        error(
            operation,
            "400",
            "The query string does not fit (`invalid_query`): an unknown parameter, a `limit` outside 1 to 100 or a `cursor` this API did not hand out.",
        );
    } else if has_query {
        error(
            operation,
            "400",
            "The query string does not fit (`invalid_query`): an unknown or repeated parameter.",
        );
    }
    if has_body {
        error(
            operation,
            "400",
            "The body is not valid JSON (`invalid_json`).",
        );
        error(
            operation,
            "413",
            "The body is too large (`payload_too_large`).",
        );
        error(
            operation,
            "415",
            "The body is not `application/json` (`unsupported_media_type`).",
        );
        error(
            operation,
            "422",
            "A field breaks a rule (`validation_failed`) or a value has the wrong type or is unknown (`invalid_request`); `field` names it. Nothing is written.",
        );
    }
    if is_post {
        let parameter = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Names one logical request for 24 hours: a retry with the same key, method, path and body gets the first answer again (with `Idempotent-Replayed: true`) instead of doing the work twice. Answers of 5xx are not kept.",
            ))
            .schema(Some(idempotency_key_schema()))
            .build();
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .push(RefOr::T(parameter));
        error(
            operation,
            "400",
            "A malformed `Idempotency-Key` (`invalid_idempotency_key`).",
        );
        error(
            operation,
            "409",
            "A request with this `Idempotency-Key` is still in progress (`request_in_progress`).",
        );
        error(
            operation,
            "422",
            "This `Idempotency-Key` was used for another request (`idempotency_key_reused`).",
        );
    }
}

/// Documents the error answer `status`, or adds `description` to the one
/// already documented.
fn error(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    match responses.get_mut(status) {
        Some(RefOr::T(existing)) => {
            if !existing.description.contains(description) {
                existing.description.push(' ');
                existing.description.push_str(description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                )
                .build();
            responses.insert(status.to_owned(), RefOr::T(response));
        }
    }
}
