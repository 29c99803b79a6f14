//! Every frame type encoded and parsed back, whole and from every prefix;
//! each type's rules broken once.

use super::*;

const MAX: u32 = DEFAULT_MAX_FRAME_SIZE;

/// Parses the one frame `bytes` holds: no prefix of it is a frame, and
/// the whole is.
fn only_frame(bytes: &[u8]) -> Frame<'_> {
    for cut in 0..bytes.len() {
        assert_eq!(parse(&bytes[..cut], MAX), Ok(None), "a {cut}-byte prefix");
    }
    let (frame, used) = parse(bytes, MAX).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    frame
}

fn raw(len: usize, kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_header(len, kind, flags, stream, &mut out);
    out.extend_from_slice(payload);
    out
}

fn error_of(bytes: &[u8]) -> H2Error {
    parse(bytes, MAX).unwrap_err()
}

#[test]
fn data_round_trips_and_padding_counts_for_flow_control() {
    let mut out = Vec::new();
    encode_data(1, b"hello", true, &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::Data {
            stream: 1,
            data: b"hello",
            end_stream: true,
            flow_len: 5,
        }
    );
    // Padded: 1 pad-length byte, 5 data, 3 padding.
    let bytes = raw(9, kind::DATA, flag::PADDED, 3, b"\x03hello\0\0\0");
    assert_eq!(
        only_frame(&bytes),
        Frame::Data {
            stream: 3,
            data: b"hello",
            end_stream: false,
            flow_len: 9,
        }
    );
    let e = error_of(&raw(3, kind::DATA, flag::PADDED, 1, b"\x05ab"));
    assert_eq!((e.code, e.stream), (ErrorCode::PROTOCOL_ERROR, None));
    let e = error_of(&raw(1, kind::DATA, 0, 0, b"x"));
    assert_eq!(e.code, ErrorCode::PROTOCOL_ERROR, "DATA on stream 0");
}

