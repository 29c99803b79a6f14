//! An axum app tested through `AsyncClient` + `TowerTransport`: a JSON
//! route, an extractor rejection, and a streaming route whose chunks reach
//! the client one by one. No socket, no server.
//!
//! ```text
//! cargo run --example axum_app --features tower
//! ```

use std::net::SocketAddr;

use axum::extract::Json;
use axum::routing::{get, post};
use axum::{Extension, Router};
use ferrohttp::{AsyncClient, TowerTransport};
use serde::Deserialize;

#[derive(Deserialize)]
struct NewItem {
    name: String,
    count: u32,
}

fn app() -> Router {
    Router::new()
        .route(
            "/items",
            post(|Json(item): Json<NewItem>| async move {
                Json(serde_json::json!({ "created": item.name, "count": item.count }))
            }),
        )
        .route(
            "/who",
            get(|Extension(peer): Extension<SocketAddr>| async move { format!("you are {peer}") }),
        )
        .route(
            "/ticks",
            get(|| async {
                // Three chunks, produced one at a time.
                let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(1);
                tokio::spawn(async move {
                    for i in 0..3 {
                        let _ = tx.send(Ok(format!("tick {i}\n"))).await;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                });
                axum::body::Body::from_stream(Receiver(rx))
            }),
        )
}

/// A tokio receiver as a `Stream` (what tokio-stream's wrapper does).
struct Receiver<T>(tokio::sync::mpsc::Receiver<T>);

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ferrohttp::Result<()> {
    let client = AsyncClient::builder()
        .base_url("http://app.test/")
        .transport(
            TowerTransport::new(app()).client_addr("192.0.2.7:5000".parse().expect("an address")),
        )
        .build()?;

    let r = client
        .post("items")
        .json(&serde_json::json!({ "name": "bolt", "count": 3 }))
        .send()
        .await?;
    println!("POST /items -> {} {}", r.status(), r.text().await?);

    let r = client
        .post("items")
        .json(&serde_json::json!({ "name": 1 }))
        .send()
        .await?;
    println!("POST /items (bad) -> {} {}", r.status(), r.text().await?);

    let r = client.get("who").send().await?;
    println!("GET /who -> {}", r.text().await?);

    let mut r = client.get("ticks").send().await?;
    while let Some(chunk) = r.chunk().await? {
        print!("chunk: {}", String::from_utf8_lossy(&chunk));
    }
    Ok(())
}
