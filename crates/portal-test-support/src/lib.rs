#![doc = include_str!("../README.md")]

pub mod cards;
mod postgres;
mod smtp;

pub use postgres::TestPostgres;
pub use smtp::{CapturedMail, SmtpSink};
