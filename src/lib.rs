#![allow(missing_docs)]
pub mod error;
pub mod config;
pub mod proto;
