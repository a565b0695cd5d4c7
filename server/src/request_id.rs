//! A request id for every request: taken from `x-request-id` when the client (or a reverse
//! proxy) sent a sane one, made up otherwise; put in the request's tracing span and sent back in
//! the answer's `x-request-id`, so an operator can match a client's report to the relay's logs.
//!
//! A presented id is kept only if it is 1 to 64 characters of `A-Z a-z 0-9 . _ : -`; anything
//! else (which could forge log lines or carry personal data) is replaced by a random one.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The header that carries the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest presented request id that is kept.
const MAX_LEN: usize = 64;

/// The request id of the request being served, in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Middleware: settles the request id, records it in the request, answers with it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(generate, str::to_owned);
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request
            .headers_mut()
            .insert(REQUEST_ID_HEADER, value.clone());
    }
    request.extensions_mut().insert(RequestId(id));
    let mut response = next.run(request).await;
    if let Some(value) = value {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// 128 random bits as 32 hexadecimal digits.
fn generate() -> String {
    let mut bytes = [0u8; 16];
    trellis_protocol::fill_random(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_sane("req-1.2_3:4"));
        assert!(is_sane(&"a".repeat(64)));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(65)));
        assert!(!is_sane("a b"));
        assert!(!is_sane("a\nlevel=error"));
        assert!(!is_sane("jane@example.org"));
        let made = generate();
        assert_eq!(made.len(), 32);
        assert!(is_sane(&made));
        assert_ne!(made, generate());
    }
}
