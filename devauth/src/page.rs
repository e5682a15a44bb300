//! The consent page: a button per test user (and Deny), and what a click does.

use std::time::Instant;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::{App, AuthorizeParams, Grant, Provider, with_query};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn refuse(problem: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("devauth: {problem}\n")).into_response()
}

/// `GET /{provider}/authorize`: the page, with the request's parameters carried in hidden fields.
pub(crate) async fn show(
    State(app): State<App>,
    Path(provider): Path<Provider>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    if let Err(problem) = params.checked(&app, provider) {
        return refuse(problem);
    }
    let hidden: String = [
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("state", &params.state),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
        ("nonce", &params.nonce),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().map(|v| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(v)
            )
        })
    })
    .collect();
    let buttons: String = provider
        .users()
        .iter()
        .enumerate()
        .map(|(i, (handle, name))| {
            format!(
                r#"<button name="choice" value="{i}">Continue as {} ({})</button>"#,
                escape(name),
                escape(handle)
            )
        })
        .collect();
    let title = match provider {
        Provider::Github => "GitHub",
        Provider::Google => "Google",
    };
    Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>devauth: sign in with {title}</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}button{{display:block;width:100%;margin:.5rem 0;padding:.7rem;font-size:1rem}}</style>
</head><body><h1>Sign in with {title}</h1><p>devauth, the local stand-in. Pick a test user.</p>
<form method="post">{hidden}{buttons}<button name="choice" value="deny">Deny</button></form></body></html>"#
    ))
    .into_response()
}

/// `POST /{provider}/authorize`: the click. A user gets a code; Deny gets `error=access_denied`.
pub(crate) async fn decide(
    State(app): State<App>,
    Path(provider): Path<Provider>,
    Form(params): Form<AuthorizeParams>,
) -> Response {
    let redirect_uri = match params.checked(&app, provider) {
        Ok(uri) => uri.to_owned(),
        Err(problem) => return refuse(problem),
    };
    let state = params.state.clone().unwrap_or_default();
    let choice = params.choice.as_deref().unwrap_or("deny");
    let Some(user) = choice
        .parse::<usize>()
        .ok()
        .filter(|i| *i < provider.users().len())
    else {
        let to = with_query(
            &redirect_uri,
            &[("error", "access_denied"), ("state", &state)],
        );
        return Redirect::to(&to).into_response();
    };
    let code = hex::encode(rand::random::<[u8; 20]>());
    app.store.lock().expect("store lock").codes.insert(
        code.clone(),
        Grant {
            provider,
            user,
            redirect_uri: redirect_uri.clone(),
            challenge: params.code_challenge.clone(),
            nonce: params.nonce.clone(),
            issued: Instant::now(),
        },
    );
    Redirect::to(&with_query(
        &redirect_uri,
        &[("code", &code), ("state", &state)],
    ))
    .into_response()
}
