// The async side of a two-client test file: included (with `include!`)
// into a `mod nonblocking`, before the scenario file. Binds `Client`,
// `Response`, `maybe`, and the helpers the scenarios call.

#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::{
    AsyncBody, AsyncClient as Client, AsyncClientBuilder as Builder, AsyncHttpTransport as Transport,
    AsyncResponse as Response, Body,
};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use maybe_async::must_be_async as maybe;
#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::AsyncTransport as TransportTrait;

/// Reads the whole body through `tokio::io::AsyncRead`.
#[allow(dead_code, reason = "not every scenario file uses it")]
async fn read_to_end(r: &mut Response) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(r, &mut v).await?;
    Ok(v)
}

/// A streaming body of unknown length, from an `AsyncRead`.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn stream_body(data: Vec<u8>) -> Body {
    AsyncBody::new(std::io::Cursor::new(data)).into()
}

/// A streaming body of known length, from an `AsyncRead`.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn sized_body(data: Vec<u8>) -> Body {
    let len = data.len() as u64;
    AsyncBody::sized(std::io::Cursor::new(data), len).into()
}

/// Runs `f(0..n)` as `n` tokio tasks at once and collects the results in order.
#[allow(dead_code, reason = "not every scenario file uses it")]
async fn concurrently<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("task panicked"));
    }
    out
}

/// Waits, without blocking the runtime.
#[allow(dead_code, reason = "not every scenario file uses it")]
async fn pause(d: std::time::Duration) {
    tokio::time::sleep(d).await;
}

macro_rules! scenario {
    (async fn $name:ident() $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

/// One read of decoded body bytes through `tokio::io::AsyncRead`, its
/// error as ferrohttp's.
#[allow(dead_code, reason = "not every scenario file uses it")]
async fn read_into(r: &mut Response, buf: &mut [u8]) -> Result<usize, ferrohttp::Error> {
    tokio::io::AsyncReadExt::read(r, buf)
        .await
        .map_err(ferrohttp::Error::from)
}
