//! A scripted HTTP/2 server side for one connection, written with
//! ferrohttp's own sans-IO frame layer and HPACK encoder: a test decides
//! frame by frame what the server sends, to reach the states a real server
//! reaches only by chance (settings changed mid-run, floods, a stream limit
//! lowered while requests are in flight).

#![allow(dead_code, reason = "each test uses a part of the script")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ferrohttp::proto::h2::frame::{self, setting, ErrorCode, Frame};
use ferrohttp::proto::h2::hpack::Encoder;

/// A frame the client sent, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    Headers {
        stream: u32,
        end_stream: bool,
    },
    Data {
        stream: u32,
        len: usize,
        end_stream: bool,
    },
    Settings {
        ack: bool,
        params: Vec<(u16, u32)>,
    },
    WindowUpdate {
        stream: u32,
        increment: u32,
    },
    RstStream {
        stream: u32,
        code: u32,
    },
    Ping {
        ack: bool,
    },
    GoAway {
        code: u32,
    },
    Other,
}

/// The server end of one connection.
pub struct Peer {
    tcp: TcpStream,
    buf: Vec<u8>,
    encoder: Encoder,
    /// SETTINGS acknowledgements received so far.
    pub acks: usize,
}

impl Peer {
    /// Accepts a connection, reads the client's preface, and sends
    /// SETTINGS with `params`.
    pub fn accept(listener: &TcpListener, params: &[(u16, u32)]) -> Peer {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut peer = Peer {
            tcp,
            buf: Vec::new(),
            encoder: Encoder::new(4096),
            acks: 0,
        };
        let mut preface = [0; 24];
        peer.tcp.read_exact(&mut preface).unwrap();
        assert_eq!(&preface[..], frame::PREFACE);
        let mut out = Vec::new();
        frame::encode_settings(params, &mut out);
        peer.send(&out);
        peer
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).unwrap();
    }

    /// Like `send`, but a client that went away is fine.
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.tcp.write_all(bytes).is_ok()
    }

    /// The next frame from the client (SETTINGS from it are acknowledged,
    /// DATA given back to the windows at once);
    /// `None` when it closed the connection.
    pub fn next(&mut self) -> Option<Got> {
        loop {
            if let Ok(Some((f, used))) = frame::parse(&self.buf, frame::MAX_MAX_FRAME_SIZE) {
                let got = match f {
                    Frame::Headers {
                        stream, end_stream, ..
                    } => Got::Headers { stream, end_stream },
                    Frame::Data {
                        stream,
                        data,
                        end_stream,
                        ..
                    } => Got::Data {
                        stream,
                        len: data.len(),
                        end_stream,
                    },
                    Frame::Settings { ack, params } => Got::Settings { ack, params },
                    Frame::WindowUpdate { stream, increment } => {
                        Got::WindowUpdate { stream, increment }
                    }
                    Frame::RstStream { stream, code } => Got::RstStream {
                        stream,
                        code: code.0,
                    },
                    Frame::Ping { ack, .. } => Got::Ping { ack },
                    Frame::GoAway { code, .. } => Got::GoAway { code: code.0 },
                    _ => Got::Other,
                };
                self.buf.drain(..used);
                // Data read is given back at once, to the stream and the connection.
                if let Got::Data { stream, len, .. } = got {
                    if len > 0 {
                        let mut out = Vec::new();
                        frame::encode_window_update(0, len as u32, &mut out);
                        frame::encode_window_update(stream, len as u32, &mut out);
                        let _ = self.try_send(&out);
                    }
                }
                if let Got::Settings { ack: true, .. } = got {
                    self.acks += 1;
                }
                if let Got::Settings { ack: false, .. } = got {
                    let mut out = Vec::new();
                    frame::encode_settings_ack(&mut out);
                    let _ = self.try_send(&out);
                }
                return Some(got);
            }
            let mut chunk = [0; 16 * 1024];
            match self.tcp.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// The next frame if one comes within `wait`.
    pub fn poll(&mut self, wait: Duration) -> Option<Got> {
        self.tcp.set_read_timeout(Some(wait)).unwrap();
        let got = self.next();
        self.tcp
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        got
    }

    /// Frames until a request's HEADERS: its stream.
    pub fn next_request(&mut self) -> Option<u32> {
        loop {
            if let Got::Headers { stream, .. } = self.next()? {
                return Some(stream);
            }
        }
    }

    /// A response head (`:status` and `fields`).
    pub fn headers(
        &mut self,
        stream: u32,
        status: u16,
        fields: &[(&str, &str)],
        end: bool,
    ) -> Vec<u8> {
        let status = status.to_string();
        let all = std::iter::once((&b":status"[..], status.as_bytes(), false)).chain(
            fields
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
        );
        let mut block = Vec::new();
        self.encoder.encode(all, &mut block);
        let mut out = Vec::new();
        frame::encode_headers(stream, &block, end, frame::DEFAULT_MAX_FRAME_SIZE, &mut out);
        out
    }

    /// A whole response: a head and `body` as one DATA frame.
    pub fn respond(&mut self, stream: u32, body: &[u8]) {
        let mut out = self.headers(stream, 200, &[], false);
        frame::encode_data(stream, body, true, &mut out);
        self.send(&out);
    }
}

/// SETTINGS with one parameter.
pub fn settings(id: u16, value: u32) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_settings(&[(id, value)], &mut out);
    out
}

pub use setting::MAX_CONCURRENT_STREAMS;

/// GOAWAY.
pub fn goaway(last: u32, code: u32) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_goaway(last, ErrorCode(code), b"", &mut out);
    out
}

/// A frame of `kind` with `flags` and `payload`, as bytes.
pub fn raw_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_header(payload.len(), kind, flags, stream, &mut out);
    out.extend_from_slice(payload);
    out
}

pub use frame::{flag, kind};
