//! `Set-Cookie` parsing (RFC 6265 §5.2) and cookie dates (§5.1.1), on the
//! bytes as they came: a value need not be ASCII or even UTF-8.

use std::time::{Duration, SystemTime};

/// The most bytes of name plus value a cookie may have (RFC 6265bis §5.7:
/// larger cookies are ignored whole).
pub(crate) const MAX_NAME_VALUE: usize = 4096;
/// The most bytes an attribute value may have; a longer one is ignored
/// (RFC 6265bis §5.7).
pub(crate) const MAX_ATTRIBUTE_VALUE: usize = 1024;

/// A `Set-Cookie` field as parsed: the name, value and attributes, not yet
/// checked against the request it answers (that is the jar's storage model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetCookie {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
    /// The last `Expires` that parsed as a cookie date.
    pub(crate) expires: Option<SystemTime>,
    /// The last valid `Max-Age`, in seconds (it wins over `Expires`).
    pub(crate) max_age: Option<i64>,
    /// The last non-empty `Domain`, without a leading dot, lower-cased.
    pub(crate) domain: Option<String>,
    /// The last `Path` that starts with `/`; `None`: the default path.
    pub(crate) path: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
}

impl SetCookie {
    /// The expiry the attributes give, relative to `now`: `Max-Age` wins
    /// over `Expires` (§5.3 step 3); `None`: a session cookie.
    pub(crate) fn expiry(&self, now: SystemTime) -> Option<SystemTime> {
        match self.max_age {
            Some(secs) if secs <= 0 => Some(SystemTime::UNIX_EPOCH),
            Some(secs) => Some(
                now.checked_add(Duration::from_secs(secs as u64))
                    .map_or_else(far_future, |t| t.min(far_future())),
            ),
            None => self.expires,
        }
    }
}

/// The latest time a cookie keeps: 9999-12-31 23:59:59 UTC.
pub(crate) fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

/// Whitespace as RFC 6265 trims it (WSP: space and horizontal tab).
fn trim_wsp(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Parses one `Set-Cookie` value (RFC 6265 §5.2). `None`: the field is
/// ignored (no `=` in the name-value pair, an empty name, or a name and
/// value over [`MAX_NAME_VALUE`] bytes).
pub(crate) fn parse_set_cookie(field: &[u8]) -> Option<SetCookie> {
    let (pair, mut attributes) = match memchr::memchr(b';', field) {
        Some(i) => (&field[..i], &field[i..]),
        None => (field, &[][..]),
    };
    let eq = memchr::memchr(b'=', pair)?;
    let name = trim_wsp(&pair[..eq]);
    let value = trim_wsp(&pair[eq + 1..]);
    if name.is_empty() || name.len() + value.len() > MAX_NAME_VALUE {
        return None;
    }
    let mut cookie = SetCookie {
        name: name.to_vec(),
        value: value.to_vec(),
        expires: None,
        max_age: None,
        domain: None,
        path: None,
        secure: false,
        http_only: false,
    };
    while let [b';', rest @ ..] = attributes {
        let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
        let av = &rest[..end];
        attributes = &rest[end..];
        let (name, value) = match memchr::memchr(b'=', av) {
            Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
            None => (trim_wsp(av), &[][..]),
        };
        if value.len() > MAX_ATTRIBUTE_VALUE {
            continue;
        }
        match name.to_ascii_lowercase().as_slice() {
            b"expires" => {
                if let Some(t) = parse_cookie_date(value) {
                    cookie.expires = Some(t);
                }
            }
            b"max-age" => {
                if let Some(secs) = parse_max_age(value) {
                    cookie.max_age = Some(secs);
                }
            }
            b"domain" => {
                // §5.2.3: an empty value is ignored; a leading dot removed.
                if let Some(rest) = value.strip_prefix(b".").or(Some(value)) {
                    if !value.is_empty() {
                        cookie.domain = Some(canonical_domain(rest));
                    }
                }
            }
            b"path" => {
                // §5.2.4: anything not starting with `/` means the default.
                cookie.path = match value {
                    [b'/', ..] => Some(String::from_utf8_lossy(value).into_owned()),
                    _ => None,
                };
            }
            b"secure" => cookie.secure = true,
            b"httponly" => cookie.http_only = true,
            _ => {}
        }
    }
    Some(cookie)
}

/// A `Domain` value lower-cased, and as ASCII (IDNA) where it is a valid
/// host; anything else is kept as it is (and will match no host).
fn canonical_domain(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value).to_lowercase();
    match url::Host::parse(&text) {
        Ok(url::Host::Domain(d)) => d,
        _ => text,
    }
}

