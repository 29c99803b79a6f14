//! HTTP/1.1 (RFC 9112) codec: request-head encoding, response-head parsing,
//! body framing, chunked transfer coding, and the decisions of one exchange.

pub mod chunked;
pub mod exchange;
pub mod framing;
pub mod head;

pub use chunked::{encode_chunk_header, ChunkedDecoder, Decoded, CHUNKED_END};
pub use exchange::{Exchange, FinalHead, HeadEvent};
pub(crate) use framing::content_length;
pub use framing::{is_keep_alive, response_framing, Framing, FramingKind};
pub(crate) use head::request_framing;
pub use head::{
    encode_request_head, encode_request_head_to, encode_request_head_version, BodyFraming,
    HeadParser, ParsedHead, RequestTarget, ResponseHead,
};
