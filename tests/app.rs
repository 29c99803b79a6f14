//! `AppTransport`: a blocking handler called in process by the blocking
//! client, with everything above the transport (redirects, cookies, mounts)
//! and the network's response rules (HEAD, Content-Length, decoding).

mod support;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferrohttp::{AppTransport, Body, Client, ErrorKind, StatusCode};
use support::{Reply, Server};

fn response(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> http::Response<Body> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.into()).unwrap()
}

fn client(app: AppTransport) -> Client {
    Client::builder().transport(app).build().unwrap()
}

#[test]
fn handler_sees_method_uri_headers_and_body() {
    let app = AppTransport::new(|req: http::Request<Body>| {
        let mut lines = vec![
            format!("{} {} {:?}", req.method(), req.uri(), req.version()),
            format!("host={:?}", req.headers().get("host")),
            format!("x-test={:?}", req.headers().get("x-test")),
            format!("content-length={:?}", req.headers().get("content-length")),
            format!("te={:?}", req.headers().get("transfer-encoding")),
        ];
        let mut body = String::new();
        req.into_body().read_to_string(&mut body).unwrap();
        lines.push(format!("body={body}"));
        response(200, &[], lines.join("\n"))
    });
    let c = client(app);

    let text = c
        .put("http://app.test:8080/a/b?x=1&y=%20")
        .header("x-test", "yes")
        .body("hello")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        text,
        "PUT /a/b?x=1&y=%20 HTTP/1.1\nhost=Some(\"app.test:8080\")\nx-test=Some(\"yes\")\n\
         content-length=Some(\"5\")\nte=None\nbody=hello"
    );

    // A GET without a body has no framing fields; a stream of unknown
    // length comes chunked, read by the handler as it arrives.
    let text = c.get("http://app.test/").send().unwrap().text().unwrap();
    assert!(
        text.starts_with("GET / HTTP/1.1\nhost=Some(\"app.test\")"),
        "{text}"
    );
    assert!(text.contains("content-length=None\nte=None"), "{text}");
    let data = vec![b'z'; 300_000];
    let text = c
        .post("http://app.test/up")
        .body(Body::new(std::io::Cursor::new(data.clone())))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(text.contains("te=Some(\"chunked\")"), "{text}");
    assert!(text.ends_with(&format!("body={}", "z".repeat(300_000))));
}

#[test]
fn root_path_strips_the_prefix_and_404s_outside_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = AppTransport::new(move |req: http::Request<Body>| {
        seen.fetch_add(1, Ordering::SeqCst);
        response(200, &[], req.uri().to_string())
    })
    .root_path("/api/");
    let c = client(app);
    let get = |url: &str| {
        let r = c.get(url).send().unwrap();
        (r.status(), r.text().unwrap())
    };
    assert_eq!(
        get("http://app.test/api/items?q=1"),
        (StatusCode::OK, "/items?q=1".into())
    );
    assert_eq!(get("http://app.test/api"), (StatusCode::OK, "/".into()));
    assert_eq!(get("http://app.test/api/"), (StatusCode::OK, "/".into()));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(get("http://app.test/apix").0, StatusCode::NOT_FOUND);
    assert_eq!(get("http://app.test/").0, StatusCode::NOT_FOUND);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "the handler is not called outside the root"
    );
}

#[test]
fn client_addr_is_a_request_extension() {
    let handler = |req: http::Request<Body>| {
        let addr = req.extensions().get::<SocketAddr>().copied();
        response(200, &[], format!("{addr:?}"))
    };
    let text = client(AppTransport::new(handler))
        .get("http://app.test/")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(text, "Some(127.0.0.1:123)");
    let addr: SocketAddr = "[::1]:4567".parse().unwrap();
    let text = client(AppTransport::new(handler).client_addr(addr))
        .get("http://app.test/")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(text, "Some([::1]:4567)");
}

#[test]
fn a_panicking_handler_is_an_app_error_or_a_500() {
    let handler = |req: http::Request<Body>| -> http::Response<Body> {
        if req.uri().path() == "/boom" {
            panic!("handler exploded on purpose");
        }
        response(200, &[], "fine")
    };
    let c = client(AppTransport::new(handler));
    let e = c.get("http://app.test/boom").send().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::App);
    assert!(e.to_string().contains("handler exploded on purpose"), "{e}");
    assert!(e.to_string().contains("http://app.test/boom"), "{e}");
    // The client is still usable afterwards.
    assert_eq!(
        c.get("http://app.test/ok").send().unwrap().text().unwrap(),
        "fine"
    );

    let c = client(AppTransport::new(handler).raise_app_panics(false));
    let r = c.get("http://app.test/boom").send().unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.text().unwrap(), "");
}

