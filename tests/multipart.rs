#![cfg(feature = "multipart")]
//! `multipart/form-data` bodies through both clients, against the
//! in-process server: what arrives is what was put in, files streamed,
//! `Content-Length` when every size is known, chunked otherwise.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/multipart.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/multipart.rs");
}

/// Parts from an `AsyncRead` stream through the async client, sized or
/// chunked; the blocking client refuses a form with one, clearly.
#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_reader_parts_go_through_the_async_client_only() {
    use ferrohttp::multipart::{Multipart, Part};
    let server = support::Server::http(|_| support::Reply::ok("ok"));
    let client = ferrohttp::AsyncClient::new();
    let form = Multipart::new().boundary("b").text("t", "v").part(
        "a",
        Part::async_reader(std::io::Cursor::new(vec![4u8; 100_000]), Some(100_000)),
    );
    let len = form.len().unwrap();
    let r = client
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let form = Multipart::new().boundary("b").part(
        "a",
        Part::async_reader(std::io::Cursor::new(vec![5u8; 70_000]), None),
    );
    let r = client
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reqs = server.requests();
    assert_eq!(
        reqs[0].header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(reqs[0].body.len() as u64, len);
    assert!(reqs[0]
        .body
        .windows(100_000)
        .any(|w| w.iter().all(|&b| b == 4)));
    assert!(reqs[1].chunked);
    assert!(reqs[1]
        .body
        .windows(70_000)
        .any(|w| w.iter().all(|&b| b == 5)));
    assert!(reqs[1].body.ends_with(b"\r\n--b--\r\n"));
    let url = server.url("/");
    let e = tokio::task::spawn_blocking(move || {
        let form = Multipart::new().part(
            "a",
            Part::async_reader(std::io::Cursor::new(vec![1u8]), None),
        );
        ferrohttp::Client::new()
            .post(url)
            .multipart(form)
            .send()
            .unwrap_err()
    })
    .await
    .unwrap();
    assert_eq!(e.kind(), ferrohttp::ErrorKind::RequestBody, "{e}");
    let chain = format!("{e} {:?}", std::error::Error::source(&e));
    assert!(chain.contains("async client"), "{chain}");
}
