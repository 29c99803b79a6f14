use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn matches(pattern: &str, u: &str) -> bool {
    Pattern::parse(pattern).unwrap().matches(&url(u))
}

/// httpx's `test_url_matches` and `test_transport_for_request` rows (the
/// proxy dictionary reduced to its one pattern), and ours past them.
#[test]
fn matching_table() {
    let rows: &[(&str, &str, bool)] = &[
        // httpx tests/test_utils.py
        ("http://example.com", "http://example.com", true),
        ("http://example.com", "https://example.com", false),
        ("http://example.com", "http://other.com", false),
        ("http://example.com:123", "http://example.com:123", true),
        ("http://example.com:123", "http://example.com:456", false),
        ("http://example.com:123", "http://example.com", false),
        ("all://example.com", "http://example.com", true),
        ("all://example.com", "https://example.com", true),
        ("http://", "http://example.com", true),
        ("http://", "https://example.com", false),
        ("all://", "https://example.com:123", true),
        // httpx tests/client/test_proxies.py
        ("all://", "http://example.com", true),
        ("http://", "http://example.com", true),
        ("all://example.com", "http://example.com", true),
        ("all://*example.com", "http://example.com", true),
        ("all://*example.com", "http://www.example.com", true),
        ("all://*example.com", "http://wwwexample.com", false),
        ("all://*.example.com", "http://example.com", false),
        ("all://*.example.com", "http://www.example.com", true),
        ("all://*.example.com", "http://a.b.example.com", true),
        ("all://*.example.com", "http://wwwexample.com", false),
        ("all://example.com", "http://www.example.com", false),
        ("http://example.com", "http://example.com:8080", true),
        ("all://*:1234", "http://example.com:1234", true),
        ("all://*:1234", "https://other.org:1234", true),
        ("all://*:1234", "http://example.com", false),
        ("all://*", "http://example.com", true),
        // The scheme's default port written out matches a URL without one
        // (httpx: no match).
        ("all://example.com:80", "http://example.com", true),
        ("https://example.com:443", "https://example.com/", true),
        ("all://example.com:443", "http://example.com", false),
        ("all://*:80", "http://example.com", true),
        // Case, trailing slash, IDNA.
        ("ALL://EXAMPLE.com/", "http://example.COM/x", true),
        (
            "all://bücher.example",
            "http://xn--bcher-kva.example/",
            true,
        ),
        ("all://*.bücher.example", "http://www.bücher.example/", true),
        // IPv4 and IPv6 literals (httpx #3221: never a crash), any spelling.
        ("all://127.0.0.1", "http://127.0.0.1:8080/", true),
        ("all://127.0.0.1", "http://127.0.0.2/", false),
        ("all://[::1]", "http://[::1]:8080/", true),
        ("all://[0:0::1]", "http://[::1]/", true),
        ("all://[::1]:8080", "http://[::1]:8080/", true),
        ("all://[::1]:8080", "http://[::1]:8081/", false),
        ("http://[::1]", "http://127.0.0.1/", false),
    ];
    for &(pattern, u, expected) in rows {
        assert_eq!(matches(pattern, u), expected, "{pattern} vs {u}");
    }
}

