#![doc = include_str!("../README.md")]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod processors;
pub mod secret_key;
pub mod system;
pub mod worker;
