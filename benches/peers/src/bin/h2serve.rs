//! A second server for `run_h2.sh`'s download rows: hyper (its HTTP/1.1 and
//! its HTTP/2, the latter the `h2` crate) over rustls, on one thread, serving
//! zeros from one static buffer, so that what it does per byte is the least
//! a TLS server can do (encrypt and write) and the same over both protocols.
//! Against nginx on this 2-core machine the download rate is nginx's rate
//! (its worker is busy for the whole transfer, and its HTTP/2 path costs it
//! more than its HTTP/1.1 one), which says little of the client.
//!
//! ```text
//! h2serve CERT.pem KEY.pem 127.0.0.1:PORT
//! ```
//!
//! Paths: `/small` ("ok"), `/big` (1 GiB), `/10m` (10 MiB); ALPN offers `h2`
//! and `http/1.1`. Prints `listening on ADDR` once it accepts.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The bytes every body is cut from.
static ZEROS: [u8; 1 << 20] = [0; 1 << 20];

/// `left` bytes of zeros, handed out as slices of [`ZEROS`] (no copy).
struct Zeros {
    left: u64,
}

impl Body for Zeros {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(ZEROS.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&ZEROS[..n])))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

async fn handle(req: http::Request<hyper::body::Incoming>) -> Result<http::Response<Zeros>, Infallible> {
    let (status, left) = match req.uri().path() {
        "/big" => (200, 1 << 30),
        "/10m" => (200, 10 << 20),
        "/small" => (200, 2),
        _ => (404, 0),
    };
    Ok(http::Response::builder()
        .status(status)
        .body(Zeros { left })
        .expect("response"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert, key, addr] = &args[..] else {
        eprintln!("usage: h2serve CERT.pem KEY.pem 127.0.0.1:PORT");
        std::process::exit(2);
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("certificate file")
        .collect::<Result<_, _>>()
        .expect("certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    // One thread, as nginx serves one connection from one worker.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .expect("bind");
        println!("listening on {}", listener.local_addr().expect("address"));
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let io = TokioIo::new(tls);
                let service = service_fn(handle);
                let _ = if h2 {
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .max_concurrent_streams(1000)
                        .serve_connection(io, service)
                        .await
                } else {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await
                };
            });
        }
    });
}
