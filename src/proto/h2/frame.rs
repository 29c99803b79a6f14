//! HTTP/2 frames (RFC 9113 §4, §6), sans-IO: [`parse`] reads one frame
//! from the front of a buffer (or says more bytes are needed), checking
//! each type's rules; the `encode_*` functions write frames.

use std::fmt;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The frame header's size.
pub const HEADER_LEN: usize = 9;

/// The smallest `SETTINGS_MAX_FRAME_SIZE`, and every peer's initial one.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;

/// The largest `SETTINGS_MAX_FRAME_SIZE` (2^24 - 1).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// The largest flow-control window (2^31 - 1).
pub const MAX_WINDOW: u32 = (1 << 31) - 1;

/// Frame types.
pub mod kind {
    /// DATA.
    pub const DATA: u8 = 0x0;
    /// HEADERS.
    pub const HEADERS: u8 = 0x1;
    /// PRIORITY (deprecated; parsed and ignored).
    pub const PRIORITY: u8 = 0x2;
    /// RST_STREAM.
    pub const RST_STREAM: u8 = 0x3;
    /// SETTINGS.
    pub const SETTINGS: u8 = 0x4;
    /// PUSH_PROMISE.
    pub const PUSH_PROMISE: u8 = 0x5;
    /// PING.
    pub const PING: u8 = 0x6;
    /// GOAWAY.
    pub const GOAWAY: u8 = 0x7;
    /// WINDOW_UPDATE.
    pub const WINDOW_UPDATE: u8 = 0x8;
    /// CONTINUATION.
    pub const CONTINUATION: u8 = 0x9;
}

/// Frame flags.
pub mod flag {
    /// END_STREAM (DATA, HEADERS).
    pub const END_STREAM: u8 = 0x1;
    /// ACK (SETTINGS, PING).
    pub const ACK: u8 = 0x1;
    /// END_HEADERS (HEADERS, PUSH_PROMISE, CONTINUATION).
    pub const END_HEADERS: u8 = 0x4;
    /// PADDED (DATA, HEADERS, PUSH_PROMISE).
    pub const PADDED: u8 = 0x8;
    /// PRIORITY (HEADERS).
    pub const PRIORITY: u8 = 0x20;
}

/// Setting identifiers (RFC 9113 §6.5.2).
pub mod setting {
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    /// SETTINGS_ENABLE_PUSH.
    pub const ENABLE_PUSH: u16 = 0x2;
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    /// SETTINGS_MAX_FRAME_SIZE.
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
}

/// Error codes (RFC 9113 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// NO_ERROR.
    pub const NO_ERROR: ErrorCode = ErrorCode(0x0);
    /// PROTOCOL_ERROR.
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x1);
    /// INTERNAL_ERROR.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(0x2);
    /// FLOW_CONTROL_ERROR.
    pub const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode(0x3);
    /// SETTINGS_TIMEOUT.
    pub const SETTINGS_TIMEOUT: ErrorCode = ErrorCode(0x4);
    /// STREAM_CLOSED.
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(0x5);
    /// FRAME_SIZE_ERROR.
    pub const FRAME_SIZE_ERROR: ErrorCode = ErrorCode(0x6);
    /// REFUSED_STREAM.
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(0x7);
    /// CANCEL.
    pub const CANCEL: ErrorCode = ErrorCode(0x8);
    /// COMPRESSION_ERROR.
    pub const COMPRESSION_ERROR: ErrorCode = ErrorCode(0x9);
    /// CONNECT_ERROR.
    pub const CONNECT_ERROR: ErrorCode = ErrorCode(0xa);
    /// ENHANCE_YOUR_CALM.
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);
    /// INADEQUATE_SECURITY.
    pub const INADEQUATE_SECURITY: ErrorCode = ErrorCode(0xc);
    /// HTTP_1_1_REQUIRED.
    pub const HTTP_1_1_REQUIRED: ErrorCode = ErrorCode(0xd);

    /// The code's name, as the RFC spells it.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        NAMES
            .get(self.0 as usize)
            .copied()
            .unwrap_or("unknown error code")
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:x})", self.name(), self.0)
    }
}

