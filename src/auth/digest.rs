//! HTTP Digest authentication (RFC 7616, with RFC 2617 and RFC 2069
//! compatibility): challenge parsing, response computation, and the flow.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// A client nonce: 128 bits from the standard library's randomly keyed
/// SipHash (seeded from the OS per thread), a time stamp and a counter.
fn cnonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(32);
    for round in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(round);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
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
mod tests {
    use super::*;
    use http::HeaderMap;
    use url::Url;

    fn ch(header: &str) -> Vec<Challenge> {
        parse_challenges([header.as_bytes()])
    }

    #[test]
    fn parses_several_challenges() {
        let c = ch(r#"Basic realm="x", Digest realm="y", nonce="z", algorithm=MD5, Bearer"#);
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Digest", "Bearer"]);
        assert_eq!(c[1].param("nonce"), Some("z"));
        let c = parse_challenges([
            &b"Digest realm=\"r\", nonce=\"1\""[..],
            b"Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256",
        ]);
        assert_eq!(c.len(), 2);
        assert_eq!(
            choose(&c).unwrap().unwrap().param("nonce"),
            Some("2"),
            "strongest wins"
        );
    }

    #[test]
    fn unsupported_algorithm_is_an_error() {
        let c = ch(r#"Digest realm="r", nonce="n", algorithm=SHA3-256"#);
        assert_eq!(choose(&c).unwrap_err().kind(), ErrorKind::LocalProtocol);
        assert!(choose(&ch("Basic realm=\"r\"")).unwrap().is_none());
    }

    fn rfc7616(algorithm: Algorithm) -> String {
        compute_response(&input(algorithm))
    }

    /// RFC 7616 §3.9.1's inputs.
    fn input(algorithm: Algorithm) -> DigestInput<'static> {
        DigestInput {
            algorithm,
            sess: false,
            username: "Mufasa",
            password: "Circle of Life",
            realm: "http-auth@example.org",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: "00000001",
            qop: Some("auth"),
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        }
    }

    #[test]
    fn rfc7616_md5_and_sha256() {
        assert_eq!(rfc7616(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
        assert_eq!(
            rfc7616(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn sha1_and_sha512_and_their_sess() {
        // RFC 7616 §3.9.1's inputs; the expected responses recomputed
        // independently (Python's hashlib, the §3.4.1-3 formulas).
        let sess = |algorithm| {
            compute_response(&DigestInput {
                sess: true,
                ..input(algorithm)
            })
        };
        let cases = [
            (
                "SHA",
                Algorithm::Sha1,
                "e99f244f9069203415f7e8b7bd25b4b2ad3e2a7f",
                "649077d815fe82c6a1bbc3e7330a9ec78d8f8c2c",
            ),
            (
                "SHA-512",
                Algorithm::Sha512,
                "27d9ebedb4e86595d8b99152ce456620c8e47c48afbd771dbc4468bb758ca66e7312383d49ad044219d4a2c5c218e66c584fa00b2728798bcff9435825eed0ad",
                "5bc820f8c0e5cf83d5ff0a673af99c13a028be576c765c41f23d4fb46722a44750a331317b0b8646d55243e0c06cbacf64cc061404459769fbedddb0ecfacc5f",
            ),
            (
                "MD5",
                Algorithm::Md5,
                "8ca523f5e9506fed4657c9700eebdbec",
                "e783283f46242139c486a698fec7211d",
            ),
            (
                "SHA-256",
                Algorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
                "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
            ),
        ];
        for (name, algorithm, plain, with_sess) in cases {
            assert_eq!(Algorithm::parse(Some(name)), Some((algorithm, false)));
            assert_eq!(
                Algorithm::parse(Some(&format!("{name}-sess"))),
                Some((algorithm, true))
            );
            assert_eq!(algorithm.name(false), name);
            assert_eq!(rfc7616(algorithm), plain, "{name}");
            assert_eq!(sess(algorithm), with_sess, "{name}-sess");
        }
        assert_eq!(
            Algorithm::parse(Some("sha-1")),
            Some((Algorithm::Sha1, false))
        );
        // Of several, the strongest: SHA-512-256, then SHA-512, ...
        let c = ch(r#"Digest realm="r", nonce="1", algorithm=SHA-512"#);
        let mut all = c.clone();
        all.extend(ch(r#"Digest realm="r", nonce="2", algorithm=SHA"#));
        all.extend(ch(r#"Digest realm="r", nonce="3", algorithm=MD5"#));
        assert_eq!(choose(&all).unwrap().unwrap().param("nonce"), Some("1"));
    }

    #[test]
    fn rfc2617_md5() {
        // RFC 2617 §3.5.
        let r = compute_response(&DigestInput {
            algorithm: Algorithm::Md5,
            sess: false,
            username: "Mufasa",
            password: "Circle Of Life",
            realm: "testrealm@host.com",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: "0a4f113b",
            nc: "00000001",
            qop: Some("auth"),
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        });
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn sess_and_auth_int_and_2069() {
        let base = DigestInput {
            algorithm: Algorithm::Md5,
            sess: false,
            username: "u",
            password: "p",
            realm: "r",
            nonce: "n",
            cnonce: "c",
            nc: "00000001",
            qop: None,
            method: "POST",
            uri: "/x",
            body: b"body",
        };
        let h = |s: &str| Algorithm::Md5.hash(s.as_bytes());
        // RFC 2069: H(HA1:nonce:HA2).
        let ha1 = h("u:r:p");
        assert_eq!(
            compute_response(&base),
            h(&format!("{ha1}:n:{}", h("POST:/x")))
        );
        // -sess: HA1 = H(H(u:r:p):nonce:cnonce).
        let sess = DigestInput {
            sess: true,
            qop: Some("auth"),
            ..base.clone()
        };
        let ha1s = h(&format!("{ha1}:n:c"));
        assert_eq!(
            compute_response(&sess),
            h(&format!("{ha1s}:n:00000001:c:auth:{}", h("POST:/x")))
        );
        // auth-int: HA2 = H(method:uri:H(body)).
        let int = DigestInput {
            qop: Some("auth-int"),
            ..base
        };
        let ha2 = h(&format!("POST:/x:{}", h("body")));
        assert_eq!(
            compute_response(&int),
            h(&format!("{ha1}:n:00000001:c:auth-int:{ha2}"))
        );
    }

    #[test]
    fn sha512_256_known_vector() {
        // SHA-512/256("abc") from FIPS 180-4's examples.
        assert_eq!(
            Algorithm::Sha512_256.hash(b"abc"),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
    }

    /// The Authorization value a `DigestAuth` sends answering `challenge`.
    fn answer_to(auth: &DigestAuth, challenge: &str, url: &str) -> String {
        let request = Request::new(http::Method::GET, Url::parse(url).unwrap());
        let mut flow = auth.auth_flow(request);
        flow.next(None).unwrap().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_str(challenge).unwrap(),
        );
        let seen = AuthResponse {
            status: StatusCode::UNAUTHORIZED,
            version: http::Version::HTTP_11,
            headers,
            url: Url::parse(url).unwrap(),
            body: None,
        };
        let next = flow.next(Some(&seen)).unwrap().unwrap();
        String::from_utf8(next.headers()[AUTHORIZATION].as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn userhash_sends_the_hashed_name() {
        // RFC 7616 §3.9.2 with erratum 4897 (the published example's
        // hashes were computed with a pre-standard SHA-512/256).
        let auth = DigestAuth::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?");
        let challenge = r#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#;
        let value = answer_to(&auth, challenge, "http://api.example.org/doe.json");
        let sent = &ch(&value)[0];
        assert_eq!(
            sent.param("username"),
            Some("793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b")
        );
        assert_eq!(sent.param("userhash"), Some("true"));
        // The response itself is computed with the name, not its hash ...
        let input = DigestInput {
            algorithm: Algorithm::Sha512_256,
            sess: false,
            username: "J\u{e4}s\u{f8}n Doe",
            password: "Secret, or not?",
            realm: "api@example.org",
            nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
            cnonce: sent.param("cnonce").unwrap(),
            nc: "00000001",
            qop: Some("auth"),
            method: "GET",
            uri: "/doe.json",
            body: b"",
        };
        let expected = compute_response(&input);
        assert_eq!(sent.param("response"), Some(expected.as_str()));
        // ... and with the example's client nonce, it is the erratum's value.
        let example = compute_response(&DigestInput {
            cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            ..input
        });
        assert_eq!(
            example,
            "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
        );
        // Without the parameter, the name goes as it is.
        let plain = answer_to(
            &auth,
            &challenge.replace(", userhash=true", ""),
            "http://a/",
        );
        assert!(
            plain.contains("username=\"J\u{e4}s\u{f8}n Doe\""),
            "{plain}"
        );
        assert!(!plain.contains("userhash"), "{plain}");
    }

    #[test]
    fn cnonces_differ() {
        assert_ne!(cnonce(), cnonce());
        assert_eq!(cnonce().len(), 32);
    }
}
