//! What the pay page and the add-method page share: the processor's
//! element for a new card (Stripe Elements, card fields handed to
//! Accept.js, the test processor's fields), the scripts to load, the
//! `data-` attributes those scripts read, saved methods as a client sees
//! them, and the payment pages' own Content-Security-Policy.
//!
//! The card fields the portal renders itself carry no `name`: a browser
//! never posts them here. Only the processor's token comes back.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portal_domain::ports::{BrowserAssets, SessionContext, SetupStart};
use portal_domain::service::{Connected, ProcessorStatus};
use portal_domain::{MethodDetails, ProcessorCredentials, ProcessorKind, StoredMethod};

use super::assets::{self, Script};
use crate::security::payment_page_policy;
use crate::state::AppState;

/// What the portal's scripts need to talk to the processor's, as
/// `data-` attributes: public keys and the setup's client secret only.
#[derive(Debug, Default)]
pub(crate) struct ProcessorParams {
    pub(crate) processor: &'static str,
    pub(crate) publishable_key: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) api_login_id: Option<String>,
    pub(crate) client_key: Option<String>,
}

impl ProcessorParams {
    pub(crate) fn of(connected: &Connected, setup: Option<&SetupStart>) -> Self {
        let mut params = Self {
            processor: connected.kind().as_str(),
            client_secret: setup.and_then(|s| s.client_secret.clone()),
            ..Self::default()
        };
        match &connected.connection.credentials {
            ProcessorCredentials::Stripe {
                publishable_key, ..
            } => params.publishable_key = Some(publishable_key.clone()),
            ProcessorCredentials::AuthorizeNet {
                api_login_id,
                client_key,
                ..
            } => {
                params.api_login_id = Some(api_login_id.clone());
                params.client_key = Some(client_key.clone());
            }
            ProcessorCredentials::Test { .. } => {}
        }
        params
    }
}

/// The new-card element: Stripe mounts its card Element in
/// `#card-element`; for Accept.js and the test processor the portal
/// renders the fields, without names.
pub(crate) fn new_card_fields(kind: ProcessorKind) -> Markup {
    html! {
        @match kind {
            ProcessorKind::Stripe => {
                label for="card-element" { "Card" }
                div #card-element .card-element {}
            }
            ProcessorKind::AuthorizeNet | ProcessorKind::Test => {
                div.card-fields {
                    div.field.wide {
                        label for="card-number" { "Card number" }
                        input #card-number type="text" inputmode="numeric" autocomplete="cc-number"
                            placeholder="1234 1234 1234 1234" maxlength="23" spellcheck="false";
                    }
                    div.field {
                        label for="card-expiry" { "Expiry" }
                        input #card-expiry type="text" inputmode="numeric" autocomplete="cc-exp"
                            placeholder="MM / YY" maxlength="9";
                    }
                    div.field {
                        label for="card-cvc" { "Security code" }
                        input #card-cvc type="text" inputmode="numeric" autocomplete="cc-csc"
                            placeholder="CVC" maxlength="4";
                    }
                }
                @if kind == ProcessorKind::Test {
                    p.muted.hint #test-cards {
                        "Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0341 is declined, "
                        "4000 0027 6000 3184 asks for 3-D Secure. Any future expiry and any "
                        "security code."
                    }
                }
            }
        }
        p #card-errors .error role="alert" hidden {}
    }
}

/// The scripts a payment page loads: the processor's (the test
/// processor's is the portal's own), then `own`.
pub(crate) fn scripts(connected: &Connected, assets: &BrowserAssets, own: Script) -> Vec<String> {
    let processor = match connected.kind() {
        ProcessorKind::Test => Some(assets::TEST_PROCESSOR.src()),
        _ if assets.script_url.is_empty() => None,
        _ => Some(assets.script_url.clone()),
    };
    processor.into_iter().chain([own.src()]).collect()
}

/// A payment page, under the policy that lets the processor's scripts
/// and frames in.
pub(crate) fn payment_page(markup: Markup, assets: &BrowserAssets) -> Response {
    let mut response = markup.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, payment_page_policy(assets));
    response
}

/// "Visa •••• 4242" and, for a card, when it expires.
pub(crate) fn method_label(method: &StoredMethod) -> Markup {
    html! {
        span.method-name { (method.details) }
        @if let MethodDetails::Card { expiry: Some(expiry), .. } = &method.details {
            " "
            span.muted { "expires " (expiry) }
        }
    }
}

/// Whether the account takes payments online now, and in test mode:
/// `None` when no processor is connected. The session read the connection
/// with itself, so this costs no query.
pub(crate) fn online(state: &AppState, ctx: &SessionContext) -> Option<bool> {
    match state.services.processors.status_of(ctx.processor.as_ref()) {
        ProcessorStatus::Connected { test_mode, .. } => Some(test_mode),
        ProcessorStatus::NotConfigured => None,
    }
}
