//! Where magic links land: `GET /l/{token}` shows a "continue" page and
//! changes nothing (mail scanners fetch links); `POST /l/{token}` redeems
//! the link into a session and redirects to a URL without the token. Dead
//! links, and `POST /portal/request-link`, offer a new link by email.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use portal_domain::link_path;
use portal_domain::service::LinkPreview;
use serde::Deserialize;

use super::error::PageError;
use super::layout::card;
use super::session::session_cookie;
use crate::extract::{Browser, cookie};
use crate::state::AppState;

/// `GET` (and `HEAD`) on a link: reads, never writes.
pub(crate) async fn landing(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match state.services.links.preview_link(&token).await? {
        LinkPreview::Usable { account_name } => {
            let body = html! {
                h1 { "Continue to your billing portal" }
                p { (account_name) " sent you this secure link. It works once, on this device." }
                // No action: the form posts back to this same URL.
                form method="post" {
                    button type="submit" { "Continue to your billing portal" }
                }
            };
            Ok(card("Continue to your billing portal", body).into_response())
        }
        LinkPreview::Unusable(why) => {
            tracing::info!(reason = ?why, "dead link opened");
            Err(PageError::DeadLink { token })
        }
    }
}

/// `POST` on a link: redeem it, set a fresh session cookie, and go to the
/// document it was sent for.
pub(crate) async fn redeem(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Browser(info): Browser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let current = cookie(&headers, state.cookie_name());
    let redeemed = state
        .services
        .links
        .redeem_link(&token, &info, current)
        .await
        .map_err(|e| PageError::redeem(e, &token))?;
    state.metrics.session_created();
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
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestLinkForm {
    email: String,
    link: Option<String>,
}

/// `POST /portal/request-link`: the same answer whether or not the email
/// is on file. The request is queued in the outbox within this request;
/// the outbox finds the contacts and sends their links.
pub(crate) async fn request_link(
    State(state): State<AppState>,
    Browser(info): Browser,
    headers: HeaderMap,
    form: Result<Form<RequestLinkForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Err(PageError::InvalidEmail {
            link: None,
            missing: true,
        });
    };
    let session = cookie(&headers, state.cookie_name());
    let window = state.services.config().link_requests.window.num_seconds();
    state
        .services
        .links
        .request_link(&form.email, form.link.as_deref(), session, &info)
        .await
        .map_err(|e| PageError::request_link(e, form.link.clone(), window))?;
    let body = html! {
        h1 { "Check your email" }
        p {
            "If " strong { (form.email.trim()) } " is on file for this billing portal, "
            "a new link is on its way. It can take a minute; check your spam folder too."
        }
    };
    Ok(card("Check your email", body).into_response())
}

/// The path links are served at, for the router.
pub(crate) fn route() -> String {
    link_path("{token}")
}
