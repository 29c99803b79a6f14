//! HTTP Basic authentication (RFC 7617).

use std::fmt;

use base64::Engine;
use http::header::{HeaderValue, AUTHORIZATION};

use super::{Auth, AuthFlow, OneShot};
use crate::request::Request;

/// HTTP Basic authentication: `Authorization: Basic base64(user:password)`,
/// sent with the first request (httpx's `BasicAuth`, curl's `-u`).
///
/// # Examples
///
/// ```
/// let client = ferrohttp::Client::builder()
///     .auth(ferrohttp::BasicAuth::new("user", "secret"))
///     .build()?;
/// # drop(client);
/// # Ok::<(), ferrohttp::Error>(())
/// ```
#[derive(Clone)]
pub struct BasicAuth {
    header: HeaderValue,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth").finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// Credentials for `username` and `password`.
    pub fn new(username: impl AsRef<str>, password: impl AsRef<str>) -> BasicAuth {
        let raw = format!("{}:{}", username.as_ref(), password.as_ref());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        let mut header = HeaderValue::from_str(&format!("Basic {encoded}"))
            .expect("base64 is a valid header value");
        header.set_sensitive(true);
        BasicAuth { header }
    }

    /// The `Authorization` header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.header
    }
}

impl Auth for BasicAuth {
    fn auth_flow(&self, mut request: Request) -> Box<dyn AuthFlow> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.header.clone());
        Box::new(OneShot(Some(request)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7617_example() {
        // RFC 7617 §2: "Aladdin" / "open sesame".
        let auth = BasicAuth::new("Aladdin", "open sesame");
        assert_eq!(auth.header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(auth.header_value().is_sensitive());
    }
}
