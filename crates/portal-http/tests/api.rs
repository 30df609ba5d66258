//! The operator API's accounts, keys and contacts: API keys shown once
//! and revoked at once, contact changes that end sessions, and the
//! account's time zone.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{World, set_cookie};
use serde_json::json;

#[tokio::test]
async fn api_keys_are_shown_once_and_revoked_keys_stop_at_once() {
    let w = World::new().await;
    let created = w
        .api(
            "POST",
            "/api/crm/api-keys",
            Some(json!({ "name": "Accounting sync" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let key = created.json["key"].as_str().unwrap().to_owned();
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created.json["prefix"].as_str().unwrap()));

    let listed = w.api("GET", "/api/crm/api-keys", None).await;
    assert_eq!(listed.json["data"].as_array().unwrap().len(), 2);
    assert!(!listed.text.contains(&key), "a list never shows a key");
    for item in listed.json["data"].as_array().unwrap() {
        let fields: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["created_at", "id", "name", "prefix", "revoked_at"]);
    }

    let with_new_key = |key: &str| {
        Request::get("/api/crm/account")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(w.send(with_new_key(&key)).await.status, StatusCode::OK);
    let revoked = w
        .api("DELETE", &format!("/api/crm/api-keys/{id}"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert!(revoked.json["revoked_at"].is_string());
    assert_eq!(
        w.send(with_new_key(&key)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = w
        .api("DELETE", &format!("/api/crm/api-keys/{id}"), None)
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "revoking twice changes nothing"
    );

    // The last active key stays.
    let own = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Default")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let last = w
        .api("DELETE", &format!("/api/crm/api-keys/{own}"), None)
        .await;
    assert_eq!(
        (last.status, last.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_api_key"))
    );
    assert_eq!(
        w.api("GET", "/api/crm/account", None).await.status,
        StatusCode::OK
    );
    for id in ["nope", "00000000-0000-4000-8000-000000000000"] {
        assert_eq!(
            w.api("DELETE", &format!("/api/crm/api-keys/{id}"), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    let blank = w
        .api("POST", "/api/crm/api-keys", Some(json!({ "name": " " })))
        .await;
    assert_eq!(blank.json["error"]["field"], "name");
}

#[tokio::test]
async fn deactivating_a_contact_ends_its_sessions_and_says_how_many() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let redeemed = w
        .form(&w.link_path(), "", &[("sec-fetch-site", "same-origin")])
        .await;
    let cookie = set_cookie(&redeemed).unwrap();
    assert_eq!(
        w.page("/portal", Some(&cookie)).await.status,
        StatusCode::OK
    );

    let renamed = w
        .api(
            "PATCH",
            &format!("/api/crm/contacts/{contact}"),
            Some(json!({ "name": "Avery Q." })),
        )
        .await;
    assert_eq!(
        (
            renamed.json["name"].as_str(),
            renamed.json["sessions_revoked"].as_u64()
        ),
        (Some("Avery Q."), Some(0))
    );
    let deactivated = w
        .api(
            "PATCH",
            &format!("/api/crm/contacts/{contact}"),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);
    assert_eq!(
        (
            deactivated.json["active"].as_bool(),
            deactivated.json["sessions_revoked"].as_u64()
        ),
        (Some(false), Some(1))
    );
    assert_eq!(
        w.page("/portal", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let send = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/send"),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(send.json["error"]["code"], "contact_inactive");

    let (_, other) = w.client_and_contact("Acme 2", "other@acme.example").await;
    let second = w
        .api(
            "POST",
            "/api/crm/contacts",
            Some(json!({ "client_id": client, "name": "B", "email": "b@acme.example" })),
        )
        .await;
    let second = second.json["id"].as_str().unwrap();
    let duplicate = w
        .api(
            "PATCH",
            &format!("/api/crm/contacts/{second}"),
            Some(json!({ "email": "AP@acme.example" })),
        )
        .await;
    assert_eq!(
        (duplicate.status, duplicate.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_email"))
    );
    let bad = w
        .api(
            "PATCH",
            &format!("/api/crm/contacts/{other}"),
            Some(json!({ "email": "not an email" })),
        )
        .await;
    assert_eq!(bad.json["error"]["field"], "email");
    let empty = w
        .api("PATCH", &format!("/api/crm/contacts/{other}"), None)
        .await;
    assert_eq!(
        empty.status,
        StatusCode::OK,
        "an empty patch changes nothing: {}",
        empty.text
    );
}

#[tokio::test]
async fn the_accounts_time_zone_is_readable_and_patchable() {
    let w = World::new().await;
    let account = w.api("GET", "/api/crm/account", None).await.json;
    assert_eq!(account["time_zone"], "UTC");
    let patched = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "time_zone": "Europe/Paris" })),
        )
        .await;
    assert_eq!(patched.json["time_zone"], "Europe/Paris");
    for bad in ["Mars/Olympus", "europe/paris", ""] {
        let answer = w
            .api(
                "PATCH",
                "/api/crm/account",
                Some(json!({ "time_zone": bad })),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("time_zone")),
            "{bad}"
        );
    }
    assert_eq!(
        w.api("GET", "/api/crm/account", None).await.json["time_zone"],
        "Europe/Paris"
    );
}
