//! GWS-style JSON replies: every body carries `statusCode`.

use axum::Json;
use axum::http::StatusCode as Http;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routing::Refusal;
use crate::gws::StatusCode;

/// The HTTP status that goes with a GWS status code.
pub fn http_status(status: StatusCode) -> Http {
    match status.0 {
        0 | 7 => Http::OK,
        3 | 5 => Http::FORBIDDEN,
        4 => Http::INTERNAL_SERVER_ERROR,
        6 => Http::NOT_FOUND,
        20 => Http::UNAUTHORIZED,
        _ => Http::BAD_REQUEST,
    }
}

/// `{"statusCode": N, "statusMessage": "..."}` with the matching HTTP status.
pub fn status(status: StatusCode, message: &str) -> Response {
    (
        http_status(status),
        Json(json!({"statusCode": status, "statusMessage": message})),
    )
        .into_response()
}

/// `{"statusCode": 0}`.
pub fn ok() -> Response {
    Json(json!({"statusCode": 0})).into_response()
}

/// `{"statusCode": 0, ...fields}`; `fields` must be an object.
pub fn ok_with(mut fields: Value) -> Response {
    if let Some(obj) = fields.as_object_mut() {
        obj.insert("statusCode".to_string(), json!(0));
    }
    Json(fields).into_response()
}

/// The reply to a refused operation.
pub fn refusal(r: Refusal) -> Response {
    status(r.status, &r.message)
}
