//! HTTP/2 (RFC 9113), sans-IO: the frame layer ([`frame`]), header
//! compression ([`hpack`], RFC 7541), and a client connection's state —
//! streams, flow control, SETTINGS, GOAWAY — in [`conn`]. The engine's
//! drivers (one lock-based for the blocking client, one for tokio) follow
//! (#18).

pub mod conn;
pub mod frame;
pub mod hpack;
