//! HTTP Digest authentication (RFC 7616, with RFC 2617 and RFC 2069
//! compatibility): challenge parsing, response computation, and the flow.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::StatusCode;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512, Sha512_256};

use super::challenge::{parse_challenges, Challenge};
use super::{Auth, AuthFlow, AuthResponse};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;

/// The digest algorithms of RFC 7616 §6.1, with SHA-1 (`SHA`, which older
/// servers send) and SHA-512 (httpbin offers it; curl and httpx answer
/// it), the order of preference when a server offers several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// MD5 (RFC 2617's default).
    Md5,
    /// SHA-1, named `SHA`.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
    /// SHA-512/256.
    Sha512_256,
}

impl Algorithm {
    /// The algorithm of an `algorithm` parameter, and whether it is a
    /// `-sess` variant; `None` for unsupported ones.
    pub fn parse(name: Option<&str>) -> Option<(Algorithm, bool)> {
        let name = name.unwrap_or("MD5").to_ascii_uppercase();
        let (base, sess) = match name.strip_suffix("-SESS") {
            Some(b) => (b.to_string(), true),
            None => (name, false),
        };
        let alg = match base.as_str() {
            "MD5" => Algorithm::Md5,
            "SHA" | "SHA-1" => Algorithm::Sha1,
            "SHA-256" => Algorithm::Sha256,
            "SHA-512" => Algorithm::Sha512,
            "SHA-512-256" => Algorithm::Sha512_256,
            _ => return None,
        };
        Some((alg, sess))
    }

    fn name(self, sess: bool) -> String {
        let base = match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha1 => "SHA",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512 => "SHA-512",
            Algorithm::Sha512_256 => "SHA-512-256",
        };
        if sess {
            format!("{base}-sess")
        } else {
            base.to_string()
        }
    }

    /// The lower-case hex digest of `data`.
    pub fn hash(self, data: &[u8]) -> String {
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data)),
            Algorithm::Sha1 => hex(&Sha1::digest(data)),
            Algorithm::Sha256 => hex(&Sha256::digest(data)),
            Algorithm::Sha512 => hex(&Sha512::digest(data)),
            Algorithm::Sha512_256 => hex(&Sha512_256::digest(data)),
        }
    }
}

/// The inputs of one digest `response` computation.
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    /// The hash algorithm.
    pub algorithm: Algorithm,
    /// A `-sess` algorithm.
    pub sess: bool,
    /// The user name.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// The server's realm.
    pub realm: &'a str,
    /// The server's nonce.
    pub nonce: &'a str,
    /// The client nonce.
    pub cnonce: &'a str,
    /// The nonce count, as 8 hex digits.
    pub nc: &'a str,
    /// `auth`, `auth-int`, or `None` for RFC 2069.
    pub qop: Option<&'a str>,
    /// The request method.
    pub method: &'a str,
    /// The request target (`uri`).
    pub uri: &'a str,
    /// The request body, for `auth-int`.
    pub body: &'a [u8],
}

/// The `response` value (RFC 7616 §3.4.1).
pub fn compute_response(i: &DigestInput<'_>) -> String {
    let h = |s: &str| i.algorithm.hash(s.as_bytes());
    let mut ha1 = h(&format!("{}:{}:{}", i.username, i.realm, i.password));
    if i.sess {
        ha1 = h(&format!("{ha1}:{}:{}", i.nonce, i.cnonce));
    }
    let ha2 = if i.qop == Some("auth-int") {
        h(&format!(
            "{}:{}:{}",
            i.method,
            i.uri,
            i.algorithm.hash(i.body)
        ))
    } else {
        h(&format!("{}:{}", i.method, i.uri))
    };
    match i.qop {
        Some(qop) => h(&format!(
            "{ha1}:{}:{}:{}:{qop}:{ha2}",
            i.nonce, i.nc, i.cnonce
        )),
        None => h(&format!("{ha1}:{}:{ha2}", i.nonce)),
    }
}

/// HTTP Digest authentication (RFC 7616): MD5, SHA-1 (`SHA`), SHA-256,
/// SHA-512 and SHA-512-256, their `-sess` variants, qop `auth` and
/// `auth-int`, `opaque`, `userhash` (the name sent hashed with the realm
/// when the server asks), and one retry on `stale=true`. Of several
/// challenges, the strongest supported algorithm is answered. curl's
/// `--digest`.
///
/// A name outside ASCII is sent as UTF-8 in `username`, as curl and httpx
/// send it; RFC 7616's `username*` form is not used.
///
/// The first request to an origin goes without credentials; the server's
/// 401 carries the challenge, and the request is sent again with the
/// answer. Later requests to the same origin (and realm) answer the last
/// challenge at once, with the next nonce count (`nc=00000002`, ...), as
/// httpx does, so they cost no extra round trip; a 401 then (a new or
/// `stale` nonce) is answered afresh. Clones of a `DigestAuth` share what
/// they learnt. A request body must be replayable (in memory) for the
/// retry; `auth-int` hashes it.
///
/// # Examples
///
/// ```
/// let client = ferrohttp::Client::builder()
///     .auth(ferrohttp::DigestAuth::new("user", "secret"))
///     .build()?;
/// # drop(client);
/// # Ok::<(), ferrohttp::Error>(())
/// ```
#[derive(Clone)]
pub struct DigestAuth {
    username: String,
    password: String,
    /// The last challenge answered per origin, for answering at once.
    known: Arc<Mutex<HashMap<String, Known>>>,
}

