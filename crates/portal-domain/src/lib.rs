#![doc = include_str!("../README.md")]

pub mod model;
pub mod notify;
pub mod ports;
pub mod service;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use model::*;
pub use service::Services;
