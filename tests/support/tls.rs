//! TLS test servers: a CA and certificates made at run time with rcgen,
//! and an in-process rustls server that records what each handshake was.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{HandshakeKind, RootCertStore, ServerConfig, ServerConnection};

use super::{serve_connection, Recorded, Reply, Server};

/// The client key fixture and its encrypted twin (password "correct horse").
pub const CLIENT_KEY: &str = include_str!("../data/client-key.pem");
pub const CLIENT_KEY_ENCRYPTED: &str = include_str!("../data/client-key-encrypted.pem");
pub const CLIENT_KEY_PASSWORD: &str = "correct horse";
/// The same EC key as `CLIENT_KEY`, in SEC1 form.
pub const CLIENT_KEY_SEC1: &str = include_str!("../data/client-key-sec1.pem");
/// An RSA key in PKCS#1 form, and its public key.
pub const CLIENT_RSA_PKCS1: &str = include_str!("../data/client-rsa-pkcs1.pem");
pub const CLIENT_RSA_PUBLIC: &str = include_str!("../data/client-rsa-pub.pem");

/// A test certificate authority.
pub struct Pki {
    pub ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key, both PEM.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    pub fn new() -> Pki {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ferrohttp test CA");
        let cert = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |_| {})
    }

    /// A certificate that expired in 2020.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |p| {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2020, 6, 1);
        })
    }

    fn leaf_with(&self, names: &[&str], edit: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        edit(&mut params);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A client certificate for the fixture key `CLIENT_KEY` (also in
    /// `CLIENT_KEY_SEC1`).
    pub fn client_cert(&self) -> String {
        let key = KeyPair::from_pem(CLIENT_KEY).unwrap();
        let params = CertificateParams::new(vec!["client.test".to_string()]).unwrap();
        params.signed_by(&key, &self.issuer).unwrap().pem()
    }

    /// A client certificate for the RSA fixture key `CLIENT_RSA_PKCS1`.
    pub fn client_rsa_cert(&self) -> String {
        let public = rcgen::SubjectPublicKeyInfo::from_pem(CLIENT_RSA_PUBLIC).unwrap();
        let params = CertificateParams::new(vec!["client.test".to_string()]).unwrap();
        params.signed_by(&public, &self.issuer).unwrap().pem()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls server config presenting `leaf`; with `client_ca`, client
/// certificates signed by it are required.
pub fn server_config(leaf: &Leaf, client_ca: Option<&Pki>) -> ServerConfig {
    server_config_versions(leaf, client_ca, rustls::DEFAULT_VERSIONS)
}

/// `server_config` limited to the given protocol versions.
pub fn server_config_versions(
    leaf: &Leaf,
    client_ca: Option<&Pki>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> ServerConfig {
    let chain = vec![CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(ca.ca_pem.as_bytes()).unwrap())
                .unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// What the server saw of one handshake.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub kind: Option<HandshakeKind>,
    pub sni: Option<String>,
    pub alpn: Option<Vec<u8>>,
    pub client_cert: bool,
}

/// An in-process HTTPS server on 127.0.0.1.
pub struct TlsServer {
    pub server: Server,
    pub handshakes: Arc<Mutex<Vec<Handshake>>>,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TlsServer {
    pub fn start<F>(config: ServerConfig, handler: F) -> TlsServer
    where
        F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
    {
        TlsServer::start_after(config, std::time::Duration::ZERO, handler)
    }

    /// `start`, with the server waiting `delay` after accepting a
    /// connection before it answers the client's hello.
    pub fn start_after<F>(config: ServerConfig, delay: std::time::Duration, handler: F) -> TlsServer
    where
        F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
    {
        let config = Arc::new(config);
        let handshakes: Arc<Mutex<Vec<Handshake>>> = Arc::default();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let (hs, reqs) = (handshakes.clone(), requests.clone());
        let handler = Arc::new(handler);
        let server = Server::raw_on(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            move |mut tcp, index| {
                std::thread::sleep(delay);
                let Ok(mut conn) = ServerConnection::new(config.clone()) else {
                    return;
                };
                while conn.is_handshaking() {
                    if conn.complete_io(&mut tcp).is_err() {
                        // A failed handshake: send the alert, if any, and stop.
                        let _ = conn.write_tls(&mut tcp);
                        return;
                    }
                }
                hs.lock().unwrap().push(Handshake {
                    kind: conn.handshake_kind(),
                    sni: conn.server_name().map(str::to_string),
                    alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
                    client_cert: conn.peer_certificates().is_some_and(|c| !c.is_empty()),
                });
                let stream = rustls::StreamOwned::new(conn, tcp);
                serve_connection(stream, index, &*handler, &reqs);
            },
        );
        TlsServer {
            server,
            handshakes,
            requests,
        }
    }

    /// `https://localhost:PORT{path}` (resolve `localhost` to 127.0.0.1).
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.server.addr().port())
    }

    pub fn handshakes(&self) -> Vec<Handshake> {
        self.handshakes.lock().unwrap().clone()
    }
}

/// An HTTPS server for one connection on a Unix domain socket: a rustls
/// handshake, then `handler` for each request until the client closes. The
/// thread returns the name the client sent (SNI), or `None` when the
/// handshake failed (its alert is sent).
#[cfg(unix)]
pub fn serve_unix_once<F>(
    listener: std::os::unix::net::UnixListener,
    config: ServerConfig,
    handler: F,
) -> (
    std::thread::JoinHandle<Option<String>>,
    Arc<Mutex<Vec<Recorded>>>,
)
where
    F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
{
    let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let seen = requests.clone();
    let thread = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().ok()?;
        let mut conn = ServerConnection::new(Arc::new(config)).ok()?;
        while conn.is_handshaking() {
            if conn.complete_io(&mut sock).is_err() {
                let _ = conn.write_tls(&mut sock);
                return None;
            }
        }
        let sni = conn.server_name().map(str::to_string);
        serve_connection(rustls::StreamOwned::new(conn, sock), 0, &handler, &seen);
        sni
    });
    (thread, requests)
}
