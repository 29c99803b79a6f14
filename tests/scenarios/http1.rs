// HTTP/1.1 scenarios shared by both clients (included by tests/http1.rs,
// where `Client`, `Response`, `read_to_end`, `stream_body`, `sized_body`
// and `scenario!` are bound for one client type).

#[allow(unused_imports, reason = "not every scenario uses every name")]
use crate::support::{gzip, read_request_head, response_with, zlib, Blackhole, Reply, Server};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::{ErrorKind, Limits, MockTransport, StatusCode, Timeout, Version};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use std::time::Duration;

scenario! {
    async fn get_sends_exact_head_and_reads_body() {
        let server = Server::http(|_| Reply::ok("hello"));
        let r = Client::new().get(server.url("/a/b?x=1")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.version(), Version::HTTP_11);
        assert_eq!(r.headers()["content-length"], "5");
        assert_eq!(r.url().path(), "/a/b");
        let got1 = r.text().await.unwrap();
        assert_eq!(got1, "hello");
        let req = &server.requests()[0];
        let expected = format!(
            "GET /a/b?x=1 HTTP/1.1\r\nhost: {}\r\nuser-agent: ferrohttp/{}\r\naccept: */*\r\naccept-encoding: {}\r\n\r\n",
            server.addr(),
            env!("CARGO_PKG_VERSION"),
            ferrohttp::proto::decode::ACCEPT_ENCODING,
        );
        assert_eq!(req.raw_head, expected);
    }
}

scenario! {
    async fn post_bytes_form_and_json() {
        let server = Server::http(|req| Reply::ok(req.body.clone()));
        let client = Client::new();
        let r = client.post(server.url("/b")).body("raw bytes").send().await.unwrap();
        let got2 = r.bytes().await.unwrap();
        assert_eq!(got2, "raw bytes");
        let r = client.post(server.url("/f")).form(&[("a", "1 2"), ("b", "&")]).send().await.unwrap();
        let got3 = r.text().await.unwrap();
        assert_eq!(got3, "a=1+2&b=%26");
        #[cfg(feature = "json")]
        {
            let r = client.put(server.url("/j")).json(&serde_json::json!({"k": [1, 2]})).send().await.unwrap();
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v, serde_json::json!({"k": [1, 2]}));
        }
        let reqs = server.requests();
        assert_eq!(reqs[0].method, "POST");
        assert_eq!(reqs[0].header("content-length"), Some("9"));
        assert_eq!(reqs[1].header("content-type"), Some("application/x-www-form-urlencoded"));
        if cfg!(feature = "json") {
            assert_eq!(reqs[2].method, "PUT");
            assert_eq!(reqs[2].header("content-type"), Some("application/json"));
        }
        // All on one kept-alive connection.
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn empty_post_sends_content_length_zero() {
        let server = Server::http(|_| Reply::ok(""));
        let client = Client::new();
        client.post(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        let reqs = server.requests();
        assert_eq!(reqs[0].header("content-length"), Some("0"));
        assert_eq!(reqs[1].header("content-length"), None);
    }
}

scenario! {
    async fn streaming_upload_unknown_length_is_chunked() {
        let server = Server::http(|req| Reply::ok(format!("{}", req.body.len())));
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let r = Client::new().post(server.url("/up")).body(stream_body(data.clone())).send().await.unwrap();
        let got4 = r.text().await.unwrap();
        assert_eq!(got4, "300000");
        let req = &server.requests()[0];
        assert!(req.chunked);
        assert_eq!(req.header("content-length"), None);
        assert_eq!(req.body, data);
    }
}

scenario! {
    async fn streaming_upload_known_length() {
        let server = Server::http(|req| Reply::ok(format!("{}", req.body.len())));
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 13) as u8).collect();
        let r = Client::new().post(server.url("/up")).body(sized_body(data.clone())).send().await.unwrap();
        let got5 = r.text().await.unwrap();
        assert_eq!(got5, "200000");
        let req = &server.requests()[0];
        assert!(!req.chunked);
        assert_eq!(req.header("content-length"), Some("200000"));
        assert_eq!(req.body, data);
    }
}

