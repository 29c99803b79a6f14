//! The engine: the only code that does I/O. It is written once with
//! `async fn` and `.await` and compiled twice: under `blocking` with
//! `maybe_async::must_be_sync` (async and await removed) and under
//! `nonblocking` with `maybe_async::must_be_async`. It reaches sockets,
//! timers and readers only through the parent module's `rt` shim, so both
//! copies share every line of logic.

use super::maybe;
use super::rt;

mod body;
mod client;
mod conn;
mod connect;
mod deadline;
mod h2;
mod pool;
mod response;
mod router;
mod transport;

#[allow(
    unused_imports,
    reason = "the async shim names it; the blocking one does not"
)]
pub(crate) use body::ResponseBody;
pub use client::{Client, ClientBuilder, RequestBuilder};
pub use response::Response;
pub use transport::{HttpTransport, Transport};
