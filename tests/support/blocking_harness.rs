// The blocking side of a two-client test file: included (with `include!`)
// into a `mod blocking`, before the scenario file. Binds `Client`,
// `Response`, `maybe`, and the helpers the scenarios call.

#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::{Body, Client, ClientBuilder as Builder, HttpTransport as Transport, Response};
#[allow(unused_imports, reason = "not every scenario uses every name")]
use maybe_async::must_be_sync as maybe;
#[allow(unused_imports, reason = "not every scenario uses every name")]
use ferrohttp::Transport as TransportTrait;

/// Reads the whole body through `std::io::Read`.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn read_to_end(r: &mut Response) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    std::io::Read::read_to_end(r, &mut v)?;
    Ok(v)
}

/// A streaming body of unknown length.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn stream_body(data: Vec<u8>) -> Body {
    Body::new(std::io::Cursor::new(data))
}

/// A streaming body of known length.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn sized_body(data: Vec<u8>) -> Body {
    let len = data.len() as u64;
    Body::sized(std::io::Cursor::new(data), len)
}

/// Runs `f(0..n)` on `n` threads at once and collects the results in order.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn concurrently<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    let f = std::sync::Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            std::thread::spawn(move || f(i))
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("task panicked")).collect()
}

/// Waits, without blocking anything else of the test.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn pause(d: std::time::Duration) {
    std::thread::sleep(d);
}

macro_rules! scenario {
    (async fn $name:ident() $body:block) => {
        #[test]
        fn $name() {
            #[maybe_async::must_be_sync]
            async fn run() $body
            run()
        }
    };
}

/// One read of decoded body bytes through `std::io::Read`, its error as
/// ferrohttp's.
#[allow(dead_code, reason = "not every scenario file uses it")]
fn read_into(r: &mut Response, buf: &mut [u8]) -> Result<usize, ferrohttp::Error> {
    std::io::Read::read(r, buf).map_err(ferrohttp::Error::from)
}