/// A reader that panics after its first chunk.
struct PanicsLater(bool);

impl Read for PanicsLater {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 {
            panic!("the body broke");
        }
        self.0 = true;
        buf[..4].copy_from_slice(b"part");
        Ok(4)
    }
}

#[test]
fn a_body_that_panics_while_read_fails_the_read() {
    let c = client(AppTransport::new(|_req: http::Request<Body>| {
        response(200, &[], Body::new(PanicsLater(false)))
    }));
    let mut r = c.get("http://app.test/").send().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(r.read(&mut buf).unwrap(), 4);
    let e = ferrohttp::Error::from(r.read(&mut buf).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::App);
    assert!(e.to_string().contains("the body broke"), "{e}");
    // The body stays failed.
    assert!(r.read(&mut buf).is_err());
}

#[test]
fn redirects_served_by_the_app_are_followed() {
    let app = AppTransport::new(|req: http::Request<Body>| match req.uri().path() {
        "/a" => response(302, &[("location", "/b")], ""),
        "/b" => response(307, &[("location", "http://app.test/c?from=b")], ""),
        "/c" => {
            let method = req.method().clone();
            let mut body = String::new();
            req.into_body().read_to_string(&mut body).unwrap();
            response(200, &[], format!("{method} /c body={body:?}"))
        }
        _ => response(404, &[], ""),
    });
    let c = Client::builder()
        .transport(app)
        .follow_redirects(true)
        .build()
        .unwrap();
    let r = c.post("http://app.test/a").body("payload").send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().as_str(), "http://app.test/c?from=b");
    let hops: Vec<String> = r.history().iter().map(|h| h.url().to_string()).collect();
    assert_eq!(hops, ["http://app.test/a", "http://app.test/b"]);
    // 302 turned the POST into a bodiless GET; 307 kept that.
    assert_eq!(r.text().unwrap(), "GET /c body=\"\"");
}

#[cfg(feature = "cookies")]
#[test]
fn cookies_set_by_the_app_are_sent_back() {
    let app = AppTransport::new(|req: http::Request<Body>| match req.uri().path() {
        "/login" => response(200, &[("set-cookie", "session=abc123; Path=/")], "ok"),
        _ => {
            let cookie = req
                .headers()
                .get("cookie")
                .map(|v| v.to_str().unwrap().to_owned());
            response(200, &[], format!("{cookie:?}"))
        }
    });
    let c = client(app);
    assert_eq!(
        c.get("http://app.test/me").send().unwrap().text().unwrap(),
        "None"
    );
    c.get("http://app.test/login").send().unwrap();
    assert_eq!(
        c.get("http://app.test/me").send().unwrap().text().unwrap(),
        "Some(\"session=abc123\")"
    );
}

#[test]
fn head_204_and_304_responses_have_no_body() {
    let c = client(AppTransport::new(|req: http::Request<Body>| {
        let status = match req.uri().path() {
            "/204" => 204,
            "/304" => 304,
            _ => 200,
        };
        response(status, &[("content-length", "11")], "hello world")
    }));
    let r = c.head("http://app.test/").send().unwrap();
    assert_eq!(r.headers()["content-length"], "11");
    assert_eq!(r.bytes().unwrap().len(), 0);
    for path in ["/204", "/304"] {
        let r = c.get(format!("http://app.test{path}")).send().unwrap();
        assert_eq!(r.bytes().unwrap().len(), 0, "{path}");
    }
    assert_eq!(
        c.get("http://app.test/").send().unwrap().text().unwrap(),
        "hello world"
    );
}

#[test]
fn content_encoding_from_the_app_is_decoded() {
    let original = "compressed by the app ".repeat(100);
    let gz = support::gzip(original.as_bytes());
    let c = client(AppTransport::new(move |_req: http::Request<Body>| {
        response(200, &[("content-encoding", "gzip")], gz.clone())
    }));
    let r = c.get("http://app.test/").send().unwrap();
    assert_eq!(r.text().unwrap(), original);
}

