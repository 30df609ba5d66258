#![doc = include_str!("../README.md")]

pub mod anet;
pub mod cards;
pub mod fault_proxy;
pub mod localstripe;
mod port;
mod postgres;
mod smtp;

pub use port::free_port;

pub use postgres::TestPostgres;
pub use smtp::{CapturedMail, SmtpSink};
