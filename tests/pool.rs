//! Connection management scenarios (pool limits, the four timeouts and the
//! total deadline, Happy Eyeballs, transport options, lifecycle), run against
//! both clients from one scenario file.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/pool.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/pool.rs");
}
