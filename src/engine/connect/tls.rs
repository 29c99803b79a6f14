//! The TLS step: a handshake with the origin over the stream so far, its
//! name checked against the certificate, within what is left of the
//! connect budget.

use super::{io_error, maybe, rt, Budget, ConnectOptions, Phase, Target};
use crate::error::Result;

#[maybe]
/// TLS over `stream` to `target`'s host.
pub(super) async fn handshake(
    stream: rt::Stream,
    target: Target<'_>,
    name: &str,
    options: &ConnectOptions,
    budget: &Budget<'_>,
) -> Result<rt::Stream> {
    let config = match &options.tls {
        Some(config) => config.clone(),
        None => crate::tls::default_config()?,
    };
    let server = crate::tls::server_name(target.host)?;
    let (limit, by_deadline) = budget.limit();
    rt::tls_connect(stream, config, server, limit)
        .await
        .map_err(|e| io_error(e, Phase::TlsHandshake, name, budget.deadline, by_deadline))
}
