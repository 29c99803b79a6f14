//! TLS configuration: trusted roots ([`Certificate`]), client certificates
//! ([`Identity`]), and the one shared `rustls::ClientConfig` a client builds
//! from them. Runtime-neutral: both clients use the same config.

use std::fmt;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, ErrorKind, Result};

/// A trusted root certificate (a CA), for `ClientBuilder::add_root_certificate`.
///
/// # Examples
///
/// ```no_run
/// let pem = std::fs::read("my-ca.pem")?;
/// let ca = ferrohttp::Certificate::from_pem(&pem)?;
/// let client = ferrohttp::Client::builder().add_root_certificate(ca).build()?;
/// let r = client.get("https://internal.example/").send()?;
/// # drop(r);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: CertificateDer<'static>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}

fn tls_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, msg.into())
}

impl Certificate {
    /// A certificate from its DER bytes.
    pub fn from_der(der: &[u8]) -> Certificate {
        Certificate {
            der: CertificateDer::from(der.to_vec()),
        }
    }

    /// The first certificate of a PEM text.
    ///
    /// # Errors
    /// `Tls` when the text holds no PEM certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Certificate> {
        Certificate::from_pem_bundle(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| tls_error("no PEM certificate found"))
    }

    /// Every certificate of a PEM bundle (a CA file).
    ///
    /// # Errors
    /// `Tls` when a certificate block is malformed.
    pub fn from_pem_bundle(pem: &[u8]) -> Result<Vec<Certificate>> {
        CertificateDer::pem_slice_iter(pem)
            .map(|c| {
                c.map(|der| Certificate { der })
                    .map_err(|e| tls_error("malformed PEM certificate").with_source(e))
            })
            .collect()
    }

    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "read by the rustls config")
    )]
    pub(crate) fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }
}

/// A client certificate chain and its private key, for servers that ask
/// for one (mutual TLS); httpx's `cert`.
///
/// Keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM, or (with the
/// `encrypted-keys` feature) encrypted PKCS#8 with a password.
///
/// # Examples
///
/// ```no_run
/// use ferrohttp::Identity;
///
/// let id = Identity::from_pem_files("client.pem", "client.key", None)?;
/// let client = ferrohttp::Client::builder().identity(id).build()?;
/// let r = client.get("https://mtls.example/").send()?;
/// # drop(r);
/// # Ok::<(), ferrohttp::Error>(())
/// ```
#[derive(Clone)]
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "read by the rustls config")
    )]
    key: std::sync::Arc<PrivateKeyDer<'static>>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

const ENCRYPTED_PEM_LABEL: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

impl Identity {
    /// A certificate chain (PEM, leaf first) and an unencrypted private key (PEM).
    ///
    /// # Errors
    /// `Tls` when the chain has no certificate or the key cannot be read
    /// (an encrypted key needs [`Identity::from_pkcs8_encrypted_pem`]).
    pub fn from_pem(chain: &[u8], key: &[u8]) -> Result<Identity> {
        if contains(key, ENCRYPTED_PEM_LABEL.as_bytes()) {
            return Err(tls_error(
                "the private key is encrypted: use Identity::from_pkcs8_encrypted_pem with its password",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            tls_error("no PKCS#8, PKCS#1 or SEC1 private key found in the PEM text").with_source(e)
        })?;
        Identity::new(chain, key)
    }

    /// A certificate chain (PEM) and an encrypted PKCS#8 private key (PEM,
    /// `ENCRYPTED PRIVATE KEY`) with its password (httpx's `(cert, key,
    /// password)`).
    ///
    /// Decrypting needs the `encrypted-keys` feature (the password-based
    /// ciphers are 17 crates few programs need); without it this
    /// returns an error saying so.
    ///
    /// # Errors
    /// `Tls` when the key is not encrypted PKCS#8 or the password is wrong,
    /// or when the `encrypted-keys` feature is off.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn from_pkcs8_encrypted_pem(chain: &[u8], key: &[u8], password: &str) -> Result<Identity> {
        #[cfg(not(feature = "encrypted-keys"))]
        {
            let _ = (chain, key, password);
            Err(tls_error(
                "encrypted private keys need the `encrypted-keys` feature of ferrohttp, \
                 which this build lacks (or decrypt the key first: `openssl pkcs8 -in KEY -out PLAIN`)",
            ))
        }
        #[cfg(feature = "encrypted-keys")]
        Identity::decrypt_pkcs8(chain, key, password)
    }

