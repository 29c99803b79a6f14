//! The client connection against a scripted server: handshake, a request
//! and its response (split at every byte), flow control both ways,
//! concurrency limits, GOAWAY, resets, and the hostile-server bounds.

use super::*;
use crate::proto::h2::frame::{flag, kind, Frame};

/// What the client wrote, frame by frame (owned, for assertions).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Settings(Vec<(u16, u32)>),
    SettingsAck,
    Headers {
        stream: u32,
        fields: Vec<(String, String)>,
        end_stream: bool,
    },
    Data {
        stream: u32,
        len: usize,
        end_stream: bool,
    },
    WindowUpdate {
        stream: u32,
        increment: u32,
    },
    Rst {
        stream: u32,
        code: ErrorCode,
    },
    Ping {
        ack: bool,
    },
    GoAway {
        code: ErrorCode,
    },
}

/// The server side of the test: its own HPACK state.
struct Peer {
    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
}

impl Peer {
    fn new() -> Peer {
        Peer {
            decoder: hpack::Decoder::new(4096, 1 << 20),
            encoder: hpack::Encoder::new(4096),
        }
    }

    /// The client's output as frames (the preface, if there, skipped).
    fn read(&mut self, mut bytes: &[u8]) -> Vec<Out> {
        if let Some(rest) = bytes.strip_prefix(frame::PREFACE) {
            bytes = rest;
        }
        let mut out = Vec::new();
        let mut block: Option<(u32, Vec<u8>, bool)> = None;
        while !bytes.is_empty() {
            let (f, used) = frame::parse(bytes, frame::MAX_MAX_FRAME_SIZE)
                .unwrap()
                .unwrap();
            bytes = &bytes[used..];
            let done_block = |peer: &mut Peer, (stream, b, end): (u32, Vec<u8>, bool)| {
                let mut fields = Vec::new();
                peer.decoder.decode(&b, &mut fields).unwrap();
                Out::Headers {
                    stream,
                    fields: fields
                        .into_iter()
                        .map(|f| {
                            (
                                String::from_utf8(f.name).unwrap(),
                                String::from_utf8(f.value).unwrap(),
                            )
                        })
                        .collect(),
                    end_stream: end,
                }
            };
            match f {
                Frame::Settings { ack: false, params } => out.push(Out::Settings(params)),
                Frame::Settings { ack: true, .. } => out.push(Out::SettingsAck),
                Frame::Headers {
                    stream,
                    block: b,
                    end_stream,
                    end_headers,
                } => {
                    let open = (stream, b.to_vec(), end_stream);
                    if end_headers {
                        out.push(done_block(self, open));
                    } else {
                        block = Some(open);
                    }
                }
                Frame::Continuation {
                    block: b,
                    end_headers,
                    ..
                } => {
                    let mut open = block.take().unwrap();
                    open.1.extend_from_slice(b);
                    if end_headers {
                        out.push(done_block(self, open));
                    } else {
                        block = Some(open);
                    }
                }
                Frame::Data {
                    stream,
                    data,
                    end_stream,
                    ..
                } => out.push(Out::Data {
                    stream,
                    len: data.len(),
                    end_stream,
                }),
                Frame::WindowUpdate { stream, increment } => {
                    out.push(Out::WindowUpdate { stream, increment })
                }
                Frame::RstStream { stream, code } => out.push(Out::Rst { stream, code }),
                Frame::Ping { ack, .. } => out.push(Out::Ping { ack }),
                Frame::GoAway { code, .. } => out.push(Out::GoAway { code }),
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    fn headers(&mut self, stream: u32, fields: &[(&str, &str)], end_stream: bool) -> Vec<u8> {
        let mut block = Vec::new();
        self.encoder.encode(
            fields
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
            &mut block,
        );
        let mut out = Vec::new();
        frame::encode_headers(
            stream,
            &block,
            end_stream,
            frame::DEFAULT_MAX_FRAME_SIZE,
            &mut out,
        );
        out
    }
}

fn data(stream: u32, bytes: &[u8], end_stream: bool) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_data(stream, bytes, end_stream, &mut out);
    out
}

/// A DATA frame with PADDED: `pad` bytes of padding after `bytes`.
fn padded(stream: u32, bytes: &[u8], pad: u8, end_stream: bool) -> Vec<u8> {
    let len = 1 + bytes.len() + usize::from(pad);
    let mut out = (len as u32).to_be_bytes()[1..].to_vec();
    out.push(kind::DATA);
    out.push(flag::PADDED | if end_stream { flag::END_STREAM } else { 0 });
    out.extend(stream.to_be_bytes());
    out.push(pad);
    out.extend(bytes);
    out.extend(std::iter::repeat_n(0xEE, usize::from(pad)));
    out
}

/// `events` with each DATA frame's pieces joined: consecutive
/// [`Event::Data`] of one stream, up to the one with `end_stream` or a
/// frame boundary the caller cannot see (pieces of two frames join too).
fn joined(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for e in events {
        if let Event::Data {
            stream,
            data,
            end_stream,
        } = &e
        {
            if let Some(Event::Data {
                stream: prev,
                data: so_far,
                end_stream: prev_end @ false,
            }) = out.last_mut()
            {
                if prev == stream {
                    so_far.extend_from_slice(data);
                    *prev_end = *end_stream;
                    continue;
                }
            }
        }
        out.push(e);
    }
    out
}

fn settings(params: &[(u16, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    frame::encode_settings(params, &mut out);
    out
}

fn feed(c: &mut Connection, bytes: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    c.receive(bytes, &mut events).unwrap();
    events
}

fn connected(config: Config) -> (Connection, Peer) {
    let mut c = Connection::new(config);
    let mut peer = Peer::new();
    let out = c.take_output();
    assert!(out.starts_with(frame::PREFACE));
    let frames = peer.read(&out);
    let Out::Settings(params) = &frames[0] else {
        panic!("{frames:?}")
    };
    assert!(params.contains(&(setting::ENABLE_PUSH, 0)), "push disabled");
    assert!(params.contains(&(setting::INITIAL_WINDOW_SIZE, config.stream_window)));
    let raise = config.connection_window.saturating_sub(65_535);
    let expected = (raise > 0).then_some(Out::WindowUpdate {
        stream: 0,
        increment: raise,
    });
    assert_eq!(frames.get(1), expected.as_ref());
    let events = feed(&mut c, &settings(&[]));
    assert_eq!(events, [Event::SendCapacity]);
    assert_eq!(peer.read(&c.take_output()), [Out::SettingsAck]);
    (c, peer)
}

fn get(c: &mut Connection, path: &str) -> u32 {
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("*/*"));
    headers.insert("connection", HeaderValue::from_static("keep-alive"));
    headers.insert("host", HeaderValue::from_static("example.test"));
    c.open("GET", "https", "example.test", path, &headers, true)
        .unwrap()
}

#[test]
fn a_request_and_its_response_split_at_every_byte() {
    let (mut c, mut peer) = connected(Config::default());
    let id = get(&mut c, "/a");
    assert_eq!(id, 1);
    assert_eq!(
        peer.read(&c.take_output()),
        [Out::Headers {
            stream: 1,
            fields: vec![
                (":method".into(), "GET".into()),
                (":scheme".into(), "https".into()),
                (":authority".into(), "example.test".into()),
                (":path".into(), "/a".into()),
                ("accept".into(), "*/*".into()),
            ],
            end_stream: true,
        }],
        "connection-specific fields and host are not sent"
    );
    let mut server = peer.headers(
        1,
        &[(":status", "200"), ("content-type", "text/plain")],
        false,
    );
    server.extend(data(1, b"hello ", false));
    server.extend(data(1, b"world", true));
    let whole = feed(&mut c, &server);
    let mut expected_head = HeaderMap::new();
    expected_head.insert("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(
        whole,
        [
            Event::Head {
                stream: 1,
                status: StatusCode::OK,
                headers: expected_head,
                end_stream: false
            },
            Event::Data {
                stream: 1,
                data: b"hello ".to_vec(),
                end_stream: false
            },
            Event::Data {
                stream: 1,
                data: b"world".to_vec(),
                end_stream: true
            },
        ]
    );
    assert_eq!(
        c.active_streams(),
        0,
        "both sides ended: the stream is closed"
    );

    // The same response, a byte at a time, on a new stream.
    let id = get(&mut c, "/b");
    assert_eq!(id, 3);
    let mut server = peer.headers(
        3,
        &[(":status", "200"), ("content-type", "text/plain")],
        false,
    );
    server.extend(data(3, b"hello ", false));
    server.extend(data(3, b"world", true));
    let mut events = Vec::new();
    for b in &server {
        events.extend(feed(&mut c, std::slice::from_ref(b)));
    }
    assert!(
        events.len() > 3,
        "DATA handed on as its bytes come, before its frame is whole: {events:?}"
    );
    let renumbered: Vec<Event> = joined(whole)
        .into_iter()
        .map(|e| match e {
            Event::Head {
                status,
                headers,
                end_stream,
                ..
            } => Event::Head {
                stream: 3,
                status,
                headers,
                end_stream,
            },
            Event::Data {
                data, end_stream, ..
            } => Event::Data {
                stream: 3,
                data,
                end_stream,
            },
            other => other,
        })
        .collect();
    assert_eq!(joined(events), renumbered);
}

#[test]
fn data_frames_cut_anywhere_are_handed_on_in_pieces() {
    // Two streams' DATA frames, plain and padded, with a PING between,
    // cut in two at every byte: the same bodies, the same window given
    // back, the same PING answer, and the padding never handed on.
    let mut frames = Vec::new();
    let body_a: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let body_b: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
    frames.extend(padded(1, &body_a[..100], 17, false));
    frames.extend(data(3, &body_b[..150], false));
    let mut ping = Vec::new();
    frame::encode_ping(false, *b"between!", &mut ping);
    frames.extend(&ping);
    frames.extend(padded(3, &body_b[150..], 0, true));
    frames.extend(data(1, &body_a[100..], false));
    frames.extend(padded(1, &[], 5, true));
    for cut in 0..=frames.len() {
        let (mut c, mut peer) = connected(Config::default());
        let (a, b) = (get(&mut c, "/a"), get(&mut c, "/b"));
        assert_eq!((a, b), (1, 3));
        let mut server = peer.headers(a, &[(":status", "200")], false);
        server.extend(peer.headers(b, &[(":status", "200")], false));
        feed(&mut c, &server);
        c.take_output();
        let mut events = feed(&mut c, &frames[..cut]);
        events.extend(feed(&mut c, &frames[cut..]));
        let mut bodies = [Vec::new(), Vec::new()];
        let mut ends = [0, 0];
        for e in &events {
            if let Event::Data {
                stream,
                data,
                end_stream,
            } = e
            {
                let i = (*stream as usize) / 2;
                assert_eq!(ends[i], 0, "cut {cut}: data after the end");
                bodies[i].extend_from_slice(data);
                ends[i] += usize::from(*end_stream);
                c.consumed(*stream, data.len());
            }
        }
        assert_eq!(bodies[0], body_a, "cut {cut}");
        assert_eq!(bodies[1], body_b, "cut {cut}");
        assert_eq!(ends, [1, 1], "cut {cut}");
        assert_eq!(c.active_streams(), 0, "cut {cut}: both streams ended");
        assert_eq!(c.recv_window + i64::from(c.unacked), 2 << 20, "cut {cut}");
        let out = peer.read(&c.take_output());
        assert_eq!(
            out.iter()
                .filter(|o| **o == Out::Ping { ack: true })
                .count(),
            1,
            "cut {cut}: {out:?}"
        );
    }
}

#[test]
fn a_stream_gone_or_refused_mid_frame_gives_its_bytes_back() {
    let config = Config {
        stream_window: 1_000,
        connection_window: 65_535,
        ..Config::default()
    };
    // The caller goes away while a frame's data is arriving: the rest of
    // it is given back to the connection's window, not handed on.
    let (mut c, mut peer) = connected(config);
    let id = get(&mut c, "/");
    feed(&mut c, &peer.headers(id, &[(":status", "200")], false));
    c.take_output();
    let frame = data(id, &[7; 900], false);
    let events = feed(&mut c, &frame[..400]);
    assert_eq!(
        events,
        [Event::Data {
            stream: id,
            data: vec![7; 391],
            end_stream: false
        }]
    );
    c.consumed(id, 391);
    c.reset(id, ErrorCode::CANCEL);
    assert_eq!(feed(&mut c, &frame[400..]), [], "nothing for a gone stream");
    assert_eq!(c.recv_window + i64::from(c.unacked), 65_535);
    // A frame beyond the stream's window, refused from its header (a
    // stream error): reset at once, its bytes given back, the frames
    // after it read as usual.
    let (mut c, mut peer) = connected(config);
    let (a, b) = (get(&mut c, "/a"), get(&mut c, "/b"));
    let mut server = peer.headers(a, &[(":status", "200")], false);
    server.extend(peer.headers(b, &[(":status", "200")], false));
    feed(&mut c, &server);
    c.take_output();
    let mut frames = data(a, &[1; 1_001], false);
    frames.extend(data(b, b"after", true));
    let events = feed(&mut c, &frames[..20]);
    assert_eq!(
        events,
        [Event::Reset {
            stream: a,
            code: ErrorCode::FLOW_CONTROL_ERROR,
            retryable: false
        }]
    );
    assert_eq!(
        peer.read(&c.take_output()),
        [Out::Rst {
            stream: a,
            code: ErrorCode::FLOW_CONTROL_ERROR
        }]
    );
    assert_eq!(
        feed(&mut c, &frames[20..]),
        [Event::Data {
            stream: b,
            data: b"after".to_vec(),
            end_stream: true
        }]
    );
    c.consumed(b, 5);
    assert_eq!(c.recv_window + i64::from(c.unacked), 65_535);
}

#[test]
fn informational_heads_trailers_and_header_rules() {
    let (mut c, mut peer) = connected(Config::default());
    let id = get(&mut c, "/");
    let mut server = peer.headers(id, &[(":status", "103"), ("link", "</a>")], false);
    server.extend(peer.headers(id, &[(":status", "200")], false));
    server.extend(data(id, b"x", false));
    server.extend(peer.headers(id, &[("x-checksum", "abc")], true));
    let events = feed(&mut c, &server);
    assert!(matches!(&events[0], Event::Head { status, .. } if status.as_u16() == 103));
    assert!(matches!(&events[1], Event::Head { status, .. } if *status == StatusCode::OK));
    assert!(
        matches!(&events[3], Event::Trailers { headers, .. } if headers["x-checksum"] == "abc")
    );
    assert_eq!(c.active_streams(), 0);

    // Each broken rule resets its stream only: the connection goes on.
    for bad in [
        vec![("content-type", "x")],                       // no :status
        vec![(":status", "200"), ("Content-Type", "x")],   // upper case
        vec![(":status", "200"), ("connection", "close")], // connection-specific
        vec![(":status", "200"), (":path", "/")],          // a request pseudo-field
        vec![(":status", "101")],                          // no 101 in HTTP/2
    ] {
        let id = get(&mut c, "/");
        c.take_output();
        let events = feed(&mut c, &peer.headers(id, &bad, true));
        assert_eq!(
            events,
            [Event::Reset {
                stream: id,
                code: ErrorCode::PROTOCOL_ERROR,
                retryable: false
            }],
            "{bad:?}"
        );
        assert_eq!(
            peer.read(&c.take_output()),
            [Out::Rst {
                stream: id,
                code: ErrorCode::PROTOCOL_ERROR
            }]
        );
    }
    assert!(c.can_open());
}

#[test]
fn received_data_is_given_back_as_it_is_consumed() {
    let config = Config {
        stream_window: 1000,
        connection_window: 65_535,
        ..Config::default()
    };
    let (mut c, mut peer) = connected(config);
    let id = get(&mut c, "/");
    c.take_output();
    let mut server = peer.headers(id, &[(":status", "200")], false);
    server.extend(data(id, &[0; 600], false));
    feed(&mut c, &server);
    assert!(
        !c.has_output(),
        "nothing given back before the caller reads"
    );
    c.consumed(id, 200);
    assert!(!c.has_output(), "less than a quarter of the window");
    c.consumed(id, 100);
    assert_eq!(
        peer.read(&c.take_output()),
        [Out::WindowUpdate {
            stream: id,
            increment: 300
        }]
    );
    c.consumed(id, 300);
    assert_eq!(
        peer.read(&c.take_output()),
        [Out::WindowUpdate {
            stream: id,
            increment: 300
        }]
    );
    // Past the window: the stream is reset (FLOW_CONTROL_ERROR).
    let events = feed(&mut c, &data(id, &[0; 1001], false));
    assert_eq!(
        events,
        [Event::Reset {
            stream: id,
            code: ErrorCode::FLOW_CONTROL_ERROR,
            retryable: false
        }]
    );
}

#[test]
fn the_connection_window_bounds_every_stream_together() {
    let config = Config {
        stream_window: 60_000,
        connection_window: 65_535,
        ..Config::default()
    };
    let (mut c, mut peer) = connected(config);
    let (a, b) = (get(&mut c, "/a"), get(&mut c, "/b"));
    c.take_output();
    let mut server = peer.headers(a, &[(":status", "200")], false);
    server.extend(peer.headers(b, &[(":status", "200")], false));
    server.extend(data(a, &[0; 16_384], false));
    server.extend(data(a, &[0; 16_384], false));
    server.extend(data(b, &[0; 16_384], false));
    server.extend(data(b, &[0; 16_383], false));
    feed(&mut c, &server);
    let mut events = Vec::new();
    let e = c
        .receive(&data(b, &[0; 1], false), &mut events)
        .unwrap_err();
    assert_eq!((e.code, e.stream), (ErrorCode::FLOW_CONTROL_ERROR, None));
    assert!(peer.read(&c.take_output()).contains(&Out::GoAway {
        code: ErrorCode::FLOW_CONTROL_ERROR
    }));
}

#[test]
fn sending_waits_for_the_peers_windows() {
    let (mut c, mut peer) = connected(Config::default());
    // The server allows 10 bytes per stream.
    feed(&mut c, &settings(&[(setting::INITIAL_WINDOW_SIZE, 10)]));
    c.take_output();
    let id = c
        .open(
            "POST",
            "https",
            "example.test",
            "/up",
            &HeaderMap::new(),
            false,
        )
        .unwrap();
    assert_eq!(c.send_capacity(id), 10);
    assert_eq!(c.send_data(id, &[1; 25], true).unwrap(), 10);
    assert_eq!(
        c.send_data(id, &[1; 15], true).unwrap(),
        0,
        "window used up"
    );
    let mut wu = Vec::new();
    frame::encode_window_update(id, 20, &mut wu);
    assert_eq!(feed(&mut c, &wu), [Event::SendCapacity]);
    assert_eq!(c.send_data(id, &[1; 15], true).unwrap(), 15);
    let frames = peer.read(&c.take_output());
    assert_eq!(
        frames[1..],
        [
            Out::Data {
                stream: id,
                len: 10,
                end_stream: false
            },
            Out::Data {
                stream: id,
                len: 15,
                end_stream: true
            },
        ]
    );
    // A WINDOW_UPDATE past 2^31 - 1 resets the stream; for the connection,
    // it ends the connection.
    let id = c
        .open(
            "POST",
            "https",
            "example.test",
            "/up",
            &HeaderMap::new(),
            false,
        )
        .unwrap();
    let mut wu = Vec::new();
    frame::encode_window_update(id, MAX_WINDOW, &mut wu);
    let events = feed(&mut c, &wu);
    assert_eq!(
        events,
        [Event::Reset {
            stream: id,
            code: ErrorCode::FLOW_CONTROL_ERROR,
            retryable: false
        }]
    );
    let mut wu = Vec::new();
    frame::encode_window_update(0, MAX_WINDOW, &mut wu);
    let e = c.receive(&wu, &mut Vec::new()).unwrap_err();
    assert_eq!(e.code, ErrorCode::FLOW_CONTROL_ERROR);
}

#[test]
fn the_peers_stream_limit_is_honoured_and_may_change() {
    let (mut c, _peer) = connected(Config::default());
    feed(&mut c, &settings(&[(setting::MAX_CONCURRENT_STREAMS, 2)]));
    get(&mut c, "/1");
    get(&mut c, "/2");
    assert!(!c.can_open());
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("*/*"));
    let e = c
        .open("GET", "https", "h", "/3", &headers, true)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::REFUSED_STREAM);
    // Raised, then lowered below what is open: no new stream until some end.
    feed(&mut c, &settings(&[(setting::MAX_CONCURRENT_STREAMS, 3)]));
    assert!(c.can_open());
    feed(&mut c, &settings(&[(setting::MAX_CONCURRENT_STREAMS, 1)]));
    assert!(!c.can_open());
    c.reset(1, ErrorCode::CANCEL);
    assert!(!c.can_open(), "one still open, the limit 1");
    c.reset(3, ErrorCode::CANCEL);
    assert!(c.can_open());
}

#[test]
fn goaway_refuses_the_streams_the_server_never_saw() {
    let (mut c, _peer) = connected(Config::default());
    for p in ["/1", "/3", "/5"] {
        get(&mut c, p);
    }
    let mut g = Vec::new();
    frame::encode_goaway(1, ErrorCode::NO_ERROR, b"bye", &mut g);
    let events = feed(&mut c, &g);
    assert_eq!(
        events,
        [
            Event::Reset {
                stream: 3,
                code: ErrorCode::REFUSED_STREAM,
                retryable: true
            },
            Event::Reset {
                stream: 5,
                code: ErrorCode::REFUSED_STREAM,
                retryable: true
            },
            Event::GoAway {
                last_stream: 1,
                code: ErrorCode::NO_ERROR
            },
        ]
    );
    assert!(!c.can_open());
    assert_eq!(c.active_streams(), 1, "stream 1 may still finish");
    assert!(!c.is_done());
    // A second GOAWAY may not raise the last stream id.
    let mut g = Vec::new();
    frame::encode_goaway(5, ErrorCode::NO_ERROR, b"", &mut g);
    assert_eq!(
        c.receive(&g, &mut Vec::new()).unwrap_err().code,
        ErrorCode::PROTOCOL_ERROR
    );
}

#[test]
fn resets_both_ways() {
    let (mut c, mut peer) = connected(Config::default());
    let id = get(&mut c, "/");
    c.take_output();
    // The server resets: the caller is told; REFUSED_STREAM is retryable.
    let mut r = Vec::new();
    frame::encode_rst_stream(id, ErrorCode::REFUSED_STREAM, &mut r);
    assert_eq!(
        feed(&mut c, &r),
        [Event::Reset {
            stream: id,
            code: ErrorCode::REFUSED_STREAM,
            retryable: true
        }]
    );
    // This side abandons a stream: RST_STREAM, and data still arriving for
    // it is given back to the connection's window.
    let config = Config {
        connection_window: 65_535,
        ..Config::default()
    };
    let (mut c, mut peer2) = connected(config);
    let id = get(&mut c, "/");
    c.take_output();
    feed(&mut c, &peer2.headers(id, &[(":status", "200")], false));
    c.reset(id, ErrorCode::CANCEL);
    assert_eq!(
        peer2.read(&c.take_output()),
        [Out::Rst {
            stream: id,
            code: ErrorCode::CANCEL
        }]
    );
    let mut late = Vec::new();
    for _ in 0..3 {
        late.extend(data(id, &[0; 16_000], false));
    }
    assert_eq!(feed(&mut c, &late), [], "nothing for a gone stream");
    // Given back a quarter of the window at a time: 32 000, then the rest
    // once a quarter is reached again.
    assert!(peer2.read(&c.take_output()).contains(&Out::WindowUpdate {
        stream: 0,
        increment: 32_000
    }));
    let _ = &mut peer;
}

#[test]
fn pings_are_answered_and_push_is_refused() {
    let (mut c, mut peer) = connected(Config::default());
    let mut p = Vec::new();
    frame::encode_ping(false, *b"pingpong", &mut p);
    assert_eq!(feed(&mut c, &p), []);
    assert_eq!(peer.read(&c.take_output()), [Out::Ping { ack: true }]);
    let mut pong = Vec::new();
    frame::encode_ping(true, *b"12345678", &mut pong);
    assert_eq!(feed(&mut c, &pong), [Event::Pong(*b"12345678")]);
    get(&mut c, "/");
    let mut pp = Vec::new();
    frame::encode_header(4, kind::PUSH_PROMISE, flag::END_HEADERS, 1, &mut pp);
    pp.extend_from_slice(&[0, 0, 0, 2]);
    assert_eq!(
        c.receive(&pp, &mut Vec::new()).unwrap_err().code,
        ErrorCode::PROTOCOL_ERROR
    );
}

#[test]
fn floods_are_bounded() {
    use ErrorCode as C;
    // SETTINGS whose acknowledgements are never written out.
    let (mut c, _) = connected(Config::default());
    let flood: Vec<u8> = (0..100).flat_map(|_| settings(&[])).collect();
    assert_eq!(
        c.receive(&flood, &mut Vec::new()).unwrap_err().code,
        C::ENHANCE_YOUR_CALM
    );
    // PINGs likewise.
    let (mut c, _) = connected(Config::default());
    let mut flood = Vec::new();
    for _ in 0..100 {
        frame::encode_ping(false, [0; 8], &mut flood);
    }
    assert_eq!(
        c.receive(&flood, &mut Vec::new()).unwrap_err().code,
        C::ENHANCE_YOUR_CALM
    );
    // ...but written out in between, they are fine.
    let (mut c, _) = connected(Config::default());
    for _ in 0..1000 {
        let mut p = Vec::new();
        frame::encode_ping(false, [0; 8], &mut p);
        feed(&mut c, &p);
        c.take_output();
    }
    // Empty DATA frames.
    let (mut c, mut peer) = connected(Config::default());
    let id = get(&mut c, "/");
    feed(&mut c, &peer.headers(id, &[(":status", "200")], false));
    let flood: Vec<u8> = (0..2000).flat_map(|_| data(id, b"", false)).collect();
    assert_eq!(
        c.receive(&flood, &mut Vec::new()).unwrap_err().code,
        C::ENHANCE_YOUR_CALM
    );
    // Resets and window updates of a closed stream, repeated GOAWAYs.
    let (mut c, _) = connected(Config::default());
    get(&mut c, "/");
    c.reset(1, C::CANCEL);
    let mut flood = Vec::new();
    for i in 0..2000 {
        match i % 3 {
            0 => frame::encode_rst_stream(1, C::CANCEL, &mut flood),
            1 => frame::encode_window_update(1, 1, &mut flood),
            _ => frame::encode_goaway(1, C::NO_ERROR, b"", &mut flood),
        }
    }
    assert_eq!(
        c.receive(&flood, &mut Vec::new()).unwrap_err().code,
        C::ENHANCE_YOUR_CALM
    );
    // CONTINUATION without end: the block is capped.
    let config = Config {
        max_header_list_size: 4096,
        ..Config::default()
    };
    let (mut c, _) = connected(config);
    let id = get(&mut c, "/");
    let mut flood = Vec::new();
    frame::encode_header(100, kind::HEADERS, 0, id, &mut flood);
    flood.extend_from_slice(&[0x82; 100]);
    for _ in 0..100 {
        frame::encode_header(100, kind::CONTINUATION, 0, id, &mut flood);
        flood.extend_from_slice(&[0x82; 100]);
    }
    let mut events = Vec::new();
    let e = c.receive(&flood, &mut events).unwrap_err();
    assert_eq!(e.code, C::ENHANCE_YOUR_CALM);
    assert_eq!(
        events,
        [Event::Reset {
            stream: id,
            code: C::ENHANCE_YOUR_CALM,
            retryable: false
        }],
        "its stream fails"
    );
    // And the connection stays failed.
    assert_eq!(
        c.receive(&[], &mut Vec::new()).unwrap_err().code,
        C::ENHANCE_YOUR_CALM
    );
    assert!(!c.can_open());
}

#[test]
fn frames_that_break_the_order_end_the_connection() {
    let (mut c, mut peer) = connected(Config::default());
    let id = get(&mut c, "/");
    // DATA before the head resets the stream.
    let events = feed(&mut c, &data(id, b"x", false));
    assert_eq!(
        events,
        [Event::Reset {
            stream: id,
            code: ErrorCode::PROTOCOL_ERROR,
            retryable: false
        }]
    );
    // A frame between HEADERS and its CONTINUATION.
    let id = get(&mut c, "/");
    let mut bad = Vec::new();
    frame::encode_header(1, kind::HEADERS, 0, id, &mut bad);
    bad.push(0x88);
    bad.extend(data(id, b"x", false));
    assert_eq!(
        c.receive(&bad, &mut Vec::new()).unwrap_err().code,
        ErrorCode::PROTOCOL_ERROR
    );
    // HEADERS on a stream the client never opened.
    let (mut c, _) = connected(Config::default());
    let e = c
        .receive(
            &peer.headers(2, &[(":status", "200")], true),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PROTOCOL_ERROR);
}

#[test]
fn arbitrary_input_never_panics() {
    // Every byte value after the handshake, at a few positions.
    for b in 0..=255u8 {
        let (mut c, _) = connected(Config::default());
        get(&mut c, "/");
        let mut input = vec![0, 0, 4, b, b, 0, 0, 0, 1];
        input.extend_from_slice(&[b; 4]);
        let _ = c.receive(&input, &mut Vec::new());
    }
}

#[test]
fn spare_buffers_are_bounded_open_and_idle() {
    let config = Config {
        connection_window: 65_535,
        ..Config::default()
    };
    let (mut c, mut peer) = connected(config);
    let id = get(&mut c, "/");
    feed(&mut c, &peer.headers(id, &[(":status", "200")], false));
    // While a stream is open: kept up to twice the window in bytes.
    for _ in 0..100 {
        c.recycle(Vec::with_capacity(4096));
    }
    assert_eq!(c.spare.len(), 2 * 65_535 / 4096);
    assert_eq!(
        c.spare_bytes,
        c.spare.iter().map(Vec::capacity).sum::<usize>()
    );
    // A piece takes a spare that fits (a smaller one stays for later).
    c.recycle(Vec::with_capacity(1024));
    let before = c.spare.len();
    let buf = c.buffer_for(&[1; 3000]);
    assert!(buf.capacity() >= 3000 && buf.capacity() < 8192);
    assert_eq!(c.spare.len(), before - 1);
    assert!(
        c.spare.iter().any(|b| b.capacity() == 1024),
        "the small one kept"
    );
    // Too small or too large to keep.
    let before = c.spare.len();
    c.recycle(Vec::with_capacity(100));
    c.recycle(Vec::with_capacity(1 << 20));
    assert_eq!(c.spare.len(), before);
    // The stream ends: the next buffer given back trims the rest.
    let mut end = Vec::new();
    frame::encode_data(id, b"", true, &mut end);
    feed(&mut c, &end);
    assert_eq!(c.active_streams(), 0);
    c.recycle(buf);
    assert_eq!(c.spare.len(), SPARE_BUFFERS_IDLE);
    assert_eq!(
        c.spare_bytes,
        c.spare.iter().map(Vec::capacity).sum::<usize>()
    );
}
