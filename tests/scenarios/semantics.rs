// Client-semantics scenarios shared by both clients (included by tests/semantics.rs).

use crate::support::{Reply, Server};
use ferrohttp::{Auth, AuthFlow, AuthResponse, BasicAuth, DigestAuth, ErrorKind, Method, MockTransport, Request, StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn redirect(status: u16, location: &str) -> Reply {
    Reply::raw(format!("HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 5\r\n\r\nmoved"))
}

/// A server where `/r/N` redirects to `/r/N-1` and `/r/0` answers "done".
fn chain_server() -> Server {
    Server::http(|req| match req.target.strip_prefix("/r/") {
        Some("0") => Reply::ok("done"),
        Some(n) => redirect(302, &format!("/r/{}", n.parse::<u32>().unwrap() - 1)),
        None => Reply::ok("other"),
    })
}

scenario! {
    async fn redirects_are_not_followed_by_default() {
        let server = chain_server();
        let client = Client::new();
        let mut r = client.get(server.url("/r/1")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert!(r.history().is_empty());
        let next = r.take_next_request().expect("next_request");
        assert_eq!(next.url().path(), "/r/0");
        let r = client.send(next).await.unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "done");
    }
}

scenario! {
    async fn redirect_chain_with_history() {
        let server = chain_server();
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client.get(server.url("/r/3")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.url().path(), "/r/0");
        let statuses: Vec<u16> = r.history().iter().map(|h| h.status().as_u16()).collect();
        assert_eq!(statuses, [302, 302, 302]);
        let paths: Vec<&str> = r.history().iter().map(|h| h.url().path()).collect();
        assert_eq!(paths, ["/r/3", "/r/2", "/r/1"]);
        let got = r.text().await.unwrap();
        assert_eq!(got, "done");
        assert_eq!(server.connections(), 1, "redirect bodies are read, the connection reused");
        // Per request: off.
        let r = client.get(server.url("/r/1")).follow_redirects(false).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
    }
}

scenario! {
    async fn too_many_redirects() {
        let server = Server::http(|_| redirect(302, "/loop"));
        let client = Client::builder().follow_redirects(true).max_redirects(3).build().unwrap();
        let e = client.get(server.url("/loop")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooManyRedirects, "{e:?}");
        assert_eq!(server.requests().len(), 4, "the first request and three redirects");
    }
}

scenario! {
    async fn method_and_body_rules() {
        let server = Server::http(|req| match req.target.as_str() {
            "/302" => redirect(302, "/echo"),
            "/303" => redirect(303, "/echo"),
            "/307" => redirect(307, "/echo"),
            "/308" => redirect(308, "/echo"),
            _ => Reply::ok(format!("{} {}", req.method, String::from_utf8_lossy(&req.body))),
        });
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let cases = [("POST", "/302", "GET "), ("PUT", "/303", "GET "), ("POST", "/307", "POST data"), ("PUT", "/308", "PUT data")];
        for (method, path, expect) in cases {
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let r = client.request(m, server.url(path)).body("data").send().await.unwrap();
            let got = r.text().await.unwrap();
            assert_eq!(got, expect, "{method} {path}");
        }
        let reqs = server.requests();
        let after_302 = &reqs[1];
        assert_eq!(after_302.header("content-length"), None, "no body after POST became GET");
        // A streamed body cannot be sent again for a 307.
        let e = client.post(server.url("/307")).body(stream_body(b"stream".to_vec())).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StreamConsumed, "{e:?}");
    }
}

