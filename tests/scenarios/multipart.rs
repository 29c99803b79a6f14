// Multipart scenarios shared by both clients (included by tests/multipart.rs).

use crate::support::{Reply, Server};
use ferrohttp::multipart::{Multipart, Part};

fn recording_server() -> Server {
    Server::http(|_| Reply::ok("stored"))
}

scenario! {
    async fn a_form_with_fields_and_a_file_arrives_as_sent() {
        let server = recording_server();
        let dir = std::env::temp_dir().join(format!("ferrohttp-mp-it-{}-{}", std::process::id(), module_path!().replace("::", "-")));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("upload-{}.txt", line!()));
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let form = Multipart::new()
            .boundary("test-boundary")
            .text("name", "value")
            .text("name", "again")
            .file("upload", &path)
            .unwrap()
            .part("raw", Part::bytes(vec![1u8, 2, 3]).file_name("r.bin"));
        let expected_len = form.len().unwrap();
        let client = Client::new();
        let r = client.post(server.url("/upload")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let req = &server.requests()[0];
        assert_eq!(req.header("content-type"), Some("multipart/form-data; boundary=test-boundary"));
        assert_eq!(req.header("content-length"), Some(expected_len.to_string().as_str()));
        assert!(!req.chunked);
        let body = &req.body;
        assert_eq!(body.len() as u64, expected_len);
        let text = String::from_utf8_lossy(body);
        assert!(text.starts_with("--test-boundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n"), "{text:.200}");
        assert!(text.contains("name=\"name\"\r\n\r\nagain\r\n"));
        let file_name = path.file_name().unwrap().to_string_lossy();
        let head = format!("name=\"upload\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n");
        let at = body.windows(head.len()).position(|w| w == head.as_bytes()).expect("the file part's head") + head.len();
        assert_eq!(&body[at..at + content.len()], &content[..], "the file's bytes, exactly");
        assert!(body.ends_with(b"\x01\x02\x03\r\n--test-boundary--\r\n"));
        std::fs::remove_file(&path).unwrap();
    }
}

