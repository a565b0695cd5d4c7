//! How the sync client reaches the relay: one HTTP exchange at a time, behind a small interface
//! so that every rule of the relay's API (URLs, headers, status codes, error bodies, decoding)
//! is written once, in `client.rs`, for every platform.
//!
//! A [`Request`] is a method, a full URL, headers and an optional body; the transport sends it
//! and hands back the whole [`Response`] (status, headers, body) whatever the status, or
//! [`Error::Network`](crate::Error::Network) when no answer came (unreachable, refused, timed
//! out). Two implementations, one per target, both named [`Http`]:
//!
//! * native (`native.rs`): reqwest with rustls, on whatever async runtime drives the call;
//! * browser (`wasm.rs`, `wasm32`): the browser's `fetch`, in a page or a worker.
//!
//! Each is chosen at compile time (no trait object), so a native sync's future stays `Send`
//! while the browser's, which holds JavaScript promises, need not be.

use crate::base::error::Result;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::Http;
#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::Http;

/// How long a whole exchange may take before it counts as a network failure.
pub(crate) const TIMEOUT_SECS: u64 = 60;

/// The HTTP methods the relay's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// One request to the relay.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: Method,
    /// The full URL, query string included.
    pub url: String,
    /// Header names in lower case.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A request with no headers and no body.
    pub(crate) fn new(method: Method, url: String) -> Request {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: impl ToString) -> Request {
        self.headers.push((name, value.to_string()));
        self
    }

    /// Sets a binary body.
    pub(crate) fn bytes(self, body: Vec<u8>) -> Request {
        let mut r = self.header("content-type", "application/octet-stream");
        r.body = Some(body);
        r
    }

    /// Sets a JSON body.
    pub(crate) fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> Result<Request> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            crate::base::error::Error::invalid(format!("cannot encode a request: {e}"))
        })?;
        let mut r = self.header("content-type", "application/json");
        r.body = Some(bytes);
        Ok(r)
    }
}

/// The relay's whole answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carries_its_body_type_and_a_response_finds_headers_in_any_case() {
        let r = Request::new(Method::Post, "http://127.0.0.1/v1/x".into())
            .json(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(r.headers, vec![("content-type", "application/json".into())]);
        assert_eq!(r.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        let r = Request::new(Method::Post, "u".into()).bytes(vec![1, 2]);
        assert_eq!(r.headers[0].1, "application/octet-stream");
        let resp = Response {
            status: 204,
            headers: vec![("x-trellis-log-id".into(), "abc".into())],
            body: Vec::new(),
        };
        assert_eq!(resp.header("X-Trellis-Log-Id"), Some("abc"));
        assert_eq!(resp.header("x-other"), None);
        assert!(resp.is_success());
        assert!(!Response {
            status: 409,
            ..resp
        }
        .is_success());
    }
}
