#![cfg(feature = "rustls")]
//! HTTPS scenarios against an in-process rustls server, run against both
//! clients: trust, names, expiry, client certificates, resumption, SNI.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/read_checks.rs");
    include!("scenarios/tls.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/read_checks.rs");
    include!("scenarios/tls.rs");
}
