//! Hostile and broken servers: a table of raw responses, each with the
//! outcome RFC 9112 calls for (decided next to the case), run against both
//! clients; plus servers that never end, trickle, or reset. Nothing may
//! panic, hang past its timeouts, or allocate without bound.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/hostile.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/hostile.rs");
}