/// §5.2.2: an optional `-` then digits; anything else is ignored.
fn parse_max_age(value: &[u8]) -> Option<i64> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Saturate: a huge Max-Age is as good as the largest.
    let n = digits.iter().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -n } else { n })
}

/// A delimiter of a cookie date (§5.1.1).
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// `1*max DIGIT` at the start of `token`, followed by nothing or a
/// non-digit: the number.
fn leading_digits(token: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    let value = token[..n]
        .iter()
        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    Some((value, &token[n..]))
}

/// `hms-time = time-field ":" time-field ":" time-field`, then anything
/// that does not start with a digit.
fn parse_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (h, rest) = leading_digits(token, 1, 2)?;
    let (m, rest) = leading_digits(rest.strip_prefix(b":")?, 1, 2)?;
    let (s, _) = leading_digits(rest.strip_prefix(b":")?, 1, 2)?;
    Some((h, m, s))
}

fn parse_month(token: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let head = token.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| m[..] == head[..])
        .map(|i| i as u32 + 1)
}

/// Parses a cookie date with the algorithm of RFC 6265 §5.1.1: tokens, not
/// a format, so every date form servers send (`Wed, 1 Jan 2020 00:00:00
/// GMT`, `Thursday, 01-Jan-70 ...`, asctime) reads the same; `None` when a
/// part is missing or out of range (the attribute is then ignored).
pub(crate) fn parse_cookie_date(input: &[u8]) -> Option<SystemTime> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in input.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        if time.is_none() {
            if let Some(t) = parse_time(token) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some((d, _)) = leading_digits(token, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if month.is_none() {
            if let Some(m) = parse_month(token) {
                month = Some(m);
                continue;
            }
        }
        if year.is_none() {
            if let Some((y, _)) = leading_digits(token, 2, 4) {
                year = Some(y);
                continue;
            }
        }
    }
    let ((hour, minute, second), day, month, mut year) = (time?, day?, month?, year?);
    // Two-digit years: 70-99 are 19xx, 0-69 are 20xx.
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(if secs >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(t: SystemTime) -> i64 {
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }

    #[test]
    fn cookie_dates() {
        // Inputs and expected dates from the IETF http-state test suite
        // (tests/data/dates/examples.json) and the examples.
        let cases: &[(&str, Option<i64>)] = &[
            ("Mon, 10-Dec-2007 17:02:24 GMT", Some(1_197_306_144)),
            ("Wed, 09 Dec 2009 16:27:23 GMT", Some(1_260_376_043)),
            ("Thursday, 01-Jan-1970 00:00:00 GMT", Some(0)),
            ("Mon Dec 10 16:32:30 2007 GMT", Some(1_197_304_350)),
            ("Wednesday, 01-Jan-10 00:00:00 GMT", Some(1_262_304_000)),
            ("Mon, 10-Dec-07 20:35:03 GMT", Some(1_197_318_903)),
            ("Wed, 1 Jan 2020 00:00:00 GMT", Some(1_577_836_800)),
            ("Saturday, 8-Dec-2012 21:24:09 GMT", Some(1_355_001_849)),
            ("Thu, 31 Dec 23:55:55 2037 GMT", Some(2_145_916_555)),
            ("Sun,  9 Dec 2012 13:42:05 GMT", Some(1_355_060_525)),
            ("Thu Jan 1 00:00:00 1970", Some(0)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(1_445_412_480)),
            ("Thu, 01 Jan 1970 00:00:01 GMT", Some(1)),
            ("Thu, 01-Jan-99 00:00:00 GMT", Some(915_148_800)),
            ("Thu, 01-Jan-69 00:00:00 GMT", Some(3_124_224_000)),
            ("Mon, 01 Jan 1601 00:00:00 GMT", Some(-11_644_473_600)),
            // Out of range or missing parts: the attribute is ignored.
            ("Mon, 01 Jan 1600 00:00:00 GMT", None),
            ("Fri, 30 Feb 2024 00:00:00 GMT", None),
            ("Thu, 29 Feb 2024 00:00:00 GMT", Some(1_709_164_800)),
            ("Thu, 01 Jan 2015 24:00:00 GMT", None),
            ("Thu, 01 Jan 2015 23:60:00 GMT", None),
            ("Thu, 32 Jan 2015 00:00:00 GMT", None),
            ("Thu, 01 Foo 2015 00:00:00 GMT", None),
            ("Thu, 01 Jan 2015", None),
            ("", None),
            ("Thu, 01 Jan 12345 00:00:00 GMT", None),
            ("Thu, 001 Jan 2015 00:00:00 GMT", None),
        ];
        for (input, want) in cases {
            let got = parse_cookie_date(input.as_bytes()).map(unix);
            assert_eq!(got, *want, "{input:?}");
        }
    }

    #[test]
    fn set_cookie_fields() {
        let c = parse_set_cookie(b" foo = bar baz ; Path=/x; DOMAIN=.Example.COM; secure; HttpOnly; Max-Age=60; expires=Wed, 1 Jan 2020 00:00:00 GMT").unwrap();
        assert_eq!((&c.name[..], &c.value[..]), (&b"foo"[..], &b"bar baz"[..]));
        assert_eq!(c.path.as_deref(), Some("/x"));
        assert_eq!(c.domain.as_deref(), Some("example.com"));
        assert!(c.secure && c.http_only);
        assert_eq!(c.max_age, Some(60));
        assert_eq!(c.expires.map(unix), Some(1_577_836_800));
        // No `=`, an empty name: ignored.
        assert!(parse_set_cookie(b"foo").is_none());
        assert!(parse_set_cookie(b"=bar").is_none());
        // An empty value is a value.
        assert_eq!(parse_set_cookie(b"foo=").unwrap().value, b"");
        // UTF-8 (and any other bytes) kept as they came.
        let utf8 = "foo=春节回家路".as_bytes();
        assert_eq!(
            parse_set_cookie(utf8).unwrap().value,
            "春节回家路".as_bytes()
        );
        // The last of each attribute wins; bad values are skipped.
        let c =
            parse_set_cookie(b"a=b; path=/one; path=/two; max-age=5; max-age=x; domain=; path=rel")
                .unwrap();
        assert_eq!(c.path, None, "a path not starting with / means the default");
        assert_eq!(c.max_age, Some(5));
        assert_eq!(c.domain, None);
        // Whitespace inside the domain stays, so it matches no host.
        let c = parse_set_cookie(b"a=b; domain=  .  home.example.org").unwrap();
        assert_eq!(c.domain.as_deref(), Some("  home.example.org"));
        // Size bounds.
        let big = format!("n={}", "v".repeat(MAX_NAME_VALUE));
        assert!(parse_set_cookie(big.as_bytes()).is_none());
        let long_path = format!("n=v; path=/{}", "p".repeat(MAX_ATTRIBUTE_VALUE));
        assert_eq!(parse_set_cookie(long_path.as_bytes()).unwrap().path, None);
    }

    #[test]
    fn max_age_forms() {
        assert_eq!(parse_max_age(b"0"), Some(0));
        assert_eq!(parse_max_age(b"-1"), Some(-1));
        assert_eq!(parse_max_age(b"99999999999999999999999"), Some(i64::MAX));
        for bad in [&b""[..], b"+1", b"1.5", b" 1", b"-", b"1a"] {
            assert_eq!(
                parse_max_age(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let now = SystemTime::now();
        for huge in [
            &b"a=b; max-age=99999999999999999999"[..],
            b"a=b; max-age=1000000000000000",
        ] {
            let c = parse_set_cookie(huge).unwrap();
            assert_eq!(c.expiry(now), Some(far_future()), "capped at the year 9999");
        }
        let c = parse_set_cookie(b"a=b; max-age=-5; expires=Wed, 1 Jan 2099 00:00:00 GMT").unwrap();
        assert_eq!(c.expiry(now), Some(SystemTime::UNIX_EPOCH), "Max-Age wins");
    }
}
