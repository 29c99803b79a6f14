// httpbin scenarios shared by both clients (included by tests/interop_httpbin.rs).

#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::{StatusCode, Version};
use serde_json::Value;

/// The httpbin base URL; panics (fails the test) when it is not set.
fn httpbin(path: &str) -> String {
    let base = std::env::var("FERROHTTP_HTTPBIN")
        .expect("FERROHTTP_HTTPBIN must name the httpbin server, e.g. http://127.0.0.1:8765");
    format!("{}{}", base.trim_end_matches('/'), path)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

scenario! {
    async fn get_echoes_args_and_headers() {
        let r = Client::new().get(httpbin("/get")).query(&[("a", "1 2")]).header("x-test", "yes").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["args"]["a"], "1 2");
        assert_eq!(v["headers"]["X-Test"], "yes");
        let ua = v["headers"]["User-Agent"].as_str().unwrap().to_string();
        assert!(ua.starts_with("ferrohttp/"), "{ua}");
    }
}

scenario! {
    async fn post_form() {
        let r = Client::new().post(httpbin("/post")).form(&[("name", "a&b"), ("x", "é")]).send().await.unwrap();
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["form"]["name"], "a&b");
        assert_eq!(v["form"]["x"], "é");
        assert_eq!(v["headers"]["Content-Type"], "application/x-www-form-urlencoded");
    }
}

#[cfg(feature = "json")]
scenario! {
    async fn post_json() {
        let r = Client::new().post(httpbin("/post")).json(&serde_json::json!({"k": [1, 2, 3]})).send().await.unwrap();
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["json"], serde_json::json!({"k": [1, 2, 3]}));
    }
}

scenario! {
    async fn post_streamed_chunked_body() {
        let data = vec![b'z'; 50_000];
        let r = Client::new()
            .post(httpbin("/post"))
            .header("content-type", "application/octet-stream")
            .body(ferrohttp::Body::new(std::io::Cursor::new(data)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["data"].as_str().unwrap().len(), 50_000);
    }
}

scenario! {
    async fn gzip_is_decoded() {
        let r = Client::new().get(httpbin("/gzip")).send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["gzipped"], true);
    }
}

scenario! {
    async fn deflate_is_decoded() {
        let r = Client::new().get(httpbin("/deflate")).send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], "deflate");
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["deflated"], true);
    }
}

#[cfg(feature = "brotli")]
scenario! {
    async fn brotli_is_decoded() {
        let r = Client::new().get(httpbin("/brotli")).send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], "br");
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["brotli"], true);
    }
}

scenario! {
    async fn stream_of_20_lines() {
        let mut r = Client::new().get(httpbin("/stream/20")).send().await.unwrap();
        assert_eq!(r.headers()["transfer-encoding"], "chunked");
        let mut all = Vec::new();
        while let Some(chunk) = r.chunk().await.unwrap() {
            all.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(all).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20);
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(json(line)["id"], i);
        }
    }
}

scenario! {
    async fn bytes_100000() {
        let r = Client::new().get(httpbin("/bytes/100000")).send().await.unwrap();
        assert_eq!(r.content_length(), Some(100_000));
        let body = r.bytes().await.unwrap();
        assert_eq!(body.len(), 100_000);
    }
}

scenario! {
    async fn headers_echo_client_defaults_and_merges() {
        let client = Client::builder().header("x-client", "c").build().unwrap();
        let r = client.get(httpbin("/headers")).header("x-request", "r").send().await.unwrap();
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["headers"]["X-Client"], "c");
        assert_eq!(v["headers"]["X-Request"], "r");
        assert_eq!(v["headers"]["Accept"], "*/*");
    }
}

scenario! {
    async fn response_headers() {
        let r = Client::new().get(httpbin("/response-headers")).query(&[("X-Foo", "bar")]).send().await.unwrap();
        assert_eq!(r.headers()["x-foo"], "bar");
        r.bytes().await.unwrap();
    }
}

scenario! {
    async fn encoding_utf8() {
        let r = Client::new().get(httpbin("/encoding/utf8")).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains("∮ E⋅da = Q"), "utf-8 text decoded");
    }
}

