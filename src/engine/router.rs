//! The router: which transport a request goes to. Mounted transports and
//! the built-in one's proxy entries share one table of URL patterns
//! (`crate::pattern`), most specific first; a request no pattern matches
//! goes to the client's transport.

use std::any::TypeId;
use std::time::Instant;

use url::Url;

use super::maybe;
use super::response::Response;
use super::transport::{HttpTransport, Transport};
use crate::config::PoolStatus;
use crate::error::{Error, ErrorKind, Result};
use crate::pattern::Routes;
use crate::request::Request;

/// A transport as the router holds it.
#[derive(Debug)]
pub(crate) struct Hop {
    transport: Box<dyn Transport>,
    /// The built-in transport, which hands each request back in its
    /// response and times the exchange; for any other (a mock too) the
    /// router keeps a copy of the request's head and times it.
    ours: bool,
}

impl Hop {
    pub(crate) fn new<T: Transport>(transport: T) -> Hop {
        Hop {
            ours: TypeId::of::<T>() == TypeId::of::<HttpTransport>(),
            transport: Box::new(transport),
        }
    }
}

/// What a pattern routes to.
#[derive(Debug)]
pub(crate) enum Mount {
    /// The client's transport (a `proxy` or `no_proxy` entry: the built-in
    /// transport then picks the proxy by the same pattern).
    Default,
    /// A mounted transport.
    Transport(Hop),
}

/// The client's transport and the mounted ones.
#[derive(Debug)]
pub(crate) struct Router {
    default: Hop,
    mounts: Routes<Mount>,
}

impl Router {
    pub(crate) fn new(default: Hop, mounts: Routes<Mount>) -> Router {
        Router { default, mounts }
    }

    /// The transport for `url`.
    fn hop(&self, url: &Url) -> &Hop {
        match self.mounts.find(url) {
            Some(Mount::Transport(hop)) => hop,
            Some(Mount::Default) | None => &self.default,
        }
    }

    /// Every transport, the client's first.
    fn all(&self) -> impl Iterator<Item = &Hop> {
        std::iter::once(&self.default).chain(self.mounts.values().filter_map(|m| match m {
            Mount::Transport(hop) => Some(hop),
            Mount::Default => None,
        }))
    }

    /// Closes every transport.
    pub(crate) fn close(&self) {
        for hop in self.all() {
            hop.transport.close();
        }
    }

    /// The pools of every transport that has one, added up; `None` when
    /// none has.
    pub(crate) fn pool_status(&self) -> Option<PoolStatus> {
        let mut total: Option<PoolStatus> = None;
        for status in self.all().filter_map(|hop| hop.transport.pool_status()) {
            let sum = total.get_or_insert_with(PoolStatus::default);
            sum.open += status.open;
            sum.idle += status.idle;
            sum.waiting += status.waiting;
            sum.idle_per_origin.extend(status.idle_per_origin);
        }
        if let Some(sum) = &mut total {
            sum.idle_per_origin.sort();
        }
        total
    }
}

#[maybe]
impl Router {
    /// Sends `request` through the transport its URL routes to; the
    /// response carries the request (without its body) and the time taken.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        let hop = self.hop(request.url());
        if hop.ours {
            return hop.transport.handle_request(request).await;
        }
        // A caller's transport may do neither: like httpx, the client
        // records the request it sent and the time it took in any case.
        let sent = request.clone_head();
        let started = Instant::now();
        let mut response = hop.transport.handle_request(request).await?;
        if response.elapsed().is_zero() {
            response.set_elapsed(started.elapsed());
        }
        if !response.has_start() {
            // No network phases; the body's end is timed from here.
            response.set_timings(crate::timings::Timings::default(), started);
        }
        response.request = Some(sent);
        Ok(response)
    }
}

/// A transport whose every request fails with the error that stopped its
/// client from being built as asked (`Client::new` never panics).
#[derive(Debug)]
pub(crate) struct Refusing {
    kind: ErrorKind,
    message: String,
}

impl Refusing {
    pub(crate) fn new(e: Error) -> Refusing {
        Refusing {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

#[maybe]
impl Transport for Refusing {
    async fn handle_request(&self, request: Request) -> Result<Response> {
        Err(Error::new(self.kind, self.message.clone()).with_url(request.url()))
    }
}