/// A broken rule: of the whole connection (`stream` `None`: answered with
/// GOAWAY) or of one stream (answered with RST_STREAM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H2Error {
    /// The code to send.
    pub code: ErrorCode,
    /// The stream, for a stream error.
    pub stream: Option<u32>,
    /// What was wrong.
    pub reason: &'static str,
}

impl H2Error {
    /// A connection error.
    pub fn connection(code: ErrorCode, reason: &'static str) -> H2Error {
        H2Error {
            code,
            stream: None,
            reason,
        }
    }

    /// A stream error.
    pub fn stream(stream: u32, code: ErrorCode, reason: &'static str) -> H2Error {
        H2Error {
            code,
            stream: Some(stream),
            reason,
        }
    }
}

impl fmt::Display for H2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stream {
            None => write!(f, "HTTP/2 connection error {}: {}", self.code, self.reason),
            Some(s) => write!(f, "HTTP/2 stream {s} error {}: {}", self.code, self.reason),
        }
    }
}

impl std::error::Error for H2Error {}

/// One frame, borrowing its payload from the buffer it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// DATA: `data` without padding; `flow_len` is what it counts against
    /// flow control (padding included).
    Data {
        /// The stream.
        stream: u32,
        /// The data.
        data: &'a [u8],
        /// END_STREAM.
        end_stream: bool,
        /// The whole payload's length.
        flow_len: u32,
    },
    /// HEADERS (a header block fragment; its priority fields skipped).
    Headers {
        /// The stream.
        stream: u32,
        /// The fragment.
        block: &'a [u8],
        /// END_STREAM.
        end_stream: bool,
        /// END_HEADERS.
        end_headers: bool,
    },
    /// PRIORITY (ignored, as RFC 9113 deprecates the scheme).
    Priority {
        /// The stream.
        stream: u32,
    },
    /// RST_STREAM.
    RstStream {
        /// The stream.
        stream: u32,
        /// Why.
        code: ErrorCode,
    },
    /// SETTINGS: each known parameter checked.
    Settings {
        /// ACK.
        ack: bool,
        /// `(identifier, value)` in order; unknown identifiers included.
        params: Vec<(u16, u32)>,
    },
    /// PUSH_PROMISE (refused by the connection: push is disabled).
    PushPromise {
        /// The stream it came on.
        stream: u32,
        /// The stream it promises.
        promised: u32,
    },
    /// PING.
    Ping {
        /// ACK.
        ack: bool,
        /// The opaque data.
        payload: [u8; 8],
    },
    /// GOAWAY.
    GoAway {
        /// The last stream the peer may have processed.
        last_stream: u32,
        /// Why.
        code: ErrorCode,
        /// Debug data.
        debug: &'a [u8],
    },
    /// WINDOW_UPDATE.
    WindowUpdate {
        /// The stream (0: the connection).
        stream: u32,
        /// The increment (1 to 2^31 - 1).
        increment: u32,
    },
    /// CONTINUATION.
    Continuation {
        /// The stream.
        stream: u32,
        /// The fragment.
        block: &'a [u8],
        /// END_HEADERS.
        end_headers: bool,
    },
    /// A frame of a type this side does not know: ignored (RFC 9113 §4.1).
    Unknown {
        /// Its type.
        kind: u8,
        /// Its stream.
        stream: u32,
    },
}

/// The frame at the front of `buf` and how many bytes it took, `None` when
/// `buf` does not hold a whole frame yet. A frame longer than
/// `max_frame_size` (this side's `SETTINGS_MAX_FRAME_SIZE`) is refused
/// from its header alone, before its payload is waited for.
pub fn parse(buf: &[u8], max_frame_size: u32) -> Result<Option<(Frame<'_>, usize)>, H2Error> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = u32::from_be_bytes([0, buf[0], buf[1], buf[2]]);
    let kind = buf[3];
    let flags = buf[4];
    let stream = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & MAX_WINDOW;
    if len > max_frame_size {
        return Err(H2Error::connection(
            ErrorCode::FRAME_SIZE_ERROR,
            "frame larger than SETTINGS_MAX_FRAME_SIZE",
        ));
    }
    let end = HEADER_LEN + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    let payload = &buf[HEADER_LEN..end];
    let frame = decode(kind, flags, stream, payload)?;
    Ok(Some((frame, end)))
}