scenario! {
    async fn a_part_of_unknown_length_makes_the_form_chunked() {
        let server = recording_server();
        let form = Multipart::new()
            .boundary("b")
            .part("stream", Part::reader(std::io::Cursor::new(vec![9u8; 70_000]), None));
        let r = Client::new().post(server.url("/")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let req = &server.requests()[0];
        assert!(req.chunked, "chunked");
        assert_eq!(req.header("content-length"), None);
        assert!(req.body.windows(70_000).any(|w| w.iter().all(|&b| b == 9)));
        assert!(req.body.ends_with(b"\r\n--b--\r\n"));
    }
}

scenario! {
    async fn an_invalid_form_fails_before_anything_is_sent() {
        let server = recording_server();
        let form = Multipart::new().boundary("bad\"boundary").text("a", "b");
        let e = Client::new().post(server.url("/")).multipart(form).send().await.unwrap_err();
        assert_eq!(e.kind(), ferrohttp::ErrorKind::LocalProtocol);
        assert!(server.requests().is_empty());
    }
}

/// A server that redirects `/from` to `/to` with `status` and answers
/// `/to` with the length of the body it got.
fn redirecting(status: u16) -> Server {
    Server::http(move |req| {
        if req.target == "/from" {
            Reply::raw(format!(
                "HTTP/1.1 {status} Moved\r\nlocation: /to\r\ncontent-length: 0\r\n\r\n"
            ))
        } else {
            Reply::ok(format!("got {}", req.body.len()))
        }
    })
}

scenario! {
    async fn files_and_forms_of_files_are_sent_again_on_307_and_308() {
        let dir = std::env::temp_dir().join(format!("ferrohttp-replay-{}-{}", std::process::id(), module_path!().replace("::", "-")));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("body-{}.bin", line!()));
        std::fs::write(&path, vec![42u8; 300_000]).unwrap();
        let client = Client::builder().follow_redirects(true).build().unwrap();
        for status in [307, 308] {
            let server = redirecting(status);
            // A file body: read again from its start.
            let body = ferrohttp::Body::file(&path).unwrap();
            assert!(body.try_clone().is_some(), "a file body can be replayed");
            let r = client.post(server.url("/from")).body(body).send().await.unwrap();
            let text = r.text().await.unwrap();
            assert_eq!(text, "got 300000");
            let reqs = server.requests();
            assert_eq!((reqs[0].body.len(), reqs[1].body.len()), (300_000, 300_000));
            assert_eq!(reqs[0].header("content-length"), Some("300000"));
            // A form of a file and bytes: the same bytes twice.
            let form = Multipart::new()
                .text("k", "v")
                .file("f", &path)
                .unwrap()
                .part("b", Part::bytes(vec![1u8, 2]));
            let r = client.post(server.url("/from")).multipart(form).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let reqs = server.requests();
            assert_eq!(reqs[2].body, reqs[3].body, "the form again, from its start");
            assert!(reqs[3].body.len() > 300_000);
            // A form with a reader part cannot be sent again: a clear error.
            let form = Multipart::new().part("r", Part::reader(std::io::Cursor::new(vec![1u8; 10]), Some(10)));
            let e = client.post(server.url("/from")).multipart(form).send().await.unwrap_err();
            assert_eq!(e.kind(), ferrohttp::ErrorKind::StreamConsumed, "{e}");
            assert!(e.to_string().contains("stream"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

scenario! {
    async fn a_file_body_is_retried_on_a_stale_connection() {
        // The first answer keeps the connection in the client's pool, then
        // the server closes it: the PUT that meets it is sent again, from
        // the file's start, on a new connection.
        let server = Server::http(|req| {
            if req.target == "/first" {
                Reply::close("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            } else {
                Reply::ok(format!("got {}", req.body.len()))
            }
        });
        let dir = std::env::temp_dir().join(format!("ferrohttp-stale-{}-{}", std::process::id(), module_path!().replace("::", "-")));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("put-{}.bin", line!()));
        std::fs::write(&path, vec![7u8; 100_000]).unwrap();
        let client = Client::new();
        client.get(server.url("/first")).send().await.unwrap().bytes().await.unwrap();
        pause(std::time::Duration::from_millis(100)).await;
        let body = ferrohttp::Body::file(&path).unwrap();
        let r = client.put(server.url("/put")).body(body).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(text, "got 100000");
        let put = server.requests().into_iter().find(|r| r.target == "/put").unwrap();
        assert_eq!(put.connection, 1, "on a new connection");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

scenario! {
    async fn a_form_of_files_answers_a_digest_challenge() {
        let server = Server::http(|req| {
            if req.header("authorization").is_none() {
                Reply::raw(
                    "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"\r\ncontent-length: 0\r\n\r\n",
                )
            } else {
                Reply::ok(format!("got {}", req.body.len()))
            }
        });
        let dir = std::env::temp_dir().join(format!("ferrohttp-digest-{}-{}", std::process::id(), module_path!().replace("::", "-")));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("f-{}.txt", line!()));
        std::fs::write(&path, vec![b'd'; 50_000]).unwrap();
        let client = Client::builder().auth(ferrohttp::DigestAuth::new("u", "p")).build().unwrap();
        let form = Multipart::new().file("f", &path).unwrap();
        let len = form.len().unwrap();
        let r = client.post(server.url("/")).multipart(form).send().await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(text, format!("got {len}"));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].body, reqs[1].body, "the form sent again from its start");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

scenario! {
    async fn upload_progress_reports_every_byte_handed_to_the_connection() {
        use std::sync::{Arc, Mutex};
        let server = redirecting(307);
        type Calls = Vec<(u64, Option<u64>)>;
        let calls: Arc<Mutex<Calls>> = Arc::default();
        let seen = calls.clone();
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client
            .post(server.url("/to"))
            .body(vec![1u8; 300_000])
            .upload_progress(move |sent, total| seen.lock().unwrap().push((sent, total)))
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(text, "got 300000");
        let got = calls.lock().unwrap().clone();
        assert!(got.len() > 1, "reported as it went: {got:?}");
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "growing");
        assert_eq!(got.last(), Some(&(300_000, Some(300_000))));
        // A form of bytes through a 307: counted again from 0 for the
        // second send.
        calls.lock().unwrap().clear();
        let seen = calls.clone();
        let form = Multipart::new().part("b", Part::bytes(vec![2u8; 100_000]));
        let len = form.len().unwrap();
        let r = client
            .post(server.url("/from"))
            .multipart(form)
            .upload_progress(move |sent, total| seen.lock().unwrap().push((sent, total)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let got = calls.lock().unwrap().clone();
        let ends = got.iter().filter(|(s, _)| *s == len).count();
        assert_eq!(ends, 2, "two whole sends: {got:?}");
        assert!(got.iter().all(|(_, t)| *t == Some(len)));
    }
}
