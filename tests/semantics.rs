//! Client semantics scenarios (redirects, cookies, auth flows, hooks,
//! request instances), run against both clients from one scenario file.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/semantics.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/semantics.rs");
}