/// The start of a DATA frame whose payload has not all arrived yet, read
/// from its header (and pad-length byte): enough to account for the whole
/// frame and hand its payload on in pieces as it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataStart {
    /// The stream.
    pub stream: u32,
    /// The frame's payload length (what flow control counts).
    pub flow_len: u32,
    /// The data's length, without padding.
    pub data_len: usize,
    /// The padding after the data (the pad-length byte not included).
    pub padding: usize,
    /// END_STREAM is set.
    pub end_stream: bool,
    /// The bytes before the data: the header and the pad-length byte.
    pub prefix: usize,
}

/// The start of the DATA frame at the front of `buf` when `buf` holds its
/// header (and pad-length byte) but not its whole payload, and the frame
/// is well formed so far. `None` for anything else: a whole frame, another
/// type, or a frame [`parse`] is to refuse once it is whole (or at once).
pub fn data_start(buf: &[u8], max_frame_size: u32) -> Option<DataStart> {
    if buf.len() < HEADER_LEN || buf[3] != kind::DATA {
        return None;
    }
    let len = u32::from_be_bytes([0, buf[0], buf[1], buf[2]]);
    let flags = buf[4];
    let stream = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & MAX_WINDOW;
    if len > max_frame_size || stream == 0 || buf.len() >= HEADER_LEN + len as usize {
        return None;
    }
    let (prefix, padding) = if flags & flag::PADDED != 0 {
        let pad = usize::from(*buf.get(HEADER_LEN)?);
        if len == 0 || pad > len as usize - 1 {
            return None;
        }
        (HEADER_LEN + 1, pad)
    } else {
        (HEADER_LEN, 0)
    };
    Some(DataStart {
        stream,
        flow_len: len,
        data_len: len as usize - (prefix - HEADER_LEN) - padding,
        padding,
        end_stream: flags & flag::END_STREAM != 0,
        prefix,
    })
}

fn protocol(reason: &'static str) -> H2Error {
    H2Error::connection(ErrorCode::PROTOCOL_ERROR, reason)
}

fn frame_size(reason: &'static str) -> H2Error {
    H2Error::connection(ErrorCode::FRAME_SIZE_ERROR, reason)
}

fn u32_at(p: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]])
}

/// The payload without its padding (PADDED: a pad-length byte first).
fn unpad(flags: u8, payload: &[u8]) -> Result<&[u8], H2Error> {
    if flags & flag::PADDED == 0 {
        return Ok(payload);
    }
    let (&pad, rest) = payload
        .split_first()
        .ok_or_else(|| frame_size("padded frame without its pad length"))?;
    if usize::from(pad) > rest.len() {
        return Err(protocol("padding longer than the frame"));
    }
    Ok(&rest[..rest.len() - usize::from(pad)])
}

