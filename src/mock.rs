//! [`MockTransport`]: answers requests from a closure, with no network.

use std::fmt;
use std::sync::Arc;

use crate::request::Request;
use crate::Response;

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A transport that answers every request by calling a closure: for tests,
/// and for running a client with no network. It serves both clients.
///
/// # Examples
///
/// ```
/// use ferrohttp::{Client, MockTransport, Response, StatusCode};
///
/// let mock = MockTransport::new(|req| {
///     let body = format!("you asked for {}", req.url().path());
///     Response::from(http::Response::builder().status(201).body(body).unwrap())
/// });
/// let client = Client::builder().transport(mock).build()?;
/// let r = client.get("http://example.test/items").send()?;
/// assert_eq!(r.status(), StatusCode::CREATED);
/// assert_eq!(r.text()?, "you asked for /items");
/// # Ok::<(), ferrohttp::Error>(())
/// ```
#[derive(Clone)]
pub struct MockTransport {
    handler: Arc<Handler>,
}

impl MockTransport {
    /// A transport answering each request with `handler(&request)`.
    pub fn new<F>(handler: F) -> MockTransport
    where
        F: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        MockTransport {
            handler: Arc::new(handler),
        }
    }

    pub(crate) fn respond(&self, request: &Request) -> Response {
        (self.handler)(request)
    }
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTransport").finish_non_exhaustive()
    }
}
