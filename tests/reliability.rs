//! Reads that stay correct when something goes wrong: a read timeout or a
//! dropped read future in the middle of a body, then reading on; a body that
//! failed stays failed; a connection goes back to the pool only when its
//! response was read to its end in good order. Run against both clients.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/read_checks.rs");
    include!("scenarios/reliability.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/read_checks.rs");
    include!("scenarios/reliability.rs");
    include!("scenarios/reliability_async.rs");
}