scenario! {
    // RFC 9110 §15.4: when a redirect turns the method into GET, the
    // content's own fields go with the body, whoever set them (a form's
    // Content-Type set by the client, others by the caller); 307 and 308
    // keep method, body and every field.
    async fn content_fields_go_when_the_method_becomes_get() {
        let server = Server::http(|req| match req.target.as_str() {
            "/301" => redirect(301, "/echo"),
            "/302" => redirect(302, "/echo"),
            "/303" => redirect(303, "/echo"),
            "/307" => redirect(307, "/echo"),
            "/308" => redirect(308, "/echo"),
            _ => Reply::ok("echo"),
        });
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let content = ["content-type", "content-length", "content-encoding", "content-language", "content-location", "digest", "last-modified"];
        let cases = [("POST", "/301", false), ("POST", "/302", false), ("POST", "/303", false), ("PUT", "/303", false), ("POST", "/307", true), ("PUT", "/308", true)];
        for (method, path, kept) in cases {
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let r = client
                .request(m, server.url(path))
                .form(&[("a", "1")])
                .header("Content-Encoding", "identity")
                .header("Content-Language", "en")
                .header("Content-Location", "/doc")
                .header("Digest", "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
                .header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                .header("X-Other", "stays")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let last = server.requests().pop().unwrap();
            for name in content {
                assert_eq!(last.header(name).is_some(), kept, "{method} {path}: {name} in {:?}", last.raw_head);
            }
            assert_eq!(last.header("x-other"), Some("stays"), "{method} {path}");
            assert_eq!(last.method, if kept { method } else { "GET" }, "{method} {path}");
        }
    }
}

scenario! {
    async fn relative_and_scheme_relative_locations() {
        let server = Server::http(|req| match req.target.as_str() {
            "/a/start" => redirect(301, "next"),
            "/a/next" => redirect(301, &format!("//{}/final", req.header("host").unwrap())),
            "/final" => Reply::ok("arrived"),
            _ => Reply::ok("?"),
        });
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client.get(server.url("/a/start")).send().await.unwrap();
        assert_eq!(r.url().path(), "/final");
        let got = r.text().await.unwrap();
        assert_eq!(got, "arrived");
    }
}

scenario! {
    async fn credentials_never_cross_origins() {
        let other = Server::http(|_| Reply::ok("other origin"));
        let other_url = other.url("/landing");
        let first = Server::http(move |_| redirect(302, &other_url));
        let client = Client::builder()
            .follow_redirects(true)
            .auth(BasicAuth::new("user", "secret"))
            .build()
            .unwrap();
        let r = client
            .get(first.url("/start"))
            .header("proxy-authorization", "Basic cHJveHk6cHc=")
            .send()
            .await
            .unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "other origin");
        assert!(first.requests()[0].header("authorization").is_some(), "the first origin gets them");
        let landed = &other.requests()[0];
        assert_eq!(landed.header("authorization"), None, "the second origin must never see Authorization");
        assert_eq!(landed.header("proxy-authorization"), None);
    }
}

scenario! {
    // RFC 6265: the Cookie header lists the longest path first, then the
    // oldest (§5.4); values go back as the bytes came (UTF-8 here); Expires
    // in any of the date forms servers send (§5.1.1) deletes.
    async fn cookie_order_utf8_values_and_loose_dates() {
        let server = Server::http(|req| match req.target.as_str() {
            "/set" => Reply::raw("HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nSet-Cookie: foo=春节回家路\r\nSet-Cookie: deep=3; Path=/x\r\nSet-Cookie: p=4; Expires=Thursday, 01-Jan-99 00:00:00 GMT\r\nSet-Cookie: q=5; Expires=Wed, 1 Jan 2098 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n"),
            "/unset" => Reply::raw("HTTP/1.1 200 OK\r\nSet-Cookie: a=; Expires=Thu Jan 1 00:00:00 1970\r\nSet-Cookie: q=; Expires=Wed, 1 Jan 2020 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n"),
            _ => Reply::ok(req.header("cookie").unwrap_or("-")),
        });
        let client = Client::new();
        client.get(server.url("/set")).send().await.unwrap().bytes().await.unwrap();
        let got = client.get(server.url("/x/page")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "deep=3; a=1; b=2; foo=春节回家路; q=5");
        client.get(server.url("/unset")).send().await.unwrap().bytes().await.unwrap();
        let got = client.get(server.url("/x/page")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "deep=3; b=2; foo=春节回家路");
    }
}

