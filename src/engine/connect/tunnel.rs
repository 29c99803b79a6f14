//! The tunnel step: HTTP CONNECT through a proxy (RFC 9110 §9.3.6), within
//! what is left of the connect budget. The handshake's bytes are decided in
//! `proto::tunnel`; bytes the proxy sent past its reply are handed on.

use std::io::IoSlice;

use super::{io_error, maybe, rt, Budget, Phase, Target};
use crate::config::H1Limits;
use crate::error::{Error, ErrorKind, Result};
use crate::proto::tunnel::{connect_request, is_open, ConnectReader};
use crate::proxy::Proxy;
use http::header::{HeaderValue, PROXY_AUTHORIZATION};
use http::StatusCode;

/// What asking for a tunnel gave.
#[derive(Debug)]
pub(super) enum Tunnel {
    /// The tunnel, open.
    Open(rt::Stream),
    /// A Digest challenge the proxy credentials answer: this
    /// `Proxy-Authorization` is to be sent on a new connection.
    Challenged(HeaderValue),
}

#[maybe]
/// Asks `proxy` over `stream` for a tunnel to `target`, with
/// `authorization` (an answer to the proxy's challenge) in place of the
/// proxy's own `Proxy-Authorization`.
pub(super) async fn open(
    mut stream: rt::Stream,
    target: Target<'_>,
    proxy: &Proxy,
    authorization: Option<&HeaderValue>,
    limits: H1Limits,
    budget: &Budget<'_>,
) -> Result<Tunnel> {
    let name = format!("proxy {proxy}");
    let fail = |e, by_deadline| io_error(e, Phase::Tunnel, &name, budget.deadline, by_deadline);
    let mut request = Vec::with_capacity(256);
    let answered;
    let headers = match authorization {
        Some(value) => {
            let mut h = proxy.headers.clone();
            h.insert(PROXY_AUTHORIZATION, value.clone());
            answered = h;
            &answered
        }
        None => &proxy.headers,
    };
    connect_request(target.host, target.port, headers, &mut request);
    let (limit, by_deadline) = budget.limit();
    stream
        .write_all_vectored(&mut [IoSlice::new(&request)], limit, &mut 0)
        .await
        .map_err(|e| fail(e, by_deadline))?;
    let mut reader = ConnectReader::new(limits.max_head_size, limits.max_headers);
    let mut buf = vec![0u8; 4096];
    loop {
        let (limit, by_deadline) = budget.limit();
        let n = stream
            .read(&mut buf, limit)
            .await
            .map_err(|e| fail(e, by_deadline))?;
        if n == 0 {
            return Err(reader.closed_early());
        }
        let Some(reply) = reader.receive(&buf[..n])? else {
            continue;
        };
        let status = reply.head.status;
        if is_open(status) {
            return Ok(Tunnel::Open(stream.rewind(&reply.rest)));
        }
        let host = crate::urls::bracketed(target.host);
        if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED && authorization.is_none() {
            let authority = format!("{host}:{}", target.port);
            if let Some(answer) =
                proxy.digest_answer(&reply.head.headers, "CONNECT", &authority, Some(&[]))?
            {
                return Ok(Tunnel::Challenged(answer));
            }
        }
        return Err(Error::new(
            ErrorKind::Proxy,
            format!(
                "{name} refused the tunnel to {host}:{}: {status}{}",
                target.port,
                if status.as_u16() == 407 {
                    if proxy
                        .headers
                        .contains_key(http::header::PROXY_AUTHORIZATION)
                    {
                        " (the credentials were not accepted)"
                    } else {
                        " (it asks for credentials: give them in the proxy URL or with basic_auth)"
                    }
                } else {
                    ""
                }
            ),
        ));
    }
}
