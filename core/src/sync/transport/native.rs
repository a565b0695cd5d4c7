//! The native transport: reqwest with rustls (Mozilla's roots), on the caller's async runtime.

use std::time::Duration;

use super::{Method, Request, Response, TIMEOUT_SECS};
use crate::base::error::{Error, Result};

/// How long connecting may take (the browser does not let a page say).
const CONNECT_TIMEOUT_SECS: u64 = 10;

/// An HTTP client for one relay (reqwest keeps its connections for reuse).
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    /// A client with the connect and overall timeouts.
    pub(crate) fn new() -> Result<Http> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
            .timeout(Duration::from_secs(TIMEOUT_SECS))
            .build()
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok(Http { client })
    }

    /// Sends `req` and reads the whole answer, whatever its status.
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut rb = self.client.request(method, &req.url);
        for (name, value) in req.headers {
            let mut value = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|_| Error::invalid(format!("the {name} header is not valid")))?;
            // Kept out of reqwest's debug output, as `bearer_auth` would.
            value.set_sensitive(name == "authorization");
            rb = rb.header(name, value);
        }
        if let Some(body) = req.body {
            rb = rb.body(body);
        }
        let resp = rb.send().await.map_err(|e| Error::Network(e.to_string()))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::Network(e.to_string()))?
            .to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}