#[test]
fn bad_patterns_are_errors_naming_the_pattern() {
    for bad in [
        "http",
        "example.com",
        "",
        "://example.com",
        "1http://",
        "all://example.com:99999",
        "all://example.com:x",
        "all://example.com/path",
        "all://user@example.com",
        "all://[::1",
        "all://exa mple.com",
    ] {
        let e = Pattern::parse(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        assert!(e.to_string().contains(&format!("{bad:?}")), "{bad}: {e}");
    }
}

/// httpx's `test_pattern_priority`, and ties kept in the order given.
#[test]
fn most_specific_first() {
    let mut routes = Routes::default();
    for (i, p) in [
        "all://",
        "http://",
        "http://example.com",
        "http://example.com:123",
    ]
    .iter()
    .enumerate()
    {
        routes.insert(Pattern::parse(p).unwrap(), i);
    }
    assert_eq!(routes.values().copied().collect::<Vec<_>>(), [3, 2, 1, 0]);
    assert_eq!(routes.find(&url("http://example.com:123/")), Some(&3));
    assert_eq!(routes.find(&url("http://example.com/")), Some(&2));
    assert_eq!(routes.find(&url("http://other.com/")), Some(&1));
    assert_eq!(routes.find(&url("https://other.com/")), Some(&0));

    // Wildcards count in the host's length: `*.example.com` (13) before
    // `example.com` (11), which never both match anyway; `*example.com`
    // (12) before `all://` but after `*.example.com`.
    let mut routes = Routes::default();
    routes.insert(Pattern::parse("all://*example.com").unwrap(), "star");
    routes.insert(Pattern::parse("all://*.example.com").unwrap(), "star-dot");
    assert_eq!(
        routes.find(&url("http://a.example.com/")),
        Some(&"star-dot")
    );
    assert_eq!(routes.find(&url("http://example.com/")), Some(&"star"));

    // Same rank: the first given wins; the same pattern again replaces the
    // value in its place.
    let mut routes = Routes::default();
    routes.insert(Pattern::parse("all://a.example").unwrap(), 1);
    routes.insert(Pattern::parse("all://*.example").unwrap(), 2);
    assert_eq!(routes.find(&url("http://a.example/")), Some(&1));
    routes.insert(Pattern::parse("ALL://a.example/").unwrap(), 3);
    assert_eq!(routes.find(&url("http://a.example/")), Some(&3));
    assert_eq!(routes.values().count(), 2);
    assert!(routes.find(&url("http://example/")).is_none());
}

/// A small deterministic generator: the test needs variety, not secrecy.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// For random tables and URLs, the route found is the naive reference's:
/// keep the last value per pattern at its first place, sort stably by
/// httpx's priority key, take the first match.
#[test]
fn routes_agree_with_a_naive_reference() {
    let schemes = ["all", "http", "https"];
    let hosts = [
        "",
        "*",
        "example.com",
        "*example.com",
        "*.example.com",
        "a.example.com",
        "*.a.example.com",
        "127.0.0.1",
        "[::1]",
        "other.org",
    ];
    let ports = ["", ":80", ":443", ":8080"];
    let url_schemes = ["http", "https"];
    let url_hosts = [
        "example.com",
        "a.example.com",
        "b.a.example.com",
        "wwwexample.com",
        "127.0.0.1",
        "[::1]",
        "other.org",
        "x.other.org",
    ];
    let url_ports = ["", ":80", ":443", ":8080", ":9"];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2_000 {
        let n = 1 + rng.below(8);
        let mut given: Vec<(String, usize)> = Vec::new();
        let mut routes = Routes::default();
        for value in 0..n {
            let text = format!(
                "{}://{}{}",
                rng.pick(&schemes),
                rng.pick(&hosts),
                rng.pick(&ports)
            );
            routes.insert(Pattern::parse(&text).unwrap(), value);
            given.push((text, value));
        }
        // The reference.
        let mut table: Vec<(Pattern, usize)> = Vec::new();
        for (text, value) in &given {
            let p = Pattern::parse(text).unwrap();
            match table.iter_mut().find(|(q, _)| *q == p) {
                Some(slot) => slot.1 = *value,
                None => table.push((p, *value)),
            }
        }
        table.sort_by_key(|(p, _)| {
            (
                p.port.is_none(),
                std::cmp::Reverse(p.host_len),
                std::cmp::Reverse(p.scheme.len()),
            )
        });
        for _ in 0..8 {
            let u = url(&format!(
                "{}://{}{}/",
                rng.pick(&url_schemes),
                rng.pick(&url_hosts),
                rng.pick(&url_ports)
            ));
            let expected = table.iter().find(|(p, _)| p.matches(&u)).map(|(_, v)| v);
            assert_eq!(routes.find(&u), expected, "{given:?} for {u}");
        }
    }
}
