//! The jar's tests: the IETF http-state suite's parser cases, RFC 6265's
//! ordering, RFC 6265bis's prefixes and secure-origin rules, bounds, and
//! the Netscape format.

use super::*;

fn u(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn store(jar: &CookieJar, url: &str, set_cookies: &[&str]) {
    let mut h = HeaderMap::new();
    for c in set_cookies {
        h.append(SET_COOKIE, HeaderValue::from_bytes(c.as_bytes()).unwrap());
    }
    jar.store_response(&h, &u(url));
}

/// The Cookie header for `url`, in the jar's order.
fn header(jar: &CookieJar, url: &str) -> String {
    jar.header_for(&u(url), &[])
        .map(|v| String::from_utf8(v.as_bytes().to_vec()).unwrap())
        .unwrap_or_default()
}

/// The Cookie header for `url`, its pairs sorted.
fn sorted(jar: &CookieJar, url: &str) -> String {
    let v = header(jar, url);
    let mut parts: Vec<&str> = v.split("; ").filter(|p| !p.is_empty()).collect();
    parts.sort();
    parts.join("; ")
}

/// Test vectors from the IETF http-state working group's cookie test suite
/// (github.com/abarth/http-state, tests/data/parser.json at 155e45c): the
/// `Set-Cookie` fields a response to
/// `http://home.example.org:8888/cookie-parser?ID` sends, where the next
/// request goes (default `/cookie-parser-result?ID`, absolute or relative
/// to that origin), and the `Cookie` header it must carry. A subset of the
/// 222 cases; expiry dates the suite set in the future (2019, 2027) are moved to 2099 so
/// that the cases do not age.
#[rustfmt::skip]
const HTTP_STATE: &[(&str, &[&str], Option<&str>, &str)] = &[
        ("0001", &["foo=bar"], None, "foo=bar"),
        ("0003", &["foo=bar; Expires=Fri, 07 Aug 2007 08:04:19 GMT", "foo2=bar2; Expires=Fri, 07 Aug 2099 08:04:19 GMT"], None, "foo2=bar2"),
        ("0004", &["foo"], None, ""),
        ("0005", &["foo=bar; max-age=10000;"], None, "foo=bar"),
        ("0006", &["foo=bar; max-age=0;"], None, ""),
        ("0010", &["foo=bar; secure;"], None, ""),
        ("0013", &["foo=bar", "foo=qux"], None, "foo=qux"),
        ("0014", &["foo1=bar", "foo2=qux"], None, "foo1=bar; foo2=qux"),
        ("0016", &["z=y", "a=b"], None, "z=y; a=b"),
        ("0017", &["z=y, a=b"], None, "z=y, a=b"),
        ("0018", &["z=y; foo=bar, a=b"], None, "z=y"),
        ("0019", &["foo=b;max-age=3600, c=d;path=/"], None, "foo=b"),
        ("0020", &["a=b", "=", "c=d"], None, "a=b; c=d"),
        ("0021", &["a=b", "=x", "c=d"], None, "a=b; c=d"),
        ("0022", &["a=b", "x=", "c=d"], None, "a=b; x=; c=d"),
        ("0023", &["foo", ""], None, ""),
        ("0026", &["foo", "   "], None, ""),
        ("ATTRIBUTE0003", &["foo=bar; \"Secure\""], None, "foo=bar"),
        ("ATTRIBUTE0006", &["foo=bar; Secure qux"], None, "foo=bar"),
        ("ATTRIBUTE0009", &["foo=bar; Secure; qux"], None, ""),
        ("ATTRIBUTE0014", &["foo=bar; Path"], None, "foo=bar"),
        ("ATTRIBUTE0015", &["foo=bar; Path="], None, "foo=bar"),
        ("ATTRIBUTE0017", &["foo=bar; Path=/qux"], None, ""),
        ("ATTRIBUTE0019", &["foo=bar; Path=    /qux"], None, ""),
        ("ATTRIBUTE0021", &["foo=bar; Path=/qux; Path=/"], None, "foo=bar"),
        ("ATTRIBUTE0022", &["foo=bar; Path=/; Path=/qux"], None, ""),
        ("ATTRIBUTE0023", &["foo=bar; Path=/qux; Path=/cookie-parser-result"], None, "foo=bar"),
        ("ATTRIBUTE0026", &["foo=bar; qux=\"aaa;bbb\"; Secure"], None, ""),
        ("CHARSET0001", &["foo=春节回家路·春运完全手册"], None, "foo=春节回家路·春运完全手册"),
        ("CHARSET0002", &["春节回=家路·春运完全手册"], None, "春节回=家路·春运完全手册"),
        ("CHARSET0003", &["春节回=家路·春运; 完全手册"], None, "春节回=家路·春运"),
        ("CHARSET0004", &["foo=\"春节回家路·春运完全手册\""], None, "foo=\"春节回家路·春运完全手册\""),
        ("CHROMIUM0002", &["aBc=\"zzz \"   ;"], None, "aBc=\"zzz \""),
        ("CHROMIUM0004", &["aBc=\"zz;pp\" ; ;"], None, "aBc=\"zz"),
        ("CHROMIUM0005", &["aBc=\"zz ;"], None, "aBc=\"zz"),
        ("CHROMIUM0008", &["aBc=A\"B ;"], None, "aBc=A\"B"),
        ("CHROMIUM0009", &["BLAHHH; path=/;"], None, ""),
        ("CHROMIUM0012", &["=ABC"], None, ""),
        ("CHROMIUM0013", &["ABC=;  path = /"], None, "ABC="),
        ("CHROMIUM0014", &["  A  = BC  ;foo;;;   bar"], None, "A=BC"),
        ("CHROMIUM0015", &["  A=== BC  ;foo;;;   bar"], None, "A=== BC"),
        ("CHROMIUM0017", &["foo=zohNumRKgI0oxyhSsV3Z7D  ; expires=Sat, 18-Apr-2099 21:06:29 GMT ; path=/  ;  "], None, "foo=zohNumRKgI0oxyhSsV3Z7D"),
        ("CHROMIUM0018", &["    "], None, ""),
        ("COMMA0001", &["foo=bar, baz=qux"], None, "foo=bar, baz=qux"),
        ("COMMA0003", &["foo=bar; b,az=qux"], None, "foo=bar"),
        ("COMMA0005", &["foo=bar; Max-Age=50,399"], None, "foo=bar"),
        ("COMMA0007", &["foo=bar; Expires=Fri 07 Aug 2099 08:04:19 GMT, baz=qux"], None, "foo=bar"),
        ("DOMAIN0001", &["foo=bar; domain=home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0001"), "foo=bar"),
        ("DOMAIN0002", &["foo=bar; domain=home.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0002"), ""),
        ("DOMAIN0003", &["foo=bar; domain=.home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0003"), "foo=bar"),
        ("DOMAIN0004", &["foo=bar; domain=home.example.org"], Some("http://subdomain.home.example.org:8888/cookie-parser-result?domain0004"), "foo=bar"),
        ("DOMAIN0006", &["foo=bar; domain=.home.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0006"), ""),
        ("DOMAIN0007", &["foo=bar; domain=sibling.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0007"), ""),
        ("DOMAIN0008", &["foo=bar; domain=.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0008"), "foo=bar"),
        ("DOMAIN0009", &["foo=bar; domain=example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0009"), "foo=bar"),
        ("DOMAIN0010", &["foo=bar; domain=..home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0010"), ""),
        ("DOMAIN0011", &["foo=bar; domain=home..example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0011"), ""),
        ("DOMAIN0012", &["foo=bar; domain=  .home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0012"), "foo=bar"),
        ("DOMAIN0013", &["foo=bar; domain=  .  home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0013"), ""),
        ("DOMAIN0014", &["foo=bar; domain=home.example.org."], Some("http://home.example.org:8888/cookie-parser-result?domain0014"), ""),
        ("DOMAIN0016", &["foo=bar; domain=home.example.org ."], Some("http://home.example.org:8888/cookie-parser-result?domain0016"), ""),
        ("DOMAIN0017", &["foo=bar; domain=.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0017"), ""),
        ("DOMAIN0018", &["foo=bar; domain=.org."], Some("http://home.example.org:8888/cookie-parser-result?domain0018"), ""),
        ("DOMAIN0020", &["foo2=bar2; domain=.home.example.org", "foo=bar; domain=home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0020"), "foo2=bar2; foo=bar"),
        ("DOMAIN0021", &["foo=bar; domain=\"home.example.org\""], Some("http://home.example.org:8888/cookie-parser-result?domain0021"), ""),
        ("DOMAIN0023", &["foo2=bar2; domain=.example.org", "foo=bar; domain=home.example.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0023"), "foo2=bar2; foo=bar"),
        ("DOMAIN0024", &["foo=bar; domain=.example.org; domain=home.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0024"), ""),
        ("DOMAIN0025", &["foo=bar; domain=home.example.org; domain=.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0025"), "foo=bar"),
        ("DOMAIN0026", &["foo=bar; domain=home.eXaMpLe.org"], Some("http://home.example.org:8888/cookie-parser-result?domain0026"), "foo=bar"),
        ("DOMAIN0027", &["foo=bar; domain=home.example.org:8888"], Some("http://home.example.org:8888/cookie-parser-result?domain0027"), ""),
        ("DOMAIN0028", &["foo=bar; domain=subdomain.home.example.org"], Some("http://subdomain.home.example.org:8888/cookie-parser-result?domain0028"), ""),
        ("DOMAIN0029", &["foo=bar"], Some("http://subdomain.home.example.org:8888/cookie-parser-result?domain0029"), ""),
        ("DOMAIN0033", &["foo=bar; domain=home.example.org"], Some("http://hoMe.eXaMplE.org:8888/cookie-parser-result?domain0033"), "foo=bar"),
        ("DOMAIN0037", &["foo=bar; domain=home.example.com; domain=home.example.org; domain=home.example.com"], Some("http://home.example.org:8888/cookie-parser-result?domain0037"), ""),
        ("DOMAIN0041", &["foo=bar; domain=.sibling.example.org"], Some("http://sibling.example.org:8888/cookie-parser-result?domain0041"), ""),
        ("DOMAIN0042", &["foo=bar; domain=.sibling.home.example.org"], Some("http://sibling.home.example.org:8888/cookie-parser-result?domain0042"), ""),
        ("MOZILLA0001", &["foo=bar; max-age=-1"], None, ""),
        ("MOZILLA0003", &["foo=bar; expires=Thu, 10 Apr 1980 16:33:12 GMT"], None, ""),
        ("MOZILLA0009", &["foo=bar; max-age=60", "foo1=bar; max-age=60", "foo=differentvalue; max-age=0"], None, "foo1=bar"),
        ("MOZILLA0011", &["test=parser; domain=.parser.test; ;; ;=; ,,, ===,abc,=; abracadabra! max-age=20;=;;"], None, ""),
        ("MOZILLA0012", &["test=\"fubar! = foo;bar\\\";\" parser; max-age=6", "five; max-age=2.63,"], None, "test=\"fubar! = foo"),
        ("MOZILLA0017", &["six", "seven", " =eight", "test=six"], None, "test=six"),
        ("NAME0017", &["=a=bar"], None, ""),
        ("NAME0018", &["a =bar"], None, "a=bar"),
        ("NAME0020", &["\"a=b\"=bar"], None, "\"a=b\"=bar"),
        ("NAME0021", &["\"a=b\"=bar", "\"a=qux"], None, "\"a=qux"),
        ("NAME0023", &["foo;bar=baz"], None, ""),
        ("NAME0024", &["$Version=1; foo=bar"], None, "$Version=1"),
        ("NAME0025", &["===a=bar"], None, ""),
        ("NAME0030", &["foo bar=baz"], None, "foo bar=baz"),
        ("NAME0031", &["\"foo;bar\"=baz"], None, ""),
        ("OPTIONAL_DOMAIN0030", &["foo=bar; domain="], Some("http://home.example.org:8888/cookie-parser-result?optional-domain0030"), "foo=bar"),
        ("OPTIONAL_DOMAIN0041", &["foo=bar; domain=example.org; domain="], Some("http://home.example.org:8888/cookie-parser-result?optional-domain0041"), "foo=bar"),
        ("OPTIONAL_DOMAIN0042", &["foo=bar; domain=foo.example.org; domain="], Some("http://home.example.org:8888/cookie-parser-result?optional-domain0042"), ""),
        ("ORDERING0001", &["key=val0;", "key=val1; path=/cookie-parser-result", "key=val2; path=/", "key=val3; path=/bar", "key=val4; domain=.example.org", "key=val5; domain=.example.org; path=/cookie-parser-result/foo"], Some("/cookie-parser-result/foo/baz?ordering0001"), "key=val5; key=val1; key=val2; key=val4"),
        ("PATH0001", &["a=b; path=/", "x=y; path=/cookie-parser-result"], None, "x=y; a=b"),
        ("PATH0002", &["a=b; path=/cookie-parser-result", "x=y; path=/"], None, "a=b; x=y"),
        ("PATH0004", &["x=y; path=/cookie-parser-result", "a=b; path=/"], None, "x=y; a=b"),
        ("PATH0005", &["foo=bar; path=/cookie-parser-result/foo"], None, ""),
        ("PATH0006", &["foo=bar", "foo=qux; path=/cookie-parser-result/foo"], None, "foo=bar"),
        ("PATH0007", &["foo=bar; path=/cookie-parser-result/foo"], Some("/cookie-parser-result/foo?path0007"), "foo=bar"),
        ("PATH0008", &["foo=bar; path=/cookie-parser-result/foo"], Some("/cookie-parser-result/bar?path0008"), ""),
        ("PATH0009", &["foo=bar; path=/cookie-parser-result/foo/qux"], Some("/cookie-parser-result/foo?path0009"), ""),
        ("PATH0013", &["foo=bar; path=/cookie-parser-result/foo/qux/"], Some("/cookie-parser-result/foo/baz?path0013"), ""),
        ("PATH0015", &["foo=bar; path=/cookie-parser-result/foo/qux/"], Some("/cookie-parser-result/foo/qux/?path0015"), "foo=bar"),
        ("PATH0016", &["foo=bar; path=/cookie-parser-result/foo/"], Some("/cookie-parser-result/foo/qux?path0016"), "foo=bar"),
        ("PATH0017", &["foo=bar; path=/cookie-parser-result/foo/"], Some("/cookie-parser-result/foo//qux?path0017"), "foo=bar"),
        ("PATH0018", &["foo=bar; path=/cookie-parser-result/foo/"], Some("/cookie-parser-result/fooqux?path0018"), ""),
        ("PATH0020", &["foo=bar; path="], None, "foo=bar"),
        ("PATH0022", &["foo=bar; path= /"], None, "foo=bar"),
        ("PATH0023", &["foo=bar; Path=/cookie-PARSER-result"], None, ""),
        ("PATH0024", &["foo=bar; path=/cookie-parser-result/foo/qux?"], Some("/cookie-parser-result/foo/qux?path0024"), ""),
        ("PATH0026", &["foo=bar; path=/cookie-parser-result/foo/qux;"], Some("/cookie-parser-result/foo/qux?path0026"), "foo=bar"),
        ("PATH0027", &["foo=bar; path=\"/cookie-parser-result/foo/qux;\""], Some("/cookie-parser-result/foo/qux?path0027"), "foo=bar"),
        ("PATH0028", &["foo=bar; path=/cookie-parser-result/f%6Fo/bar"], Some("/cookie-parser-result/foo/bar?path0028"), ""),
        ("PATH0029", &["a=b; \tpath\t=\t/cookie-parser-result\t", "x=y; \tpath\t=\t/book\t"], None, "a=b"),
        ("PATH0030", &["foo=bar; path=/dog; path="], None, "foo=bar"),
        ("PATH0031", &["foo=bar; path=; path=/dog"], None, ""),
        ("PATH0032", &["foo=bar; path=/cookie-parser-result", "foo=qux; path=/cookie-parser-result/"], Some("/cookie-parser-result/dog?path0032"), "foo=qux; foo=bar"),
        ("VALUE0001", &["foo=  bar"], None, "foo=bar"),
        ("VALUE0002", &["foo=\"bar\""], None, "foo=\"bar\""),
        ("VALUE0004", &["foo=\"bar;baz\""], None, "foo=\"bar"),
        ("VALUE0006", &["\tfoo\t=\tbar\t \t;\tttt"], None, "foo=bar"),
];

#[test]
fn http_state_parser_cases() {
    let origin = u("http://home.example.org:8888/");
    let mut failures = Vec::new();
    for (id, received, sent_to, want) in HTTP_STATE {
        let jar = CookieJar::new();
        store(
            &jar,
            &format!("http://home.example.org:8888/cookie-parser?{id}"),
            received,
        );
        let to = match sent_to {
            Some(to) => origin.join(to).unwrap(),
            None => u(&format!(
                "http://home.example.org:8888/cookie-parser-result?{id}"
            )),
        };
        let got = header(&jar, to.as_str());
        if got != *want {
            failures.push(format!("{id}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn order_is_path_length_then_creation() {
    // RFC 6265 §5.4 step 2. (`Path=/cookie-parser` would not reach
    // `/cookie-parser-result`: §5.1.4 matches whole segments.)
    let jar = CookieJar::new();
    store(&jar, "http://h.test/x", &["foo=bar; Path=/"]);
    store(
        &jar,
        "http://h.test/x",
        &["foo=qux; Path=/cookie-parser-result"],
    );
    assert_eq!(
        header(&jar, "http://h.test/cookie-parser-result"),
        "foo=qux; foo=bar"
    );
    assert_eq!(
        header(&jar, "http://h.test/cookie-parser-result/x"),
        "foo=qux; foo=bar"
    );
    store(&jar, "http://h.test/x", &["foo=seg; Path=/cookie-parser"]);
    assert_eq!(
        header(&jar, "http://h.test/cookie-parser-result"),
        "foo=qux; foo=bar"
    );
    // Set in one response: sent in the order set, many times over.
    let jar = CookieJar::new();
    let names: Vec<String> = (0..40).map(|i| format!("c{}=v", (i * 7919) % 97)).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    store(&jar, "http://h.test/", &refs);
    assert_eq!(header(&jar, "http://h.test/"), names.join("; "));
    // Replacing a cookie keeps its creation time (§5.3 step 11.3).
    store(&jar, "http://h.test/", &[&format!("{}x", names[0])]);
    let first = header(&jar, "http://h.test/");
    assert!(first.starts_with(&format!("{}x; ", names[0])), "{first}");
}

#[test]
fn non_ascii_values_are_kept_as_bytes() {
    let jar = CookieJar::new();
    store(&jar, "http://h.test/", &["foo=春节回家路"]);
    let mut h = HeaderMap::new();
    // Latin-1 bytes that are not UTF-8 go back as they came.
    h.append(SET_COOKIE, HeaderValue::from_bytes(b"bin=caf\xe9").unwrap());
    jar.store_response(&h, &u("http://h.test/"));
    let v = jar.header_for(&u("http://h.test/"), &[]).unwrap();
    assert_eq!(
        v.as_bytes(),
        "foo=春节回家路; bin=caf"
            .bytes()
            .chain([0xe9])
            .collect::<Vec<u8>>()
    );
    assert_eq!(jar.get("foo", "h.test", "/").as_deref(), Some("春节回家路"));
}

#[test]
fn expires_in_every_date_form() {
    for date in [
        "Wed, 1 Jan 2020 00:00:00 GMT",
        "Thursday, 01-Jan-1970 00:00:00 GMT",
        "Thu Jan 1 00:00:00 1970",
        "Thu, 01-Jan-99 00:00:00 GMT",
    ] {
        // A past date deletes a stored cookie.
        let jar = CookieJar::new();
        store(&jar, "http://h.test/", &["gone=1", "kept=1"]);
        store(&jar, "http://h.test/", &[&format!("gone=; Expires={date}")]);
        assert_eq!(header(&jar, "http://h.test/"), "kept=1", "{date}");
    }
    // A future date in a loose form makes a persistent cookie.
    let jar = CookieJar::new();
    store(
        &jar,
        "http://h.test/",
        &["p=1; Expires=Sat, 1-Jan-50 00:00:00 GMT"],
    );
    let c = &jar.cookies()[0];
    assert_eq!(
        c.expires,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(2_524_608_000))
    );
    // An unparsable date is ignored: a session cookie.
    store(&jar, "http://h.test/", &["s=1; Expires=someday"]);
    assert!(jar
        .cookies()
        .iter()
        .any(|c| c.name == "s" && c.expires.is_none()));
}

#[test]
fn domain_whitespace_rules() {
    let jar = CookieJar::new();
    store(
        &jar,
        "http://home.example.org/",
        &[
            "a=1; domain=  .  home.example.org",
            "b=2; domain=  .home.example.org",
        ],
    );
    assert_eq!(header(&jar, "http://home.example.org/"), "b=2");
    assert_eq!(header(&jar, "http://sub.home.example.org/"), "b=2");
}

#[test]
fn cookie_prefixes() {
    // RFC 6265bis §4.1.3 (and the web-platform-tests cookie prefix cases).
    let cases: &[(&str, &str, bool)] = &[
        ("https://h.test/", "__Secure-a=1; Secure", true),
        ("https://h.test/", "__Secure-a=1", false),
        ("http://h.test/", "__Secure-a=1; Secure", false),
        ("https://h.test/", "__secure-a=1", false),
        ("https://h.test/", "__Host-a=1; Secure; Path=/", true),
        ("https://h.test/", "__Host-a=1; Secure", false),
        ("https://h.test/", "__Host-a=1; Secure; Path=/x", false),
        (
            "https://h.test/",
            "__Host-a=1; Secure; Path=/; Domain=h.test",
            false,
        ),
        ("https://h.test/", "__Host-a=1; Path=/", false),
        ("http://h.test/", "__Host-a=1; Secure; Path=/", false),
        ("https://h.test/", "__HOST-a=1; Path=/", false),
        ("https://h.test/", "__Hostile=1", true),
    ];
    for (url, set_cookie, stored) in cases {
        let jar = CookieJar::new();
        store(&jar, url, &[set_cookie]);
        assert_eq!(
            !jar.cookies().is_empty(),
            *stored,
            "{set_cookie} from {url}"
        );
    }
}

#[test]
fn secure_cookies_only_from_secure_origins_and_left_alone() {
    let jar = CookieJar::new();
    store(&jar, "http://h.test/", &["s=1; Secure"]);
    assert!(jar.cookies().is_empty(), "Secure from http:// is refused");
    store(&jar, "https://h.test/", &["s=1; Secure"]);
    // An insecure origin cannot shadow it, nor overwrite it.
    store(&jar, "http://h.test/", &["s=evil", "other=1"]);
    assert_eq!(header(&jar, "https://h.test/"), "s=1; other=1");
    assert_eq!(header(&jar, "http://h.test/"), "other=1");
}

#[test]
fn bounds_and_eviction() {
    let jar = CookieJar::new();
    // Name and value over 4096 bytes: ignored; at the limit: kept.
    let at = format!("n={}", "v".repeat(MAX_NAME_VALUE - 1));
    let over = format!("m={}", "v".repeat(MAX_NAME_VALUE));
    store(&jar, "http://h.test/", &[&at, &over]);
    assert_eq!(jar.cookies().len(), 1);
    // One domain: the least recently used go past the cap.
    let jar = CookieJar::new();
    for i in 0..MAX_COOKIES_PER_DOMAIN {
        store(&jar, "http://h.test/", &[&format!("c{i}=1")]);
    }
    let _ = header(&jar, "http://h.test/"); // every cookie used once
    store(&jar, "http://h.test/", &["c0=2"]); // c0 replaced: its use is older than the header
    store(&jar, "http://h.test/", &["extra=1"]);
    let names: Vec<String> = jar.cookies().into_iter().map(|c| c.name).collect();
    assert_eq!(names.len(), MAX_COOKIES_PER_DOMAIN);
    assert!(names.contains(&"extra".to_string()));
    // In all: many domains cannot pass the total.
    let jar = CookieJar::new();
    for d in 0..(MAX_COOKIES / 100 + 5) {
        let set: Vec<String> = (0..100).map(|i| format!("c{i}=1")).collect();
        let refs: Vec<&str> = set.iter().map(String::as_str).collect();
        store(&jar, &format!("http://d{d}.test/"), &refs);
    }
    assert_eq!(jar.cookies().len(), MAX_COOKIES);
    assert!(
        !header(&jar, &format!("http://d{}.test/", MAX_COOKIES / 100 + 4)).is_empty(),
        "the newest stay"
    );
    assert!(
        header(&jar, "http://d0.test/").is_empty(),
        "the oldest went"
    );
}

#[test]
fn domain_and_path_matching() {
    let jar = CookieJar::new();
    store(
        &jar,
        "http://www.example.com/app/page",
        &[
            "host=1",
            "wide=2; Domain=example.com",
            "root=3; Path=/",
            "deep=4; Path=/app/deeper",
        ],
    );
    assert_eq!(
        sorted(&jar, "http://www.example.com/app/x"),
        "host=1; root=3; wide=2"
    );
    assert_eq!(
        sorted(&jar, "http://api.example.com/app/"),
        "wide=2",
        "only the Domain cookie reaches a sibling"
    );
    assert_eq!(
        sorted(&jar, "http://api.example.com/"),
        "",
        "default path is /app"
    );
    assert_eq!(
        sorted(&jar, "http://www.example.com/app/deeper/z"),
        "deep=4; host=1; root=3; wide=2"
    );
    assert_eq!(sorted(&jar, "http://other.org/"), "");
    // IP hosts: exact matches only.
    store(&jar, "http://127.0.0.1/", &["ip=1", "dom=1; Domain=0.0.1"]);
    assert_eq!(header(&jar, "http://127.0.0.1/"), "ip=1");
}

#[test]
fn secure_expiry_and_deletion() {
    let jar = CookieJar::new();
    store(
        &jar,
        "https://example.com/",
        &[
            "s=1; Secure",
            "gone=1; Max-Age=0",
            "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            "keep=1; Max-Age=3600",
        ],
    );
    assert_eq!(sorted(&jar, "https://example.com/"), "keep=1; s=1");
    assert_eq!(
        sorted(&jar, "http://example.com/"),
        "keep=1",
        "Secure only over https"
    );
    store(&jar, "https://example.com/", &["keep=; Max-Age=0"]);
    assert_eq!(sorted(&jar, "https://example.com/"), "s=1");
}

#[test]
fn public_suffix_and_other_sites_are_refused() {
    let jar = CookieJar::new();
    store(
        &jar,
        "http://evil.example.co.uk/",
        &["a=1; Domain=co.uk", "b=2; Domain=example.com"],
    );
    store(&jar, "http://me.github.io/", &["c=3; Domain=github.io"]);
    assert!(jar.cookies().is_empty(), "{:?}", jar.cookies());
    assert!(is_public_suffix("com") && is_public_suffix("co.uk") && is_public_suffix("github.io"));
    assert!(!is_public_suffix("example.com"));
    // The public suffix as the host itself: host-only.
    store(&jar, "http://github.io/", &["d=4; Domain=github.io"]);
    assert!(jar.cookies()[0].host_only);
}

#[test]
fn request_cookies_replace_stored_ones() {
    let jar = CookieJar::new();
    store(&jar, "http://h/", &["a=jar", "b=jar"]);
    let v = jar
        .header_for(&u("http://h/"), &[("a".into(), "req".into())])
        .unwrap();
    assert_eq!(v, "b=jar; a=req");
}

#[test]
fn set_get_remove() {
    let jar = CookieJar::new();
    jar.set("a", "1", "Example.COM", "/");
    jar.set("bad;name", "1", "example.com", "/");
    jar.set("b", "x\ny", "example.com", "/");
    assert_eq!(jar.get("a", "example.com", "/").as_deref(), Some("1"));
    assert_eq!(jar.cookies().len(), 1);
    assert!(jar.remove("a", "example.com", "/"));
    assert!(!jar.remove("a", "example.com", "/"));
    assert!(jar.header_for(&u("http://example.com/"), &[]).is_none());
}

#[test]
fn netscape_round_trip() {
    let jar = CookieJar::new();
    store(
        &jar,
        "https://www.example.com/",
        &[
            "s=1; Domain=example.com; Secure; Max-Age=3600",
            "h=2; HttpOnly",
        ],
    );
    let text = jar.to_netscape();
    assert!(text.contains(".example.com\tTRUE\t/\tTRUE\t"), "{text}");
    assert!(
        text.contains("#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t0\th\t2"),
        "{text}"
    );
    let back = CookieJar::new();
    back.load_netscape(&text).unwrap();
    assert_eq!(
        sorted(&back, "https://www.example.com/"),
        sorted(&jar, "https://www.example.com/")
    );
    assert_eq!(
        back.load_netscape("bad line").unwrap_err().kind(),
        ErrorKind::Config
    );
    back.load_netscape("example.org\tFALSE\t/\tFALSE\t1\tx\told\n")
        .unwrap();
    assert_eq!(
        sorted(&back, "https://example.org/"),
        "",
        "expired lines are skipped"
    );
}
