//! HTTP/2 (RFC 9113), sans-IO. So far its header compression, HPACK
//! (RFC 7541); the frame layer and the connection's state follow (#18).

pub mod hpack;
