//! Request extractors whose rejections are [`AppError`]s, so a malformed request gets the
//! relay's JSON error instead of axum's plain-text rejection.
//!
//! The messages say what to fix without echoing what was sent: serde's own messages can quote
//! the offending value, and a request body may hold something that must not be logged.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
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

fn json_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::bad_request("send the body as JSON with `Content-Type: application/json`")
        }
        JsonRejection::JsonSyntaxError(_) => AppError::bad_request("the body is not valid JSON"),
        JsonRejection::JsonDataError(_) => AppError::bad_request(
            "the JSON body does not have the fields this endpoint expects (ids are 32 hexadecimal digits)",
        ),
        other => body_rejection(other.status()),
    }
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