scenario! {
    async fn cookies_across_requests_and_redirects() {
        let server = Server::http(|req| match req.target.as_str() {
            "/login" => Reply::raw("HTTP/1.1 302 Found\r\nLocation: /home\r\nSet-Cookie: session=abc; Path=/\r\nContent-Length: 0\r\n\r\n"),
            "/home" => Reply::ok(format!("cookie: {}", req.header("cookie").unwrap_or("-"))),
            "/logout" => Reply::raw("HTTP/1.1 200 OK\r\nSet-Cookie: session=; Max-Age=0; Path=/\r\nContent-Length: 0\r\n\r\n"),
            _ => Reply::ok(format!("cookie: {}", req.header("cookie").unwrap_or("-"))),
        });
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client.get(server.url("/login")).send().await.unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "cookie: session=abc", "the redirect's Set-Cookie reaches the next hop");
        let got = client.get(server.url("/page")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "cookie: session=abc");
        let got = client.get(server.url("/page")).cookies(&[("extra", "1")]).send().await.unwrap().text().await.unwrap();
        assert!(got.contains("session=abc") && got.contains("extra=1"), "{got}");
        let got = client.get(server.url("/page")).cookies(&[("session", "mine")]).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "cookie: session=mine", "the request's cookie replaces the jar's");
        assert_eq!(client.cookies().get("session", "127.0.0.1", "/").as_deref(), Some("abc"));
        client.get(server.url("/logout")).send().await.unwrap().bytes().await.unwrap();
        let got = client.get(server.url("/page")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "cookie: -");
        client.cookies().set("manual", "1", "127.0.0.1", "/");
        let got = client.get(server.url("/page")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "cookie: manual=1");
    }
}

/// A token flow: sends the current token; on 401 refreshes it once (by a
/// call the flow makes itself) and sends the request again.
#[derive(Clone)]
struct TokenAuth {
    token: Arc<Mutex<String>>,
    refreshes: Arc<AtomicUsize>,
}

struct TokenFlow {
    auth: TokenAuth,
    request: Option<Request>,
    retried: bool,
}

impl Auth for TokenAuth {
    fn requires_response_body(&self) -> bool {
        true
    }
    fn auth_flow(&self, request: Request) -> Box<dyn AuthFlow> {
        Box::new(TokenFlow { auth: self.clone(), request: Some(request), retried: false })
    }
}

impl TokenFlow {
    fn with_token(&self, mut req: Request) -> Request {
        let v = format!("Bearer {}", self.auth.token.lock().unwrap());
        req.headers_mut().insert("authorization", v.parse().unwrap());
        req
    }
}

impl AuthFlow for TokenFlow {
    fn next(&mut self, response: Option<&AuthResponse>) -> ferrohttp::Result<Option<Request>> {
        match response {
            None => {
                let req = self.request.take().unwrap();
                self.request = req.try_clone();
                Ok(Some(self.with_token(req)))
            }
            Some(r) if r.status() == 401 && !self.retried => {
                assert_eq!(r.body(), Some(&b"expired"[..]), "the flow sees the body it asked for");
                self.retried = true;
                self.auth.refreshes.fetch_add(1, Ordering::SeqCst);
                *self.auth.token.lock().unwrap() = "fresh".into();
                Ok(self.request.take().map(|r| self.with_token(r)))
            }
            Some(_) => Ok(None),
        }
    }
}