scenario! {
    async fn sized_body_shorter_than_declared_is_an_error() {
        let server = Server::raw(|stream, _| {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            while std::io::Read::read(&mut s, &mut buf).unwrap_or(0) > 0 {}
        });
        let body = ferrohttp::Body::sized(std::io::Cursor::new(vec![1u8; 10]), 20);
        let e = Client::new().post(server.url("/")).body(body).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RequestBody);
        assert!(e.to_string().contains("10 of its declared 20"), "{e}");
    }
}

scenario! {
    async fn head_has_no_body_and_connection_is_reused() {
        let server = Server::http(|req| {
            if req.method == "HEAD" {
                Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            } else {
                Reply::ok("after head")
            }
        });
        let client = Client::new();
        let r = client.head(server.url("/")).send().await.unwrap();
        assert_eq!(r.content_length(), Some(1000));
        let got6 = r.bytes().await.unwrap().is_empty();
        assert!(got6);
        let r = client.get(server.url("/")).send().await.unwrap();
        let got7 = r.text().await.unwrap();
        assert_eq!(got7, "after head");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn chunked_body_with_trailers() {
        let server = Server::http(|_| {
            Reply::raw(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n\
                 5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Checksum: abc\r\n\r\n",
            )
        });
        let client = Client::new();
        let mut r = client.get(server.url("/")).send().await.unwrap();
        assert!(r.trailers().is_none());
        let body = read_to_end(&mut r).await.unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(r.trailers().unwrap()["x-checksum"], "abc");
        assert_eq!(r.num_bytes_downloaded(), 11);
        // The connection went back to the pool after the last chunk.
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn close_delimited_body() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\n\r\nuntil close"));
        let client = Client::new();
        for _ in 0..2 {
            let r = client.get(server.url("/")).send().await.unwrap();
            let got8 = r.text().await.unwrap();
            assert_eq!(got8, "until close");
        }
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn http10_response_closes_connection() {
        let server = Server::http(|_| Reply::close("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let client = Client::new();
        for _ in 0..2 {
            let r = client.get(server.url("/")).send().await.unwrap();
            assert_eq!(r.version(), Version::HTTP_10);
            let got9 = r.text().await.unwrap();
            assert_eq!(got9, "ok");
        }
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn gzip_and_deflate_bodies_are_decoded() {
        let text = "a fairly compressible text ".repeat(200);
        let gz = gzip(text.as_bytes());
        let df = zlib(text.as_bytes());
        let gz_len = gz.len() as u64;
        let server = Server::http(move |req| {
            let (coding, body) = if req.target == "/gzip" { ("gzip", &gz) } else { ("deflate", &df) };
            Reply::Raw(response_with("200 OK", &[&format!("Content-Encoding: {coding}")], body))
        });
        let client = Client::new();
        let mut r = client.get(server.url("/gzip")).send().await.unwrap();
        let got10 = read_to_end(&mut r).await.unwrap();
        assert_eq!(got10, text.as_bytes());
        assert_eq!(r.num_bytes_downloaded(), gz_len, "counts wire bytes, before decoding");
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let r = client.get(server.url("/deflate")).send().await.unwrap();
        let got11 = r.text().await.unwrap();
        assert_eq!(got11, text);
    }
}

scenario! {
    async fn corrupt_gzip_is_a_decoding_error() {
        let server = Server::http(|_| {
            Reply::Raw(response_with("200 OK", &["Content-Encoding: gzip"], b"\x1f\x8b\x08\x00garbage-garbage"))
        });
        let e = Client::new().get(server.url("/")).send().await.unwrap().bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decoding);
    }
}

scenario! {
    async fn informational_responses_are_skipped() {
        let server = Server::http(|_| {
            Reply::raw(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n\
                 HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone",
            )
        });
        let r = Client::new().post(server.url("/")).body("x").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        assert!(r.headers().get("link").is_none());
        let got12 = r.text().await.unwrap();
        assert_eq!(got12, "done");
    }
}

scenario! {
    async fn keep_alive_reuses_one_connection() {
        let server = Server::http(|req| Reply::ok(req.target.clone()));
        let client = Client::new();
        for i in 0..5 {
            let r = client.get(server.url(&format!("/{i}"))).send().await.unwrap();
            let got13 = r.text().await.unwrap();
            assert_eq!(got13, format!("/{i}"));
        }
        assert_eq!(server.connections(), 1);
        // Clones share the pool.
        let clone = client.clone();
        clone.get(server.url("/c")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn connection_close_is_honoured() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"));
        let client = Client::new();
        for _ in 0..3 {
            client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(server.connections(), 3);
        // A request asking for close gets a fresh connection each time too.
        let server = Server::http(|_| Reply::ok("ok"));
        for _ in 0..2 {
            client.get(server.url("/")).header("connection", "close").send().await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn unread_body_closes_its_connection() {
        let server = Server::http(|_| Reply::ok(vec![b'x'; 100_000]));
        let client = Client::new();
        let r = client.get(server.url("/")).send().await.unwrap();
        drop(r);
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn stale_keep_alive_connection_is_retried() {
        // The server answers one request per connection, without saying
        // `Connection: close`, and then closes: every reuse finds it stale.
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let client = Client::new();
        for _ in 0..5 {
            let r = client.get(server.url("/")).send().await.unwrap();
            let got14 = r.text().await.unwrap();
            assert_eq!(got14, "ok");
            // Let the close reach the client before the next request.
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(server.requests().len(), 5);
    }
}

scenario! {
    async fn streaming_post_on_stale_connection_is_not_retried() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let client = Client::new();
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let r = client.post(server.url("/")).body(stream_body(vec![7u8; 10])).send().await;
        assert!(r.is_err(), "a non-replayable POST must not be silently retried");
        let e = r.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::RemoteProtocol | ErrorKind::Write | ErrorKind::Read), "{e:?}");
        assert_eq!(server.requests().len(), 1);
    }
}

scenario! {
    async fn idle_connection_the_server_closed_is_not_used() {
        // As above, but the connection sits idle long enough to be looked
        // at when it is checked out: the POST goes out on a new connection
        // instead of failing.
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        let client = Client::new();
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        pause(Duration::from_millis(1200)).await;
        let r = client.post(server.url("/")).body(stream_body(vec![7u8; 10])).send().await;
        let text = r.unwrap().text().await.unwrap();
        assert_eq!(text, "ok");
        assert_eq!(server.requests().len(), 2);
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn idle_connection_still_open_is_reused() {
        let server = Server::http(|_| Reply::ok("ok"));
        let client = Client::new();
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        pause(Duration::from_millis(1200)).await;
        client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn stale_408_on_an_idle_connection_is_not_read_as_the_answer() {
        // Some servers send `408 Request Timeout` on an idle keep-alive
        // connection before closing it. The next request must not take that
        // for its answer.
        let server = Server::raw(|stream, index| {
            let mut s = stream;
            if !read_request_head(&mut s) {
                return;
            }
            let body = if index == 0 { "first" } else { "fresh" };
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            let _ = std::io::Write::write_all(&mut s, reply.as_bytes());
            if index == 0 {
                std::thread::sleep(Duration::from_millis(200));
                let _ = std::io::Write::write_all(
                    &mut s,
                    b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        let client = Client::new();
        let first = client.get(server.url("/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(first, "first");
        pause(Duration::from_millis(1200)).await;
        let r = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert_eq!(text, "fresh");
        assert_eq!(server.connections(), 2);
    }
}

scenario! {
    async fn read_timeout_when_server_never_answers() {
        let server = Server::http(|_| Reply::Stall(Duration::from_secs(3)));
        let client = Client::builder().timeout(Timeout::from_secs(5).read(Duration::from_millis(200))).build().unwrap();
        let e = client.get(server.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e:?}");
        assert!(e.is_timeout());
        assert!(e.to_string().contains(&server.addr().to_string()), "{e}");
        assert_eq!(e.url().unwrap().as_str(), server.url("/"));
    }
}

scenario! {
    async fn read_timeout_in_the_body() {
        let server = Server::http(|_| {
            Reply::Custom(Box::new(|s| {
                let _ = std::io::Write::write_all(s, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
                std::thread::sleep(Duration::from_secs(2));
            }))
        });
        let client = Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
        let r = client.get(server.url("/")).send().await.unwrap();
        let e = r.bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e:?}");
    }
}

scenario! {
    async fn per_request_timeout_overrides_client() {
        let server = Server::http(|_| Reply::Stall(Duration::from_secs(3)));
        let client = Client::new();
        let e = client.get(server.url("/")).timeout(Duration::from_millis(150)).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout);
    }
}

scenario! {
    async fn write_timeout_when_server_never_reads() {
        let server = Server::raw(|_stream, _| std::thread::sleep(Duration::from_secs(4)));
        let client = Client::builder().timeout(Timeout::from_secs(5).write(Duration::from_millis(300))).build().unwrap();
        let big = vec![0u8; 64 * 1024 * 1024];
        let e = client.post(server.url("/")).body(big).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WriteTimeout, "{e:?}");
    }
}

scenario! {
    async fn connect_timeout() {
        let hole = Blackhole::new();
        let client = Client::builder().timeout(Timeout::from_secs(5).connect(Duration::from_millis(300))).build().unwrap();
        let e = client.get(format!("http://{}/", hole.addr)).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectTimeout, "{e:?}");
    }
}

scenario! {
    async fn connection_refused_is_connect_error() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = Client::new().get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
        assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
        assert!(std::error::Error::source(&e).is_some());
    }
}

scenario! {
    async fn malformed_heads_are_remote_protocol_errors() {
        for bad in [
            "HTTP/1.1 2x0 OK\r\n\r\n",
            "HTTP/9.9 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "garbage\r\n\r\n",
        ] {
            let server = Server::http(move |_| Reply::close(bad));
            let e = Client::new().get(server.url("/")).send().await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{bad:?}: {e:?}");
        }
    }
}

scenario! {
    async fn server_closing_without_response() {
        let server = Server::http(|_| Reply::close(""));
        let e = Client::new().get(server.url("/")).send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e:?}");
        assert!(e.to_string().contains("without sending a response"), "{e}");
    }
}

scenario! {
    async fn body_cut_short_is_an_error() {
        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        let e = r.bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e:?}");
        assert!(e.to_string().contains("9 of 100"), "{e}");

        let server = Server::http(|_| Reply::close("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"));
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        let e = r.bytes().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RemoteProtocol, "{e:?}");
    }
}

scenario! {
    async fn header_injection_is_refused_before_sending() {
        let server = Server::http(|_| Reply::ok("should not happen"));
        let client = Client::new();
        for (name, value) in [("x-evil", "a\r\nInjected: 1"), ("x-nul", "a\0b"), ("bad name", "v"), ("x-lf", "a\nb")] {
            let e = client.get(server.url("/")).header(name, value).send().await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::LocalProtocol, "{name:?}: {e:?}");
        }
        let e = Client::builder().header("x", "a\r\nb").build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LocalProtocol);
        let m = ferrohttp::Method::from_bytes(b"GET\r\n");
        assert!(m.is_err(), "http::Method refuses CR/LF");
        assert_eq!(server.connections(), 0, "nothing was sent");
    }
}

scenario! {
    async fn base_url_query_and_header_merging() {
        let server = Server::http(|_| Reply::ok(""));
        let client = Client::builder()
            .base_url(server.url("/api/v1"))
            .header("x-client", "c")
            .header("x-both", "client")
            .header("user-agent", "my-app/1")
            .query(&[("page", "1"), ("key", "k")])
            .build()
            .unwrap();
        client
            .get("/items")
            .query(&[("page", "2")])
            .header("x-both", "request")
            .header("x-multi", "1")
            .header("x-multi", "2")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let req = &server.requests()[0];
        assert_eq!(req.target, "/api/v1/items?key=k&page=2");
        assert_eq!(req.header("x-client"), Some("c"));
        assert_eq!(req.header("x-both"), Some("request"));
        assert_eq!(req.header("user-agent"), Some("my-app/1"));
        let multi: Vec<_> = req.headers.iter().filter(|(k, _)| k == "x-multi").map(|(_, v)| v.as_str()).collect();
        assert_eq!(multi, ["1", "2"]);
        assert_eq!(req.headers.iter().filter(|(k, _)| k == "x-both").count(), 1);
    }
}

scenario! {
    async fn build_request_then_send() {
        let server = Server::http(|req| Reply::ok(req.header("x-edited").unwrap_or("none")));
        let client = Client::builder().base_url(server.url("/")).build().unwrap();
        let mut req = client.build_request(ferrohttp::Method::GET, "thing").unwrap();
        req.headers_mut().insert("x-edited", "yes".parse().unwrap());
        req.url_mut().set_query(Some("q=1"));
        let r = client.send(req).await.unwrap();
        let got15 = r.text().await.unwrap();
        assert_eq!(got15, "yes");
        assert_eq!(server.requests()[0].target, "/thing?q=1");
    }
}

scenario! {
    async fn large_body_streams_through_read() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let d2 = data.clone();
        let server = Server::http(move |_| Reply::ok(&d2));
        let mut r = Client::new().get(server.url("/")).send().await.unwrap();
        assert_eq!(r.content_length(), Some(3_000_000));
        let got = read_to_end(&mut r).await.unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data);
        assert_eq!(r.num_bytes_downloaded(), 3_000_000);
    }
}

scenario! {
    async fn chunk_by_chunk() {
        let server = Server::http(|_| Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"));
        let mut r = Client::new().get(server.url("/")).send().await.unwrap();
        let mut all = Vec::new();
        while let Some(chunk) = r.chunk().await.unwrap() {
            all.extend_from_slice(&chunk);
        }
        assert_eq!(all, b"abcdef");
    }
}

scenario! {
    async fn error_for_status() {
        let server = Server::http(|req| {
            let status = &req.target[1..];
            Reply::raw(format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n"))
        });
        let client = Client::new();
        let r = client.get(server.url("/404")).send().await.unwrap();
        assert_eq!(r.status(), 404, "a 404 is a response, not an error");
        let e = r.error_for_status_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Status);
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        let r = client.get(server.url("/503")).send().await.unwrap();
        assert_eq!(r.error_for_status().unwrap_err().status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        let r = client.get(server.url("/204")).send().await.unwrap();
        assert!(r.error_for_status().is_ok());
    }
}

scenario! {
    async fn text_uses_the_declared_charset() {
        let server = Server::http(|_| {
            Reply::Raw(response_with("200 OK", &["Content-Type: text/plain; charset=ISO-8859-1"], b"caf\xe9"))
        });
        let text = Client::new().get(server.url("/")).send().await.unwrap().text().await.unwrap();
        if cfg!(feature = "charset") {
            assert_eq!(text, "café");
        } else {
            assert_eq!(text, "caf\u{fffd}");
        }
        let server = Server::http(|_| Reply::ok("d\u{e9}j\u{e0} vu"));
        let text = Client::new().get(server.url("/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "déjà vu");
    }
}

scenario! {
    async fn mock_transport_serves_this_client() {
        let mock = MockTransport::new(|req| {
            let body = format!("{} {}", req.method(), req.url().path());
            ferrohttp::Response::from(
                http::Response::builder()
                    .status(418)
                    .header("content-encoding", "gzip")
                    .body(gzip(body.as_bytes()))
                    .unwrap(),
            )
        });
        let client = Client::builder().base_url("http://mock.test/").transport(mock).build().unwrap();
        let r = client.delete("things/1").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(r.url().as_str(), "http://mock.test/things/1");
        let got16 = r.text().await.unwrap();
        assert_eq!(got16, "DELETE /things/1");
    }
}

scenario! {
    async fn elapsed_times_the_exchange_on_every_transport() {
        // Our transport times from sending to the response head, so the
        // server's pause before answering is in it...
        let pause = Duration::from_millis(80);
        let server = Server::http(move |_| {
            std::thread::sleep(pause);
            Reply::ok("late")
        });
        let r = Client::new().get(server.url("/")).send().await.unwrap();
        let elapsed = r.elapsed();
        assert!(elapsed >= pause && elapsed < Duration::from_secs(30), "{elapsed:?}");
        // ...and a custom transport, which does not time itself, is timed
        // by the client around it.
        let mock = MockTransport::new(move |_| {
            std::thread::sleep(pause);
            ferrohttp::Response::from(http::Response::new("mocked"))
        });
        let client = Client::builder().transport(mock).build().unwrap();
        let r = client.get("http://mock.test/").send().await.unwrap();
        let elapsed = r.elapsed();
        assert!(elapsed >= pause && elapsed < Duration::from_secs(30), "{elapsed:?}");
    }
}

scenario! {
    async fn unsupported_schemes_and_bad_urls() {
        let client = Client::new();
        let e = client.get("ftp://127.0.0.1/").send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedProtocol);
        if cfg!(not(feature = "rustls")) {
            let e = client.get("https://127.0.0.1/").send().await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedProtocol);
            assert!(e.to_string().contains("`rustls` feature"), "{e}");
        }
        let e = client.get("http://[::1").send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
        let e = client.get("/relative").send().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
    }
}

scenario! {
    async fn stray_bytes_after_a_body_do_not_poison_the_next_response() {
        // A 204 that (wrongly) carries a body: the bytes must not be read as
        // the next response on a reused connection.
        let server = Server::http(|req| {
            if req.target == "/204" {
                Reply::raw("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbogus!")
            } else {
                Reply::ok("real")
            }
        });
        let client = Client::new();
        let r = client.get(server.url("/204")).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let got17 = r.bytes().await.unwrap().is_empty();
        assert!(got17);
        let r = client.get(server.url("/next")).send().await.unwrap();
        let got18 = r.text().await.unwrap();
        assert_eq!(got18, "real");
    }
}

scenario! {
    async fn max_keepalive_limits_idle_connections() {
        let server = Server::http(|_| Reply::ok("ok"));
        let client = Client::builder().limits(Limits::default().max_keepalive_connections(0)).build().unwrap();
        for _ in 0..3 {
            client.get(server.url("/")).send().await.unwrap().bytes().await.unwrap();
        }
        assert_eq!(server.connections(), 3);
    }
}

scenario! {
    async fn a_response_sent_before_the_upload_ended_is_returned() {
        // The server answers 413 after the head and closes without reading
        // the body: the client's write fails, but the answer is there to read.
        let server = Server::raw(|stream, _| {
            let mut s = stream;
            if !read_request_head(&mut s) {
                return;
            }
            let _ = std::io::Write::write_all(
                &mut s,
                b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n\r\ntoo big!",
            );
            // Dropping the socket with the body unread resets the connection.
        });
        let client = Client::new();
        let r = client.post(server.url("/upload")).body(sized_body(vec![7u8; 64 << 20])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let got = r.text().await.unwrap();
        assert_eq!(got, "too big!");
        // The connection is not reused: the next request opens another.
        let r = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(server.connections(), 2);
    }
}
