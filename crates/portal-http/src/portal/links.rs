//! Where magic links land: `GET /l/{token}` shows a "continue" page and
//! changes nothing (mail scanners fetch links); `POST /l/{token}` redeems
//! the link into a session and redirects to a URL without the token. Dead
//! links, and `POST /portal/request-link`, offer a new link by email.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use portal_domain::link_path;
use portal_domain::service::{LinkPreview, RedeemError, RequestLinkError};
use serde::Deserialize;

use super::layout::{card, request_form};
use super::session::{server_error, session_cookie};
use crate::error::chain;
use crate::extract::{Browser, cookie};
use crate::state::AppState;

/// `GET` (and `HEAD`) on a link: reads, never writes.
pub(crate) async fn landing(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.portal.preview_link(&token).await {
        Ok(LinkPreview::Usable { account_name }) => {
            let body = html! {
                h1 { "Continue to your billing portal" }
                p { (account_name) " sent you this secure link. It works once, on this device." }
                // No action: the form posts back to this same URL.
                form method="post" {
                    button type="submit" { "Continue to your billing portal" }
                }
            };
            card("Continue to your billing portal", body).into_response()
        }
        Ok(LinkPreview::Unusable(why)) => {
            tracing::info!(reason = ?why, "dead link opened");
            dead_link(&token)
        }
        Err(err) => server_error(&err),
    }
}

/// `POST` on a link: redeem it, set a fresh session cookie, and go to the
/// document it was sent for.
pub(crate) async fn redeem(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Browser(info): Browser,
    headers: HeaderMap,
) -> Response {
    let current = cookie(&headers, state.cookie_name());
    match state.portal.redeem_link(&token, &info, current).await {
        Ok(redeemed) => {
            let target = match redeemed.document {
                Some(doc) => format!("/portal/documents/{doc}"),
                None => "/portal".to_owned(),
            };
            let session = &redeemed.session;
            let lifetime = session
                .activated_at
                .map_or(0, |start| (session.expires_at - start).num_seconds());
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&state, redeemed.secret.expose(), lifetime),
            );
            tracing::info!(session = %redeemed.session.id, "link redeemed");
            response
        }
        Err(RedeemError::Rejected(why)) => {
            tracing::info!(reason = ?why, "link refused");
            dead_link(&token)
        }
        Err(RedeemError::Store(err)) => server_error(&err),
    }
}

/// One neutral answer for used, expired, revoked and unknown links.
fn dead_link(token: &str) -> Response {
    let title = "This link can't be used";
    let body = html! {
        h1 { (title) }
        p {
            "Billing portal links work once and expire after a while. "
            "If this one was yours, we can email you a new one."
        }
        (request_form(Some(token), None))
    };
    (StatusCode::GONE, card(title, body)).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestLinkForm {
    email: String,
    link: Option<String>,
}

/// `POST /portal/request-link`: the same answer whether or not the email
/// is on file; the email, if any, goes out in the background.
pub(crate) async fn request_link(
    State(state): State<AppState>,
    Browser(info): Browser,
    headers: HeaderMap,
    form: Result<Form<RequestLinkForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let body = html! {
            h1 { "Email me a new link" }
            (request_form(None, Some("Please enter your email address.")))
        };
        return (StatusCode::BAD_REQUEST, card("Email me a new link", body)).into_response();
    };
    let session = cookie(&headers, state.cookie_name());
    match state
        .portal
        .request_link(&form.email, form.link.as_deref(), session, &info)
        .await
    {
        Ok(delivery) => {
            let portal = state.portal.clone();
            tokio::spawn(async move {
                match portal.deliver_link(delivery).await {
                    Ok(sent) => tracing::info!(sent, "link request handled"),
                    Err(err) => tracing::warn!(error = %chain(&err), "link request failed"),
                }
            });
            let body = html! {
                h1 { "Check your email" }
                p {
                    "If " strong { (form.email.trim()) } " is on file for this billing portal, "
                    "a new link is on its way. It can take a minute; check your spam folder too."
                }
            };
            card("Check your email", body).into_response()
        }
        Err(RequestLinkError::InvalidEmail(_)) => {
            let body = html! {
                h1 { "Email me a new link" }
                (request_form(form.link.as_deref(), Some("That does not look like an email address.")))
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                card("Email me a new link", body),
            )
                .into_response()
        }
        Err(RequestLinkError::RateLimited) => {
            let body = html! {
                h1 { "Too many requests" }
                p { "Please wait a while before asking for another link." }
            };
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                card("Too many requests", body),
            )
                .into_response();
            let wait = state
                .portal
                .config()
                .link_requests
                .window
                .num_seconds()
                .to_string();
            if let Ok(value) = HeaderValue::from_str(&wait) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(RequestLinkError::Store(err)) => server_error(&err),
    }
}

/// The path links are served at, for the router.
pub(crate) fn route() -> String {
    link_path("{token}")
}
