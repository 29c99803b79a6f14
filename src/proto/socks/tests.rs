use super::*;

fn v4(ip: [u8; 4], port: u16) -> Destination {
    Destination::Addr(SocketAddr::from((ip, port)))
}

fn creds(user: &str, pass: &str) -> Option<(String, String)> {
    Some((user.into(), pass.into()))
}

/// What a run produced: the messages sent after the first, and the bytes
/// past the final reply.
type Outcome = (Vec<Vec<u8>>, Vec<u8>);

/// Feeds each reply in two parts split at every byte, sending what the
/// handshake asks; returns the bytes sent after the first message and the
/// bytes past the final reply.
fn run(
    version: Version,
    dest: Destination,
    credentials: Option<(String, String)>,
    replies: &[&[u8]],
) -> Vec<Result<Outcome>> {
    let total: usize = replies.iter().map(|r| r.len()).sum();
    (0..=total)
        .map(|split| {
            let mut hs = Handshake::new(version, dest.clone(), credentials.clone())?;
            let _first = hs.start();
            let mut sent = Vec::new();
            let mut offset = 0;
            for reply in replies {
                let cut = split.saturating_sub(offset).min(reply.len());
                offset += reply.len();
                let mut step = hs.receive(&reply[..cut])?;
                if let Step::Done(mut rest) = step {
                    // Done on the first part: the rest is the tunnel's.
                    rest.extend_from_slice(&reply[cut..]);
                    return Ok((sent, rest));
                }
                if step == Step::Read {
                    step = hs.receive(&reply[cut..])?;
                }
                match step {
                    Step::Send(bytes) => sent.push(bytes),
                    Step::Done(rest) => return Ok((sent, rest)),
                    Step::Read => return Err(proxy_error("handshake stalled")),
                }
            }
            Err(proxy_error("no final reply"))
        })
        .collect()
}

fn all_ok(outcomes: Vec<Result<Outcome>>) -> Outcome {
    let mut first = None;
    for o in outcomes {
        let o = o.unwrap();
        match &first {
            None => first = Some(o),
            Some(f) => assert_eq!(f, &o, "the same at every split"),
        }
    }
    first.unwrap()
}

#[test]
fn socks4_connect_with_user_id() {
    let mut hs = Handshake::new(Version::V4, v4([127, 0, 0, 1], 8080), creds("joe", "")).unwrap();
    assert_eq!(
        hs.start(),
        [4, 1, 0x1f, 0x90, 127, 0, 0, 1, b'j', b'o', b'e', 0]
    );
    let (sent, rest) = all_ok(run(
        Version::V4,
        v4([127, 0, 0, 1], 8080),
        creds("joe", ""),
        &[&[0, 90, 0, 0, 0, 0, 0, 0, b'H', b'T']],
    ));
    assert!(sent.is_empty());
    assert_eq!(rest, b"HT", "bytes past the reply are the tunnel's");
}

#[test]
fn socks4a_sends_the_name() {
    let mut hs = Handshake::new(
        Version::V4a,
        Destination::Name("example.test".into(), 80),
        None,
    )
    .unwrap();
    let mut want = vec![4, 1, 0, 80, 0, 0, 0, 1, 0];
    want.extend_from_slice(b"example.test\0");
    assert_eq!(hs.start(), want);
    // SOCKS4a with an address sends it as SOCKS4 does.
    let mut hs = Handshake::new(Version::V4a, v4([10, 0, 0, 2], 443), None).unwrap();
    assert_eq!(hs.start(), [4, 1, 1, 0xbb, 10, 0, 0, 2, 0]);
}

