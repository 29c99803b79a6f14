//! HTTP/1.1 core scenarios, run against both clients: the scenario file is
//! included twice, once with the blocking `Client` and `must_be_sync`, once
//! with `AsyncClient` and `must_be_async`, as the engine itself is.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/http1.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/http1.rs");
}
