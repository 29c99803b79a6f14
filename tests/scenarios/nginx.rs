// nginx TLS scenarios shared by both clients (included by tests/interop_nginx.rs).

use ferrohttp::{Certificate, ErrorKind, Identity, StatusCode};
use std::path::PathBuf;

/// The directory with the CI's TLS material; fails the test when unset.
fn dir() -> PathBuf {
    PathBuf::from(
        std::env::var("FERROHTTP_NGINX_TLS")
            .expect("FERROHTTP_NGINX_TLS must name the directory .ci/run prepared"),
    )
}

/// `https://127.0.0.1:PORT/` of server `i` (0 plain, 1 mutual TLS, 2 expired).
fn url(i: usize, path: &str) -> String {
    let ports = std::fs::read_to_string(dir().join("ports")).expect("ports file");
    let port = ports.trim().split(',').nth(i).expect("three ports");
    format!("https://127.0.0.1:{port}{path}")
}

fn ca() -> Certificate {
    Certificate::from_pem(&std::fs::read(dir().join("ca.pem")).unwrap()).unwrap()
}

scenario! {
    async fn nginx_tls_with_the_ci_ca() {
        let client = Client::builder().add_root_certificate(ca()).build().unwrap();
        let r = client.get(url(0, "/hello")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        assert_eq!(text, "nginx tls /hello\n");
        // ca_file works the same.
        let client = Client::builder().ca_file(dir().join("ca.pem")).build().unwrap();
        let text = client.get(url(0, "/file")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "nginx tls /file\n");
    }
}

scenario! {
    async fn nginx_unknown_issuer_with_default_roots() {
        let e = Client::new().get(url(0, "/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("unknown issuer"), "{e}");
    }
}

scenario! {
    async fn nginx_expired_certificate() {
        let client = Client::builder().add_root_certificate(ca()).build().unwrap();
        let e = client.get(url(2, "/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.to_string().contains("expired at 2020-05-30"), "{e}");
    }
}

scenario! {
    async fn nginx_client_certificate_required() {
        let d = dir();
        // Without a certificate nginx finishes the handshake and answers 400.
        let client = Client::builder().add_root_certificate(ca()).build().unwrap();
        let r = client.get(url(1, "/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let text = r.text().await.unwrap();
        assert!(text.contains("No required SSL certificate was sent"), "{text}");

        let id = Identity::from_pem_files(d.join("client.pem"), d.join("client.key"), None).unwrap();
        let client = Client::builder().add_root_certificate(ca()).identity(id).build().unwrap();
        let text = client.get(url(1, "/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "nginx mtls CN=client\n");

        let id = Identity::from_pem_files(d.join("client.pem"), d.join("client-encrypted.key"), Some("ci-pass")).unwrap();
        let client = Client::builder().add_root_certificate(ca()).identity(id).build().unwrap();
        let text = client.get(url(1, "/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "nginx mtls CN=client\n");

        let e = Identity::from_pem_files(d.join("client.pem"), d.join("client-encrypted.key"), Some("nope")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls);
    }
}

scenario! {
    async fn nginx_keep_alive_over_tls() {
        let client = Client::builder().add_root_certificate(ca()).build().unwrap();
        for i in 0..5 {
            let text = client.get(url(0, &format!("/{i}"))).send().await.unwrap().text().await.unwrap();
            assert_eq!(text, format!("nginx tls /{i}\n"));
        }
        assert_eq!(client.pool_status().unwrap().open, 1);
    }
}

scenario! {
    async fn nginx_refuses_a_large_upload_before_the_body_with_100_continue() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let client = Client::builder()
            .add_root_certificate(ca())
            .expect_continue_timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let sent = Arc::new(AtomicU64::new(0));
        let seen = sent.clone();
        let r = client
            .post(url(0, "/small-uploads"))
            .body(vec![0u8; 2 << 20])
            .upload_progress(move |n, _| seen.store(n, Ordering::SeqCst))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(sent.load(Ordering::SeqCst), 0, "not one byte of the body was sent");
        // A small upload is accepted.
        let r = client.post(url(0, "/small-uploads")).body("tiny").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
