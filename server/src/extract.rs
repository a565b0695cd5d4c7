//! Request extractors whose rejections are [`AppError`]s, so a malformed request gets the
//! relay's JSON error instead of axum's plain-text rejection.
//!
//! The messages say what to fix without echoing what was sent: serde's own messages can quote
//! the offending value, and a request body may hold something that must not be logged.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON request body; rejections become 400, 413 or 415 JSON errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn missing_json_content_type() -> AppError {
    AppError::bad_request("send the body as JSON with `Content-Type: application/json`")
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => missing_json_content_type(),
        JsonRejection::JsonSyntaxError(_) => AppError::bad_request("the body is not valid JSON"),
        JsonRejection::JsonDataError(_) => AppError::bad_request(
            "the JSON body does not have the fields this endpoint expects (ids are 32 hexadecimal digits)",
        ),
        other => body_rejection(other.status()),
    }
}

/// A JSON request body that may be left out: an empty body is `T::default()` (whatever its
/// content type), any other is read as [`ApiJson`] reads one, with the same 400, 413 and 415
/// answers. For calls that took no body before one was added to them.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_content_type);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection: BytesRejection| body_rejection(rejection.status()))?;
        if bytes.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        if !is_json {
            return Err(missing_json_content_type());
        }
        Json::<T>::from_bytes(&bytes)
            .map(|Json(value)| OptionalJson(value))
            .map_err(|rejection| json_rejection(&rejection))
    }
}

/// Whether a `Content-Type` names JSON (`application/json`, or a `+json` type), as axum's
/// `Json` decides.
fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A raw request body, read up to the route's body limit; too large is a 413 JSON error.
#[derive(Debug, Clone, Default)]
pub struct ApiBody(pub Bytes);

impl<S> FromRequest<S> for ApiBody
where
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBody)
            .map_err(|rejection: BytesRejection| body_rejection(rejection.status()))
    }
}

fn body_rejection(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::too_large("the request body is larger than this endpoint accepts")
    } else if status.is_client_error() {
        AppError::bad_request("the request body could not be read")
    } else {
        AppError::Internal(format!("reading the body failed with {status}").into())
    }
}

/// A query string; a malformed one is a 400 JSON error.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|_: QueryRejection| {
                AppError::bad_request(
                    "the query string is malformed (numbers must be non-negative integers)",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Sample {
        #[serde(default)]
        n: u32,
    }

    async fn optional(content_type: Option<&str>, body: &'static str) -> Result<u32, StatusCode> {
        let mut req = Request::builder().method("POST").uri("/");
        if let Some(content_type) = content_type {
            req = req.header(CONTENT_TYPE, content_type);
        }
        let req = req.body(Body::from(body)).unwrap();
        OptionalJson::<Sample>::from_request(req, &())
            .await
            .map(|OptionalJson(b)| b.n)
            .map_err(|e| e.status())
    }

    #[tokio::test]
    async fn an_optional_json_body_may_be_left_out_but_not_garbled() {
        assert_eq!(optional(None, "").await, Ok(0));
        assert_eq!(optional(Some("text/plain"), "").await, Ok(0));
        assert_eq!(
            optional(Some("application/json"), r#"{"n": 3}"#).await,
            Ok(3)
        );
        assert_eq!(
            optional(Some("application/json; charset=utf-8"), r#"{"n": 4}"#).await,
            Ok(4)
        );
        assert_eq!(optional(Some("application/x+json"), "{}").await, Ok(0));
        for (content_type, body) in [
            (None, r#"{"n": 3}"#),
            (Some("text/plain"), r#"{"n": 3}"#),
            (Some("application/json"), "{"),
            (Some("application/json"), r#"{"n": -1}"#),
        ] {
            assert_eq!(
                optional(content_type, body).await,
                Err(StatusCode::BAD_REQUEST),
                "{content_type:?} {body}"
            );
        }
    }
}
