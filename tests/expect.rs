//! `Expect: 100-continue` for both clients, against raw in-process servers
//! that answer 100, answer before the body, refuse the expectation, or
//! ignore it.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/expect.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/expect.rs");
}
