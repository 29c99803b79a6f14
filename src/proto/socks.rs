//! SOCKS handshakes, sans-IO: SOCKS4 and SOCKS4a (the de-facto protocol
//! of NEC's 1992 paper and its 4A extension), SOCKS5 (RFC 1928) with
//! username/password authentication (RFC 1929). Bytes to send come out,
//! bytes received go in; after the proxy's success reply, the stream is a
//! tunnel to the destination and any bytes received past the reply belong
//! to it.

use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, ErrorKind, Result};

/// Which SOCKS protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// SOCKS4: IPv4 addresses only, resolved by the client.
    V4,
    /// SOCKS4a: names resolved by the proxy.
    V4a,
    /// SOCKS5.
    V5,
}

/// Where the tunnel goes: an address the client resolved, or a name for
/// the proxy to resolve (`socks4a`, `socks5h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Addr(SocketAddr),
    Name(String, u16),
}

/// What to do after taking bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send these bytes, then read on.
    Send(Vec<u8>),
    /// Read more.
    Read,
    /// The tunnel is open; these bytes arrived past the proxy's reply.
    Done(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// SOCKS4: waiting for the 8-byte reply.
    V4Reply,
    /// SOCKS5: waiting for the method the proxy chose.
    Method,
    /// SOCKS5: waiting for the answer to username/password.
    Auth,
    /// SOCKS5: waiting for the reply to CONNECT.
    Reply,
    Done,
}

/// One SOCKS handshake.
#[derive(Debug)]
pub(crate) struct Handshake {
    version: Version,
    destination: Destination,
    credentials: Option<(String, String)>,
    state: State,
    buf: Vec<u8>,
}

fn proxy_error(msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::Proxy, msg)
}

/// RFC 1928 §6's reply codes.
fn socks5_reply_text(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

/// The SOCKS4 paper's reply codes (90 is success).
fn socks4_reply_text(code: u8) -> &'static str {
    match code {
        91 => "request rejected or failed",
        92 => "request rejected: the proxy cannot reach the client's identd",
        93 => "request rejected: identd reports a different user id",
        _ => "unassigned reply code",
    }
}

impl Handshake {
    /// A handshake to `destination`, with `credentials` (SOCKS5: offered
    /// as username/password; SOCKS4: the user name is the user id).
    ///
    /// # Errors
    /// `Proxy` for what the protocol cannot carry: an IPv6 address over
    /// SOCKS4, a name over SOCKS4 (resolve it first), or a name,
    /// user name or password over 255 bytes.
    pub(crate) fn new(
        version: Version,
        destination: Destination,
        credentials: Option<(String, String)>,
    ) -> Result<Handshake> {
        match (&version, &destination) {
            (Version::V4 | Version::V4a, Destination::Addr(SocketAddr::V6(_))) => {
                return Err(proxy_error(
                    "SOCKS4 cannot carry an IPv6 destination (use socks5)",
                ))
            }
            (Version::V4, Destination::Name(..)) => {
                return Err(proxy_error("SOCKS4 needs an address, not a name"))
            }
            (_, Destination::Name(name, _)) if name.len() > 255 || name.is_empty() => {
                return Err(proxy_error("a host name for SOCKS must be 1 to 255 bytes"))
            }
            (Version::V4a, Destination::Name(name, _)) if name.contains('\0') => {
                return Err(proxy_error("a host name for SOCKS4a cannot contain NUL"))
            }
            _ => {}
        }
        if let Some((user, pass)) = &credentials {
            let too_long = user.len() > 255 || pass.len() > 255;
            if version == Version::V5 && (too_long || user.is_empty()) {
                return Err(proxy_error(
                    "SOCKS5 user names and passwords must be 1 to 255 and 0 to 255 bytes",
                ));
            }
            if version != Version::V5 && user.contains('\0') {
                return Err(proxy_error("a SOCKS4 user id cannot contain NUL"));
            }
        }
        Ok(Handshake {
            version,
            destination,
            credentials,
            state: State::Done,
            buf: Vec::new(),
        })
    }

    /// The first bytes to send.
    pub(crate) fn start(&mut self) -> Vec<u8> {
        match self.version {
            Version::V4 | Version::V4a => {
                self.state = State::V4Reply;
                self.socks4_request()
            }
            Version::V5 => {
                self.state = State::Method;
                if self.credentials.is_some() {
                    // No authentication, or username/password.
                    vec![5, 2, 0, 2]
                } else {
                    vec![5, 1, 0]
                }
            }
        }
    }

    fn socks4_request(&self) -> Vec<u8> {
        let user = self.credentials.as_ref().map_or("", |(u, _)| u.as_str());
        let mut out = vec![4, 1];
        match &self.destination {
            Destination::Addr(SocketAddr::V4(a)) => {
                out.extend_from_slice(&a.port().to_be_bytes());
                out.extend_from_slice(&a.ip().octets());
                out.extend_from_slice(user.as_bytes());
                out.push(0);
            }
            Destination::Name(name, port) => {
                // SOCKS4a: the address 0.0.0.x (x non-zero), the name after
                // the user id.
                out.extend_from_slice(&port.to_be_bytes());
                out.extend_from_slice(&[0, 0, 0, 1]);
                out.extend_from_slice(user.as_bytes());
                out.push(0);
                out.extend_from_slice(name.as_bytes());
                out.push(0);
            }
            Destination::Addr(SocketAddr::V6(_)) => unreachable!("refused in new()"),
        }
        out
    }

