use super::*;
use std::collections::HashMap;

fn env(vars: &[(&str, &str)]) -> Result<EnvProxies> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    EnvProxies::read(&move |name| map.get(name).cloned())
}

fn shown(p: &Option<Proxy>) -> Option<String> {
    p.as_ref().map(ToString::to_string)
}

#[test]
fn variables_lower_case_first() {
    let e = env(&[
        ("http_proxy", "http://lower:1"),
        ("HTTP_PROXY", "http://upper:1"),
        ("HTTPS_PROXY", "upper-only:2"),
        ("ALL_PROXY", "socks5h://all:3"),
    ])
    .unwrap();
    assert_eq!(shown(&e.http).as_deref(), Some("http://lower:1"));
    assert_eq!(
        shown(&e.https).as_deref(),
        Some("http://upper-only:2"),
        "no scheme: http://"
    );
    assert_eq!(shown(&e.all).as_deref(), Some("socks5h://all:3"));
    assert!(e.no_proxy.is_none());
    // An empty lower-case value unsets, also over the upper-case one.
    let e = env(&[("http_proxy", ""), ("HTTP_PROXY", "http://upper:1")]).unwrap();
    assert!(e.http.is_none());
    // Credentials in the value are percent-decoded and kept from Debug.
    let e = env(&[("https_proxy", "http://u:p%40ss@h:8")]).unwrap();
    let p = e.https.unwrap();
    assert_eq!(p.credentials, Some(("u".into(), "p@ss".into())));
    assert!(!format!("{p:?}").contains("p@ss"));
}

#[test]
fn httpoxy_upper_case_http_proxy_is_ignored_under_cgi() {
    let e = env(&[("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")]).unwrap();
    assert!(e.http.is_none(), "CVE-2016-1000110");
    let e = env(&[
        ("http_proxy", "http://ok:1"),
        ("REQUEST_METHOD", "GET"),
        ("HTTPS_PROXY", "http://s:2"),
    ])
    .unwrap();
    assert_eq!(shown(&e.http).as_deref(), Some("http://ok:1"));
    assert_eq!(shown(&e.https).as_deref(), Some("http://s:2"));
}

#[test]
fn malformed_values_name_their_variable() {
    let e = env(&[("HTTPS_PROXY", "ftp://h:1")]).unwrap_err();
    assert!(e.to_string().contains("HTTPS_PROXY"), "{e}");
    let e = env(&[("http_proxy", "http://h:99999")]).unwrap_err();
    assert!(e.to_string().contains("http_proxy"), "{e}");
    let e = env(&[("NO_PROXY", "ok.example, [::1")]).unwrap_err();
    assert!(e.to_string().contains("NO_PROXY"), "{e}");
    let e = env(&[("no_proxy", "10.0.0.0/33")]).unwrap_err();
    assert!(
        e.to_string().contains("no_proxy") && e.to_string().contains("prefix"),
        "{e}"
    );
}

fn bypass(no_proxy: &str, url: &str) -> bool {
    NoProxy::parse(no_proxy)
        .unwrap()
        .matches(&Url::parse(url).unwrap())
}

/// Hosts, suffixes, wildcards, CIDR v4/v6, ports (curl's and CPython's
/// rules; curl #5745 for IPv6 spellings).
#[test]
fn no_proxy_table() {
    let rows: &[(&str, &str, bool)] = &[
        ("*", "http://anything.example/", true),
        ("example.com", "http://example.com/", true),
        ("example.com", "http://www.example.com/", true),
        ("example.com", "http://a.b.example.com/", true),
        ("example.com", "http://notexample.com/", false),
        ("example.com", "http://example.com.evil/", false),
        (".example.com", "http://example.com/", true),
        (".example.com", "http://www.example.com/", true),
        ("*.example.com", "http://www.example.com/", true),
        ("EXAMPLE.com", "https://Www.Example.COM/", true),
        ("a.test, b.test", "http://b.test/", true),
        ("a.test b.test\tc.test", "http://c.test/", true),
        (" a.test ,, ", "http://a.test/", true),
        ("a.test", "http://c.test/", false),
        ("localhost", "http://localhost:8080/", true),
        ("example.com:8080", "http://example.com:8080/", true),
        ("example.com:8080", "http://example.com/", false),
        ("example.com:80", "http://example.com/", true),
        ("127.0.0.1", "http://127.0.0.1:3000/", true),
        ("127.0.0.1", "http://127.0.0.2/", false),
        ("127.0.0.0/8", "http://127.1.2.3/", true),
        ("10.0.0.0/8", "http://11.0.0.1/", false),
        ("192.168.0.0/16", "http://192.168.255.1/", true),
        ("0.0.0.0/0", "http://8.8.8.8/", true),
        ("127.0.0.1", "http://localhost/", false),
        ("::1", "http://[::1]/", true),
        ("[::1]", "http://[::1]:8080/", true),
        ("0:0:0:0:0:0:0:1", "http://[::1]/", true),
        ("[::1]:8080", "http://[::1]:8080/", true),
        ("[::1]:8080", "http://[::1]:8081/", false),
        ("fd00::/8", "http://[fd12:3456::1]/", true),
        ("fd00::/8", "http://[fe80::1]/", false),
        ("[fd00::]/8", "http://[fd00::1]/", true),
        ("::/0", "http://[2001:db8::1]/", true),
        ("10.0.0.0/8", "http://[::ffff:10.1.2.3]/", true),
        ("::1", "http://127.0.0.1/", false),
        ("1.2.3.4", "http://host.test/", false),
    ];
    for &(no_proxy, url, expected) in rows {
        assert_eq!(
            bypass(no_proxy, url),
            expected,
            "NO_PROXY={no_proxy:?} {url}"
        );
    }
}

#[test]
fn bad_no_proxy_entries() {
    for bad in [
        "[::1",
        "10.0.0.0/x",
        "::1/200",
        "host:port",
        "a<b.example",
        "a.test:99999",
    ] {
        let e = NoProxy::parse(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        assert!(e.to_string().contains(bad), "{bad}: {e}");
    }
}
