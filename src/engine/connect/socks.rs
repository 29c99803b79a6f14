//! The SOCKS step: a SOCKS4/4a/5 handshake with the proxy for a tunnel to
//! the origin, within what is left of the connect budget. The bytes are
//! decided in `proto::socks`; `socks4`/`socks5` resolve the origin's name
//! here, `socks4a`/`socks5h` leave it to the proxy.

use std::io::IoSlice;
use std::net::{IpAddr, SocketAddr};

use super::{io_error, maybe, rt, tcp, Budget, ConnectOptions, Phase, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::proto::socks::{Destination, Handshake, Step, Version};
use crate::proxy::Proxy;

#[maybe]
/// Asks the SOCKS `proxy` over `stream` for a tunnel to `target`.
pub(super) async fn open(
    mut stream: rt::Stream,
    target: Target<'_>,
    proxy: &Proxy,
    version: Version,
    options: &ConnectOptions,
    budget: &Budget<'_>,
) -> Result<rt::Stream> {
    let name = format!("proxy {proxy}");
    let destination = match target.host.parse::<IpAddr>() {
        Ok(ip) => Destination::Addr(SocketAddr::new(ip, target.port)),
        Err(_) if proxy.scheme.remote_dns() => {
            Destination::Name(target.host.to_string(), target.port)
        }
        Err(_) => {
            let addrs = tcp::resolve(target.host, target.port, options).await?;
            // SOCKS4 carries IPv4 only.
            let pick = addrs
                .iter()
                .find(|a| version == Version::V5 || a.is_ipv4())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Proxy,
                        format!(
                            "{name}: SOCKS4 needs an IPv4 address and {} has none (use socks4a \
                             or socks5)",
                            target.host
                        ),
                    )
                })?;
            Destination::Addr(*pick)
        }
    };
    let mut handshake = Handshake::new(version, destination, proxy.credentials.clone())
        .map_err(|e| e.prefixed(&name))?;
    let mut out = handshake.start();
    let mut buf = vec![0u8; 512];
    loop {
        if !out.is_empty() {
            let (limit, by_deadline) = budget.limit();
            stream
                .write_all_vectored(&mut [IoSlice::new(&out)], limit, &mut 0)
                .await
                .map_err(|e| io_error(e, Phase::Tunnel, &name, budget.deadline, by_deadline))?;
        }
        let (limit, by_deadline) = budget.limit();
        let n = stream
            .read(&mut buf, limit)
            .await
            .map_err(|e| io_error(e, Phase::Tunnel, &name, budget.deadline, by_deadline))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Proxy,
                format!("{name} closed the connection during the SOCKS handshake"),
            ));
        }
        match handshake
            .receive(&buf[..n])
            .map_err(|e| e.prefixed(&name))?
        {
            Step::Send(next) => out = next,
            Step::Read => out.clear(),
            Step::Done(rest) => return Ok(stream.rewind(&rest)),
        }
    }
}