#[test]
fn a_body_that_does_not_match_its_content_length_is_an_error() {
    let c = client(AppTransport::new(|req: http::Request<Body>| {
        match req.uri().path() {
            // Known lengths are checked at once...
            "/known" => response(200, &[("content-length", "10")], "short"),
            // ...streams as they are read, either way.
            "/short" => response(200, &[("content-length", "10")], Body::new(&b"short"[..])),
            "/long" => response(
                200,
                &[("content-length", "3")],
                Body::new(&b"much longer"[..]),
            ),
            _ => response(200, &[("content-length", "bogus")], ""),
        }
    }));
    let e = c.get("http://app.test/known").send().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
    assert!(e.to_string().contains("Content-Length 10"), "{e}");
    for path in ["/short", "/long"] {
        let r = c.get(format!("http://app.test{path}")).send().unwrap();
        let e = r.bytes().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{path}: {e}");
    }
    let e = c.get("http://app.test/bad").send().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RemoteProtocol);
}

/// A reader that hands out numbered chunks and counts how many it gave.
struct Chunks {
    given: Arc<Mutex<usize>>,
    total: usize,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut given = self.given.lock().unwrap();
        if *given == self.total {
            return Ok(0);
        }
        *given += 1;
        let chunk = format!("chunk{given};");
        buf[..chunk.len()].copy_from_slice(chunk.as_bytes());
        Ok(chunk.len())
    }
}

#[test]
fn a_streaming_response_is_read_as_the_caller_reads() {
    let given = Arc::new(Mutex::new(0));
    let seen = given.clone();
    let c = client(AppTransport::new(move |_req: http::Request<Body>| {
        response(
            200,
            &[],
            Body::new(Chunks {
                given: seen.clone(),
                total: 3,
            }),
        )
    }));
    let mut r = c.get("http://app.test/").send().unwrap();
    assert_eq!(
        *given.lock().unwrap(),
        0,
        "nothing read before the caller reads"
    );
    assert_eq!(r.chunk().unwrap().unwrap(), "chunk1;");
    assert_eq!(*given.lock().unwrap(), 1);
    assert_eq!(r.text().unwrap(), "chunk2;chunk3;");
}

#[test]
fn mounts_send_one_host_to_the_app_and_the_rest_to_the_network() {
    let server = Server::http(|_| Reply::ok("from the network"));
    let c = Client::builder()
        .mount(
            "http://app.test",
            AppTransport::new(|_req: http::Request<Body>| response(200, &[], "from the app")),
        )
        .build()
        .unwrap();
    let app = c.get("http://app.test/x").send().unwrap();
    assert_eq!(app.text().unwrap(), "from the app");
    let net = c.get(server.url("/x")).send().unwrap();
    assert_eq!(net.text().unwrap(), "from the network");
    assert_eq!(server.requests().len(), 1);
    // The app's response knows the request it answers.
    let r = c.get("http://app.test/y").send().unwrap();
    assert_eq!(r.request().unwrap().url().as_str(), "http://app.test/y");
}

#[test]
fn base_url_hooks_and_a_digest_challenge_work_through_the_app() {
    let app = AppTransport::new(|req: http::Request<Body>| {
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        let tagged = req.headers().get("x-hooked").is_some();
        match auth {
            Some(a)
                if a.starts_with("Digest ")
                    && a.contains("username=\"user\"")
                    && a.contains("nonce=\"n0nce\"")
                    && a.contains("uri=\"/v1/private\"") =>
            {
                response(200, &[], format!("welcome, hooked={tagged}"))
            }
            _ => response(
                401,
                &[(
                    "www-authenticate",
                    "Digest realm=\"app\", nonce=\"n0nce\", qop=\"auth\", algorithm=SHA-256",
                )],
                "",
            ),
        }
    });
    let responses = Arc::new(AtomicUsize::new(0));
    let counted = responses.clone();
    let c = Client::builder()
        .base_url("http://app.test/v1/")
        .transport(app)
        .auth(ferrohttp::DigestAuth::new("user", "secret"))
        .on_request(|req| {
            req.headers_mut()
                .insert("x-hooked", http::HeaderValue::from_static("1"));
            Ok(())
        })
        .on_response(move |_r| {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .build()
        .unwrap();
    let r = c.get("private").send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().unwrap(), "welcome, hooked=true");
    assert_eq!(
        responses.load(Ordering::SeqCst),
        2,
        "the 401 and the answer"
    );
}
