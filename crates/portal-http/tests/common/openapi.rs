//! Reading the served OpenAPI document, for the tests that hold it to the
//! router and to the server's rules.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::Value;

use super::World;

/// The methods an OpenAPI path item may describe that this API uses.
pub const METHODS: [&str; 5] = ["get", "post", "patch", "put", "delete"];

/// The document as `/api/openapi.json` serves it.
pub async fn document(world: &World) -> Value {
    let answer = world.send(get("/api/openapi.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers["content-type"], "application/json",
        "{:?}",
        answer.headers
    );
    answer.json
}

/// A `GET` of `path` with no body.
pub fn get(path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap()
}

/// Every (method, path) the document describes.
pub fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if METHODS.contains(&method.as_str()) {
                operations.insert((method.clone(), path.clone()));
            }
        }
    }
    operations
}
