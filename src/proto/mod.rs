//! Sans-IO protocol code: bytes in, typed values out. Nothing here touches a
//! socket, a clock or a thread, so it is tested once and shared by both clients.
//!
//! Public for programs that drive their own I/O, but shaped by the engine's
//! needs: its items may change in any 0.x release (see the crate's
//! Stability section).

pub mod decode;
pub mod h1;
pub mod h2;
pub(crate) mod socks;
pub(crate) mod tunnel;
