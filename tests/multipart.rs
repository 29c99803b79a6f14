#![cfg(feature = "multipart")]
//! `multipart/form-data` bodies through both clients, against the
//! in-process server: what arrives is what was put in, files streamed,
//! `Content-Length` when every size is known, chunked otherwise.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/multipart.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/multipart.rs");
}