fn decode(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Result<Frame<'_>, H2Error> {
    let on_stream = |what: &'static str| {
        if stream == 0 {
            Err(protocol(what))
        } else {
            Ok(())
        }
    };
    let on_connection = |what: &'static str| {
        if stream != 0 {
            Err(protocol(what))
        } else {
            Ok(())
        }
    };
    Ok(match kind {
        kind::DATA => {
            on_stream("DATA on stream 0")?;
            Frame::Data {
                stream,
                data: unpad(flags, payload)?,
                end_stream: flags & flag::END_STREAM != 0,
                flow_len: payload.len() as u32,
            }
        }
        kind::HEADERS => {
            on_stream("HEADERS on stream 0")?;
            let mut block = unpad(flags, payload)?;
            if flags & flag::PRIORITY != 0 {
                if block.len() < 5 {
                    return Err(frame_size("HEADERS too short for its priority fields"));
                }
                if u32_at(block, 0) & MAX_WINDOW == stream {
                    return Err(H2Error::stream(
                        stream,
                        ErrorCode::PROTOCOL_ERROR,
                        "stream depends on itself",
                    ));
                }
                block = &block[5..];
            }
            Frame::Headers {
                stream,
                block,
                end_stream: flags & flag::END_STREAM != 0,
                end_headers: flags & flag::END_HEADERS != 0,
            }
        }
        kind::PRIORITY => {
            on_stream("PRIORITY on stream 0")?;
            if payload.len() != 5 {
                return Err(H2Error::stream(
                    stream,
                    ErrorCode::FRAME_SIZE_ERROR,
                    "PRIORITY frame not 5 bytes long",
                ));
            }
            Frame::Priority { stream }
        }
        kind::RST_STREAM => {
            on_stream("RST_STREAM on stream 0")?;
            if payload.len() != 4 {
                return Err(frame_size("RST_STREAM frame not 4 bytes long"));
            }
            Frame::RstStream {
                stream,
                code: ErrorCode(u32_at(payload, 0)),
            }
        }
        kind::SETTINGS => {
            on_connection("SETTINGS on a stream")?;
            let ack = flags & flag::ACK != 0;
            if ack && !payload.is_empty() {
                return Err(frame_size("SETTINGS ACK with a payload"));
            }
            if !payload.len().is_multiple_of(6) {
                return Err(frame_size("SETTINGS length not a multiple of 6"));
            }
            let mut params = Vec::with_capacity(payload.len() / 6);
            for p in payload.chunks_exact(6) {
                let id = u16::from_be_bytes([p[0], p[1]]);
                let value = u32_at(p, 2);
                check_setting(id, value)?;
                params.push((id, value));
            }
            Frame::Settings { ack, params }
        }
        kind::PUSH_PROMISE => {
            on_stream("PUSH_PROMISE on stream 0")?;
            let rest = unpad(flags, payload)?;
            if rest.len() < 4 {
                return Err(frame_size("PUSH_PROMISE too short"));
            }
            Frame::PushPromise {
                stream,
                promised: u32_at(rest, 0) & MAX_WINDOW,
            }
        }
        kind::PING => {
            on_connection("PING on a stream")?;
            let payload: [u8; 8] = payload
                .try_into()
                .map_err(|_| frame_size("PING frame not 8 bytes long"))?;
            Frame::Ping {
                ack: flags & flag::ACK != 0,
                payload,
            }
        }
        kind::GOAWAY => {
            on_connection("GOAWAY on a stream")?;
            if payload.len() < 8 {
                return Err(frame_size("GOAWAY frame shorter than 8 bytes"));
            }
            Frame::GoAway {
                last_stream: u32_at(payload, 0) & MAX_WINDOW,
                code: ErrorCode(u32_at(payload, 4)),
                debug: &payload[8..],
            }
        }
        kind::WINDOW_UPDATE => {
            if payload.len() != 4 {
                return Err(frame_size("WINDOW_UPDATE frame not 4 bytes long"));
            }
            let increment = u32_at(payload, 0) & MAX_WINDOW;
            if increment == 0 {
                return Err(if stream == 0 {
                    protocol("WINDOW_UPDATE of 0 for the connection")
                } else {
                    H2Error::stream(stream, ErrorCode::PROTOCOL_ERROR, "WINDOW_UPDATE of 0")
                });
            }
            Frame::WindowUpdate { stream, increment }
        }
        kind::CONTINUATION => {
            on_stream("CONTINUATION on stream 0")?;
            Frame::Continuation {
                stream,
                block: payload,
                end_headers: flags & flag::END_HEADERS != 0,
            }
        }
        other => Frame::Unknown {
            kind: other,
            stream,
        },
    })
}

