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

/// Whether a new request to `url` goes with an answer at once (its
/// origin's challenge remembered).
fn answered_at_once(auth: &DigestAuth, url: &str) -> bool {
    let request = Request::new(http::Method::GET, Url::parse(url).unwrap());
    let first = auth.auth_flow(request).next(None).unwrap().unwrap();
    first.headers().contains_key(AUTHORIZATION)
}

#[test]
fn remembered_challenges_are_bounded_in_origins() {
    let auth = DigestAuth::new("user", "pass");
    let challenge = r#"Digest realm="r", qop="auth", nonce="n1""#;
    for i in 0..MAX_KNOWN_ORIGINS {
        answer_to(&auth, challenge, &format!("http://h{i}.test/"));
    }
    assert!(answered_at_once(&auth, "http://h0.test/x"));
    assert!(answered_at_once(&auth, "http://h63.test/"));
    assert!(
        !answered_at_once(&auth, "http://other.test/"),
        "never challenged"
    );
    // One more origin: the remembered ones are forgotten, the new one kept.
    answer_to(&auth, challenge, "http://h64.test/");
    assert!(answered_at_once(&auth, "http://h64.test/"));
    assert!(!answered_at_once(&auth, "http://h0.test/"));
    assert!(!answered_at_once(&auth, "http://h63.test/"));
    assert_eq!(auth.known.lock().unwrap().len(), 1);
}
