//! The client side of one HTTP/2 connection (RFC 9113), sans-IO: bytes
//! in ([`Connection::receive`]), events out, bytes to write
//! ([`Connection::take_output`]); no sockets, no clocks, no threads.
//!
//! It keeps the streams' states (§5.1), both directions' flow control
//! (§5.2, §6.9: a stream's window is given back as the caller *consumes*
//! its data, not as it arrives, so a slow reader holds the server back),
//! the peer's SETTINGS (its concurrent-stream limit honoured), GOAWAY (the
//! streams above its last id reported refused, safe to retry), and bounds
//! on what a hostile server can make it hold or do: header blocks (and
//! their CONTINUATIONs) capped, floods of SETTINGS, PING and empty frames
//! ended with ENHANCE_YOUR_CALM, windows that would overflow refused.

use std::collections::HashMap;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use super::frame::{self, setting, ErrorCode, Frame, H2Error, MAX_WINDOW};
use super::hpack::{self, HpackError};

/// The peer's initial window and frame size (RFC 9113 §6.5.2).
const DEFAULT_WINDOW: u32 = 65_535;

/// How many SETTINGS or PING frames may await their acknowledgement in
/// unwritten output before the peer is told to calm down.
const MAX_PENDING_ACKS: usize = 64;

/// How many frames that move nothing (empty DATA without END_STREAM,
/// PRIORITY, unknown types, resets and window updates of closed streams,
/// repeated GOAWAYs) may come in a row.
const MAX_IDLE_FRAMES: usize = 1_000;

/// The largest frame this side accepts (`SETTINGS_MAX_FRAME_SIZE`).
/// Larger than the protocol's 16 KiB default so that a server sends a
/// large body in fewer frames: against hyper's server, 256 KiB frames took
/// its CPU per GiB sent from 0.36–0.43 s to 0.27–0.34 s, level with its
/// HTTP/1.1 (benches/peers, `h2serve`).
/// DATA is handed on as it arrives, whatever its frame's size; another
/// frame cut by a read is held until whole, so this also bounds that.
const MAX_FRAME_SIZE: u32 = 256 << 10;

/// How many emptied body buffers a connection keeps for reuse while it
/// has no stream open. While streams are open it keeps as many as their
/// data in flight needs (up to twice the connection's window in bytes,
/// a piece's buffer being up to twice its size): with
/// many streams read by many threads, buffers allocated by the reading
/// thread and freed by another made every thread's allocator arena grow
/// (peak RSS with 100 streams, blocking: 20–25 MB with 64 kept, 15 MB
/// with these).
const SPARE_BUFFERS_IDLE: usize = 16;

/// The largest body buffer kept for reuse: a piece of DATA is at most what
/// one read brought (one TLS record, or a socket read without TLS).
const SPARE_BUFFER_MAX: usize = 32 << 10;

/// This side's settings.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Each stream's receive window (`SETTINGS_INITIAL_WINDOW_SIZE`).
    /// Default 1 MiB.
    pub stream_window: u32,
    /// The connection's receive window: the most body bytes received and
    /// not yet read that a connection holds, all streams together.
    /// Default 2 MiB.
    pub connection_window: u32,
    /// `SETTINGS_MAX_FRAME_SIZE`. Default 256 KiB.
    pub max_frame_size: u32,
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, also the cap on a header block's
    /// compressed size.
    pub max_header_list_size: u32,
    /// `SETTINGS_HEADER_TABLE_SIZE`.
    pub header_table_size: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            stream_window: 1 << 20,
            connection_window: 2 << 20,
            max_frame_size: MAX_FRAME_SIZE,
            max_header_list_size: 64 << 10,
            header_table_size: hpack::DEFAULT_TABLE_SIZE as u32,
        }
    }
}

/// What the connection reports from the bytes it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A response head: informational (1xx, more heads follow) or final.
    Head {
        /// The stream.
        stream: u32,
        /// The status.
        status: StatusCode,
        /// The fields, pseudo-fields removed.
        headers: HeaderMap,
        /// No body follows.
        end_stream: bool,
    },
    /// Body bytes (count them back with [`Connection::consumed`]).
    Data {
        /// The stream.
        stream: u32,
        /// The bytes.
        data: Vec<u8>,
        /// The body ends here.
        end_stream: bool,
    },
    /// Trailers, which end the stream.
    Trailers {
        /// The stream.
        stream: u32,
        /// The fields.
        headers: HeaderMap,
    },
    /// The stream ended abnormally: reset by the peer, by a stream error
    /// this side found (and answered with RST_STREAM), or refused by a
    /// GOAWAY (`code` REFUSED_STREAM: never processed, safe to retry).
    Reset {
        /// The stream.
        stream: u32,
        /// Why.
        code: ErrorCode,
        /// Whether the request may be sent again on another connection.
        retryable: bool,
    },
    /// The peer is going away: no new streams on this connection.
    GoAway {
        /// Its last processed stream.
        last_stream: u32,
        /// Why.
        code: ErrorCode,
    },
    /// Streams may send more (a window opened, or the settings changed).
    SendCapacity,
    /// The answer to a PING of ours.
    Pong([u8; 8]),
}

