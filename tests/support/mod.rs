//! An in-process HTTP/1.1 test server on 127.0.0.1 with scripted raw
//! responses. It records every request it reads and counts connections; a
//! panic in a server thread fails the test when the server is dropped.

#![allow(dead_code, reason = "each test binary uses a part of the helpers")]

pub mod fetch;
pub mod proxy;
pub mod reliability;
pub mod socks;
pub mod tls;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a server thread waits for a client before giving up.
pub const SERVER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the server read it.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Header lines as sent, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The de-chunked body.
    pub body: Vec<u8>,
    /// The request head exactly as received.
    pub raw_head: String,
    /// Whether the body came chunked.
    pub chunked: bool,
    /// The index of the connection it came on (0-based).
    pub connection: usize,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A reply written by hand on the connection.
pub type CustomReply = Box<dyn FnOnce(&mut dyn Write) + Send>;

/// What the server does after reading a request.
pub enum Reply {
    /// Write these bytes and keep the connection for the next request.
    Raw(Vec<u8>),
    /// Write these bytes, then close the connection.
    RawClose(Vec<u8>),
    /// Write nothing and wait this long, then close.
    Stall(Duration),
    /// Do anything with the stream; the connection closes afterwards.
    Custom(CustomReply),
}

impl Reply {
    pub fn raw(s: impl AsRef<[u8]>) -> Reply {
        Reply::Raw(s.as_ref().to_vec())
    }
    pub fn close(s: impl AsRef<[u8]>) -> Reply {
        Reply::RawClose(s.as_ref().to_vec())
    }
    /// A 200 response with `body` and a Content-Length.
    pub fn ok(body: impl AsRef<[u8]>) -> Reply {
        let body = body.as_ref();
        let mut v =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        v.extend_from_slice(body);
        Reply::Raw(v)
    }
}

pub struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    active: Arc<AtomicUsize>,
    max_active: Arc<AtomicUsize>,
    peers: Arc<Mutex<Vec<SocketAddr>>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    panicked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// A server answering each request with `handler(request)`.
    pub fn http<F>(handler: F) -> Server
    where
        F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
    {
        Server::http_on(
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"),
            handler,
        )
    }

    /// `http` on a given listener.
    pub fn http_on<F>(listener: TcpListener, handler: F) -> Server
    where
        F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let reqs = requests.clone();
        let mut server = Server::raw_on(listener, move |stream, index| {
            serve_connection(stream, index, &*handler, &reqs);
        });
        server.requests = requests;
        server
    }

    /// A server that hands each accepted connection to `f` on its own thread.
    pub fn raw<F>(f: F) -> Server
    where
        F: Fn(TcpStream, usize) + Send + Sync + 'static,
    {
        Server::raw_on(TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"), f)
    }

    /// `raw` on a given listener.
    pub fn raw_on<F>(listener: TcpListener, f: F) -> Server
    where
        F: Fn(TcpStream, usize) + Send + Sync + 'static,
    {
        let addr = listener.local_addr().unwrap();
        let server = Server {
            addr,
            connections: Arc::default(),
            active: Arc::default(),
            max_active: Arc::default(),
            peers: Arc::default(),
            requests: Arc::default(),
            panicked: Arc::default(),
            stop: Arc::default(),
        };
        let (connections, active, max_active, peers, panicked, stop) = (
            server.connections.clone(),
            server.active.clone(),
            server.max_active.clone(),
            server.peers.clone(),
            server.panicked.clone(),
            server.stop.clone(),
        );
        let f = Arc::new(f);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(peer) = stream.peer_addr() {
                    peers.lock().unwrap().push(peer);
                }
                let index = connections.fetch_add(1, Ordering::SeqCst);
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                max_active.fetch_max(now, Ordering::SeqCst);
                let (f, panicked, active) = (f.clone(), panicked.clone(), active.clone());
                thread::spawn(move || {
                    stream.set_read_timeout(Some(SERVER_READ_TIMEOUT)).ok();
                    let r =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(stream, index)));
                    active.fetch_sub(1, Ordering::SeqCst);
                    if r.is_err() {
                        panicked.store(true, Ordering::SeqCst);
                    }
                });
            }
        });
        server
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The most connections that were open at once.
    pub fn max_active(&self) -> usize {
        self.max_active.load(Ordering::SeqCst)
    }

    /// The source address of each connection, in order.
    pub fn peers(&self) -> Vec<SocketAddr> {
        self.peers.lock().unwrap().clone()
    }

    /// Requests read so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if self.panicked.load(Ordering::SeqCst) && !thread::panicking() {
            panic!("a test server thread panicked");
        }
    }
}

/// Serves HTTP/1.1 requests on one connection (TCP, Unix socket, TLS)
/// with `handler`, until the client closes it or a reply closes it.
pub fn serve_connection<S: Read + Write>(
    stream: S,
    index: usize,
    handler: &(dyn Fn(&Recorded) -> Reply + Send + Sync),
    requests: &Mutex<Vec<Recorded>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(mut req) = read_request(&mut reader).unwrap_or(None) else {
            return;
        };
        req.connection = index;
        requests.lock().unwrap().push(req.clone());
        let writer = reader.get_mut();
        match handler(&req) {
            Reply::Raw(bytes) => {
                if writer
                    .write_all(&bytes)
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    return;
                }
            }
            Reply::RawClose(bytes) => {
                let _ = writer.write_all(&bytes).and_then(|()| writer.flush());
                return;
            }
            Reply::Stall(d) => {
                thread::sleep(d);
                return;
            }
            Reply::Custom(f) => {
                f(writer);
                return;
            }
        }
    }
}

/// Reads one request: head, then a Content-Length or chunked body.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Recorded>> {
    let mut raw_head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        raw_head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut lines = raw_head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').expect("header line has a colon");
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let mut req = Recorded {
        method,
        target,
        headers,
        raw_head,
        ..Recorded::default()
    };
    if req
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        req.chunked = true;
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
            if size == 0 {
                let mut end = String::new();
                reader.read_line(&mut end)?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            assert_eq!(&chunk[size..], b"\r\n", "chunk data ends with CRLF");
            req.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().expect("content-length");
        req.body = vec![0; len];
        reader.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

/// Reads from `s` up to the end of a request head (its blank line), for
/// raw servers that answer without looking at the request; `false` if the
/// peer closed or failed first.
pub fn read_request_head(s: &mut impl Read) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// zlib-compresses `data` (HTTP's `deflate`).
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A response head plus body, with Content-Length, and extra header lines.
pub fn response_with(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut v = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        v.push_str(h);
        v.push_str("\r\n");
    }
    v.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut v = v.into_bytes();
    v.extend_from_slice(body);
    v
}

/// A listener whose accept queue is full, so a further connect hangs until
/// the client's connect timeout: the way to test connect timeouts on loopback.
pub struct Blackhole {
    pub addr: SocketAddr,
    _listener: socket2::Socket,
    _fillers: Vec<TcpStream>,
}

impl Blackhole {
    pub fn new() -> Blackhole {
        use socket2::{Domain, Socket, Type};
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        s.listen(0).unwrap();
        let addr = s.local_addr().unwrap().as_socket().unwrap();
        let mut fillers = Vec::new();
        // Fill the accept queue (backlog 0 admits one or two on Linux).
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
                Ok(c) => fillers.push(c),
                Err(_) => break,
            }
        }
        Blackhole {
            addr,
            _listener: s,
            _fillers: fillers,
        }
    }
}
