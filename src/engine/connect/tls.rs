//! The TLS step: a handshake with the origin over the stream so far, its
//! name checked against the certificate, within what is left of the
//! connect budget.

use std::sync::Arc;

use super::{io_error, maybe, rt, Budget, Phase};
use crate::error::Result;

#[maybe]
/// TLS over `stream` to `host` (the origin, or an HTTPS proxy), with
/// `config` or the process-wide default.
pub(super) async fn handshake(
    stream: rt::Stream,
    host: &str,
    config: Option<&Arc<rustls::ClientConfig>>,
    name: &str,
    budget: &Budget<'_>,
) -> Result<rt::Stream> {
    let config = match config {
        Some(config) => config.clone(),
        None => crate::tls::default_config()?,
    };
    let server = crate::tls::server_name(host)?;
    let (limit, by_deadline) = budget.limit();
    rt::tls_connect(stream, config, server, limit)
        .await
        .map_err(|e| io_error(e, Phase::TlsHandshake, name, budget.deadline, by_deadline))
}
