//! The one error type every handler and extractor returns, and the guarantee that clients only
//! ever see JSON errors.
//!
//! [`AppError`] maps each failure to a status and a stable code from
//! [`trellis_protocol::api::codes`], with a message a person can act on. Messages are fixed
//! texts written here: they never echo request bodies, ids, tokens or secrets. Internal failures
//! are logged (with their cause, which never holds secrets) and answered with a bare 500.
//!
//! axum's own rejections (bad JSON, body too large, bad query, not a WebSocket upgrade) are
//! converted by the relay's own extractors (the `extract` module, built on this type); unknown
//! routes and wrong methods have JSON fallbacks; and [`json_errors_only`] is a last net that
//! rewrites any error response that is still not JSON.

use std::borrow::Cow;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use trellis_protocol::api::{codes, ErrorBody};

use crate::storage::{Refusal, StorageError};

/// A failed request, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(Cow<'static, str>),
    /// 401: no valid device token or signup secret.
    #[error("{0}")]
    Unauthorized(Cow<'static, str>),
    /// 401 with code `revoked`: the device was revoked or its member removed; it should purge
    /// the workspace.
    #[error("{0}")]
    Revoked(Cow<'static, str>),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    /// 404: no such route or thing.
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    /// 405: the route exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(Cow<'static, str>),
    /// 409: the thing already exists.
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// 409 with code `stale_key`: a push sealed with an older key than the workspace's newest.
    #[error("{0}")]
    StaleKey(Cow<'static, str>),
    /// 409 with code `roster_moved`: the roster events sent do not start at the roster's next
    /// position; nothing was applied.
    #[error("{0}")]
    RosterMoved(Cow<'static, str>),
    /// 410: the invite was used or has expired.
    #[error("{0}")]
    Gone(Cow<'static, str>),
    /// 413: the body or batch is too large.
    #[error("{0}")]
    PayloadTooLarge(Cow<'static, str>),
    /// 408: the request did not arrive, or was not answered, in time.
    #[error("{0}")]
    RequestTimeout(Cow<'static, str>),
    /// 429: too many requests from this device or address; answered with `Retry-After`.
    #[error("too many requests; retry after {retry_after} seconds")]
    RateLimited {
        /// Whole seconds until the next request will be accepted (at least 1).
        retry_after: u64,
    },
    /// 429 with code `quota_exceeded`: a quota that protects every practice on the relay is
    /// reached.
    #[error("{0}")]
    QuotaExceeded(Cow<'static, str>),
    /// 507 with code `quota_exceeded`: the workspace's log, or its roster, is full.
    #[error("{0}")]
    LogFull(Cow<'static, str>),
    /// 500: the relay failed. The cause is logged, not sent.
    #[error("the relay failed: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// A 400 with this message.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::BadRequest(message.into())
    }

    /// A 401 with this message.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Unauthorized(message.into())
    }

    /// A 401 `revoked` with this message.
    pub fn revoked(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Revoked(message.into())
    }

    /// A 403 with this message.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Forbidden(message.into())
    }

    /// A 404 with this message.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::NotFound(message.into())
    }

    /// A 409 with this message.
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Conflict(message.into())
    }

    /// A 410 with this message.
    pub fn gone(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Gone(message.into())
    }

    /// A 413 with this message.
    pub fn too_large(message: impl Into<Cow<'static, str>>) -> AppError {
        AppError::PayloadTooLarge(message.into())
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) | AppError::Revoked(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::StaleKey(_) | AppError::RosterMoved(_) => {
                StatusCode::CONFLICT
            }
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::RateLimited { .. } | AppError::QuotaExceeded(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::LogFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code from [`codes`]. A wrong method is a malformed request, so 405
    /// carries [`codes::BAD_REQUEST`].
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) | AppError::MethodNotAllowed(_) => codes::BAD_REQUEST,
            AppError::Unauthorized(_) => codes::UNAUTHORIZED,
            AppError::Revoked(_) => codes::REVOKED,
            AppError::Forbidden(_) => codes::FORBIDDEN,
            AppError::NotFound(_) => codes::NOT_FOUND,
            AppError::Conflict(_) => codes::CONFLICT,
            AppError::StaleKey(_) => codes::STALE_KEY,
            AppError::RosterMoved(_) => codes::ROSTER_MOVED,
            AppError::Gone(_) => codes::GONE,
            AppError::PayloadTooLarge(_) => codes::PAYLOAD_TOO_LARGE,
            // A request too slow to arrive is the client's fault, like a malformed one.
            AppError::RequestTimeout(_) => codes::BAD_REQUEST,
            AppError::RateLimited { .. } => codes::RATE_LIMITED,
            AppError::QuotaExceeded(_) | AppError::LogFull(_) => codes::QUOTA_EXCEEDED,
            AppError::Internal(_) => codes::INTERNAL,
        }
    }

    /// An error for a response that some layer produced with this status and no JSON body.
    pub fn from_status(status: StatusCode) -> AppError {
        match status {
            StatusCode::UNAUTHORIZED => AppError::unauthorized("this request is not authorized"),
            StatusCode::FORBIDDEN => AppError::forbidden("this request is not allowed"),
            StatusCode::NOT_FOUND => AppError::not_found("there is no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => {
                AppError::MethodNotAllowed("this endpoint does not accept that method".into())
            }
            StatusCode::CONFLICT => AppError::conflict("it already exists"),
            StatusCode::GONE => AppError::gone("it is no longer available"),
            StatusCode::PAYLOAD_TOO_LARGE => AppError::too_large(format!(
                "the request body is larger than {} bytes",
                trellis_protocol::MAX_BODY_BYTES
            )),
            StatusCode::REQUEST_TIMEOUT => AppError::RequestTimeout(
                "the request took too long to arrive or to answer; try again".into(),
            ),
            s if s.is_client_error() => AppError::bad_request("the request is malformed"),
            s => AppError::Internal(format!("a layer answered {s}").into()),
        }
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict => AppError::conflict("it already exists"),
            StorageError::NotFound => AppError::not_found("it does not exist"),
            StorageError::Gone => AppError::gone("the invite was already used or has expired"),
            StorageError::Refused(refusal) => refusal.into(),
            StorageError::LogFull { entries, bytes } => AppError::LogFull(
                format!(
                    "this practice's log is full ({entries} entries, {bytes} bytes): an owner or \
                     admin should cut a checkpoint, or the relay's operator raise the quota; \
                     nothing was stored"
                )
                .into(),
            ),
            StorageError::StaleKey { .. } => AppError::StaleKey(
                "the entries are sealed with an older key than the workspace's newest; fetch \
                 the keys, seal them again and push again (nothing was stored)"
                    .into(),
            ),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::CallerRevoked => revoked(),
            Refusal::OwnerOrAdminOnly => {
                AppError::forbidden("only an owner or an admin may do this")
            }
            Refusal::OwnerOnly => AppError::forbidden("only the owner may do this"),
            Refusal::NotOwnDevice => AppError::forbidden(
                "a member may revoke only her own devices; ask an owner or an admin",
            ),
            Refusal::AdminRevokesMembersOnly => AppError::forbidden(
                "an admin may revoke her own devices and members' devices only; \
                 only the owner may revoke an admin's or the owner's devices",
            ),
            Refusal::OwnersLastDevice => AppError::conflict(
                "this is the owner's last device: add another device or transfer ownership \
                 before revoking it",
            ),
            Refusal::AdminRemovesMembersOnly => AppError::forbidden(
                "an admin may remove members only; only the owner may remove an admin",
            ),
            Refusal::OwnerMustTransfer => AppError::conflict(
                "the owner cannot leave or be removed; transfer ownership to another member first",
            ),
            Refusal::MemberRemoved => {
                AppError::conflict("that member was already removed from the workspace")
            }
            Refusal::AlreadyOwner => AppError::conflict("that member is already the owner"),
            Refusal::StaleRotation => AppError::conflict(
                "the key rotation does not match the workspace: its epoch must be the current \
                 one plus one and it must seal the key only to remaining devices, each once; \
                 fetch the members again and retry",
            ),
            Refusal::DeviceIdTaken => AppError::conflict(
                "this device id is already registered in the workspace; propose a new one",
            ),
            Refusal::TooManyDevices { limit } => AppError::QuotaExceeded(
                format!(
                    "this member has {limit} devices already, the most a member may have; \
                     revoke one she no longer uses first"
                )
                .into(),
            ),
            Refusal::RosterMoved { head } => AppError::RosterMoved(
                format!(
                    "the roster events do not start at the roster's next position (its newest \
                     seq is {head}): another device appended first; fetch the roster, make the \
                     events again and retry (nothing was applied)"
                )
                .into(),
            ),
            Refusal::RosterFull { limit } => AppError::LogFull(
                format!(
                    "this practice's roster holds {limit} events, the most it may hold; \
                     nothing was applied"
                )
                .into(),
            ),
            Refusal::NotOwnInvite => AppError::forbidden(
                "a member may cancel only the invites she issued; ask an owner or an admin",
            ),
            Refusal::InviteUsed => AppError::conflict(
                "this invite was already redeemed; revoke the device it let in instead",
            ),
            Refusal::EpochAhead { current } => AppError::bad_request(format!(
                "a granted key names an epoch past the workspace's current one ({current})"
            )),
            Refusal::DeviceRevoked => AppError::conflict(
                "that device was revoked or its member removed; keys are not granted to it",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                "the relay failed; try again later".to_owned()
            }
            other => {
                tracing::debug!(status = status.as_u16(), message = %other, "request refused");
                other.to_string()
            }
        };
        let body = ErrorBody {
            error: self.code().to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::RateLimited { retry_after } = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
        }
        response
    }
}

/// The answer to a revoked device (or a device of a removed member): 401 with code `revoked`.
pub fn revoked() -> AppError {
    AppError::revoked(
        "this device was revoked or its member removed from the workspace; purge this workspace's data",
    )
}

/// The fallback for unknown routes: 404 JSON.
pub async fn not_found() -> AppError {
    AppError::not_found("there is no such endpoint; every endpoint is under /v1")
}

/// The fallback for known routes called with the wrong method: 405 JSON.
pub async fn method_not_allowed(method: Method) -> AppError {
    AppError::MethodNotAllowed(format!("this endpoint does not accept {method}").into())
}

/// Middleware: rewrites any error response that is not JSON into an [`AppError`] body with the
/// same status, so that no plain-text rejection of some layer ever reaches a client.
pub async fn json_errors_only(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let mut rewritten = AppError::from_status(status).into_response();
    // Keep the original status even where `from_status` has no exact variant (e.g. 415).
    *rewritten.status_mut() = status;
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_status_and_a_protocol_code() {
        let all = [
            (AppError::bad_request("x"), 400, codes::BAD_REQUEST),
            (AppError::unauthorized("x"), 401, codes::UNAUTHORIZED),
            (AppError::revoked("x"), 401, codes::REVOKED),
            (AppError::forbidden("x"), 403, codes::FORBIDDEN),
            (AppError::not_found("x"), 404, codes::NOT_FOUND),
            (
                AppError::MethodNotAllowed("x".into()),
                405,
                codes::BAD_REQUEST,
            ),
            (AppError::conflict("x"), 409, codes::CONFLICT),
            (AppError::RosterMoved("x".into()), 409, codes::ROSTER_MOVED),
            (
                AppError::from(Refusal::RosterMoved { head: 4 }),
                409,
                codes::ROSTER_MOVED,
            ),
            (
                AppError::from(Refusal::RosterFull { limit: 9 }),
                507,
                codes::QUOTA_EXCEEDED,
            ),
            (AppError::gone("x"), 410, codes::GONE),
            (AppError::too_large("x"), 413, codes::PAYLOAD_TOO_LARGE),
            (
                AppError::RequestTimeout("x".into()),
                408,
                codes::BAD_REQUEST,
            ),
            (
                AppError::RateLimited { retry_after: 3 },
                429,
                codes::RATE_LIMITED,
            ),
            (AppError::Internal("x".into()), 500, codes::INTERNAL),
        ];
        for (err, status, code) in all {
            assert_eq!(err.status().as_u16(), status);
            assert_eq!(err.code(), code);
        }
    }

    #[tokio::test]
    async fn plain_text_errors_of_any_layer_are_rewritten_as_json() {
        let plain = (StatusCode::UNSUPPORTED_MEDIA_TYPE, "nope").into_response();
        let rewritten = json_errors_only(plain).await;
        assert_eq!(rewritten.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let body = axum::body::to_bytes(rewritten.into_body(), 4096)
            .await
            .unwrap();
        let body: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.error, codes::BAD_REQUEST);

        let plain = (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
        let body = json_errors_only(plain).await.into_body();
        let body: ErrorBody =
            serde_json::from_slice(&axum::body::to_bytes(body, 4096).await.unwrap()).unwrap();
        assert_eq!(body.error, codes::INTERNAL);

        // Successes and JSON errors pass untouched.
        let ok = json_errors_only((StatusCode::OK, "fine").into_response()).await;
        let ok = axum::body::to_bytes(ok.into_body(), 4096).await.unwrap();
        assert_eq!(&ok[..], b"fine");
        let json = json_errors_only(AppError::gone("spent").into_response()).await;
        let json = axum::body::to_bytes(json.into_body(), 4096).await.unwrap();
        let json: ErrorBody = serde_json::from_slice(&json).unwrap();
        assert_eq!(json.message, "spent");
    }

    #[tokio::test]
    async fn internal_causes_are_not_sent_to_the_client() {
        let response = AppError::Internal("disk I/O error at /secret/path".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.error, codes::INTERNAL);
        assert!(!body.message.contains("secret"), "{}", body.message);
        let err = AppError::from(StorageError::Corrupt("id"));
        assert!(matches!(err, AppError::Internal(_)));
    }
}
