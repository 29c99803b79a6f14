//! Sans-IO protocol code: bytes in, typed values out. Nothing here touches a
//! socket, a clock or a thread, so it is tested once and shared by both clients.

pub mod decode;
pub mod h1;