#[test]
fn headers_split_into_continuations_by_frame_size() {
    let block: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let mut out = Vec::new();
    encode_headers(5, &block, true, MAX, &mut out);
    let mut at = 0;
    let mut joined = Vec::new();
    let mut frames = 0;
    while at < out.len() {
        let (frame, used) = parse(&out[at..], MAX).unwrap().unwrap();
        at += used;
        frames += 1;
        match frame {
            Frame::Headers {
                stream,
                block,
                end_stream,
                end_headers,
            } => {
                assert_eq!((stream, end_stream, end_headers), (5, true, false));
                joined.extend_from_slice(block);
            }
            Frame::Continuation {
                stream,
                block,
                end_headers,
            } => {
                assert_eq!(stream, 5);
                assert_eq!(end_headers, at == out.len(), "END_HEADERS on the last only");
                joined.extend_from_slice(block);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(frames, 3);
    assert_eq!(joined, block);
    // A small block is one HEADERS frame with END_HEADERS.
    let mut out = Vec::new();
    encode_headers(7, b"\x82", false, MAX, &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::Headers {
            stream: 7,
            block: b"\x82",
            end_stream: false,
            end_headers: true,
        }
    );
}

#[test]
fn headers_with_priority_and_padding() {
    // Pad length 2, priority (exclusive bit, depends on 3, weight 15), block, padding.
    let payload = b"\x02\x80\x00\x00\x03\x0f\x82\x84\0\0";
    let bytes = raw(
        payload.len(),
        kind::HEADERS,
        flag::PADDED | flag::PRIORITY | flag::END_HEADERS,
        1,
        payload,
    );
    assert_eq!(
        only_frame(&bytes),
        Frame::Headers {
            stream: 1,
            block: b"\x82\x84",
            end_stream: false,
            end_headers: true,
        }
    );
    // A stream that depends on itself: a stream error.
    let e = error_of(&raw(
        5,
        kind::HEADERS,
        flag::PRIORITY,
        1,
        b"\x00\x00\x00\x01\x0f",
    ));
    assert_eq!((e.code, e.stream), (ErrorCode::PROTOCOL_ERROR, Some(1)));
}

#[test]
fn control_frames_round_trip() {
    let mut out = Vec::new();
    encode_settings(
        &[
            (setting::ENABLE_PUSH, 0),
            (setting::INITIAL_WINDOW_SIZE, 1 << 20),
            (0x99, 7),
        ],
        &mut out,
    );
    assert_eq!(
        only_frame(&out),
        Frame::Settings {
            ack: false,
            params: vec![
                (setting::ENABLE_PUSH, 0),
                (setting::INITIAL_WINDOW_SIZE, 1 << 20),
                (0x99, 7)
            ],
        }
    );
    let mut out = Vec::new();
    encode_settings_ack(&mut out);
    assert_eq!(
        only_frame(&out),
        Frame::Settings {
            ack: true,
            params: vec![]
        }
    );

    let mut out = Vec::new();
    encode_ping(true, *b"12345678", &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::Ping {
            ack: true,
            payload: *b"12345678"
        }
    );

    let mut out = Vec::new();
    encode_goaway(7, ErrorCode::ENHANCE_YOUR_CALM, b"slow down", &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::GoAway {
            last_stream: 7,
            code: ErrorCode::ENHANCE_YOUR_CALM,
            debug: b"slow down",
        }
    );

    let mut out = Vec::new();
    encode_window_update(0, MAX_WINDOW, &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::WindowUpdate {
            stream: 0,
            increment: MAX_WINDOW
        }
    );

    let mut out = Vec::new();
    encode_rst_stream(9, ErrorCode::CANCEL, &mut out);
    assert_eq!(
        only_frame(&out),
        Frame::RstStream {
            stream: 9,
            code: ErrorCode::CANCEL
        }
    );

    let bytes = raw(5, kind::PRIORITY, 0, 3, b"\x00\x00\x00\x01\x10");
    assert_eq!(only_frame(&bytes), Frame::Priority { stream: 3 });
    let bytes = raw(
        4,
        kind::PUSH_PROMISE,
        flag::END_HEADERS,
        1,
        b"\x00\x00\x00\x02",
    );
    assert_eq!(
        only_frame(&bytes),
        Frame::PushPromise {
            stream: 1,
            promised: 2
        }
    );
    let bytes = raw(3, 0xfa, 0xff, 1, b"abc");
    assert_eq!(
        only_frame(&bytes),
        Frame::Unknown {
            kind: 0xfa,
            stream: 1
        }
    );
}

#[test]
fn broken_rules_give_the_rfcs_errors() {
    let conn = |bytes: Vec<u8>, code: ErrorCode| {
        let e = error_of(&bytes);
        assert_eq!((e.code, e.stream), (code, None), "{e}");
    };
    use ErrorCode as C;
    conn(raw(6, kind::SETTINGS, 0, 1, &[0; 6]), C::PROTOCOL_ERROR);
    conn(
        raw(6, kind::SETTINGS, flag::ACK, 0, &[0; 6]),
        C::FRAME_SIZE_ERROR,
    );
    conn(raw(5, kind::SETTINGS, 0, 0, &[0; 5]), C::FRAME_SIZE_ERROR);
    conn(
        raw(6, kind::SETTINGS, 0, 0, b"\x00\x02\x00\x00\x00\x02"),
        C::PROTOCOL_ERROR,
    );
    conn(
        raw(6, kind::SETTINGS, 0, 0, b"\x00\x04\x80\x00\x00\x00"),
        C::FLOW_CONTROL_ERROR,
    );
    conn(
        raw(6, kind::SETTINGS, 0, 0, b"\x00\x05\x00\x00\x3f\xff"),
        C::PROTOCOL_ERROR,
    );
    conn(
        raw(6, kind::SETTINGS, 0, 0, b"\x00\x05\x01\x00\x00\x00"),
        C::PROTOCOL_ERROR,
    );
    conn(raw(7, kind::PING, 0, 0, &[0; 7]), C::FRAME_SIZE_ERROR);
    conn(raw(8, kind::PING, 0, 1, &[0; 8]), C::PROTOCOL_ERROR);
    conn(raw(7, kind::GOAWAY, 0, 0, &[0; 7]), C::FRAME_SIZE_ERROR);
    conn(raw(8, kind::GOAWAY, 0, 3, &[0; 8]), C::PROTOCOL_ERROR);
    conn(
        raw(3, kind::WINDOW_UPDATE, 0, 0, &[0; 3]),
        C::FRAME_SIZE_ERROR,
    );
    conn(
        raw(4, kind::WINDOW_UPDATE, 0, 0, &[0; 4]),
        C::PROTOCOL_ERROR,
    );
    conn(raw(5, kind::RST_STREAM, 0, 1, &[0; 5]), C::FRAME_SIZE_ERROR);
    conn(raw(4, kind::RST_STREAM, 0, 0, &[0; 4]), C::PROTOCOL_ERROR);
    conn(raw(1, kind::CONTINUATION, 0, 0, b"x"), C::PROTOCOL_ERROR);
    conn(raw(1, kind::HEADERS, 0, 0, b"x"), C::PROTOCOL_ERROR);
    conn(
        raw(3, kind::PUSH_PROMISE, 0, 1, &[0; 3]),
        C::FRAME_SIZE_ERROR,
    );
    // Stream errors.
    let e = error_of(&raw(4, kind::WINDOW_UPDATE, 0, 5, &[0; 4]));
    assert_eq!((e.code, e.stream), (C::PROTOCOL_ERROR, Some(5)));
    let e = error_of(&raw(4, kind::PRIORITY, 0, 5, &[0; 4]));
    assert_eq!((e.code, e.stream), (C::FRAME_SIZE_ERROR, Some(5)));
}

#[test]
fn an_oversized_frame_is_refused_from_its_header() {
    // Only the 9-byte header: the 16 MiB payload is never waited for.
    let mut header = Vec::new();
    encode_header(MAX_MAX_FRAME_SIZE as usize, kind::DATA, 0, 1, &mut header);
    let e = parse(&header, MAX).unwrap_err();
    assert_eq!(e.code, ErrorCode::FRAME_SIZE_ERROR);
    // Within a larger announced limit, it is waited for.
    assert_eq!(parse(&header, MAX_MAX_FRAME_SIZE), Ok(None));
}

#[test]
fn frames_back_to_back_and_the_reserved_bit() {
    let mut out = Vec::new();
    encode_ping(false, [1; 8], &mut out);
    encode_data(3, b"x", false, &mut out);
    let (first, used) = parse(&out, MAX).unwrap().unwrap();
    assert!(matches!(first, Frame::Ping { ack: false, .. }));
    let (second, _) = parse(&out[used..], MAX).unwrap().unwrap();
    assert!(matches!(second, Frame::Data { stream: 3, .. }));
    // The reserved bit of the stream identifier is ignored.
    let mut bytes = raw(1, kind::DATA, 0, 3, b"x");
    bytes[5] |= 0x80;
    assert!(matches!(
        parse(&bytes, MAX).unwrap().unwrap().0,
        Frame::Data { stream: 3, .. }
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap sweep (the fuzz target does it properly): every 2-byte
    // variation of the type and flags over a few payloads.
    for kind in 0..=10u8 {
        for flags in [0u8, 0x1, 0x4, 0x8, 0x20, 0x2d, 0xff] {
            for len in 0..12usize {
                for stream in [0u32, 1, 2] {
                    let payload: Vec<u8> = (0..len as u8).collect();
                    let _ = parse(&raw(len, kind, flags, stream, &payload), MAX);
                }
            }
        }
    }
}
