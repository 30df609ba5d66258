#![doc = include_str!("../README.md")]

mod postgres;
mod smtp;

pub use postgres::TestPostgres;
pub use smtp::{CapturedMail, SmtpSink};
