#![doc = include_str!("../README.md")]

pub mod model;
pub mod notify;
pub mod ports;
pub mod service;
pub mod sheets;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use model::*;

/// `err` and its causes on one line, for a log or a recorded failure.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
pub use service::Services;
