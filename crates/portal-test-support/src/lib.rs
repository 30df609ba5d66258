#![doc = include_str!("../README.md")]

pub mod anet;
pub mod cards;
pub mod fault_proxy;
pub mod localstripe;
mod postgres;
mod smtp;

pub use postgres::TestPostgres;
pub use smtp::{CapturedMail, SmtpSink};