/// The rules on known settings' values (RFC 9113 §6.5.2).
fn check_setting(id: u16, value: u32) -> Result<(), H2Error> {
    match id {
        setting::ENABLE_PUSH if value > 1 => Err(protocol("SETTINGS_ENABLE_PUSH not 0 or 1")),
        setting::INITIAL_WINDOW_SIZE if value > MAX_WINDOW => Err(H2Error::connection(
            ErrorCode::FLOW_CONTROL_ERROR,
            "SETTINGS_INITIAL_WINDOW_SIZE above 2^31 - 1",
        )),
        setting::MAX_FRAME_SIZE
            if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) =>
        {
            Err(protocol("SETTINGS_MAX_FRAME_SIZE out of range"))
        }
        _ => Ok(()),
    }
}

/// Appends a frame header.
pub fn encode_header(len: usize, kind: u8, flags: u8, stream: u32, out: &mut Vec<u8>) {
    debug_assert!(len <= MAX_MAX_FRAME_SIZE as usize);
    out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&(stream & MAX_WINDOW).to_be_bytes());
}

/// Appends a header block as HEADERS and as many CONTINUATION frames as
/// `max_frame_size` (the peer's) requires.
pub fn encode_headers(
    stream: u32,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
    out: &mut Vec<u8>,
) {
    let max = max_frame_size as usize;
    let mut chunks = block.chunks(max.max(1));
    let first = chunks.next().unwrap_or_default();
    let more = block.len() > first.len();
    let mut flags = if end_stream { flag::END_STREAM } else { 0 };
    if !more {
        flags |= flag::END_HEADERS;
    }
    encode_header(first.len(), kind::HEADERS, flags, stream, out);
    out.extend_from_slice(first);
    let rest: Vec<&[u8]> = chunks.collect();
    for (i, chunk) in rest.iter().enumerate() {
        let flags = if i + 1 == rest.len() {
            flag::END_HEADERS
        } else {
            0
        };
        encode_header(chunk.len(), kind::CONTINUATION, flags, stream, out);
        out.extend_from_slice(chunk);
    }
}

/// Appends one DATA frame (the caller keeps `data` within the peer's
/// frame size and the flow-control windows).
pub fn encode_data(stream: u32, data: &[u8], end_stream: bool, out: &mut Vec<u8>) {
    let flags = if end_stream { flag::END_STREAM } else { 0 };
    encode_header(data.len(), kind::DATA, flags, stream, out);
    out.extend_from_slice(data);
}

/// Appends a SETTINGS frame with `params`.
pub fn encode_settings(params: &[(u16, u32)], out: &mut Vec<u8>) {
    encode_header(params.len() * 6, kind::SETTINGS, 0, 0, out);
    for (id, value) in params {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Appends a SETTINGS acknowledgement.
pub fn encode_settings_ack(out: &mut Vec<u8>) {
    encode_header(0, kind::SETTINGS, flag::ACK, 0, out);
}

/// Appends a PING (or, with `ack`, its answer).
pub fn encode_ping(ack: bool, payload: [u8; 8], out: &mut Vec<u8>) {
    encode_header(8, kind::PING, if ack { flag::ACK } else { 0 }, 0, out);
    out.extend_from_slice(&payload);
}

/// Appends a GOAWAY.
pub fn encode_goaway(last_stream: u32, code: ErrorCode, debug: &[u8], out: &mut Vec<u8>) {
    encode_header(8 + debug.len(), kind::GOAWAY, 0, 0, out);
    out.extend_from_slice(&(last_stream & MAX_WINDOW).to_be_bytes());
    out.extend_from_slice(&code.0.to_be_bytes());
    out.extend_from_slice(debug);
}

/// Appends a WINDOW_UPDATE (`stream` 0: the connection's).
pub fn encode_window_update(stream: u32, increment: u32, out: &mut Vec<u8>) {
    encode_header(4, kind::WINDOW_UPDATE, 0, stream, out);
    out.extend_from_slice(&(increment & MAX_WINDOW).to_be_bytes());
}

/// Appends a RST_STREAM.
pub fn encode_rst_stream(stream: u32, code: ErrorCode, out: &mut Vec<u8>) {
    encode_header(4, kind::RST_STREAM, 0, stream, out);
    out.extend_from_slice(&code.0.to_be_bytes());
}

#[cfg(test)]
mod tests;