/// A challenge answered with success, and how many times its nonce has been
/// used.
#[derive(Debug, Clone)]
struct Known {
    challenge: Challenge,
    nc: u32,
}

/// The most origins whose last challenge a `DigestAuth` remembers; past
/// it, it forgets them all (they are answered with a 401 round trip again).
const MAX_KNOWN_ORIGINS: usize = 64;

/// The key for remembered challenges: a request's origin.
fn origin_key(request: &Request) -> String {
    request.url().origin().ascii_serialization()
}

impl fmt::Debug for DigestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuth")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl DigestAuth {
    /// Credentials for `username` and `password`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> DigestAuth {
        DigestAuth {
            username: username.into(),
            password: password.into(),
            known: Arc::default(),
        }
    }
}

impl Auth for DigestAuth {
    fn auth_flow(&self, request: Request) -> Box<dyn AuthFlow> {
        Box::new(DigestFlow {
            auth: self.clone(),
            request: Some(request),
            copy: None,
            answered: 0,
        })
    }
}

struct DigestFlow {
    auth: DigestAuth,
    request: Option<Request>,
    /// A copy of the request kept to send again with credentials.
    copy: Option<Request>,
    /// How many answers to a 401 were sent (the first, and one after
    /// `stale=true`).
    answered: u8,
}

