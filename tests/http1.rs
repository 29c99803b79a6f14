//! HTTP/1.1 core scenarios, run against both clients: the scenario file is
//! included twice, once with the blocking `Client` and `must_be_sync`, once
//! with `AsyncClient` and `must_be_async`, as the engine itself is.

mod support;

mod blocking {
    #[allow(unused_imports, reason = "not every scenario uses every name")]
    use ferrohttp::{Body, Client, Response};

    /// Reads the whole body through `std::io::Read`.
    fn read_to_end(r: &mut Response) -> std::io::Result<Vec<u8>> {
        let mut v = Vec::new();
        std::io::Read::read_to_end(r, &mut v)?;
        Ok(v)
    }

    /// A streaming body of unknown length.
    fn stream_body(data: Vec<u8>) -> Body {
        Body::new(std::io::Cursor::new(data))
    }

    /// A streaming body of known length.
    fn sized_body(data: Vec<u8>) -> Body {
        let len = data.len() as u64;
        Body::sized(std::io::Cursor::new(data), len)
    }

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[test]
            fn $name() {
                #[maybe_async::must_be_sync]
                async fn run() $body
                run()
            }
        };
    }

    include!("scenarios/http1.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    #[allow(unused_imports, reason = "not every scenario uses every name")]
    use ferrohttp::{AsyncBody, AsyncClient as Client, AsyncResponse as Response, Body};

    /// Reads the whole body through `tokio::io::AsyncRead`.
    async fn read_to_end(r: &mut Response) -> std::io::Result<Vec<u8>> {
        let mut v = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(r, &mut v).await?;
        Ok(v)
    }

    /// A streaming body of unknown length, from an `AsyncRead`.
    fn stream_body(data: Vec<u8>) -> Body {
        AsyncBody::new(std::io::Cursor::new(data)).into()
    }

    /// A streaming body of known length, from an `AsyncRead`.
    fn sized_body(data: Vec<u8>) -> Body {
        let len = data.len() as u64;
        AsyncBody::sized(std::io::Cursor::new(data), len).into()
    }

    macro_rules! scenario {
        (async fn $name:ident() $body:block) => {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() $body
        };
    }

    include!("scenarios/http1.rs");
}
