//! `trust_env` for TLS: `SSL_CERT_FILE`, `SSL_CERT_DIR` and `SSLKEYLOGFILE`.
//! Environment variables are process-wide, so this binary has one test that
//! sets them in turn (blocking client; the settings are runtime-neutral).
#![cfg(feature = "rustls")]

mod support;

use ferrohttp::{Client, ErrorKind};
use support::tls::{server_config, Pki, TlsServer};
use support::Reply;

#[test]
fn environment_settings_for_tls() {
    let pki = Pki::new();
    let server = TlsServer::start(server_config(&pki.leaf(&["127.0.0.1"]), None), |_| {
        Reply::ok("env")
    });
    let url = server.url("127.0.0.1", "/");
    let dir = std::env::temp_dir().join(format!("ferrohttp-tls-env-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    std::fs::write(dir.join("certs").join("ca.crt"), &pki.ca_pem).unwrap();
    let keylog = dir.join("keys.log");

    std::env::set_var("SSL_CERT_FILE", &ca);
    std::env::set_var("SSLKEYLOGFILE", &keylog);
    // The default client reads the environment.
    let text = Client::new().get(&url).send().unwrap().text().unwrap();
    assert_eq!(text, "env");
    let log = std::fs::read_to_string(&keylog).unwrap_or_default();
    assert!(
        log.contains("CLIENT_TRAFFIC_SECRET_0") || log.contains("CLIENT_RANDOM"),
        "key log: {log:?}"
    );

    // trust_env(false) ignores it: back to the built-in roots.
    let e = Client::builder()
        .trust_env(false)
        .build()
        .unwrap()
        .get(&url)
        .send()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");

    // SSL_CERT_DIR: a directory of PEM files.
    std::env::remove_var("SSL_CERT_FILE");
    std::env::set_var("SSL_CERT_DIR", dir.join("certs"));
    let client = Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert_eq!(client.get(&url).send().unwrap().text().unwrap(), "env");
    std::env::remove_var("SSL_CERT_DIR");
    std::env::remove_var("SSLKEYLOGFILE");
    std::fs::remove_dir_all(&dir).ok();
}
