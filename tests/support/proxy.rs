//! An in-process HTTP proxy on 127.0.0.1 for hermetic tests: forward
//! (absolute-form requests relayed to the origin in origin-form) and
//! CONNECT tunnels, optionally behind TLS (an HTTPS proxy) and optionally
//! asking for credentials. It records every request head it reads. It
//! relays to loopback origins only.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use super::{read_request, Recorded, Server};

/// The environment variables that choose proxies (both cases).
pub const PROXY_ENV: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// How the proxy behaves.
#[derive(Clone, Default)]
pub struct ProxyOptions {
    /// The `Proxy-Authorization` value required (else 407).
    pub require_auth: Option<String>,
    /// Bytes sent right after a CONNECT's `200` reply, in the same write,
    /// as if the origin had spoken first.
    pub after_connect: Option<Vec<u8>>,
    /// TLS to the proxy itself.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Answer forwarded `https://` requests itself with this body (the
    /// proxy would need TLS to the origin to relay them).
    pub answer_https: Option<&'static str>,
    /// Require Digest credentials (MD5, qop=auth; RFC 2617) for this user
    /// and password, checked against the request's method and target.
    pub digest: Option<(&'static str, &'static str)>,
}

const DIGEST_REALM: &str = "test proxy";
const DIGEST_NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The parameters of a `Digest ...` credentials value.
fn digest_params(value: &str) -> Option<std::collections::HashMap<String, String>> {
    let rest = value.strip_prefix("Digest ")?;
    let mut out = std::collections::HashMap::new();
    for part in rest.split(", ") {
        let (k, v) = part.split_once('=')?;
        out.insert(k.to_string(), v.trim_matches('"').to_string());
    }
    Some(out)
}

