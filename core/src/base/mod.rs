//! The base layer: what every other module may use and which uses nothing of the crate above
//! it: the one error type, timestamps, and the checks on typed input.

pub mod error;
pub mod time;
pub(crate) mod validate;
