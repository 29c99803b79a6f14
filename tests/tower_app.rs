#![cfg(feature = "tower")]
//! `TowerTransport`: an axum `Router` (and plain tower services) called in
//! process by the `AsyncClient`: JSON routes, extractor rejections, bodies
//! streamed both ways, trailers, timeouts, panics, service errors, mounts.

mod support;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Json, Path};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use ferrohttp::{AsyncBody, AsyncClient, Body, ErrorKind, StatusCode, Timeout, TowerTransport};
use serde::Deserialize;
use support::{Reply, Server};

fn client(transport: TowerTransport) -> AsyncClient {
    AsyncClient::builder().transport(transport).build().unwrap()
}

/// Fails a test that would otherwise hang.
async fn soon<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("did not finish within 10 s")
}

/// A tokio receiver as a `Stream`.
struct Receiver<T>(tokio::sync::mpsc::Receiver<T>);

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}

type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A router whose `/stream` route streams what the test sends into the
/// returned sender, chunk by chunk.
fn streaming_app() -> (Router, Chunks) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let rx = Arc::new(Mutex::new(Some(rx)));
    let app = Router::new().route(
        "/stream",
        get(move || {
            let rx = rx.lock().unwrap().take().expect("one request");
            async move { axum::body::Body::from_stream(Receiver(rx)) }
        }),
    );
    (app, tx)
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

fn json_app() -> Router {
    Router::new()
        .route(
            "/items",
            post(|Json(item): Json<NewItem>| async move {
                (
                    StatusCode::CREATED,
                    Json(serde_json::json!({ "id": 7, "name": item.name })),
                )
            }),
        )
        .route(
            "/items/{id}",
            get(|Path(id): Path<u32>| async move { Json(serde_json::json!({ "id": id })) }),
        )
        .route(
            "/who",
            get(
                |Extension(peer): Extension<SocketAddr>, headers: HeaderMap| async move {
                    format!("{peer} {:?}", headers.get("host"))
                },
            ),
        )
}

#[tokio::test]
async fn axum_json_routes_and_the_client_address() {
    let c = client(TowerTransport::new(json_app()));
    let r = c
        .post("http://app.test/items")
        .json(&serde_json::json!({ "name": "bolt" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v, serde_json::json!({ "id": 7, "name": "bolt" }));

    let r = c.get("http://app.test/items/42").send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["id"], 42);

    let text = c
        .get("http://app.test/who")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "127.0.0.1:123 Some(\"app.test\")");
    let addr: SocketAddr = "10.1.2.3:999".parse().unwrap();
    let c = client(
        TowerTransport::new(json_app())
            .client_addr(addr)
            .root_path("/v2"),
    );
    let text = c
        .get("http://app.test/v2/who")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "10.1.2.3:999 Some(\"app.test\")");
    let r = c.get("http://app.test/who").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "outside the root path");
}

#[tokio::test]
async fn an_extractor_rejection_is_an_ordinary_4xx_response() {
    let c = client(TowerTransport::new(json_app()));
    let r = c
        .post("http://app.test/items")
        .json(&serde_json::json!({ "name": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("invalid type"));
    let r = c
        .post("http://app.test/items")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content-type"
    );
    let r = c.get("http://app.test/items/x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_streaming_route_arrives_chunk_by_chunk() {
    let (app, tx) = streaming_app();
    let c = client(TowerTransport::new(app));
    let mut r = soon(c.get("http://app.test/stream").send()).await.unwrap();
    // Each chunk is sent only after the previous one was received: a body
    // collected before the response was handed over would never end.
    for word in ["one", "two", "three"] {
        tx.send(Ok(Bytes::from(word))).await.unwrap();
        let chunk = soon(r.chunk()).await.unwrap().unwrap();
        assert_eq!(chunk, word);
    }
    drop(tx);
    assert!(soon(r.chunk()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_read_dropped_mid_wait_loses_nothing() {
    let (app, tx) = streaming_app();
    let c = client(TowerTransport::new(app));
    let mut r = c.get("http://app.test/stream").send().await.unwrap();
    tx.send(Ok(Bytes::from("first"))).await.unwrap();
    assert_eq!(soon(r.chunk()).await.unwrap().unwrap(), "first");
    // A read whose future is dropped while it waits...
    let dropped = tokio::time::timeout(Duration::from_millis(50), r.chunk()).await;
    assert!(dropped.is_err(), "nothing was sent yet");
    // ...takes nothing: the next bytes come to the next read, in order.
    tx.send(Ok(Bytes::from("second"))).await.unwrap();
    tx.send(Ok(Bytes::from("third"))).await.unwrap();
    drop(tx);
    assert_eq!(soon(r.text()).await.unwrap(), "secondthird");
}

#[tokio::test]
async fn a_slow_handler_hits_the_read_timeout() {
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "too late"
        }),
    );
    let c = AsyncClient::builder()
        .transport(TowerTransport::new(app))
        .timeout(Timeout::new(Duration::from_millis(100)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = soon(c.get("http://app.test/slow").send())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e}");
    assert!(e.to_string().contains("http://app.test/slow"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // The total deadline, when shorter, is the one that ends the wait.
    let c = AsyncClient::builder()
        .transport(TowerTransport::new(Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )))
        .timeout(Timeout::new(Duration::from_secs(20)).total(Duration::from_millis(100)))
        .build()
        .unwrap();
    let e = soon(c.get("http://app.test/slow").send())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TotalTimeout, "{e}");
}

#[tokio::test]
async fn a_slow_body_frame_times_out_and_the_body_resumes() {
    let (app, tx) = streaming_app();
    let c = AsyncClient::builder()
        .transport(TowerTransport::new(app))
        .timeout(Timeout::new(Duration::from_millis(100)))
        .build()
        .unwrap();
    let mut r = c.get("http://app.test/stream").send().await.unwrap();
    tx.send(Ok(Bytes::from("a"))).await.unwrap();
    assert_eq!(soon(r.chunk()).await.unwrap().unwrap(), "a");
    let e = soon(r.chunk()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ReadTimeout, "{e}");
    // A read timeout takes nothing: the body goes on when the app does.
    tx.send(Ok(Bytes::from("b"))).await.unwrap();
    drop(tx);
    assert_eq!(soon(r.text()).await.unwrap(), "b");
}

#[tokio::test]
async fn request_bodies_stream_into_the_app() {
    let app = Router::new().route(
        "/count",
        post(|headers: HeaderMap, body: Bytes| async move {
            format!(
                "{} bytes, content-length {:?}, transfer-encoding {:?}",
                body.len(),
                headers.get("content-length"),
                headers.get("transfer-encoding")
            )
        }),
    );
    let c = client(TowerTransport::new(app));
    let chunks: Vec<std::io::Result<Bytes>> = (0..100)
        .map(|_| Ok(Bytes::from(vec![b'x'; 10_000])))
        .collect();
    let body: Body = AsyncBody::wrap_stream(Iter(chunks.into_iter())).into();
    let text = c
        .post("http://app.test/count")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        "1000000 bytes, content-length None, transfer-encoding Some(\"chunked\")"
    );
    let reader = std::io::Cursor::new(vec![b'y'; 70_000]);
    let text = c
        .post("http://app.test/count")
        .body(AsyncBody::sized(reader, 70_000))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        "70000 bytes, content-length Some(\"70000\"), transfer-encoding None"
    );
}

/// An iterator as a `Stream`.
struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<I::Item>> {
        Poll::Ready(self.0.next())
    }
}