scenario! {
    async fn custom_auth_flow_refreshes_a_token() {
        let server = Server::http(|req| {
            if req.header("authorization") == Some("Bearer fresh") {
                Reply::ok(format!("hello {}", String::from_utf8_lossy(&req.body)))
            } else {
                Reply::raw("HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nexpired")
            }
        });
        let auth = TokenAuth { token: Arc::new(Mutex::new("stale".into())), refreshes: Arc::default() };
        let client = Client::builder().auth(auth.clone()).build().unwrap();
        let r = client.post(server.url("/api")).body("payload").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.history().len(), 1, "the 401 is in the history");
        assert_eq!(r.history()[0].status(), StatusCode::UNAUTHORIZED);
        let got = r.text().await.unwrap();
        assert_eq!(got, "hello payload");
        assert_eq!(auth.refreshes.load(Ordering::SeqCst), 1);
        // The token stays fresh: no refresh next time.
        client.get(server.url("/api")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(auth.refreshes.load(Ordering::SeqCst), 1);
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn closures_and_per_request_auth() {
        let server = Server::http(|req| Reply::ok(req.header("authorization").unwrap_or("-")));
        let client = Client::builder()
            .auth(|req: &mut Request| {
                req.headers_mut().insert("authorization", "Signed xyz".parse().unwrap());
            })
            .build()
            .unwrap();
        let got = client.get(server.url("/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "Signed xyz");
        let got = client.get(server.url("/")).basic_auth("a", "b").send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "Basic YTpi", "per-request auth replaces the client's");
        let got = client.get(server.url("/")).bearer_auth("t0k").send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "Bearer t0k");
        // A built request takes its auth when sent (httpx's send(auth=)); a
        // builder's auth cannot ride in a Request, and build() says so.
        let request = client.get(server.url("/")).build().unwrap();
        let r = client.send_with_auth(request, ferrohttp::BasicAuth::new("c", "d")).await.unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "Basic Yzpk");
        let e = client.get(server.url("/")).basic_auth("a", "b").build().unwrap_err();
        assert_eq!(e.kind(), ferrohttp::ErrorKind::Config);
        assert!(e.to_string().contains("send_with_auth"), "{e}");
        // Credentials in the URL become Basic auth and leave the URL.
        let url = server.url("/").replace("http://", "http://us%20er:p%40ss@");
        let got = Client::new().get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(got, format!("Basic {}", "dXMgZXI6cEBzcw=="));
        assert!(!server.requests().last().unwrap().raw_head.contains("p@ss"));
    }
}