/// A client nonce: 128 unpredictable bits.
fn cnonce() -> String {
    crate::random::hex128()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl DigestFlow {
    /// The Authorization value answering `challenge` for `request`, with
    /// nonce count `nc`.
    fn answer(&self, challenge: &Challenge, request: &Request, nc: u32) -> Result<HeaderValue> {
        let url = request.url();
        let mut uri = url.path().to_string();
        if let Some(q) = url.query() {
            uri.push('?');
            uri.push_str(q);
        }
        answer(
            &self.auth.username,
            &self.auth.password,
            challenge,
            request.method().as_str(),
            &uri,
            request.body().as_bytes(),
            nc,
        )
    }
}

/// The credentials answering a Digest `challenge` for `method` and `uri`
/// (the request target as sent: a path, an absolute URL to a forward proxy,
/// `host:port` for CONNECT), with nonce count `nc`; `body` is needed for
/// `qop=auth-int` only (`None`: a stream).
pub(crate) fn answer(
    username: &str,
    password: &str,
    challenge: &Challenge,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
    nc: u32,
) -> Result<HeaderValue> {
    let (algorithm, sess) = Algorithm::parse(challenge.param("algorithm")).ok_or_else(|| {
        Error::new(
            ErrorKind::LocalProtocol,
            format!(
                "unsupported digest algorithm {:?}",
                challenge.param("algorithm").unwrap_or("")
            ),
        )
    })?;
    let realm = challenge.param("realm").unwrap_or("");
    let nonce = challenge.param("nonce").ok_or_else(|| {
        Error::new(
            ErrorKind::RemoteProtocol,
            "digest challenge without a nonce",
        )
    })?;
    let qops: Vec<&str> = challenge
        .param("qop")
        .map(|q| q.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let qop = if qops.is_empty() {
        None
    } else if qops.contains(&"auth") {
        Some("auth")
    } else if qops.contains(&"auth-int") {
        Some("auth-int")
    } else {
        return Err(Error::new(
            ErrorKind::LocalProtocol,
            format!(
                "digest challenge offers no supported qop ({})",
                qops.join(", ")
            ),
        ));
    };
    let body = if qop == Some("auth-int") {
        body.ok_or_else(|| {
            Error::new(
                ErrorKind::LocalProtocol,
                "digest qop=auth-int needs the request body in memory, and it is a stream",
            )
        })?
    } else {
        &[]
    };
    let cnonce = cnonce();
    let nc = format!("{nc:08x}");
    let nc = nc.as_str();
    let response = compute_response(&DigestInput {
        algorithm,
        sess,
        username,
        password,
        realm,
        nonce,
        cnonce: &cnonce,
        nc,
        qop,
        method,
        uri,
        body,
    });
    // RFC 7616 §3.4.4: a server asking for `userhash` gets
    // H(username ":" realm) in place of the name (the response above
    // is computed with the name itself).
    let userhash = challenge
        .param("userhash")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let username = if userhash {
        algorithm.hash(format!("{username}:{realm}").as_bytes())
    } else {
        username.to_string()
    };
    let mut parts = vec![
        format!("username={}", quote(&username)),
        format!("realm={}", quote(realm)),
        format!("nonce={}", quote(nonce)),
        format!("uri={}", quote(uri)),
        format!("algorithm={}", algorithm.name(sess)),
        format!("response={}", quote(&response)),
    ];
    if let Some(opaque) = challenge.param("opaque") {
        parts.push(format!("opaque={}", quote(opaque)));
    }
    if let Some(qop) = qop {
        parts.push(format!("qop={qop}"));
        parts.push(format!("nc={nc}"));
        parts.push(format!("cnonce={}", quote(&cnonce)));
    }
    if userhash {
        parts.push("userhash=true".to_string());
    }
    let mut value =
        HeaderValue::from_str(&format!("Digest {}", parts.join(", "))).map_err(|e| {
            Error::new(
                ErrorKind::LocalProtocol,
                "digest credentials contain characters a header cannot carry",
            )
            .with_source(e)
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The strongest supported Digest challenge, or an error when the server
/// offers Digest only with algorithms this client does not have.
pub(crate) fn choose(challenges: &[Challenge]) -> Result<Option<&Challenge>> {
    let digests: Vec<&Challenge> = challenges
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("digest"))
        .collect();
    if digests.is_empty() {
        return Ok(None);
    }
    let best = digests
        .iter()
        .filter_map(|c| Algorithm::parse(c.param("algorithm")).map(|(a, _)| (a, *c)))
        .max_by_key(|(a, _)| *a);
    match best {
        Some((_, c)) => Ok(Some(c)),
        None => {
            let offered: Vec<&str> = digests
                .iter()
                .map(|c| c.param("algorithm").unwrap_or("MD5"))
                .collect();
            Err(Error::new(
                ErrorKind::LocalProtocol,
                format!(
                    "the server offers digest authentication only with unsupported algorithms ({})",
                    offered.join(", ")
                ),
            ))
        }
    }
}

impl AuthFlow for DigestFlow {
    fn next(&mut self, response: Option<&AuthResponse>) -> Result<Option<Request>> {
        let Some(response) = response else {
            // First, the request as it is; keep a copy to answer the challenge.
            let mut request = self
                .request
                .take()
                .expect("the first call gets the request");
            self.copy = request.try_clone();
            if self.copy.is_none() {
                // A streamed body can be sent once: keep the head to report.
                let mut head = Request::new(request.method().clone(), request.url().clone());
                *head.headers_mut() = request.headers().clone();
                self.request = Some(head);
            }
            // A challenge this origin sent before: answer it at once, with
            // the next nonce count.
            let known = {
                let mut known = self.auth.known.lock().unwrap_or_else(|p| p.into_inner());
                // Nothing remembered (the usual first request): no key to make.
                let key = (!known.is_empty()).then(|| origin_key(&request));
                key.and_then(|key| known.get_mut(&key)).map(|k| {
                    k.nc = k.nc.saturating_add(1);
                    (k.challenge.clone(), k.nc)
                })
            };
            if let Some((challenge, nc)) = known {
                if let Ok(value) = self.answer(&challenge, &request, nc) {
                    request.headers_mut().insert(AUTHORIZATION, value);
                }
            }
            return Ok(Some(request));
        };
        let key = || {
            self.copy
                .as_ref()
                .or(self.request.as_ref())
                .map(origin_key)
                .unwrap_or_default()
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        let challenges = parse_challenges(
            response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .map(|v| v.as_bytes()),
        );
        let Some(challenge) = choose(&challenges)? else {
            return Ok(None); // not a Digest challenge: the 401 is the answer
        };
        let stale = challenge
            .param("stale")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
        // The first answer, and one more when the server says the nonce was
        // stale (an answer sent at once to a remembered challenge does not
        // count: the server may simply have moved on to a new nonce).
        if self.answered >= 2 || (self.answered == 1 && !stale) {
            // The credentials were refused: forget the challenge.
            self.auth
                .known
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key());
            return Ok(None);
        }
        let Some(template) = self.copy.as_ref() else {
            return Err(Error::new(
                ErrorKind::StreamConsumed,
                "cannot answer the digest challenge: the request body was a stream and is already sent",
            ));
        };
        let value = self.answer(challenge, template, 1)?;
        let mut next = template
            .try_clone()
            .expect("the copy has an in-memory body");
        next.headers_mut().insert(AUTHORIZATION, value);
        self.answered += 1;
        // Remembered for the next requests to this origin (nc 1 is used),
        // for a bounded number of origins.
        let mut known = self.auth.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_KNOWN_ORIGINS {
            known.clear();
        }
        known.insert(
            origin_key(template),
            Known {
                challenge: challenge.clone(),
                nc: 1,
            },
        );
        Ok(Some(next))
    }
}

#[cfg(test)]
mod tests;
