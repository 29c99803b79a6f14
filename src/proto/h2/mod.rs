//! HTTP/2 (RFC 9113), sans-IO: the frame layer ([`frame`]) and header
//! compression ([`hpack`], RFC 7541). The connection's state (streams,
//! flow control, SETTINGS) follows (#18).

pub mod frame;
pub mod hpack;
