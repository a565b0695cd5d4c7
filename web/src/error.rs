//! The one error JavaScript sees: an `Error` whose `message` is the core's sentence for the
//! user and whose `code` is one of [`CODES`], stable across releases, for a UI to branch on.
//! A relay's refusal also carries `status` (HTTP) and `relayCode` (the relay's own code).

use trellis_core::Error;
use wasm_bindgen::JsValue;

/// Every `code` an error can have.
pub const CODES: &[&str] = &[
    "not_initialized",
    "no_workspace",
    "no_region",
    "not_connected",
    "not_found",
    "ambiguous",
    "invalid_input",
    "conflict",
    "not_authorized",
    "network",
    "relay",
    "corrupt",
    "storage",
    "removed",
    "awaiting_keys",
];

/// An error on its way to JavaScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    /// One of [`CODES`].
    pub code: &'static str,
    /// What went wrong, a sentence for the user.
    pub message: String,
    /// For a relay's refusal: its HTTP status and its own code.
    pub relay: Option<(u16, String)>,
}

impl WebError {
    /// An `invalid_input` error: a value from JavaScript that is not what the call takes.
    pub fn invalid(message: impl Into<String>) -> WebError {
        WebError {
            code: "invalid_input",
            message: message.into(),
            relay: None,
        }
    }
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let (code, relay) = match e {
            Error::NotInitialized => ("not_initialized", None),
            Error::NoWorkspace => ("no_workspace", None),
            Error::NoRegion => ("no_region", None),
            Error::NotConnected(_) => ("not_connected", None),
            Error::NotFound { .. } => ("not_found", None),
            Error::Ambiguous { .. } => ("ambiguous", None),
            Error::InvalidInput(_) => ("invalid_input", None),
            Error::Conflict(_) => ("conflict", None),
            Error::Network(_) => ("network", None),
            Error::Removed { .. } => ("removed", None),
            Error::AwaitingKeys => ("awaiting_keys", None),
            // The same split as the mobile bindings: 401 and 403 mean a wrong secret, a revoked
            // device or a role that may not do this.
            Error::Relay { status, code, .. } if status == 401 || status == 403 => {
                ("not_authorized", Some((status, code)))
            }
            Error::Relay { status, code, .. } => ("relay", Some((status, code))),
            Error::Corrupt(_) | Error::Tampered(_) => ("corrupt", None),
            Error::Storage(_) | Error::Document(_) => ("storage", None),
        };
        WebError {
            code,
            message,
            relay,
        }
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> JsValue {
        let error = js_sys::Error::new(&e.message);
        error.set_name("TrellisError");
        let set = |key: &str, value: JsValue| {
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &value);
        };
        set("code", JsValue::from_str(e.code));
        if let Some((status, code)) = &e.relay {
            set("status", JsValue::from(*status));
            set("relayCode", JsValue::from_str(code));
        }
        error.into()
    }
}

/// What every exported call returns.
pub type WebResult<T> = Result<T, WebError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_gets_a_listed_code_and_keeps_its_sentence() {
        let cases = [
            (Error::NotInitialized, "not_initialized"),
            (Error::NoWorkspace, "no_workspace"),
            (Error::NotConnected("ab12".into()), "not_connected"),
            (
                Error::NotFound {
                    what: "organization",
                    query: "Linc".into(),
                    candidates: vec![],
                },
                "not_found",
            ),
            (Error::invalid("a name is needed"), "invalid_input"),
            (Error::Conflict("exists".into()), "conflict"),
            (Error::Network("refused".into()), "network"),
            (
                Error::Relay {
                    status: 401,
                    code: "unauthorized".into(),
                    message: "bad secret".into(),
                },
                "not_authorized",
            ),
            (
                Error::Relay {
                    status: 410,
                    code: "gone".into(),
                    message: "used".into(),
                },
                "relay",
            ),
            (Error::Corrupt("bad".into()), "corrupt"),
        ];
        for (core, code) in cases {
            let sentence = core.to_string();
            let web = WebError::from(core);
            assert_eq!(web.code, code);
            assert!(CODES.contains(&web.code));
            assert_eq!(web.message, sentence);
        }
        let web = WebError::from(Error::Relay {
            status: 410,
            code: "gone".into(),
            message: "used".into(),
        });
        assert_eq!(web.relay, Some((410, "gone".into())));
    }
}
