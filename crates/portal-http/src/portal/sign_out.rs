//! Signing out: `POST /portal/logout` ends the session on the server and
//! drops the cookie; `GET /portal/signed-out` says so.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::error::PageError;
use super::layout::card;
use super::session::{SignedIn, session_cookie};
use crate::extract::Browser;
use crate::state::AppState;

pub(crate) async fn logout(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
) -> Result<Response, PageError> {
    state.services.sessions.sign_out(&ctx, &info).await?;
    let mut response = Redirect::to("/portal/signed-out").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

pub(crate) async fn signed_out() -> Response {
    let body = html! {
        h1 { "You have signed out" }
        p { "To come back, open the link in your latest invoice or portal email." }
    };
    card("Signed out", body).into_response()
}