    #[cfg(feature = "encrypted-keys")]
    fn decrypt_pkcs8(chain: &[u8], key: &[u8], password: &str) -> Result<Identity> {
        use pkcs8::der::pem::PemLabel;
        let text = std::str::from_utf8(key)
            .map_err(|_| tls_error("the encrypted private key is not PEM text"))?;
        let (label, doc) = pkcs8::der::SecretDocument::from_pem(text)
            .map_err(|e| tls_error("malformed encrypted private key PEM").with_source(e))?;
        if label != pkcs8::EncryptedPrivateKeyInfo::PEM_LABEL {
            return Err(tls_error(format!(
                "expected an ENCRYPTED PRIVATE KEY, found a PEM {label}"
            )));
        }
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|e| tls_error("malformed encrypted PKCS#8 key").with_source(e))?;
        let plain = info.decrypt(password).map_err(|e| {
            tls_error("cannot decrypt the private key: wrong password or unsupported cipher")
                .with_source(e)
        })?;
        let key = PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into());
        Identity::new(chain, key)
    }

    /// Reads the chain and key from PEM files; with `password`, the key is
    /// encrypted PKCS#8.
    ///
    /// # Errors
    /// `Tls` naming the file that cannot be read or parsed.
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
        password: Option<&str>,
    ) -> Result<Identity> {
        let read = |p: &Path| {
            std::fs::read(p)
                .map_err(|e| tls_error(format!("cannot read {}", p.display())).with_source(e))
        };
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let (chain, key_pem) = (read(cert)?, read(key)?);
        match password {
            #[cfg(feature = "rustls")]
            Some(p) => Identity::from_pkcs8_encrypted_pem(&chain, &key_pem, p),
            #[cfg(not(feature = "rustls"))]
            Some(_) => Err(tls_error(
                "encrypted private keys need the `rustls` feature",
            )),
            None => Identity::from_pem(&chain, &key_pem),
        }
    }

    fn new(chain: &[u8], key: PrivateKeyDer<'static>) -> Result<Identity> {
        let chain = CertificateDer::pem_slice_iter(chain)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| tls_error("malformed PEM certificate chain").with_source(e))?;
        if chain.is_empty() {
            return Err(tls_error(
                "no certificate found in the client certificate PEM",
            ));
        }
        Ok(Identity {
            chain,
            key: std::sync::Arc::new(key),
        })
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Everything a client's TLS configuration is made of.
#[derive(Clone, Debug)]
#[cfg_attr(
    not(feature = "rustls"),
    allow(dead_code, reason = "read by the rustls config")
)]
pub(crate) struct TlsOptions {
    pub(crate) roots: Vec<Certificate>,
    pub(crate) ca_files: Vec<PathBuf>,
    pub(crate) ca_dirs: Vec<PathBuf>,
    /// `None`: webpki roots unless a CA file or directory replaces them.
    pub(crate) built_in_roots: Option<bool>,
    #[cfg(feature = "native-roots")]
    pub(crate) native_roots: bool,
    pub(crate) identity: Option<Identity>,
    pub(crate) danger_accept_invalid_certs: bool,
    pub(crate) trust_env: bool,
    #[cfg(feature = "rustls")]
    pub(crate) preconfigured: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl TlsOptions {
    /// Whether nothing was set: the process-wide default config will do.
    #[cfg_attr(
        not(feature = "rustls"),
        allow(dead_code, reason = "read by the rustls config")
    )]
    pub(crate) fn is_default(&self) -> bool {
        let d = TlsOptions::default();
        self.roots.is_empty()
            && self.ca_files.is_empty()
            && self.ca_dirs.is_empty()
            && self.built_in_roots.is_none()
            && self.identity.is_none()
            && self.danger_accept_invalid_certs == d.danger_accept_invalid_certs
            && self.trust_env == d.trust_env
            && self.preconfigured_is_none()
            && self.native_is_default()
    }

    fn preconfigured_is_none(&self) -> bool {
        #[cfg(feature = "rustls")]
        return self.preconfigured.is_none();
        #[cfg(not(feature = "rustls"))]
        return true;
    }

    fn native_is_default(&self) -> bool {
        #[cfg(feature = "native-roots")]
        return !self.native_roots;
        #[cfg(not(feature = "native-roots"))]
        return true;
    }
}