#[test]
fn socks4_refusals_name_the_code() {
    for (code, text) in [
        (91, "rejected or failed"),
        (92, "identd"),
        (93, "different user id"),
        (94, "unassigned"),
    ] {
        let mut hs = Handshake::new(Version::V4, v4([127, 0, 0, 1], 80), None).unwrap();
        hs.start();
        let e = hs.receive(&[0, code, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Proxy);
        assert!(
            e.to_string().contains(text) && e.to_string().contains(&code.to_string()),
            "{e}"
        );
    }
    let mut hs = Handshake::new(Version::V4, v4([127, 0, 0, 1], 80), None).unwrap();
    hs.start();
    let e = hs.receive(b"HTTP/1.1").unwrap_err();
    assert!(e.to_string().contains("not SOCKS4"), "{e}");
}

#[test]
fn socks5_without_auth_for_each_address_type() {
    let ok_v4 = [5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90];
    let cases: Vec<(Destination, Vec<u8>)> = vec![
        (
            v4([127, 0, 0, 1], 80),
            vec![5, 1, 0, 1, 127, 0, 0, 1, 0, 80],
        ),
        (
            Destination::Addr("[::1]:443".parse().unwrap()),
            [
                &[5u8, 1, 0, 4][..],
                &std::net::Ipv6Addr::LOCALHOST.octets(),
                &[1, 0xbb],
            ]
            .concat(),
        ),
        (
            Destination::Name("a.test".into(), 8080),
            [&[5u8, 1, 0, 3, 6][..], b"a.test", &[0x1f, 0x90]].concat(),
        ),
    ];
    for (dest, connect) in cases {
        let mut hs = Handshake::new(Version::V5, dest.clone(), None).unwrap();
        assert_eq!(hs.start(), [5, 1, 0], "offers no-auth only");
        let (sent, rest) = all_ok(run(Version::V5, dest, None, &[&[5, 0], &ok_v4]));
        assert_eq!(sent, [connect]);
        assert!(rest.is_empty());
    }
    // Replies with IPv6 and domain bound addresses are read whole, and what
    // follows is the tunnel's.
    let bound_v6 = [&[5u8, 0, 0, 4][..], &[0; 16], &[0, 80], b"xy"].concat();
    let (_, rest) = all_ok(run(
        Version::V5,
        v4([127, 0, 0, 1], 80),
        None,
        &[&[5, 0], &bound_v6],
    ));
    assert_eq!(rest, b"xy");
    let bound_name = [&[5u8, 0, 0, 3, 4][..], b"host", &[0, 80], b"z"].concat();
    let (_, rest) = all_ok(run(
        Version::V5,
        v4([127, 0, 0, 1], 80),
        None,
        &[&[5, 0], &bound_name],
    ));
    assert_eq!(rest, b"z");
}

#[test]
fn socks5_username_password() {
    let dest = Destination::Name("a.test".into(), 80);
    let mut hs = Handshake::new(Version::V5, dest.clone(), creds("user", "pw")).unwrap();
    assert_eq!(
        hs.start(),
        [5, 2, 0, 2],
        "offers no-auth and username/password"
    );
    let ok = [5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    let (sent, _) = all_ok(run(
        Version::V5,
        dest.clone(),
        creds("user", "pw"),
        &[&[5, 2], &[1, 0], &ok],
    ));
    assert_eq!(
        sent[0],
        [&[1u8, 4][..], b"user", &[2], b"pw"].concat(),
        "RFC 1929"
    );
    assert_eq!(sent[1][..5], [5, 1, 0, 3, 6]);
    // The proxy may still choose no authentication.
    let (sent, _) = all_ok(run(
        Version::V5,
        dest.clone(),
        creds("user", "pw"),
        &[&[5, 0], &ok],
    ));
    assert_eq!(sent.len(), 1);
    // Refused credentials, no acceptable method, a method not offered.
    let e = run(
        Version::V5,
        dest.clone(),
        creds("user", "bad"),
        &[&[5, 2], &[1, 1]],
    )
    .remove(0)
    .unwrap_err();
    assert!(e.to_string().contains("did not accept"), "{e}");
    assert!(!e.to_string().contains("bad"), "no password in errors: {e}");
    let e = run(Version::V5, dest.clone(), None, &[&[5, 0xff]])
        .remove(0)
        .unwrap_err();
    assert!(e.to_string().contains("requires authentication"), "{e}");
    let e = run(Version::V5, dest.clone(), creds("u", "p"), &[&[5, 0xff]])
        .remove(0)
        .unwrap_err();
    assert!(e.to_string().contains("none of the offered"), "{e}");
    let e = run(Version::V5, dest, None, &[&[5, 2]])
        .remove(0)
        .unwrap_err();
    assert!(e.to_string().contains("not offered"), "{e}");
}

#[test]
fn socks5_every_error_reply() {
    for code in 1..=9u8 {
        let reply = [5, code, 0, 1, 0, 0, 0, 0, 0, 0];
        for outcome in run(
            Version::V5,
            v4([127, 0, 0, 1], 80),
            None,
            &[&[5, 0], &reply],
        ) {
            let e = outcome.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Proxy);
            let want = if code == 9 {
                "unassigned"
            } else {
                socks5_reply_text(code)
            };
            assert!(
                e.to_string().contains(want) && e.to_string().contains(&format!("({code})")),
                "{e}"
            );
        }
    }
    let e = run(
        Version::V5,
        v4([127, 0, 0, 1], 80),
        None,
        &[&[5, 0], &[5, 0, 0, 7, 0, 0]],
    )
    .remove(0)
    .unwrap_err();
    assert!(e.to_string().contains("unknown address type 7"), "{e}");
    let e = run(Version::V5, v4([127, 0, 0, 1], 80), None, &[&[4, 0]])
        .remove(0)
        .unwrap_err();
    assert!(e.to_string().contains("not SOCKS5"), "{e}");
}

#[test]
fn what_the_protocols_cannot_carry() {
    let v6 = Destination::Addr("[::1]:80".parse().unwrap());
    assert!(Handshake::new(Version::V4, v6.clone(), None).is_err());
    assert!(Handshake::new(Version::V4a, v6, None).is_err());
    assert!(Handshake::new(Version::V4, Destination::Name("a".into(), 1), None).is_err());
    assert!(Handshake::new(Version::V5, Destination::Name("a".repeat(256), 1), None).is_err());
    assert!(Handshake::new(Version::V5, Destination::Name(String::new(), 1), None).is_err());
    assert!(Handshake::new(
        Version::V5,
        v4([1, 2, 3, 4], 1),
        creds(&"u".repeat(256), "")
    )
    .is_err());
    assert!(Handshake::new(Version::V5, v4([1, 2, 3, 4], 1), creds("", "p")).is_err());
    assert!(Handshake::new(Version::V4a, Destination::Name("a\0b".into(), 1), None).is_err());
    assert!(Handshake::new(
        Version::V5,
        v4([1, 2, 3, 4], 1),
        creds("u", &"p".repeat(255))
    )
    .is_ok());
}
