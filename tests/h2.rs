//! HTTP/2 scenarios against an in-process `h2` server, run against both
//! clients (the scenario file is included twice, as the engine is).

#[path = "support/h2raw.rs"]
mod h2raw;
#[path = "support/h2server.rs"]
mod h2server;
mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/h2.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/h2.rs");
}
