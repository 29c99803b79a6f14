// HTTP/2 interop scenarios shared by both clients (included by
// tests/interop_h2.rs after `Client`, `stream_body` and `scenario!`).

use ferrohttp::{Certificate, Version};
use std::path::PathBuf;

/// The directory with the CI's TLS material and ports; fails when unset.
fn dir() -> PathBuf {
    PathBuf::from(
        std::env::var("FERROHTTP_NGINX_TLS")
            .expect("FERROHTTP_NGINX_TLS must name the directory .ci/run prepared"),
    )
}

/// The three servers' base URLs: nginx (TLS), hypercorn (TLS), hypercorn (h2c).
fn bases() -> [String; 3] {
    let ports = std::fs::read_to_string(dir().join("h2ports")).expect("h2ports file");
    let p: Vec<&str> = ports.trim().split(',').collect();
    assert_eq!(p.len(), 3, "three ports in h2ports: {ports}");
    [
        format!("https://127.0.0.1:{}", p[0]),
        format!("https://127.0.0.1:{}", p[1]),
        format!("http://127.0.0.1:{}", p[2]),
    ]
}

/// A client for `base`: ALPN for https, prior knowledge for http.
fn client_for(base: &str) -> Client {
    let ca = Certificate::from_pem(&std::fs::read(dir().join("ca.pem")).unwrap()).unwrap();
    let builder = Client::builder()
        .add_root_certificate(ca)
        .timeout(ferrohttp::Timeout::from_secs(30));
    let builder = if base.starts_with("http:") {
        builder.http2_prior_knowledge()
    } else {
        builder.http2(true)
    };
    builder.build().unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

scenario! {
    async fn h2_get_post_gzip_stream_on_each_server() {
        for base in bases() {
            let client = client_for(&base);
            let r = client.get(format!("{base}/get?x=1")).send().await.unwrap();
            assert_eq!(r.version(), Version::HTTP_2, "{base}");
            let body = json(&r.text().await.unwrap());
            assert_eq!(body["args"]["x"], "1", "{base}");
            // POST: form and JSON.
            let text = client
                .post(format!("{base}/post"))
                .form(&[("a", "1"), ("b", "two")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let body = json(&text);
            assert_eq!(body["form"]["b"], "two", "{base}");
            // gzip, decoded.
            let text = client.get(format!("{base}/gzip")).send().await.unwrap().text().await.unwrap();
            assert_eq!(json(&text)["gzipped"], true, "{base}");
            // A streamed response: 20 JSON lines.
            let text = client.get(format!("{base}/stream/20")).send().await.unwrap().text().await.unwrap();
            assert_eq!(text.lines().count(), 20, "{base}");
            // One connection carried it all.
            assert_eq!(client.pool_status().unwrap().open, 1, "{base}");
        }
    }
}

scenario! {
    async fn h2_large_bodies_both_ways() {
        for base in bases() {
            let client = client_for(&base);
            let bytes = client
                .get(format!("{base}/bytes/102400"))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(bytes.len(), 102_400, "{base}");
            // 3 MB up (in memory), then 1 MB streamed: echoed by httpbin.
            let data: String = (0..3_000_000u32).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let text = client
                .post(format!("{base}/anything"))
                .header("content-type", "text/plain")
                .body(data.clone())
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(json(&text)["data"] == data.as_str(), "{base}: the upload came back changed");
            let streamed = data.as_bytes()[..1_000_000].to_vec();
            let text = client
                .put(format!("{base}/anything"))
                .header("content-type", "text/plain")
                .body(stream_body(streamed))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(json(&text)["data"].as_str().map(str::len), Some(1_000_000), "{base}");
        }
    }
}

scenario! {
    async fn h2_forty_requests_in_a_row_over_one_connection() {
        for base in bases() {
            let client = client_for(&base);
            let mut ok = 0;
            for i in 0..40 {
                let r = client.get(format!("{base}/get?i={i}")).send().await.unwrap();
                let body = json(&r.text().await.unwrap());
                if body["args"]["i"] == i.to_string().as_str() {
                    ok += 1;
                }
            }
            assert_eq!(ok, 40, "{base}");
            assert_eq!(client.pool_status().unwrap().open, 1, "{base}");
        }
    }
}
