//! The blocking client: the engine compiled with `maybe_async::must_be_sync`,
//! over `std::net` sockets. No async runtime is involved.

use std::io;
use std::time::Duration;

use maybe_async::must_be_sync as maybe;

mod rt;

#[allow(
    clippy::duplicate_mod,
    reason = "the engine is compiled twice on purpose: see DESIGN.md"
)]
#[path = "engine/mod.rs"]
mod engine;

use crate::body::Body;
use crate::proto::h1::ResponseHead;
pub use engine::{Client, ClientBuilder, HttpTransport, RequestBuilder, Response, Transport};

/// Reads the decoded body. An error from ferrohttp travels inside the
/// `io::Error` (timeouts as `TimedOut`); `ferrohttp::Error::from` gets it back.
impl io::Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_body(buf).map_err(io::Error::from)
    }
}

impl Response {
    /// Splits the response for the other client type: a body not yet read
    /// from is handed over as it is (and decoded there); otherwise the rest
    /// is streamed, already decoded, through this response as a reader.
    pub(crate) fn into_user_parts(self) -> (ResponseHead, Body, bool) {
        let head = self.head().clone();
        let (h, body) = self.into_head();
        match body.map(|b| b.into_unread_body()) {
            Some(Ok((body, decoded))) => (h, body, decoded),
            Some(Err(rest)) => {
                let reader = Response::new(h, Duration::ZERO, *rest);
                (head, Body::new(reader), true)
            }
            None => (h, Body::empty(), true),
        }
    }
}