scenario! {
    async fn status_418_is_a_response() {
        let r = Client::new().get(httpbin("/status/418")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(r.error_for_status_ref().unwrap_err().kind(), ferrohttp::ErrorKind::Status);
    }
}

scenario! {
    async fn redirect_is_not_followed_by_default() {
        let r = Client::new().get(httpbin("/redirect-to")).query(&[("url", "/get")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()["location"], "/get");
    }
}

scenario! {
    async fn head_request() {
        let r = Client::new().head(httpbin("/get")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.content_length().unwrap() > 0);
        let body = r.bytes().await.unwrap();
        assert!(body.is_empty());
    }
}

scenario! {
    async fn basic_auth() {
        let client = Client::new();
        let r = client.get(httpbin("/basic-auth/u/p")).basic_auth("u", "p").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["authenticated"], true);
        let r = client.get(httpbin("/basic-auth/u/p")).basic_auth("u", "wrong").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = client.get(httpbin("/hidden-basic-auth/u/p")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = client.get(httpbin("/hidden-basic-auth/u/p")).basic_auth("u", "p").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

scenario! {
    async fn digest_auth_variants() {
        for path in [
            "/digest-auth/auth/u/p/MD5",
            "/digest-auth/auth/u/p/SHA-256",
            "/digest-auth/auth/u/p/SHA-512",
            "/digest-auth/auth-int/u/p/MD5",
            "/digest-auth/auth-int/u/p/SHA-512",
        ] {
            let client = Client::builder().auth(ferrohttp::DigestAuth::new("u", "p")).build().unwrap();
            // The second request answers the remembered challenge at once.
            for round in 0..2 {
                let r = client.get(httpbin(path)).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{path} {round}");
                assert_eq!(r.history().len(), 1 - round, "{path} {round}: 401 round trips");
                let text = r.text().await.unwrap();
                assert_eq!(json(&text)["authenticated"], true, "{path}");
            }
        }
        let client = Client::builder().auth(ferrohttp::DigestAuth::new("u", "wrong")).build().unwrap();
        let r = client.get(httpbin("/digest-auth/auth/u/p/MD5")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a wrong password ends in the server's 401");
    }
}

scenario! {
    async fn redirect_endpoints() {
        let client = Client::builder().follow_redirects(true).build().unwrap();
        for (path, hops) in [("/redirect/5", 5), ("/relative-redirect/3", 3), ("/absolute-redirect/3", 3)] {
            let r = client.get(httpbin(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.history().len(), hops, "{path}");
            assert_eq!(r.url().path(), "/get", "{path}");
            r.bytes().await.unwrap();
        }
        let r = client
            .post(httpbin("/redirect-to"))
            .query(&[("url", "/post"), ("status_code", "307")])
            .body("kept")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["data"], "kept", "307 keeps method and body");
        let few = Client::builder().follow_redirects(true).max_redirects(2).build().unwrap();
        let e = few.get(httpbin("/redirect/5")).send().await.unwrap_err();
        assert_eq!(e.kind(), ferrohttp::ErrorKind::TooManyRedirects);
    }
}

#[cfg(feature = "cookies")]
scenario! {
    async fn cookie_endpoints() {
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client.get(httpbin("/cookies/set")).query(&[("a", "1"), ("b", "2")]).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["cookies"], serde_json::json!({"a": "1", "b": "2"}));
        let text = client.get(httpbin("/cookies")).send().await.unwrap().text().await.unwrap();
        assert_eq!(json(&text)["cookies"]["a"], "1");
        let r = client.get(httpbin("/cookies/delete")).query(&[("a", "")]).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(json(&text)["cookies"], serde_json::json!({"b": "2"}));
    }
}

scenario! {
    // A POST through a 302 or a 303 arrives as a GET without the form's
    // Content-Type (RFC 9110 §15.4); through a 307 it stays a POST with it.
    async fn content_type_goes_when_a_redirect_makes_a_get() {
        let client = Client::builder().follow_redirects(true).build().unwrap();
        for (code, kept) in [(302, false), (303, false), (307, true)] {
            let to = if kept { "/post" } else { "/get" };
            let url = httpbin(&format!("/redirect-to?url={to}&status_code={code}"));
            let r = client.post(url).form(&[("x", "1")]).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{code}");
            let text = r.text().await.unwrap();
            let v = json(&text);
            let ct = v["headers"].get("Content-Type");
            assert_eq!(ct.is_some(), kept, "{code}: {text}");
        }
    }
}

scenario! {
    async fn post_multipart_fields_and_files() {
        use ferrohttp::multipart::{Multipart, Part};
        let form = Multipart::new()
            .text("name", "value é")
            .part("upload", Part::bytes("file contents\n").file_name("notes.txt"))
            .part("stream", Part::reader(std::io::Cursor::new(b"streamed".to_vec()), None).file_name("s.bin"));
        let r = Client::new().post(httpbin("/post")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        let v = json(&text);
        assert_eq!(v["form"]["name"], "value é", "{text}");
        assert_eq!(v["files"]["upload"], "file contents\n", "{text}");
        assert_eq!(v["files"]["stream"], "streamed", "{text}");
        let ct = v["headers"]["Content-Type"].as_str().unwrap();
        assert!(ct.starts_with("multipart/form-data; boundary="), "{ct}");
    }
}
