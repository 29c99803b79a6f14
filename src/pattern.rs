//! URL patterns that route requests (httpx's mount keys): which mounted
//! transport, which proxy, or none, a request goes to. Sans-IO: strings and
//! URLs in, decisions out.
//!
//! A pattern is `scheme://host:port` where every part may be left open:
//! `all://` (any scheme), `http://`, `all://example.com` (that host only),
//! `all://*example.com` (the domain and its subdomains), `all://*.example.com`
//! (subdomains only), `https://example.com:1234`, `all://*:1234`,
//! `all://[::1]`. The most specific matching pattern wins, in httpx's order:
//! a pattern with a port before one without, then the longer host (its
//! wildcard characters count), then the longer scheme (`all` counts as
//! empty), ties in the order given. Unlike httpx, a pattern's port equal to
//! the scheme's default also matches a URL that leaves the port out.

use std::cmp::Reverse;

use url::{Host, Url};

use crate::error::{Error, ErrorKind, Result};

/// How a pattern's host part matches a URL's host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    /// Any host (`all://`, `all://*:1234`).
    Any,
    /// Exactly this host (lower-case; IPv6 in brackets).
    Exact(String),
    /// `*.domain`: strictly below the domain.
    Below(String),
    /// `*domain`: the domain or below it.
    DomainOrBelow(String),
}

/// One routing pattern, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// Empty for `all`.
    scheme: String,
    host: HostMatch,
    /// The host part as written (normalised), whose length ranks the pattern.
    host_len: usize,
    port: Option<u16>,
}

fn invalid(pattern: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("invalid routing pattern {pattern:?}: {why}"),
    )
}

/// A host name or address in the form a `Url` reports it: lower-case,
/// IDNA-encoded, IPv6 in brackets.
fn normalise_host(pattern: &str, host: &str) -> Result<String> {
    match Host::parse(host) {
        Ok(Host::Domain(d)) => Ok(d),
        Ok(Host::Ipv4(ip)) => Ok(ip.to_string()),
        Ok(Host::Ipv6(ip)) => Ok(format!("[{ip}]")),
        Err(e) => Err(invalid(pattern, &format!("bad host {host:?} ({e})"))),
    }
}

impl Pattern {
    /// Parses `pattern`.
    ///
    /// # Errors
    /// `Config` for anything that is not `scheme://[host][:port][/]`.
    pub(crate) fn parse(pattern: &str) -> Result<Pattern> {
        let Some((scheme, rest)) = pattern.split_once("://") else {
            return Err(invalid(
                pattern,
                "expected a URL form such as \"all://\", \"https://\" or \"all://example.com\"",
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        let scheme_ok = scheme.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || (i > 0 && matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.'))
        });
        if scheme.is_empty() || !scheme_ok {
            return Err(invalid(pattern, "bad scheme"));
        }
        let scheme = if scheme == "all" {
            String::new()
        } else {
            scheme
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(invalid(pattern, "a pattern has no path, query or user"));
        }
        // The port follows the last colon outside an IPv6 literal's brackets.
        let (host, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                let port = &authority[i + 1..];
                let port: u16 = port
                    .parse()
                    .map_err(|_| invalid(pattern, &format!("bad port {port:?}")))?;
                (&authority[..i], Some(port))
            }
            _ => (authority, None),
        };
        let host = if host == "*" { "" } else { host };
        let (matcher, host_len) = if host.is_empty() {
            (HostMatch::Any, 0)
        } else if let Some(domain) = host.strip_prefix("*.") {
            let d = normalise_host(pattern, domain)?;
            let len = d.len() + 2;
            (HostMatch::Below(d), len)
        } else if let Some(domain) = host.strip_prefix('*') {
            let d = normalise_host(pattern, domain)?;
            let len = d.len() + 1;
            (HostMatch::DomainOrBelow(d), len)
        } else {
            let h = normalise_host(pattern, host)?;
            let len = h.len();
            (HostMatch::Exact(h), len)
        };
        Ok(Pattern {
            scheme,
            host: matcher,
            host_len,
            port,
        })
    }

    /// Whether `url` falls under this pattern.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        if !self.scheme.is_empty() && self.scheme != url.scheme() {
            return false;
        }
        if let Some(port) = self.port {
            if url.port_or_known_default() != Some(port) {
                return false;
            }
        }
        let Some(host) = url.host() else {
            return self.host == HostMatch::Any;
        };
        let host = match host {
            Host::Domain(d) => std::borrow::Cow::Borrowed(d),
            Host::Ipv4(ip) => ip.to_string().into(),
            Host::Ipv6(ip) => format!("[{ip}]").into(),
        };
        let below = |d: &str| {
            host.len() > d.len() + 1
                && host.ends_with(d)
                && host.as_bytes()[host.len() - d.len() - 1] == b'.'
        };
        match &self.host {
            HostMatch::Any => true,
            HostMatch::Exact(h) => host.eq_ignore_ascii_case(h),
            HostMatch::Below(d) => below(d),
            HostMatch::DomainOrBelow(d) => *host == **d || below(d),
        }
    }

    /// The sort key: most specific first (httpx's `priority`).
    fn rank(&self) -> (bool, Reverse<usize>, Reverse<usize>) {
        (
            self.port.is_none(),
            Reverse(self.host_len),
            Reverse(self.scheme.len()),
        )
    }
}

/// Patterns with what each routes to, most specific first.
#[derive(Debug, Clone)]
pub(crate) struct Routes<T> {
    entries: Vec<(Pattern, T)>,
}

impl<T> Default for Routes<T> {
    fn default() -> Routes<T> {
        Routes {
            entries: Vec::new(),
        }
    }
}

impl<T> Routes<T> {
    /// Adds `pattern` routing to `value`; the same pattern given again
    /// replaces the earlier value in its place.
    pub(crate) fn insert(&mut self, pattern: Pattern, value: T) {
        if let Some(slot) = self.entries.iter_mut().find(|(p, _)| *p == pattern) {
            slot.1 = value;
            return;
        }
        // After every entry that ranks before it or the same (ties keep
        // the order given).
        let rank = pattern.rank();
        let at = self.entries.partition_point(|(p, _)| p.rank() <= rank);
        self.entries.insert(at, (pattern, value));
    }

    /// What the most specific pattern matching `url` routes to.
    pub(crate) fn find(&self, url: &Url) -> Option<&T> {
        self.entries
            .iter()
            .find(|(p, _)| p.matches(url))
            .map(|(_, v)| v)
    }

    /// Every value, most specific first.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests;
