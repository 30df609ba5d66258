#![doc = include_str!("../README.md")]

mod charges;
mod client;
mod config;
mod methods;
mod processor;
mod refunds;
mod webhook;
mod wire;

#[cfg(test)]
mod fixtures;

pub use config::{DEFAULT_TIMEOUT, StripeConfig};
pub use processor::StripeProcessor;
