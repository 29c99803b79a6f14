//! Request-head encoding and response-head parsing (RFC 9112 §3, §4, §5).

mod encode;
mod parse;

pub use encode::{
    encode_request_head, encode_request_head_to, encode_request_head_version, write_host,
    BodyFraming, RequestTarget,
};
pub(crate) use encode::{is_tchar, request_framing};
pub use parse::{HeadParser, ParsedHead, ResponseHead};