/// Whether `req` carries valid Digest proxy credentials for `user`/`pass`.
fn digest_ok(req: &Recorded, user: &str, pass: &str) -> bool {
    let Some(p) = req.header("proxy-authorization").and_then(digest_params) else {
        return false;
    };
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("username") != user || get("uri") != req.target || get("nonce") != DIGEST_NONCE {
        return false;
    }
    let ha1 = md5_hex(&format!("{user}:{DIGEST_REALM}:{pass}"));
    let ha2 = md5_hex(&format!("{}:{}", req.method, req.target));
    let want = md5_hex(&format!(
        "{ha1}:{DIGEST_NONCE}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    get("response") == want && get("qop") == "auth"
}

/// A running proxy.
pub struct ProxyServer {
    pub server: Server,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

trait Duplex: Read + Write + Send {}
impl<T: Read + Write + Send> Duplex for T {}

impl ProxyServer {
    pub fn start(options: ProxyOptions) -> ProxyServer {
        let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let log = seen.clone();
        let server = Server::raw_on(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            move |tcp, index| {
                let control = tcp.try_clone().unwrap();
                let stream: Box<dyn Duplex> = match &options.tls {
                    Some(config) => {
                        let mut tcp = tcp;
                        let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                            return;
                        };
                        while conn.is_handshaking() {
                            if conn.complete_io(&mut tcp).is_err() {
                                return;
                            }
                        }
                        Box::new(rustls::StreamOwned::new(conn, tcp))
                    }
                    None => Box::new(tcp),
                };
                serve(stream, control, index, &options, &log);
            },
        );
        ProxyServer { server, seen }
    }

    /// `http://127.0.0.1:PORT` (or `https://localhost:PORT` with TLS).
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The request heads the proxy read (CONNECTs and forwarded requests).
    pub fn seen(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    stream: Box<dyn Duplex>,
    control: TcpStream,
    index: usize,
    options: &ProxyOptions,
    log: &Mutex<Vec<Recorded>>,
) {
    let mut client = BufReader::new(stream);
    // One upstream per client connection (the client's pool keys
    // connections by origin, so one connection goes to one origin).
    let mut upstream: Option<BufReader<TcpStream>> = None;
    loop {
        let Ok(Some(mut req)) = read_request(&mut client) else {
            let _ = control.shutdown(Shutdown::Both);
            return;
        };
        req.connection = index;
        log.lock().unwrap().push(req.clone());
        if let Some(want) = &options.require_auth {
            if req.header("proxy-authorization") != Some(want.as_str()) {
                let _ = client.get_mut().write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      proxy-authenticate: Basic realm=\"test proxy\"\r\n\
                      content-length: 6\r\n\r\ndenied",
                );
                let _ = client.get_mut().flush();
                if req.method == "CONNECT" {
                    // A refused CONNECT: the connection closes (as squid's).
                    let _ = control.shutdown(Shutdown::Both);
                    return;
                }
                continue;
            }
        }
        if let Some((user, pass)) = options.digest {
            if !digest_ok(&req, user, pass) {
                let _ = write!(
                    client.get_mut(),
                    "HTTP/1.1 407 Proxy Authentication Required\r\n\
                     proxy-authenticate: Digest realm=\"{DIGEST_REALM}\", nonce=\"{DIGEST_NONCE}\", \
                     qop=\"auth\", algorithm=MD5\r\ncontent-length: 6\r\n\r\ndenied"
                );
                let _ = client.get_mut().flush();
                if req.method == "CONNECT" {
                    let _ = control.shutdown(Shutdown::Both);
                    return;
                }
                continue;
            }
        }
        if req.method == "CONNECT" {
            let origin = match &options.after_connect {
                Some(_) => None,
                None => match TcpStream::connect(loopback_only(&req.target)) {
                    Ok(origin) => Some(origin),
                    Err(_) => {
                        let _ = client
                            .get_mut()
                            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
                        return;
                    }
                },
            };
            let mut reply = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
            if let Some(extra) = &options.after_connect {
                reply.extend_from_slice(extra);
            }
            if client
                .get_mut()
                .write_all(&reply)
                .and_then(|()| client.get_mut().flush())
                .is_err()
            {
                return;
            }
            let Some(origin) = origin else {
                // The "origin" already answered: swallow what the client
                // sends and keep the connection open until it closes.
                let mut sink = [0u8; 4096];
                while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
                return;
            };
            // Both sides polled with short timeouts (a TLS-wrapped client
            // stream cannot be split between two threads).
            let short = Some(std::time::Duration::from_millis(5));
            control.set_read_timeout(short).unwrap();
            origin.set_read_timeout(short).unwrap();
            tunnel(client, origin);
            return;
        }
        // Forwarded: absolute-form to origin-form.
        let Some(rest) = req.target.strip_prefix("http://") else {
            if req.target.starts_with("https://") {
                let body = options.answer_https.unwrap_or("");
                let _ = write!(
                    client.get_mut(),
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = client.get_mut().flush();
                continue;
            }
            let _ = client
                .get_mut()
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            return;
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if upstream.is_none() {
            match TcpStream::connect(loopback_only(authority)) {
                Ok(s) => upstream = Some(BufReader::new(s)),
                Err(_) => return,
            }
        }
        let up = upstream.as_mut().unwrap();
        let mut head = format!("{} {path} HTTP/1.1\r\n", req.method);
        for (name, value) in &req.headers {
            if name == "proxy-authorization" || name == "proxy-connection" {
                continue;
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if req.chunked {
            out.extend_from_slice(format!("{:x}\r\n", req.body.len()).as_bytes());
            out.extend_from_slice(&req.body);
            out.extend_from_slice(b"\r\n0\r\n\r\n");
        } else {
            out.extend_from_slice(&req.body);
        }
        if up.get_mut().write_all(&out).is_err() {
            return;
        }
        // Relay one response: a head, then a Content-Length body (the test
        // origins send one).
        let Ok(response) = read_response(up) else {
            return;
        };
        if client
            .get_mut()
            .write_all(&response)
            .and_then(|()| client.get_mut().flush())
            .is_err()
        {
            return;
        }
    }
}

/// `host:port` if the host is loopback, else a port nothing listens on.
fn loopback_only(authority: &str) -> String {
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ok = host == "localhost"
        || host.ends_with(".test")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    assert!(
        ok,
        "the test proxy relays to loopback only, not {authority}"
    );
    let port = authority.rsplit_once(':').map_or("80", |(_, p)| p);
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else if host.parse::<std::net::Ipv4Addr>().is_ok() {
        format!("{host}:{port}")
    } else {
        format!("127.0.0.1:{port}")
    }
}

/// Reads a response with a Content-Length body, as raw bytes.
fn read_response(r: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        raw.extend_from_slice(line.as_bytes());
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let start = raw.len();
    raw.resize(start + length, 0);
    r.read_exact(&mut raw[start..])?;
    Ok(raw)
}

/// Copies bytes both ways until either side closes (or 30 s pass).
fn tunnel(mut client: BufReader<Box<dyn Duplex>>, mut origin: TcpStream) {
    // What the reader already holds goes on first.
    let held = client.buffer().to_vec();
    client.consume(held.len());
    if !held.is_empty() && origin.write_all(&held).is_err() {
        return;
    }
    let mut client = client.into_inner();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(n) = read_some(&mut origin, &mut buf) {
            let sent = client.write_all(&buf[..n]).and_then(|()| client.flush());
            if n == 0 || sent.is_err() {
                return;
            }
        }
        match read_some(&mut *client, &mut buf) {
            Some(n) => {
                if n == 0 || origin.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            None => thread::yield_now(),
        }
    }
}

/// A read that gives up quickly when nothing is there (`None`); an error
/// counts as the end.
fn read_some(from: &mut dyn Duplex, buf: &mut [u8]) -> Option<usize> {
    match from.read(buf) {
        Ok(n) => Some(n),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(_) => Some(0),
    }
}