/// A stream's state (RFC 9113 §5.1), as a client sees its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// This side sent END_STREAM.
    HalfClosedLocal,
    /// The peer sent END_STREAM.
    HalfClosedRemote,
}

#[derive(Debug)]
struct Stream {
    state: State,
    send_window: i64,
    recv_window: i64,
    /// Bytes consumed since the last WINDOW_UPDATE for this stream.
    unacked: u32,
    /// A final (non-1xx) head arrived.
    final_head: bool,
}

/// A DATA frame whose payload is still arriving: its data is handed on
/// piece by piece as reads bring it, instead of being gathered first.
#[derive(Debug, Clone, Copy)]
struct Partial {
    stream: u32,
    data_left: usize,
    padding_left: usize,
    /// END_STREAM, not yet reported.
    end_stream: bool,
    /// The frame was counted against its open stream: pieces arriving
    /// after the stream went away are given back to the connection's
    /// window. (A frame refused or for a closed stream was given back
    /// whole at its start.)
    charged: bool,
}

/// A header block being received (HEADERS, then CONTINUATIONs).
#[derive(Debug)]
struct Block {
    stream: u32,
    bytes: Vec<u8>,
    end_stream: bool,
}

/// One HTTP/2 connection, client side.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    out: Vec<u8>,
    /// A frame cut by the end of a read (not a DATA frame's payload).
    inbound: Vec<u8>,
    partial: Option<Partial>,
    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
    streams: HashMap<u32, Stream>,
    next_stream: u32,
    /// The peer's settings.
    peer_max_streams: Option<u32>,
    peer_window: u32,
    peer_max_frame: u32,
    send_window: i64,
    recv_window: i64,
    unacked: u32,
    block: Option<Block>,
    /// The peer's GOAWAY: its last stream id.
    goaway: Option<u32>,
    pending_acks: usize,
    idle_frames: usize,
    /// A connection error happened: nothing more is read.
    failed: Option<H2Error>,
    /// Emptied body buffers given back by [`Connection::recycle`].
    spare: Vec<Vec<u8>>,
    /// Their capacity, all together.
    spare_bytes: usize,
}

impl Connection {
    /// A connection with `config`; its preface and SETTINGS are the first
    /// output.
    pub fn new(config: Config) -> Connection {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(frame::PREFACE);
        frame::encode_settings(
            &[
                (setting::ENABLE_PUSH, 0),
                (setting::INITIAL_WINDOW_SIZE, config.stream_window),
                (setting::MAX_FRAME_SIZE, config.max_frame_size),
                (setting::MAX_HEADER_LIST_SIZE, config.max_header_list_size),
                (setting::HEADER_TABLE_SIZE, config.header_table_size),
            ],
            &mut out,
        );
        if config.connection_window > DEFAULT_WINDOW {
            frame::encode_window_update(0, config.connection_window - DEFAULT_WINDOW, &mut out);
        }
        Connection {
            decoder: hpack::Decoder::new(
                config.header_table_size as usize,
                config.max_header_list_size as usize,
            ),
            encoder: hpack::Encoder::new(hpack::DEFAULT_TABLE_SIZE),
            config,
            out,
            inbound: Vec::new(),
            partial: None,
            streams: HashMap::new(),
            next_stream: 1,
            peer_max_streams: None,
            peer_window: DEFAULT_WINDOW,
            peer_max_frame: frame::DEFAULT_MAX_FRAME_SIZE,
            send_window: i64::from(DEFAULT_WINDOW),
            recv_window: i64::from(config.connection_window.max(DEFAULT_WINDOW)),
            unacked: 0,
            block: None,
            goaway: None,
            pending_acks: 0,
            idle_frames: 0,
            failed: None,
            spare: Vec::new(),
            spare_bytes: 0,
        }
    }

