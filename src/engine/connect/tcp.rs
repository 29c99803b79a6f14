//! The TCP step: the host's addresses (a `resolve` override, or the system
//! resolver), interleaved by family and raced (Happy Eyeballs, RFC 8305).

use std::net::SocketAddr;

use super::{io_error, maybe, rt, Budget, ConnectOptions, Phase, Target};
use crate::error::{Error, ErrorKind, Result};

#[maybe]
/// A TCP connection to `target` within the budget.
pub(super) async fn open(
    target: Target<'_>,
    name: &str,
    options: &ConnectOptions,
    budget: &Budget<'_>,
) -> Result<rt::Stream> {
    let (host, port) = (target.host, target.port);
    let addrs = match options.resolve.get(host) {
        Some(addrs) => addrs
            .iter()
            .map(|a| SocketAddr::new(a.ip(), if a.port() == 0 { port } else { a.port() }))
            .collect(),
        None => rt::resolve(host, port).await.map_err(|e| {
            Error::new(ErrorKind::Connect, format!("failed to resolve host {host}")).with_source(e)
        })?,
    };
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Connect,
            format!("host {host} resolved to no addresses"),
        ));
    }
    let addrs = crate::happy::interleave(addrs);
    let (limit, by_deadline) = budget.limit();
    rt::connect_tcp(&addrs, limit, options.local_address)
        .await
        .map_err(|e| io_error(e, Phase::Connect, name, budget.deadline, by_deadline))
}
