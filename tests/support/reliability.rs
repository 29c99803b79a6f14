//! A server that sends a body in three pieces with pauses between them, for
//! the tests of reads that time out (or are dropped) part way.

use std::io::{BufReader, Write};
use std::time::Duration;

use super::{gzip, read_request, Server};

/// The first piece of `/length-exact`'s body.
pub const EXACT_FIRST: usize = 4000;
/// The decoded body's length.
pub const BODY_LEN: usize = 64 * 1024;
/// The server's pause after each of the first two pieces.
pub const PAUSE: Duration = Duration::from_millis(800);

/// The body: bytes from a linear congruential generator, so that a copy of
/// an earlier part never looks like the right bytes.
pub fn body() -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..BODY_LEN)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

/// `data` as chunks of 5 000 bytes (so pauses fall inside chunks).
fn chunked(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(5000) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A keep-alive server: `/length`, `/chunked`, `/gzip` (with a length) and
/// `/gzip-chunked` answer with `body()` sent in three pieces, `PAUSE` apart,
/// the pauses after a fifth and three fifths of the body;
/// `/second` answers `second`. Returns the body a reader must get.
pub fn pieced_server() -> (Server, Vec<u8>) {
    pieced_server_at(&[20, 60])
}

/// `pieced_server` with pauses after these percentages of the body.
pub fn pieced_server_at(pauses: &'static [usize]) -> (Server, Vec<u8>) {
    let want = body();
    let data = want.clone();
    let server = Server::raw(move |stream, _| {
        let mut reader = BufReader::new(stream);
        while let Ok(Some(req)) = read_request(&mut reader) {
            let w = reader.get_mut();
            let wire = match req.target.as_str() {
                "/second" => b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond".to_vec(),
                "/length" => response(&[], &data, false),
                "/length-exact" => {
                    // The first piece (the head and `EXACT_FIRST` bytes) arrives
                    // in the client's first read; the rest is as long as that
                    // piece, so a stale copy of it looks like a whole rest.
                    let head_len = response(&[], &[0; 8000], false).len() - 8000;
                    response(&[], &data[..head_len + 2 * EXACT_FIRST], false)
                }
                "/chunked" => response(&[], &data, true),
                "/gzip" => response(&["Content-Encoding: gzip"], &gzip(&data), false),
                "/gzip-chunked" => response(&["Content-Encoding: gzip"], &gzip(&data), true),
                other => panic!("unexpected request for {other}"),
            };
            if req.target == "/second" {
                if w.write_all(&wire).is_err() {
                    return;
                }
                continue;
            }
            let head_end = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let body_len = wire.len() - head_end;
            let mut cuts = vec![0];
            if req.target == "/length-exact" {
                cuts.push(head_end + EXACT_FIRST);
            } else {
                cuts.extend(pauses.iter().map(|p| head_end + body_len * p / 100));
            }
            cuts.push(wire.len());
            for (i, piece) in cuts.windows(2).enumerate() {
                if i > 0 {
                    std::thread::sleep(PAUSE);
                }
                if w.write_all(&wire[piece[0]..piece[1]]).is_err() {
                    return;
                }
            }
        }
    });
    (server, want)
}

fn response(headers: &[&str], body: &[u8], chunk: bool) -> Vec<u8> {
    let mut v = b"HTTP/1.1 200 OK\r\n".to_vec();
    for h in headers {
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    if chunk {
        v.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        v.extend_from_slice(&chunked(body));
    } else {
        v.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        v.extend_from_slice(body);
    }
    v
}

/// Asserts that `got`, handed out at `offset`, is `want` there.
pub fn check_at(want: &[u8], offset: usize, got: &[u8]) {
    assert!(
        offset + got.len() <= want.len(),
        "{} bytes handed out at offset {offset}: past the body's {} bytes",
        got.len(),
        want.len()
    );
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[offset + i]) {
        panic!(
            "wrong byte at offset {} ({} bytes handed out at {offset})",
            offset + i,
            got.len()
        );
    }
}