    /// The bytes to write, taken.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.pending_acks = 0;
        std::mem::take(&mut self.out)
    }

    /// Whether there are bytes to write.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Streams open now.
    pub fn active_streams(&self) -> usize {
        self.streams.len()
    }

    /// Whether a new stream may be opened now: the peer's concurrent-stream
    /// limit not reached, no GOAWAY, no connection error, ids left.
    pub fn can_open(&self) -> bool {
        self.failed.is_none()
            && self.goaway.is_none()
            && self.next_stream <= MAX_WINDOW
            && self
                .peer_max_streams
                .is_none_or(|m| self.streams.len() < m as usize)
    }

    /// Whether no new stream will ever open on it (GOAWAY, an error, or
    /// ids exhausted), streams still open or not.
    pub fn going_away(&self) -> bool {
        self.failed.is_some() || self.goaway.is_some() || self.next_stream > MAX_WINDOW
    }

    /// Whether the connection can carry no more streams (GOAWAY, an
    /// error, or ids exhausted) and has none left.
    pub fn is_done(&self) -> bool {
        (self.failed.is_some() || self.goaway.is_some() || self.next_stream > MAX_WINDOW)
            && self.streams.is_empty()
    }

    /// Opens a stream with a request head: the pseudo-fields, then the
    /// fields of `headers` that HTTP/2 allows (connection-specific ones and
    /// `host` dropped, `te` kept only as `trailers`); fields marked
    /// sensitive, and credentials, are never indexed.
    pub fn open(
        &mut self,
        method: &str,
        scheme: &str,
        authority: &str,
        path: &str,
        headers: &HeaderMap,
        end_stream: bool,
    ) -> Result<u32, H2Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if !self.can_open() {
            return Err(H2Error::connection(
                ErrorCode::REFUSED_STREAM,
                "no new stream may be opened on this connection now",
            ));
        }
        let id = self.next_stream;
        self.next_stream += 2;
        let pseudo = [
            (&b":method"[..], method.as_bytes(), false),
            (b":scheme", scheme.as_bytes(), false),
            (b":authority", authority.as_bytes(), false),
            (b":path", path.as_bytes(), false),
        ];
        let fields = headers
            .iter()
            .filter(|(name, value)| allowed_in_request(name, value))
            .map(|(name, value)| {
                (
                    name.as_str().as_bytes(),
                    value.as_bytes(),
                    value.is_sensitive(),
                )
            });
        let mut block = Vec::new();
        self.encoder
            .encode(pseudo.into_iter().chain(fields), &mut block);
        frame::encode_headers(id, &block, end_stream, self.peer_max_frame, &mut self.out);
        self.streams.insert(
            id,
            Stream {
                state: if end_stream {
                    State::HalfClosedLocal
                } else {
                    State::Open
                },
                send_window: i64::from(self.peer_window),
                recv_window: i64::from(self.config.stream_window),
                unacked: 0,
                final_head: false,
            },
        );
        Ok(id)
    }

    /// How many body bytes `stream` may send now (both windows and the
    /// peer's frame size).
    pub fn send_capacity(&self, stream: u32) -> usize {
        match self.streams.get(&stream) {
            Some(s) if s.state == State::Open || s.state == State::HalfClosedRemote => {
                s.send_window
                    .min(self.send_window)
                    .min(i64::from(self.peer_max_frame))
                    .max(0) as usize
            }
            _ => 0,
        }
    }

    /// Sends as much of `data` as the windows allow, as one DATA frame;
    /// returns how much went. With `end_stream`, the stream's side is
    /// closed once all of `data` went (an empty `data` ends it at once).
    pub fn send_data(
        &mut self,
        stream: u32,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, H2Error> {
        let Some(s) = self.streams.get(&stream) else {
            return Err(H2Error::stream(
                stream,
                ErrorCode::STREAM_CLOSED,
                "stream is closed",
            ));
        };
        if s.state == State::HalfClosedLocal {
            return Err(H2Error::stream(
                stream,
                ErrorCode::STREAM_CLOSED,
                "request body already ended",
            ));
        }
        let n = data.len().min(self.send_capacity(stream));
        let ends = end_stream && n == data.len();
        if n == 0 && !ends {
            return Ok(0);
        }
        frame::encode_data(stream, &data[..n], ends, &mut self.out);
        self.send_window -= n as i64;
        let s = self.streams.get_mut(&stream).expect("checked above");
        s.send_window -= n as i64;
        if ends {
            if s.state == State::HalfClosedRemote {
                self.streams.remove(&stream);
            } else {
                s.state = State::HalfClosedLocal;
            }
        }
        Ok(n)
    }

    /// The caller took `n` bytes of `stream`'s body: the windows are given
    /// back each time a quarter of them was used — often enough that the
    /// server of a fast reader never waits, never for bytes not yet taken,
    /// so a reader that stops stops the server.
    pub fn consumed(&mut self, stream: u32, n: usize) {
        self.give_back(n);
        let n = n as u32;
        if let Some(s) = self.streams.get_mut(&stream) {
            s.unacked += n;
            // No update for a stream whose peer side has ended.
            if s.state != State::HalfClosedRemote && s.unacked >= self.config.stream_window / 4 {
                frame::encode_window_update(stream, s.unacked, &mut self.out);
                s.recv_window += i64::from(s.unacked);
                s.unacked = 0;
            }
        }
    }

    /// `n` bytes of the connection's window are given back (a quarter of
    /// it at a time).
    fn give_back(&mut self, n: usize) {
        self.unacked += n as u32;
        if self.unacked >= self.config.connection_window / 4 {
            frame::encode_window_update(0, self.unacked, &mut self.out);
            self.recv_window += i64::from(self.unacked);
            self.unacked = 0;
        }
    }

    /// Gives back the buffer of an [`Event::Data`] whose bytes were taken,
    /// for a later event to reuse: the body's buffers then cycle rather
    /// than being allocated per piece (by whichever thread read it, and
    /// freed by another). As many are kept as the data in flight may need
    /// (their capacity at most twice the connection's window), a few once
    /// no stream is open; the rest are dropped.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.streams.is_empty() && self.spare.len() > SPARE_BUFFERS_IDLE {
            let dropped = self.spare.split_off(SPARE_BUFFERS_IDLE);
            self.spare_bytes -= dropped.iter().map(Vec::capacity).sum::<usize>();
        }
        let room = if self.streams.is_empty() {
            self.spare.len() < SPARE_BUFFERS_IDLE
        } else {
            self.spare_bytes + buf.capacity() <= 2 * self.config.connection_window as usize
        };
        if room && (1024..=SPARE_BUFFER_MAX).contains(&buf.capacity()) {
            buf.clear();
            self.spare_bytes += buf.capacity();
            self.spare.push(buf);
        }
    }

    /// `data` in a buffer of its own: a recycled one that fits if one of
    /// the last few does (the others stay, for smaller pieces: pieces of
    /// DATA come in all sizes, frames being cut by TLS records and reads),
    /// else a new one of the next power of two (at most twice the bytes, so
    /// that later pieces of other sizes fit it).
    fn buffer_for(&mut self, data: &[u8]) -> Vec<u8> {
        // A bounded look: the pool may hold thousands of small buffers.
        let last = self.spare.len().saturating_sub(16);
        let fits = self.spare[last..]
            .iter()
            .rposition(|b| b.capacity() >= data.len())
            .map(|i| last + i);
        let mut buf = match fits {
            Some(i) => {
                let buf = self.spare.swap_remove(i);
                self.spare_bytes -= buf.capacity();
                buf
            }
            None => Vec::with_capacity(
                data.len()
                    .next_power_of_two()
                    .min(SPARE_BUFFER_MAX)
                    .max(data.len()),
            ),
        };
        buf.extend_from_slice(data);
        buf
    }

    /// Abandons `stream` (its caller went away): RST_STREAM with `code`
    /// unless it is already closed. Data still arriving for it is counted
    /// back to the connection's window at once.
    pub fn reset(&mut self, stream: u32, code: ErrorCode) {
        if self.streams.remove(&stream).is_some() {
            frame::encode_rst_stream(stream, code, &mut self.out);
        }
    }

    /// Sends a PING (its answer comes as [`Event::Pong`]).
    pub fn ping(&mut self, payload: [u8; 8]) {
        frame::encode_ping(false, payload, &mut self.out);
    }

    /// Closes the connection gracefully: GOAWAY with `code`.
    pub fn go_away(&mut self, code: ErrorCode) {
        frame::encode_goaway(0, code, b"", &mut self.out);
        self.goaway.get_or_insert(0);
    }

    /// Reads `bytes` from the peer, reporting what happened in `events`.
    /// A connection error queues GOAWAY, fails every open stream and is
    /// returned (and returned again by every later call).
    ///
    /// A DATA frame's payload is reported as it arrives, possibly in
    /// several [`Event::Data`] pieces (only the last one carrying
    /// `end_stream`).
    pub fn receive(&mut self, bytes: &[u8], events: &mut Vec<Event>) -> Result<(), H2Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Err(e) = self.receive_frames(bytes, events) {
            self.fail(e.clone(), events);
            return Err(e);
        }
        Ok(())
    }

    /// Frames are handled where they lie in `bytes`. Only a frame cut by
    /// the end of a read is copied, to be completed by the next; a cut
    /// DATA frame only up to its data, which is then handed on as it
    /// comes.
    fn receive_frames(&mut self, bytes: &[u8], events: &mut Vec<Event>) -> Result<(), H2Error> {
        let mut rest = bytes;
        loop {
            if self.partial.is_some() {
                rest = self.continue_data(rest, events);
                if self.partial.is_some() {
                    return Ok(());
                }
            }
            if !self.inbound.is_empty() {
                let mut inbound = std::mem::take(&mut self.inbound);
                let completed = self.complete_cut(&mut inbound, &mut rest, events);
                self.inbound = inbound;
                completed?;
                if !self.inbound.is_empty() {
                    // Still not whole: `rest` went into it.
                    return Ok(());
                }
                continue;
            }
            let (used, handled) = self.handle(rest, events);
            handled?;
            rest = &rest[used..];
            if rest.is_empty() {
                return Ok(());
            }
            match frame::data_start(rest, self.config.max_frame_size) {
                Some(start) => {
                    self.begin_data(start, events)?;
                    rest = &rest[start.prefix..];
                }
                None => {
                    self.inbound.extend_from_slice(rest);
                    return Ok(());
                }
            }
        }
    }

    /// Completes the cut frame in `inbound` from `rest` (taking what it
    /// uses) and handles it: whole, or, a DATA frame, once its header is.
    /// `inbound` is left empty unless `rest` ran out first.
    fn complete_cut(
        &mut self,
        inbound: &mut Vec<u8>,
        rest: &mut &[u8],
        events: &mut Vec<Event>,
    ) -> Result<(), H2Error> {
        loop {
            let need = if inbound.len() < frame::HEADER_LEN {
                frame::HEADER_LEN
            } else if inbound[3] == frame::kind::DATA
                && inbound[4] & frame::flag::PADDED != 0
                && inbound.len() == frame::HEADER_LEN
            {
                // Its pad length, to tell the data from the padding.
                frame::HEADER_LEN + 1
            } else if let Some(start) = frame::data_start(inbound, self.config.max_frame_size) {
                // Its header (and pad length) is here: its data goes on
                // as it comes, starting with any already gathered here
                // (none, the way `inbound` fills: up to the header).
                let gathered = inbound.split_off(start.prefix);
                inbound.clear();
                self.begin_data(start, events)?;
                let left = self.continue_data(&gathered, events);
                debug_assert!(left.is_empty(), "the frame is not whole");
                return Ok(());
            } else {
                let len = u32::from_be_bytes([0, inbound[0], inbound[1], inbound[2]]);
                if len > self.config.max_frame_size {
                    // Refused from its header: no need to wait for the rest.
                    inbound.len()
                } else {
                    frame::HEADER_LEN + len as usize
                }
            };
            if inbound.len() < need {
                if rest.is_empty() {
                    return Ok(());
                }
                let take = (need - inbound.len()).min(rest.len());
                inbound.extend_from_slice(&rest[..take]);
                *rest = &rest[take..];
                continue;
            }
            // One whole frame (or a header that fails on its own).
            let (used, handled) = self.handle(inbound, events);
            debug_assert!(handled.is_err() || used == inbound.len());
            inbound.clear();
            return handled;
        }
    }

    /// A DATA frame whose data is to come in pieces: counted whole against
    /// the windows now, as a whole frame would be.
    fn begin_data(
        &mut self,
        start: frame::DataStart,
        events: &mut Vec<Event>,
    ) -> Result<(), H2Error> {
        if self.block.is_some() {
            return Err(H2Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "a frame other than CONTINUATION inside a header block",
            ));
        }
        let empty = start.data_len == 0 && !start.end_stream;
        self.idle(empty)?;
        let open = self.streams.contains_key(&start.stream);
        let padding = start.flow_len as usize - start.data_len;
        let charged = match self.on_data(start.stream, &[], false, start.flow_len, padding, events)
        {
            Ok(()) => open,
            Err(e) if e.stream.is_some() => {
                self.stream_error(e, events);
                false
            }
            Err(e) => return Err(e),
        };
        self.partial = Some(Partial {
            stream: start.stream,
            data_left: start.data_len,
            padding_left: start.padding,
            end_stream: start.end_stream,
            charged,
        });
        Ok(())
    }

    /// Hands on the next piece of the DATA frame in progress from the
    /// front of `bytes`; what is left after it.
    fn continue_data<'a>(&mut self, bytes: &'a [u8], events: &mut Vec<Event>) -> &'a [u8] {
        let Some(mut p) = self.partial.take() else {
            return bytes;
        };
        let n = p.data_left.min(bytes.len());
        let (piece, rest) = bytes.split_at(n);
        p.data_left -= n;
        let end = p.end_stream && p.data_left == 0;
        if n > 0 || end {
            if self.streams.contains_key(&p.stream) {
                events.push(Event::Data {
                    stream: p.stream,
                    data: self.buffer_for(piece),
                    end_stream: end,
                });
                if end {
                    self.end_remote(p.stream);
                }
            } else if p.charged {
                // Its caller went away: nobody will consume these.
                self.give_back(n);
            }
            if end {
                p.end_stream = false;
            }
        }
        let skip = p.padding_left.min(rest.len());
        p.padding_left -= skip;
        if p.data_left > 0 || p.padding_left > 0 {
            self.partial = Some(p);
        }
        &rest[skip..]
    }

    /// Handles the whole frames at the front of `buf`: how many bytes they
    /// took, and the connection error that stopped them, if one did.
    fn handle(&mut self, buf: &[u8], events: &mut Vec<Event>) -> (usize, Result<(), H2Error>) {
        let mut at = 0;
        let result = loop {
            let handled = match frame::parse(&buf[at..], self.config.max_frame_size) {
                Ok(Some((frame, used))) => {
                    at += used;
                    self.on_frame(frame, events)
                }
                Ok(None) => break Ok(()),
                Err(e) => {
                    if e.stream.is_some() {
                        // A stream error comes from a whole frame: skip it.
                        let h = &buf[at..];
                        at +=
                            frame::HEADER_LEN + u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
                    }
                    Err(e)
                }
            };
            match handled {
                Ok(()) => {}
                Err(e) if e.stream.is_some() => self.stream_error(e, events),
                Err(e) => break Err(e),
            }
        };
        (at, result)
    }

    fn fail(&mut self, e: H2Error, events: &mut Vec<Event>) {
        let last = self.next_stream.saturating_sub(2);
        frame::encode_goaway(last, e.code, e.reason.as_bytes(), &mut self.out);
        let mut ids: Vec<u32> = self.streams.keys().copied().collect();
        ids.sort_unstable();
        for stream in ids {
            events.push(Event::Reset {
                stream,
                code: e.code,
                retryable: false,
            });
        }
        self.streams.clear();
        self.failed = Some(e);
    }

    /// A stream error: RST_STREAM to the peer, and the stream's caller told.
    fn stream_error(&mut self, e: H2Error, events: &mut Vec<Event>) {
        let stream = e.stream.expect("a stream error");
        if self.streams.remove(&stream).is_some() {
            frame::encode_rst_stream(stream, e.code, &mut self.out);
            events.push(Event::Reset {
                stream,
                code: e.code,
                retryable: false,
            });
        }
    }

    fn calm(&mut self, what: &'static str) -> Result<(), H2Error> {
        Err(H2Error::connection(ErrorCode::ENHANCE_YOUR_CALM, what))
    }

    fn on_frame(&mut self, frame: Frame<'_>, events: &mut Vec<Event>) -> Result<(), H2Error> {
        // Between HEADERS and its last CONTINUATION, nothing else may come.
        if let Some(block) = &self.block {
            match &frame {
                Frame::Continuation { stream, .. } if *stream == block.stream => {}
                _ => {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "a frame other than CONTINUATION inside a header block",
                    ))
                }
            }
        }
        match frame {
            Frame::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => {
                self.idle(data.is_empty() && !end_stream)?;
                let padding = flow_len as usize - data.len();
                self.on_data(stream, data, end_stream, flow_len, padding, events)
            }
            Frame::Headers {
                stream,
                block,
                end_stream,
                end_headers,
            } => {
                self.idle_frames = 0;
                if stream >= self.next_stream || stream.is_multiple_of(2) {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "HEADERS on a stream this client did not open",
                    ));
                }
                self.append_block(stream, block, end_stream)?;
                if end_headers {
                    self.finish_block(events)?;
                }
                Ok(())
            }
            Frame::Continuation {
                stream,
                block,
                end_headers,
            } => {
                if self.block.is_none() {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "CONTINUATION without a header block",
                    ));
                }
                self.idle(block.is_empty() && !end_headers)?;
                self.append_block(stream, block, false)?;
                if end_headers {
                    self.finish_block(events)?;
                }
                Ok(())
            }
            Frame::Priority { .. } | Frame::Unknown { .. } => self.idle(true),
            Frame::RstStream { stream, code } => {
                if stream >= self.next_stream {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "RST_STREAM on an idle stream",
                    ));
                }
                if self.streams.remove(&stream).is_some() {
                    events.push(Event::Reset {
                        stream,
                        code,
                        retryable: code == ErrorCode::REFUSED_STREAM,
                    });
                    self.idle(false)
                } else {
                    // A reset of a stream already closed moves nothing.
                    self.idle(true)
                }
            }
            Frame::Settings { ack: true, .. } => Ok(()),
            Frame::Settings { ack: false, params } => {
                self.pending_acks += 1;
                if self.pending_acks > MAX_PENDING_ACKS {
                    return self.calm("too many SETTINGS frames");
                }
                self.apply_settings(&params)?;
                frame::encode_settings_ack(&mut self.out);
                events.push(Event::SendCapacity);
                Ok(())
            }
            Frame::PushPromise { .. } => Err(H2Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PUSH_PROMISE although push is disabled",
            )),
            Frame::Ping { ack: true, payload } => {
                events.push(Event::Pong(payload));
                Ok(())
            }
            Frame::Ping {
                ack: false,
                payload,
            } => {
                self.pending_acks += 1;
                if self.pending_acks > MAX_PENDING_ACKS {
                    return self.calm("too many PING frames");
                }
                frame::encode_ping(true, payload, &mut self.out);
                Ok(())
            }
            Frame::GoAway {
                last_stream, code, ..
            } => {
                if self.goaway.is_some_and(|prev| last_stream > prev) {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "GOAWAY raised its last stream id",
                    ));
                }
                // The first GOAWAY (or one that lowers the id) says
                // something; a repeat moves nothing.
                self.idle(self.goaway == Some(last_stream))?;
                self.goaway = Some(last_stream);
                // Streams the peer never processed: refused, retryable.
                let mut refused: Vec<u32> = self
                    .streams
                    .keys()
                    .copied()
                    .filter(|&s| s > last_stream)
                    .collect();
                refused.sort_unstable();
                for stream in refused {
                    self.streams.remove(&stream);
                    events.push(Event::Reset {
                        stream,
                        code: ErrorCode::REFUSED_STREAM,
                        retryable: true,
                    });
                }
                events.push(Event::GoAway { last_stream, code });
                Ok(())
            }
            Frame::WindowUpdate {
                stream: 0,
                increment,
            } => {
                self.send_window += i64::from(increment);
                if self.send_window > i64::from(MAX_WINDOW) {
                    return Err(H2Error::connection(
                        ErrorCode::FLOW_CONTROL_ERROR,
                        "connection window above 2^31 - 1",
                    ));
                }
                events.push(Event::SendCapacity);
                Ok(())
            }
            Frame::WindowUpdate { stream, increment } => {
                if stream >= self.next_stream {
                    return Err(H2Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "WINDOW_UPDATE on an idle stream",
                    ));
                }
                self.idle(!self.streams.contains_key(&stream))?;
                if let Some(s) = self.streams.get_mut(&stream) {
                    s.send_window += i64::from(increment);
                    if s.send_window > i64::from(MAX_WINDOW) {
                        return Err(H2Error::stream(
                            stream,
                            ErrorCode::FLOW_CONTROL_ERROR,
                            "stream window above 2^31 - 1",
                        ));
                    }
                    events.push(Event::SendCapacity);
                }
                Ok(())
            }
        }
    }

    /// Counts a frame that moves nothing; a long run of them is a flood.
    fn idle(&mut self, idle: bool) -> Result<(), H2Error> {
        if !idle {
            self.idle_frames = 0;
            return Ok(());
        }
        self.idle_frames += 1;
        if self.idle_frames > MAX_IDLE_FRAMES {
            return self.calm("too many frames that carry nothing");
        }
        Ok(())
    }

    fn apply_settings(&mut self, params: &[(u16, u32)]) -> Result<(), H2Error> {
        for &(id, value) in params {
            match id {
                setting::HEADER_TABLE_SIZE => {
                    self.encoder
                        .set_table_size((value as usize).min(hpack::DEFAULT_TABLE_SIZE));
                }
                setting::MAX_CONCURRENT_STREAMS => self.peer_max_streams = Some(value),
                setting::INITIAL_WINDOW_SIZE => {
                    // Every stream's window moves by the difference (§6.9.2).
                    let delta = i64::from(value) - i64::from(self.peer_window);
                    self.peer_window = value;
                    for s in self.streams.values_mut() {
                        s.send_window += delta;
                        if s.send_window > i64::from(MAX_WINDOW) {
                            return Err(H2Error::connection(
                                ErrorCode::FLOW_CONTROL_ERROR,
                                "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window",
                            ));
                        }
                    }
                }
                setting::MAX_FRAME_SIZE => self.peer_max_frame = value,
                _ => {}
            }
        }
        Ok(())
    }

    /// A DATA frame of `flow_len` bytes (what the windows count) carrying
    /// `data` (all of it, or none yet when it comes in pieces) and
    /// `padding` bytes besides (the pad-length byte included).
    fn on_data(
        &mut self,
        stream: u32,
        data: &[u8],
        end_stream: bool,
        flow_len: u32,
        padding: usize,
        events: &mut Vec<Event>,
    ) -> Result<(), H2Error> {
        // The connection window counts every DATA frame, of any stream.
        self.recv_window -= i64::from(flow_len);
        if self.recv_window < 0 {
            return Err(H2Error::connection(
                ErrorCode::FLOW_CONTROL_ERROR,
                "DATA beyond the connection window",
            ));
        }
        if stream >= self.next_stream || stream.is_multiple_of(2) {
            return Err(H2Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "DATA on a stream this client did not open",
            ));
        }
        let Some(s) = self.streams.get_mut(&stream) else {
            // A stream closed here (reset, done): its bytes go back to the
            // connection's window at once.
            self.give_back(flow_len as usize);
            return Ok(());
        };
        let refused = if s.state == State::HalfClosedRemote {
            Some((ErrorCode::STREAM_CLOSED, "DATA after the end of the stream"))
        } else if !s.final_head {
            Some((ErrorCode::PROTOCOL_ERROR, "DATA before the response head"))
        } else if s.recv_window < i64::from(flow_len) {
            Some((
                ErrorCode::FLOW_CONTROL_ERROR,
                "DATA beyond the stream window",
            ))
        } else {
            s.recv_window -= i64::from(flow_len);
            None
        };
        if let Some((code, reason)) = refused {
            // The stream is reset and nobody will consume the frame: it
            // still counts against the connection's window (§6.9), so it
            // is given back to it.
            self.give_back(flow_len as usize);
            return Err(H2Error::stream(stream, code, reason));
        }
        if end_stream {
            self.end_remote(stream);
        }
        if !data.is_empty() || end_stream {
            events.push(Event::Data {
                stream,
                data: self.buffer_for(data),
                end_stream,
            });
        }
        if padding > 0 {
            self.consumed(stream, padding);
        }
        Ok(())
    }

    /// The peer ended its side of `stream`.
    fn end_remote(&mut self, stream: u32) {
        if let Some(s) = self.streams.get_mut(&stream) {
            if s.state == State::HalfClosedLocal {
                self.streams.remove(&stream);
            } else {
                s.state = State::HalfClosedRemote;
            }
        }
    }

    fn append_block(&mut self, stream: u32, part: &[u8], end_stream: bool) -> Result<(), H2Error> {
        let block = self.block.get_or_insert_with(|| Block {
            stream,
            bytes: Vec::new(),
            end_stream,
        });
        if block.bytes.len() + part.len() > self.config.max_header_list_size as usize {
            return Err(H2Error::connection(
                ErrorCode::ENHANCE_YOUR_CALM,
                "header block larger than SETTINGS_MAX_HEADER_LIST_SIZE",
            ));
        }
        block.bytes.extend_from_slice(part);
        Ok(())
    }

    fn finish_block(&mut self, events: &mut Vec<Event>) -> Result<(), H2Error> {
        let Block {
            stream,
            bytes,
            end_stream,
        } = self.block.take().expect("a block is open");
        let mut fields = Vec::new();
        // The table must stay in step: any decoding failure ends the connection.
        self.decoder.decode(&bytes, &mut fields).map_err(|e| {
            H2Error::connection(
                ErrorCode::COMPRESSION_ERROR,
                match e {
                    HpackError::HeaderListTooLarge => "header list larger than the limit",
                    _ => "header block could not be decoded",
                },
            )
        })?;
        let Some(s) = self.streams.get_mut(&stream) else {
            // Decoded for the table's sake; the stream is gone.
            return Ok(());
        };
        if s.state == State::HalfClosedRemote {
            return Err(H2Error::stream(
                stream,
                ErrorCode::STREAM_CLOSED,
                "HEADERS after the end of the stream",
            ));
        }
        if s.final_head {
            // Trailers: no pseudo-fields, and the stream's end.
            if !end_stream {
                return Err(H2Error::stream(
                    stream,
                    ErrorCode::PROTOCOL_ERROR,
                    "trailers without END_STREAM",
                ));
            }
            let headers = regular_fields(stream, &fields, 0)?;
            self.end_remote(stream);
            events.push(Event::Trailers { stream, headers });
            return Ok(());
        }
        let status = response_status(stream, &fields)?;
        let headers = regular_fields(stream, &fields, 1)?;
        if status.is_informational() {
            if end_stream {
                return Err(H2Error::stream(
                    stream,
                    ErrorCode::PROTOCOL_ERROR,
                    "an informational head with END_STREAM",
                ));
            }
        } else {
            s.final_head = true;
        }
        if end_stream {
            self.end_remote(stream);
        }
        events.push(Event::Head {
            stream,
            status,
            headers,
            end_stream,
        });
        Ok(())
    }
}

