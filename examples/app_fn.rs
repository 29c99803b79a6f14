//! A blocking handler served in process by `AppTransport`: the client talks
//! to it as to a server, with no socket. Mounted for one host, so the same
//! client would still reach the network for every other URL.
//!
//! ```text
//! cargo run --example app_fn
//! ```

use std::io::Read;
use std::net::SocketAddr;

use ferrohttp::{AppTransport, Body, Client, StatusCode};

/// The app: a plain function from request to response.
fn app(req: http::Request<Body>) -> http::Response<Body> {
    let reply = |status: u16, body: String| {
        http::Response::builder()
            .status(status)
            .header("content-type", "text/plain")
            .body(Body::from(body))
            .expect("a valid response")
    };
    let peer = req.extensions().get::<SocketAddr>().copied();
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/hello") => reply(200, format!("hello, {peer:?}\n")),
        ("POST", "/count") => {
            // The body streams in through `Read`.
            let mut bytes = 0u64;
            let mut buf = [0u8; 8192];
            let mut body = req.into_body();
            loop {
                match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => bytes += n as u64,
                    Err(e) => return reply(400, format!("unreadable body: {e}\n")),
                }
            }
            reply(200, format!("{bytes} bytes\n"))
        }
        ("GET", "/old") => http::Response::builder()
            .status(302)
            .header("location", "/v1/hello")
            .body(Body::empty())
            .expect("a valid response"),
        _ => reply(404, "no such page\n".into()),
    }
}

fn main() -> ferrohttp::Result<()> {
    let client = Client::builder()
        .mount("http://app.test", AppTransport::new(app).root_path("/v1"))
        .follow_redirects(true)
        .build()?;

    let r = client.get("http://app.test/v1/hello").send()?;
    print!("GET /v1/hello -> {} {}", r.status(), r.text()?);

    let upload = Body::sized(std::io::repeat(b'x').take(1 << 20), 1 << 20);
    let r = client
        .post("http://app.test/v1/count")
        .body(upload)
        .send()?;
    print!("POST /v1/count -> {} {}", r.status(), r.text()?);

    let r = client.get("http://app.test/v1/old").send()?;
    println!(
        "GET /v1/old -> {} after {} redirect(s)",
        r.status(),
        r.history().len()
    );

    let r = client.get("http://app.test/elsewhere").send()?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND); // outside the root path
    println!("GET /elsewhere -> {}", r.status());
    Ok(())
}
