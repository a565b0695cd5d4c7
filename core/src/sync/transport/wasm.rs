//! The browser transport: `fetch`, from a page (`Window`) or a worker (`WorkerGlobalScope`).
//!
//! A request that gets no answer within [`TIMEOUT_SECS`] is aborted (`AbortSignal.timeout`),
//! and any failure before an answer (the relay unreachable, CORS refusing a cross-origin relay,
//! an abort) is [`Error::Network`]. The browser follows redirects and keeps connections itself.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, WorkerGlobalScope};

use super::{Method, Request, Response, TIMEOUT_SECS};
use crate::base::error::{Error, Result};

/// The browser's HTTP client (stateless: the browser holds connections).
pub(crate) struct Http;

impl Http {
    /// A client; fails only where there is no `fetch` (neither a page nor a worker).
    pub(crate) fn new() -> Result<Http> {
        fetcher().map(|_| Http)
    }

    /// Sends `req` and reads the whole answer, whatever its status.
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        let init = RequestInit::new();
        init.set_method(match req.method {
            Method::Get => "GET",
            Method::Post => "POST",
        });
        let headers = Headers::new().map_err(js_error)?;
        for (name, value) in &req.headers {
            headers
                .append(name, value)
                .map_err(|_| Error::invalid(format!("the {name} header is not valid")))?;
        }
        init.set_headers(&headers);
        if let Some(body) = &req.body {
            init.set_body(&Uint8Array::from(body.as_slice()));
        }
        init.set_signal(Some(&AbortSignal::timeout_with_u32(
            (TIMEOUT_SECS * 1000) as u32,
        )));
        let request = web_sys::Request::new_with_str_and_init(&req.url, &init).map_err(js_error)?;
        let answer = JsFuture::from(fetcher()?.fetch(&request))
            .await
            .map_err(js_error)?;
        let resp: web_sys::Response = answer.dyn_into().map_err(js_error)?;
        let status = resp.status();
        let headers = header_pairs(&resp.headers());
        let buffer = JsFuture::from(resp.array_buffer().map_err(js_error)?)
            .await
            .map_err(js_error)?;
        let body = Uint8Array::new(&buffer).to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// The global scope's `fetch`: a page's window, or a worker's scope.
enum Fetcher {
    Window(web_sys::Window),
    Worker(WorkerGlobalScope),
}

impl Fetcher {
    fn fetch(&self, request: &web_sys::Request) -> Promise {
        match self {
            Fetcher::Window(w) => w.fetch_with_request(request),
            Fetcher::Worker(w) => w.fetch_with_request(request),
        }
    }
}

fn fetcher() -> Result<Fetcher> {
    let global = js_sys::global();
    if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        return Ok(Fetcher::Window(w.clone()));
    }
    global
        .dyn_into::<WorkerGlobalScope>()
        .map(Fetcher::Worker)
        .map_err(|_| Error::Network("this JavaScript context has no fetch".into()))
}

/// Every header of an answer, as (name, value) pairs; the browser gives names in lower case.
fn header_pairs(headers: &Headers) -> Vec<(String, String)> {
    let Ok(Some(entries)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pair: Array = entry.ok()?.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// A failure of `fetch` (a `TypeError` for a network error, an `AbortError` for the timeout)
/// as a network error, with the browser's message.
fn js_error(e: JsValue) -> Error {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the request failed".into());
    Error::Network(message)
}