/// A body of one data frame and then trailers.
struct WithTrailers(
    Option<http_body::Frame<Bytes>>,
    Option<http_body::Frame<Bytes>>,
);

impl http_body::Body for WithTrailers {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        let next = self.0.take().or_else(|| self.1.take());
        Poll::Ready(next.map(Ok))
    }
}

#[tokio::test]
async fn trailers_from_the_app_are_kept_and_gzip_is_decoded() {
    let app = Router::new()
        .route(
            "/trailers",
            get(|| async {
                let mut trailers = http::HeaderMap::new();
                trailers.insert("x-checksum", "abc".parse().unwrap());
                axum::body::Body::new(WithTrailers(
                    Some(http_body::Frame::data(Bytes::from("data"))),
                    Some(http_body::Frame::trailers(trailers)),
                ))
            }),
        )
        .route(
            "/gzip",
            get(|| async {
                (
                    [("content-encoding", "gzip")],
                    support::gzip(&b"squeezed ".repeat(50)),
                )
            }),
        );
    let c = client(TowerTransport::new(app));
    let mut r = c.get("http://app.test/trailers").send().await.unwrap();
    assert!(r.trailers().is_none(), "not before the body's end");
    assert_eq!(r.chunk().await.unwrap().unwrap(), "data");
    assert!(r.chunk().await.unwrap().is_none());
    assert_eq!(r.trailers().unwrap()["x-checksum"], "abc");

    let r = c.get("http://app.test/gzip").send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "squeezed ".repeat(50));
}

#[tokio::test]
async fn a_panicking_route_is_an_app_error_or_a_500() {
    async fn boom() -> &'static str {
        panic!("route exploded on purpose")
    }
    let app = Router::new()
        .route("/boom", get(boom))
        .route("/ok", get(|| async { "ok" }));
    let c = client(TowerTransport::new(app.clone()));
    let e = c.get("http://app.test/boom").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::App);
    assert!(e.to_string().contains("route exploded on purpose"), "{e}");
    assert_eq!(
        c.get("http://app.test/ok")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );

    let c = client(TowerTransport::new(app).raise_app_panics(false));
    let r = c.get("http://app.test/boom").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// A tower service that fails every request.
#[derive(Clone)]
struct Failing;

impl tower_service::Service<http::Request<Body>> for Failing {
    type Response = http::Response<String>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<http::Response<String>, std::io::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: http::Request<Body>) -> Self::Future {
        std::future::ready(Err(std::io::Error::other("the database is down")))
    }
}

#[tokio::test]
async fn a_service_error_is_an_app_error_with_its_source() {
    let c = client(TowerTransport::new(Failing));
    let e = c.get("http://app.test/").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::App);
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert_eq!(source, "the database is down");
}

#[tokio::test]
async fn mounts_mix_an_app_host_and_a_loopback_server() {
    let server = Server::http(|_| Reply::ok("from the network"));
    let c = AsyncClient::builder()
        .mount("all://app.test", TowerTransport::new(json_app()))
        .build()
        .unwrap();
    let r = c.get("http://app.test/items/1").send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "{\"id\":1}");
    let r = c.get(server.url("/")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "from the network");
    let r = c.get("https://app.test/items/2").send().await.unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        "{\"id\":2}",
        "all:// covers https too"
    );
    assert_eq!(server.requests().len(), 1);
}
