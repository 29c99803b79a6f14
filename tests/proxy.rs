#![cfg(feature = "rustls")]
//! Proxies and routing against in-process proxies and origins, run against
//! both clients: forward and CONNECT, modes, credentials and 407, an HTTPS
//! proxy (TLS in TLS), bytes after the CONNECT reply, patterns and mounts.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/proxy.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/proxy.rs");
}