scenario! {
    async fn digest_challenge_response_and_stale() {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen2 = seen.clone();
        let mock = MockTransport::new(move |req| {
            let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_string());
            let n = {
                let mut s = seen2.lock().unwrap();
                s.push(auth.clone().unwrap_or_default());
                s.len()
            };
            let challenge = |stale: bool| {
                ferrohttp::Response::from(
                    http::Response::builder()
                        .status(401)
                        .header("www-authenticate", r#"Basic realm="x""#)
                        .header(
                            "www-authenticate",
                            format!(r#"Digest realm="r", nonce="n{n}", qop="auth", opaque="op", algorithm=MD5{}"#, if stale { ", stale=true" } else { "" }),
                        )
                        .header(
                            "www-authenticate",
                            format!(r#"Digest realm="r", nonce="s{n}", qop="auth", algorithm=SHA-256{}"#, if stale { ", stale=TRUE" } else { "" }),
                        )
                        .body("")
                        .unwrap(),
                )
            };
            match n {
                1 => challenge(false),
                2 => challenge(true), // the nonce went stale: answer again
                _ => ferrohttp::Response::from(http::Response::builder().status(200).body("in").unwrap()),
            }
        });
        let client = Client::builder().transport(mock).auth(DigestAuth::new("Mufasa", "Circle of Life")).build().unwrap();
        let r = client.get("http://mock.test/dir/index.html?x=1").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], "", "the first request goes without credentials");
        for answer in &seen[1..] {
            assert!(answer.starts_with("Digest "), "{answer}");
            assert!(answer.contains(r#"username="Mufasa""#), "{answer}");
            assert!(answer.contains(r#"uri="/dir/index.html?x=1""#), "{answer}");
            assert!(answer.contains("algorithm=SHA-256"), "the strongest challenge: {answer}");
            assert!(answer.contains("qop=auth, nc=00000001, cnonce="), "{answer}");
        }
    }
}

scenario! {
    // After one Digest exchange, later requests to the origin answer the
    // remembered challenge at once with the next nonce count (httpx); a
    // stale nonce then is answered afresh; another origin gets nothing.
    async fn digest_challenge_is_reused_with_the_next_nc() {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let nonce = Arc::new(Mutex::new("n1".to_string()));
        let (seen2, nonce2) = (seen.clone(), nonce.clone());
        let mock = MockTransport::new(move |req| {
            let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            seen2.lock().unwrap().push(format!("{} {auth}", req.url().host_str().unwrap()));
            let current = nonce2.lock().unwrap().clone();
            let answered_current = auth.contains(&format!(r#"nonce="{current}""#));
            if answered_current {
                return ferrohttp::Response::from(http::Response::builder().status(200).body("ok").unwrap());
            }
            let stale = if auth.is_empty() { "" } else { ", stale=true" };
            ferrohttp::Response::from(
                http::Response::builder()
                    .status(401)
                    .header("www-authenticate", format!(r#"Digest realm="r", nonce="{current}", qop="auth", algorithm=SHA-512{stale}"#))
                    .body("")
                    .unwrap(),
            )
        });
        let client = Client::builder().transport(mock).auth(DigestAuth::new("u", "p")).build().unwrap();
        for _ in 0..3 {
            let r = client.get("http://a.test/x").send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        // The server moves to a new nonce: the remembered answer gets a
        // stale 401 and is answered afresh, from nc 1.
        *nonce.lock().unwrap() = "n2".to_string();
        let r = client.get("http://a.test/y").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = client.get("http://b.test/").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let seen = seen.lock().unwrap().clone();
        let summary: Vec<String> = seen
            .iter()
            .map(|s| {
                let host = s.split(' ').next().unwrap();
                let nonce = s.split(r#"nonce=""#).nth(1).map_or("-", |r| r.split('"').next().unwrap());
                let nc = s.split("nc=").nth(1).map_or("-", |r| &r[..8]);
                format!("{host} {nonce} {nc}")
            })
            .collect();
        assert_eq!(
            summary,
            [
                "a.test - -",               // the first request: no credentials
                "a.test n1 00000001",       // the answer
                "a.test n1 00000002",       // answered at once
                "a.test n1 00000003",
                "a.test n1 00000004",       // refused as stale ...
                "a.test n2 00000001",       // ... answered afresh
                "b.test - -",               // another origin: nothing remembered
                "b.test n2 00000001",
            ],
            "{seen:#?}"
        );
        assert!(seen[1].contains("algorithm=SHA-512,"), "{}", seen[1]);
    }
}

scenario! {
    // httpx's URL rules: a path segment with a colon stays a path under
    // base_url; a redirect to `http://:PORT/...` (empty host) keeps the
    // request's host.
    async fn base_url_colon_paths_and_redirects_without_a_host() {
        let server = Server::http(|req| match req.target.as_str() {
            "/hop" => Reply::raw(format!(
                "HTTP/1.1 302 Found\r\nLocation: http://:{}/api/done\r\nContent-Length: 0\r\n\r\n",
                req.header("host").unwrap().rsplit(':').next().unwrap()
            )),
            other => Reply::ok(other),
        });
        let client = Client::builder().base_url(server.url("/api")).follow_redirects(true).build().unwrap();
        let got = client.get("/testing:123").send().await.unwrap().text().await.unwrap();
        assert_eq!(got, "/api/testing:123");
        let r = client.get(server.url("/hop")).send().await.unwrap();
        assert_eq!(r.url().as_str(), server.url("/api/done"));
        let got = r.text().await.unwrap();
        assert_eq!(got, "/api/done");
    }
}

scenario! {
    async fn digest_without_supported_algorithm_is_an_error() {
        let mock = MockTransport::new(|_| {
            ferrohttp::Response::from(
                http::Response::builder()
                    .status(401)
                    .header("www-authenticate", r#"Digest realm="r", nonce="n", algorithm=SHA3-512"#)
                    .body("")
                    .unwrap(),
            )
        });
        let client = Client::builder().transport(mock).auth(DigestAuth::new("u", "p")).build().unwrap();
        let e = client.get("http://mock.test/").send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LocalProtocol, "{e:?}");
        assert!(e.to_string().contains("SHA3-512"), "{e}");
    }
}

scenario! {
    async fn hooks_run_in_order_on_every_hop() {
        let server = chain_server();
        let order: Arc<Mutex<Vec<String>>> = Arc::default();
        let (o1, o2, o3) = (order.clone(), order.clone(), order.clone());
        let client = Client::builder()
            .follow_redirects(true)
            .on_request(move |req| {
                o1.lock().unwrap().push(format!("req1 {}", req.url().path()));
                req.headers_mut().insert("x-hook", "1".parse().unwrap());
                Ok(())
            })
            .on_request(move |req| {
                o2.lock().unwrap().push(format!("req2 {}", req.url().path()));
                Ok(())
            })
            .on_response(move |resp| {
                o3.lock().unwrap().push(format!("resp {}", resp.status().as_u16()));
                resp.headers_mut().insert("x-seen", "yes".parse().unwrap());
                Ok(())
            })
            .build()
            .unwrap();
        let r = client.get(server.url("/r/1")).send().await.unwrap();
        assert_eq!(r.headers()["x-seen"], "yes");
        assert_eq!(
            order.lock().unwrap().clone(),
            ["req1 /r/1", "req2 /r/1", "resp 302", "req1 /r/0", "req2 /r/0", "resp 200"]
        );
        assert!(server.requests().iter().all(|r| r.header("x-hook") == Some("1")));
        // An Err from a hook aborts the request with that error.
        let failing = Client::builder()
            .on_request(|_| Err(ferrohttp::Error::new(ErrorKind::LocalProtocol, "blocked by policy")))
            .build()
            .unwrap();
        let e = failing.get(server.url("/r/0")).send().await.unwrap_err();
        assert_eq!(e.to_string(), "blocked by policy");
    }
}

scenario! {
    async fn http10_request_line() {
        let server = Server::http(|_| Reply::close("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let r = Client::new().get(server.url("/")).version(ferrohttp::Version::HTTP_10).send().await.unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "ok");
        assert!(server.requests()[0].raw_head.starts_with("GET / HTTP/1.0\r\n"));
        let e = Client::new().get(server.url("/")).version(ferrohttp::Version::HTTP_2).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedProtocol);
    }
}

/// An auth that signs the request body: it asks for the body in memory.
struct BodySigner;

impl Auth for BodySigner {
    fn requires_request_body(&self) -> bool {
        true
    }
    fn auth_flow(&self, mut request: Request) -> Box<dyn AuthFlow> {
        let body = request.body().as_bytes().expect("buffered for the flow").to_vec();
        let sig = format!("len={} first={}", body.len(), body.first().copied().unwrap_or(0));
        request.headers_mut().insert("x-signature", sig.parse().unwrap());
        Box::new(Once(Some(request)))
    }
}

struct Once(Option<Request>);

impl AuthFlow for Once {
    fn next(&mut self, _: Option<&AuthResponse>) -> ferrohttp::Result<Option<Request>> {
        Ok(self.0.take())
    }
}

scenario! {
    async fn auth_gets_a_streamed_body_in_memory() {
        let server = Server::http(|req| Reply::ok(format!("{} {}", req.header("x-signature").unwrap_or("-"), req.body.len())));
        let client = Client::builder().auth(BodySigner).build().unwrap();
        let r = client.post(server.url("/")).body(stream_body(vec![7u8; 1000])).send().await.unwrap();
        let got = r.text().await.unwrap();
        assert_eq!(got, "len=1000 first=7 1000");
        assert!(!server.requests()[0].chunked, "buffered, so sent with a length");
    }
}

scenario! {
    async fn response_carries_the_request_it_answers() {
        let server = Server::http(|req| match req.target.as_str() {
            "/login" => Reply::raw("HTTP/1.1 302 Found\r\nLocation: /home\r\nSet-Cookie: s=1; Path=/\r\nContent-Length: 0\r\n\r\n"),
            _ => Reply::ok("home"),
        });
        let client = Client::builder().follow_redirects(true).header("x-default", "d").build().unwrap();
        let r = client.post(server.url("/login")).basic_auth("u", "p").body("data").send().await.unwrap();
        let sent = r.request().expect("the request");
        // 302 turns the POST into a GET without a body, and the jar's cookie goes along.
        assert_eq!(sent.method(), Method::GET);
        assert_eq!(sent.url().path(), "/home");
        assert_eq!(sent.headers()["cookie"], "s=1");
        assert_eq!(sent.headers()["x-default"], "d");
        assert!(sent.headers().contains_key("authorization"), "same origin keeps credentials");
        // Debug output hides the secrets: the request's credentials and
        // cookie; the response's shows its status line, not its connection.
        let shown = format!("{sent:?}");
        assert!(shown.contains("/home") && shown.contains("Sensitive"), "{shown}");
        assert!(!shown.contains("s=1") && !shown.contains("Basic "), "{shown}");
        let shown = format!("{r:?}");
        assert!(shown.contains("/home") && shown.contains("200"), "{shown}");
        assert!(shown.len() < 500, "{shown}");
        let first = r.history()[0].request().expect("the first request");
        assert_eq!(first.method(), Method::POST);
        assert_eq!(first.url().path(), "/login");
        assert!(first.headers().get("cookie").is_none());
        assert_eq!(first.body().len(), Some(0), "a sent request keeps no body");
        // A response made by hand has none until a client sends it.
        let made: ferrohttp::Response = ferrohttp::http::Response::new("x").into();
        assert!(made.request().is_none());
        assert_eq!(made.url().as_str(), "about:blank");
    }
}

/// A user's transport around the default one: counts requests and rewrites
/// nothing, returning the inner transport's responses as they are.
#[derive(Debug)]
struct Counting {
    inner: Transport,
    seen: Arc<Mutex<Vec<String>>>,
}

#[maybe]
impl TransportTrait for Counting {
    async fn handle_request(&self, request: Request) -> ferrohttp::Result<Response> {
        self.seen.lock().unwrap().push(format!("{} {}", request.method(), request.url().path()));
        self.inner.handle_request(request).await
    }
}

scenario! {
    async fn custom_transport_wraps_the_default_one() {
        let server = chain_server();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = Client::builder()
            .transport(Counting { inner: Transport::new(), seen: seen.clone() })
            .follow_redirects(true)
            .build()
            .unwrap();
        let r = client.get(server.url("/r/2")).send().await.unwrap();
        assert_eq!(r.url().path(), "/r/0");
        assert_eq!(r.request().expect("request").url().path(), "/r/0");
        let paths: Vec<&str> = r.history().iter().map(|h| h.request().unwrap().url().path()).collect();
        assert_eq!(paths, ["/r/2", "/r/1"]);
        let got = r.text().await.unwrap();
        assert_eq!(got, "done");
        assert_eq!(*seen.lock().unwrap(), ["GET /r/2", "GET /r/1", "GET /r/0"]);
        assert_eq!(server.connections(), 1, "the inner transport's pool is used");
    }
}
