//! Extractors whose rejections are problem documents naming what is wrong, instead of axum's
//! plain-text defaults.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::ApiError;

/// A JSON body; wrong media type → 415, too large → 413, malformed → 422 naming the path.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// The body of a request as bytes, with the size limit answered as a problem.
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(inner) if inner.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("request body exceeds the size limit".into())
        }
        other => ApiError::BadRequest(other.body_text()),
    })
}

/// The request's media type (lower case, without parameters), if any.
pub fn media_type(req: &Request) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// Parses JSON with the path of the first error (`options.gap: invalid type …`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "body".to_string() } else { path };
        ApiError::invalid(path, e.into_inner().to_string())
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match media_type(&req).as_deref() {
            Some("application/json") => {}
            Some(other) => {
                return Err(ApiError::UnsupportedMediaType(format!("expected application/json, got {other}")));
            }
            None => return Err(ApiError::UnsupportedMediaType("Content-Type application/json is required".into())),
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Query parameters; malformed → 400 naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// Parses a path id; a malformed one cannot name an existing resource, so it is a 404.
pub fn path_id<I: std::str::FromStr>(raw: &str, what: &'static str) -> Result<I, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound { what, id: raw.to_string() })
}