impl Default for TlsOptions {
    fn default() -> TlsOptions {
        TlsOptions {
            roots: Vec::new(),
            ca_files: Vec::new(),
            ca_dirs: Vec::new(),
            built_in_roots: None,
            #[cfg(feature = "native-roots")]
            native_roots: false,
            identity: None,
            danger_accept_invalid_certs: false,
            trust_env: true,
            #[cfg(feature = "rustls")]
            preconfigured: None,
        }
    }
}

#[cfg(feature = "rustls")]
pub(crate) use with_rustls::*;

#[cfg(feature = "rustls")]
mod with_rustls {
    use std::sync::{Arc, OnceLock};

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{
        CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    };

    use super::{tls_error, Certificate, TlsOptions};
    use crate::error::{Error, ErrorKind, Result};

    /// The crypto provider: aws-lc-rs when its feature is on, else ring.
    fn provider() -> Arc<CryptoProvider> {
        #[cfg(feature = "aws-lc-rs")]
        return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        #[cfg(not(feature = "aws-lc-rs"))]
        return Arc::new(rustls::crypto::ring::default_provider());
    }

    /// The config of a transport built without client settings: webpki
    /// roots (or the environment's CA file), built once per process.
    pub(crate) fn default_config() -> Result<Arc<ClientConfig>> {
        static DEFAULT: OnceLock<std::result::Result<Arc<ClientConfig>, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| build_config(&TlsOptions::default()).map_err(|e| e.to_string()))
            .clone()
            .map_err(tls_error)
    }

    fn add_pem_file(store: &mut RootCertStore, path: &std::path::Path) -> Result<usize> {
        let pem = std::fs::read(path).map_err(|e| {
            tls_error(format!(
                "cannot read CA certificates from {}",
                path.display()
            ))
            .with_source(e)
        })?;
        let certs = Certificate::from_pem_bundle(&pem)
            .map_err(|e| tls_error(format!("bad CA file {}", path.display())).with_source(e))?;
        let mut added = 0;
        for c in certs {
            store.add(c.der().clone()).map_err(|e| {
                tls_error(format!("bad CA certificate in {}", path.display())).with_source(e)
            })?;
            added += 1;
        }
        Ok(added)
    }

    fn add_pem_dir(store: &mut RootCertStore, dir: &std::path::Path) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            tls_error(format!("cannot read CA directory {}", dir.display())).with_source(e)
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            // A CA directory (OpenSSL's c_rehash layout) may hold other
            // files too: take what parses, skip the rest.
            if let Ok(pem) = std::fs::read(&path) {
                for c in Certificate::from_pem_bundle(&pem).unwrap_or_default() {
                    let _ = store.add(c.der().clone());
                }
            }
        }
        Ok(())
    }

    /// Builds the one `ClientConfig` a client shares across connections (so
    /// TLS sessions resume).
    pub(crate) fn build_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
        if let Some(cfg) = &opts.preconfigured {
            return Ok(cfg.clone());
        }
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS protocol versions").with_source(e))?;

        let mut ca_files = opts.ca_files.clone();
        let mut ca_dirs = opts.ca_dirs.clone();
        if opts.trust_env {
            if let Some(f) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
                ca_files.push(f.into());
            }
            if let Some(d) = std::env::var_os("SSL_CERT_DIR").filter(|v| !v.is_empty()) {
                ca_dirs.extend(std::env::split_paths(&d));
            }
        }
        let builder = if opts.danger_accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        } else {
            let mut store = RootCertStore::empty();
            let built_in = opts
                .built_in_roots
                .unwrap_or(ca_files.is_empty() && ca_dirs.is_empty());
            if built_in {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            #[cfg(feature = "native-roots")]
            if opts.native_roots {
                let native = rustls_native_certs::load_native_certs();
                for cert in native.certs {
                    let _ = store.add(cert);
                }
            }
            for f in &ca_files {
                add_pem_file(&mut store, f)?;
            }
            for d in &ca_dirs {
                add_pem_dir(&mut store, d)?;
            }
            for c in &opts.roots {
                store
                    .add(c.der().clone())
                    .map_err(|e| tls_error("invalid root certificate").with_source(e))?;
            }
            builder.with_root_certificates(store)
        };
        let mut config = match &opts.identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| tls_error("invalid client certificate or key").with_source(e))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if opts.trust_env && std::env::var_os("SSLKEYLOGFILE").is_some() {
            config.key_log = Arc::new(rustls::KeyLogFile::new());
        }
        Ok(Arc::new(config))
    }

    /// `config` offering HTTP/2 first by ALPN, then HTTP/1.1.
    pub(crate) fn offering_h2(config: &Arc<ClientConfig>) -> Arc<ClientConfig> {
        let mut config = ClientConfig::clone(config);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// The verifier behind `danger_accept_invalid_certs`: any certificate is
    /// accepted, but the handshake signatures are still checked.
    #[derive(Debug)]
    struct AcceptAnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// The server name to verify and send as SNI (none for an IP address);
    /// an IPv6 literal may come with or without its brackets.
    pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
        let host = crate::urls::bare_host(host);
        ServerName::try_from(host.to_string()).map_err(|e| {
            Error::new(
                ErrorKind::InvalidUrl,
                format!("{host:?} is not a valid TLS server name"),
            )
            .with_source(e)
        })
    }

    /// A TLS failure carried in an `io::Error`, as an `Error` that says what
    /// is wrong and for which host; `None` for other I/O errors.
    pub(crate) fn classify(e: &std::io::Error, host: &str) -> Option<Error> {
        let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
        let msg = match tls {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::UnknownIssuer => format!(
                    "certificate of {host} is signed by an unknown issuer (not a trusted root)"
                ),
                CertificateError::ExpiredContext { time, not_after } => format!(
                    "certificate of {host} expired at {} (it is now {})",
                    utc(not_after.as_secs()),
                    utc(time.as_secs())
                ),
                CertificateError::Expired => format!("certificate of {host} has expired"),
                CertificateError::NotValidYetContext { time, not_before } => format!(
                    "certificate of {host} is not valid before {} (it is now {})",
                    utc(not_before.as_secs()),
                    utc(time.as_secs())
                ),
                CertificateError::NotValidForNameContext { presented, .. } => format!(
                    "certificate of {host} is not valid for the name {host}; it is valid for {}",
                    if presented.is_empty() {
                        "no names".to_string()
                    } else {
                        presented.join(", ")
                    }
                ),
                CertificateError::NotValidForName => {
                    format!("certificate of {host} is not valid for the name {host}")
                }
                _ => format!("certificate of {host} is invalid"),
            },
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
                format!("server {host} requires a client certificate, and none was given")
            }
            rustls::Error::AlertReceived(alert) => {
                format!("server {host} aborted the TLS handshake ({alert:?})")
            }
            _ => format!("TLS with {host} failed"),
        };
        let source = std::io::Error::new(e.kind(), tls.clone());
        Some(Error::new(ErrorKind::Tls, msg).with_source(source))
    }

    /// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the Unix epoch.
    fn utc(secs: u64) -> String {
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    #[cfg(test)]
    mod tests {
        use super::utc;

        #[test]
        fn utc_dates() {
            assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
            assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
            assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        }
    }
}

#[cfg(all(test, feature = "rustls", not(feature = "encrypted-keys")))]
mod without_encrypted_keys {
    use super::Identity;

    #[test]
    fn an_encrypted_key_says_which_feature_it_needs() {
        let e = Identity::from_pkcs8_encrypted_pem(b"", b"", "pw").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Tls);
        assert!(e.to_string().contains("`encrypted-keys` feature"), "{e}");
    }
}