/// Whether a request field may go in an HTTP/2 request (RFC 9113 §8.2.2):
/// no connection-specific fields, `host` left to `:authority`, `te` only
/// as `trailers`.
fn allowed_in_request(name: &HeaderName, value: &HeaderValue) -> bool {
    match name.as_str() {
        "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "upgrade"
        | "host" => false,
        "te" => value.as_bytes().eq_ignore_ascii_case(b"trailers"),
        _ => true,
    }
}

/// The response's `:status`: the first field, once, three digits, not 101.
fn response_status(stream: u32, fields: &[hpack::Field]) -> Result<StatusCode, H2Error> {
    let bad = |why| H2Error::stream(stream, ErrorCode::PROTOCOL_ERROR, why);
    let first = fields
        .first()
        .filter(|f| f.name == b":status")
        .ok_or_else(|| bad("response without :status first"))?;
    let status = StatusCode::from_bytes(&first.value).map_err(|_| bad("invalid :status"))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(bad("101 is not allowed in HTTP/2"));
    }
    Ok(status)
}

/// The fields after the first `skip`, as a header map: no pseudo-fields,
/// lower-case names, no connection-specific fields, `te` only `trailers`.
fn regular_fields(stream: u32, fields: &[hpack::Field], skip: usize) -> Result<HeaderMap, H2Error> {
    let bad = |why| H2Error::stream(stream, ErrorCode::PROTOCOL_ERROR, why);
    let mut map = HeaderMap::with_capacity(fields.len().saturating_sub(skip));
    for f in &fields[skip..] {
        if f.name.first() == Some(&b':') {
            return Err(bad("a pseudo-field out of place"));
        }
        if f.name.iter().any(u8::is_ascii_uppercase) {
            return Err(bad("an upper-case field name"));
        }
        let name = HeaderName::from_bytes(&f.name).map_err(|_| bad("an invalid field name"))?;
        let mut value =
            HeaderValue::from_bytes(&f.value).map_err(|_| bad("an invalid field value"))?;
        if !allowed_in_request(&name, &value) && name != http::header::HOST {
            return Err(bad("a connection-specific field"));
        }
        value.set_sensitive(f.never_indexed);
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests;
