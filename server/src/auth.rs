//! Who is calling: bearer tokens, the signup secret, and the workspace a device may touch.
//!
//! Tokens and invite secrets are random 256-bit strings ([`trellis_protocol::random_secret`]).
//! The relay keeps only their SHA-256 ([`SecretHash`]), so a copy of the database lets no one
//! act as a device. Looking a token up by its hash leaks nothing useful through timing; the
//! signup secret, which is compared rather than looked up, is compared in constant time.
//!
//! [`WorkspaceDevice`] is the extractor every `/v1/workspaces/{ws}/...` route uses. It settles,
//! in this order: a malformed `{ws}` is 400; a missing, garbled or unknown token is 401
//! `unauthorized`; the token of a revoked device (or of a removed member's device) is 401
//! `revoked`, whatever the workspace, so the device knows to purge its copy; and a valid token
//! of another workspace is 403 (whether `{ws}` exists is not revealed).
//!
//! [`RosterReader`] is the one exception, for `GET /v1/workspaces/{ws}/roster` alone: it also
//! lets in the token of a device that was revoked (or whose member was removed or left) in the
//! workspace named, so that device can read the signed roster and verify its own removal
//! before it purges anything. It yields only the workspace: nothing else may act for it.

use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::Deserialize;
use trellis_protocol::api::SIGNUP_SECRET_HEADER;
use trellis_protocol::Id;

pub use crate::error::revoked;
use crate::error::AppError;
pub use crate::storage::SecretHash;
use crate::storage::{DeviceAuth, TokenLookup};
use crate::AppState;

/// Longest bearer token the relay will hash; real ones are 64 characters.
const MAX_TOKEN_LEN: usize = 512;

/// Reads `Authorization: Bearer <token>`; 401 if it is missing or garbled.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AppError> {
    let value = headers.get(AUTHORIZATION).ok_or_else(|| {
        AppError::unauthorized(
            "this endpoint needs an `Authorization: Bearer <device token>` header",
        )
    })?;
    let garbled =
        || AppError::unauthorized("the Authorization header is not `Bearer <device token>`");
    let value = value.to_str().map_err(|_| garbled())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(garbled)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(garbled());
    }
    Ok(token)
}

/// Finds the device that holds the request's bearer token: 401 `unauthorized` if there is none,
/// 401 `revoked` if it was revoked or its member removed.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<DeviceAuth, AppError> {
    let token = bearer_token(headers)?;
    authenticate_token(state, SecretHash::of(token)).await
}

/// Like [`authenticate`], for a token already hashed.
pub async fn authenticate_token(
    state: &AppState,
    token: SecretHash,
) -> Result<DeviceAuth, AppError> {
    match state.storage.device_by_token(token).await? {
        Some(TokenLookup::Active(device)) => Ok(device),
        Some(TokenLookup::Revoked { .. }) => Err(revoked()),
        None => Err(AppError::unauthorized("the device token is unknown")),
    }
}

#[derive(Deserialize)]
struct WorkspaceParam {
    ws: String,
}

/// An authenticated device acting on the workspace named in the path, which is its own.
#[derive(Debug, Clone, Copy)]
pub struct WorkspaceDevice {
    /// The workspace in the path (the device's own).
    pub workspace_id: Id,
    /// The calling device.
    pub device: DeviceAuth,
}

impl FromRequestParts<AppState> for WorkspaceDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let workspace_id = workspace_in_path(parts, state).await?;
        let device = authenticate(state, &parts.headers).await?;
        if device.workspace_id != workspace_id {
            return Err(other_workspace());
        }
        Ok(WorkspaceDevice {
            workspace_id,
            device,
        })
    }
}

/// A device reading the signed roster of the workspace named in the path, which is its own:
/// like [`WorkspaceDevice`], except that the token of a device revoked in that workspace (or
/// of a removed member's device) is let in too, so it can verify its own removal. Only
/// `GET /v1/workspaces/{ws}/roster` uses it.
#[derive(Debug, Clone, Copy)]
pub struct RosterReader {
    /// The workspace in the path (the device's own, or the one it was revoked from).
    pub workspace_id: Id,
}

impl FromRequestParts<AppState> for RosterReader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let workspace_id = workspace_in_path(parts, state).await?;
        let token = SecretHash::of(bearer_token(&parts.headers)?);
        let device_workspace = match state.storage.device_by_token(token).await? {
            Some(TokenLookup::Active(device)) => device.workspace_id,
            Some(TokenLookup::Revoked { workspace_id }) => workspace_id,
            None => return Err(AppError::unauthorized("the device token is unknown")),
        };
        if device_workspace != workspace_id {
            return Err(other_workspace());
        }
        Ok(RosterReader { workspace_id })
    }
}

/// The `{ws}` of the path: 400 unless it is 32 hexadecimal digits.
async fn workspace_in_path(parts: &mut Parts, state: &AppState) -> Result<Id, AppError> {
    let malformed =
        || AppError::bad_request("the workspace id in the path must be 32 hexadecimal digits");
    let Path(param) = Path::<WorkspaceParam>::from_request_parts(parts, state)
        .await
        .map_err(|_| malformed())?;
    param.ws.parse().map_err(|_| malformed())
}

fn other_workspace() -> AppError {
    AppError::forbidden("this device does not belong to that workspace")
}

/// Proof that the request carries the operator's signup secret in
/// [`trellis_protocol::api::SIGNUP_SECRET_HEADER`]; 401 otherwise.
#[derive(Debug, Clone, Copy)]
pub struct SignupAuthorized;

impl FromRequestParts<AppState> for SignupAuthorized {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let presented = parts
            .headers
            .get(SIGNUP_SECRET_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default();
        // An empty secret is never accepted, whatever the operator configured.
        if !presented.is_empty() && state.signup_secret.matches(presented) {
            Ok(SignupAuthorized)
        } else {
            Err(AppError::unauthorized(
                "creating a workspace needs the relay operator's signup secret",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_read_strictly() {
        assert_eq!(bearer_token(&headers(b"Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&headers(b"bearer  abc ")).unwrap(), "abc");
        for bad in [
            &b"Basic abc"[..],
            b"Bearer",
            b"Bearer ",
            b"abc",
            b"Bearer \xff",
        ] {
            let err = bearer_token(&headers(bad)).unwrap_err();
            assert_eq!(err.status(), axum::http::StatusCode::UNAUTHORIZED);
        }
        assert!(bearer_token(&HeaderMap::new()).is_err());
    }

    #[test]
    fn secret_hashes_match_only_their_secret() {
        let h = SecretHash::of("s3cret");
        assert!(h.matches("s3cret"));
        assert!(!h.matches("s3cret "));
        assert!(!h.matches(""));
        assert_ne!(h, SecretHash::of("other"));
        assert_eq!(format!("{h:?}"), "SecretHash(..)");
    }
}