    fn socks5_connect(&self) -> Vec<u8> {
        let mut out = vec![5, 1, 0];
        let port = match &self.destination {
            Destination::Addr(a) => {
                match a.ip() {
                    IpAddr::V4(ip) => {
                        out.push(1);
                        out.extend_from_slice(&ip.octets());
                    }
                    IpAddr::V6(ip) => {
                        out.push(4);
                        out.extend_from_slice(&ip.octets());
                    }
                }
                a.port()
            }
            Destination::Name(name, port) => {
                out.push(3);
                out.push(name.len() as u8);
                out.extend_from_slice(name.as_bytes());
                *port
            }
        };
        out.extend_from_slice(&port.to_be_bytes());
        out
    }

    /// Takes bytes received from the proxy.
    ///
    /// # Errors
    /// `Proxy` for a refusal (naming the proxy's reply) or a reply that is
    /// not SOCKS.
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Result<Step> {
        self.buf.extend_from_slice(bytes);
        let step = match self.state {
            State::V4Reply => self.v4_reply()?,
            State::Method => self.method()?,
            State::Auth => self.auth()?,
            State::Reply => self.v5_reply()?,
            State::Done => return Err(proxy_error("the SOCKS handshake is over")),
        };
        // The proxy answers each message in turn: nothing more can be
        // buffered after a reply that asks us to send.
        Ok(step.unwrap_or(Step::Read))
    }

    /// Removes and returns the first `n` bytes, if they have arrived.
    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        (self.buf.len() >= n).then(|| self.buf.drain(..n).collect())
    }

    fn done(&mut self) -> Step {
        self.state = State::Done;
        Step::Done(std::mem::take(&mut self.buf))
    }

    fn v4_reply(&mut self) -> Result<Option<Step>> {
        let Some(reply) = self.take(8) else {
            return Ok(None);
        };
        if reply[0] != 0 {
            return Err(proxy_error(format!(
                "the proxy's reply is not SOCKS4 (version byte {})",
                reply[0]
            )));
        }
        match reply[1] {
            90 => Ok(Some(self.done())),
            code => Err(proxy_error(format!(
                "the SOCKS4 proxy refused the connection: {} ({code})",
                socks4_reply_text(code)
            ))),
        }
    }

    fn method(&mut self) -> Result<Option<Step>> {
        let Some(reply) = self.take(2) else {
            return Ok(None);
        };
        if reply[0] != 5 {
            return Err(proxy_error(format!(
                "the proxy's reply is not SOCKS5 (version byte {})",
                reply[0]
            )));
        }
        match (reply[1], &self.credentials) {
            (0, _) => {
                self.state = State::Reply;
                Ok(Some(Step::Send(self.socks5_connect())))
            }
            (2, Some((user, pass))) => {
                let mut out = vec![1, user.len() as u8];
                out.extend_from_slice(user.as_bytes());
                out.push(pass.len() as u8);
                out.extend_from_slice(pass.as_bytes());
                self.state = State::Auth;
                Ok(Some(Step::Send(out)))
            }
            (0xff, None) => Err(proxy_error(
                "the SOCKS5 proxy requires authentication: give a user name and password",
            )),
            (0xff, Some(_)) => Err(proxy_error(
                "the SOCKS5 proxy accepts none of the offered authentication methods",
            )),
            (m, _) => Err(proxy_error(format!(
                "the SOCKS5 proxy chose authentication method {m}, which was not offered"
            ))),
        }
    }

    fn auth(&mut self) -> Result<Option<Step>> {
        let Some(reply) = self.take(2) else {
            return Ok(None);
        };
        if reply[0] != 1 {
            return Err(proxy_error(format!(
                "the proxy's answer to username/password is not RFC 1929 (version byte {})",
                reply[0]
            )));
        }
        if reply[1] != 0 {
            return Err(proxy_error(
                "the SOCKS5 proxy did not accept the user name and password",
            ));
        }
        self.state = State::Reply;
        Ok(Some(Step::Send(self.socks5_connect())))
    }

    fn v5_reply(&mut self) -> Result<Option<Step>> {
        // VER REP RSV ATYP, then the bound address and port.
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let (ver, rep, atyp) = (self.buf[0], self.buf[1], self.buf[3]);
        if ver != 5 {
            return Err(proxy_error(format!(
                "the proxy's reply is not SOCKS5 (version byte {ver})"
            )));
        }
        if rep != 0 {
            return Err(proxy_error(format!(
                "the SOCKS5 proxy refused the connection: {} ({rep})",
                socks5_reply_text(rep)
            )));
        }
        let addr_len = match atyp {
            1 => 4,
            4 => 16,
            3 => 1 + usize::from(self.buf[4]),
            other => {
                return Err(proxy_error(format!(
                    "the SOCKS5 proxy replied with unknown address type {other}"
                )))
            }
        };
        if self.take(4 + addr_len + 2).is_none() {
            return Ok(None);
        }
        Ok(Some(self.done()))
    }
}

#[cfg(test)]
mod tests;
