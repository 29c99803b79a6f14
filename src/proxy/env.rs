//! Proxies from the environment (`trust_env`), sans-IO: the variables are
//! read through a lookup function, so the rules are tested without
//! touching the process environment.
//!
//! `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy`, each also in
//! upper case; the lower-case name wins (as curl and CPython have it), and
//! an empty lower-case value unsets the variable. Upper-case `HTTP_PROXY`
//! is ignored when `REQUEST_METHOD` is set: in a CGI program, a request's
//! `Proxy:` header arrives as `HTTP_PROXY` (CVE-2016-1000110, "httpoxy").

use std::net::IpAddr;

use url::Url;

use super::Proxy;
use crate::error::{Error, ErrorKind, Result};

/// The proxies the environment asks for.
#[derive(Debug, Default)]
pub(crate) struct EnvProxies {
    /// For `http://` URLs.
    pub(crate) http: Option<Proxy>,
    /// For `https://` URLs.
    pub(crate) https: Option<Proxy>,
    /// For both, unless one of the above says otherwise.
    pub(crate) all: Option<Proxy>,
    /// Hosts reached directly.
    pub(crate) no_proxy: Option<std::sync::Arc<NoProxy>>,
}

/// The value of `name`, lower case first: `None` when unset or empty.
fn lookup(get: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<(String, String)> {
    let upper = name.to_ascii_uppercase();
    let (var, value) = match get(name) {
        Some(v) => (name.to_string(), v),
        None if upper == "HTTP_PROXY" && get("REQUEST_METHOD").is_some() => return None,
        None => (upper.clone(), get(&upper)?),
    };
    let value = value.trim().to_string();
    (!value.is_empty()).then_some((var, value))
}

/// A proxy URL from the environment; no scheme means `http://`.
fn proxy_from(var: &str, value: &str) -> Result<Proxy> {
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    Proxy::new(&with_scheme).map_err(|e| {
        Error::new(
            e.kind(),
            format!("the environment variable {var} holds no usable proxy URL: {e}"),
        )
    })
}

impl EnvProxies {
    /// Reads the variables through `get`.
    ///
    /// # Errors
    /// A malformed value, naming its variable (never a silent direct
    /// connection).
    pub(crate) fn read(get: &dyn Fn(&str) -> Option<String>) -> Result<EnvProxies> {
        let proxy = |name| {
            lookup(get, name)
                .map(|(var, value)| proxy_from(&var, &value))
                .transpose()
        };
        Ok(EnvProxies {
            http: proxy("http_proxy")?,
            https: proxy("https_proxy")?,
            all: proxy("all_proxy")?,
            no_proxy: lookup(get, "no_proxy")
                .map(|(var, value)| NoProxy::parse(&value).map_err(|e| e.prefixed(&var)))
                .transpose()?
                .map(std::sync::Arc::new),
        })
    }

    /// Reads the process environment.
    pub(crate) fn from_process() -> Result<EnvProxies> {
        EnvProxies::read(&|name| std::env::var(name).ok())
    }
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A host name: itself and its subdomains.
    Domain(String),
    /// An address range (a single address: the full prefix length).
    Net(IpAddr, u8),
}

/// The hosts `NO_PROXY` sends direct: `*` (all), host names (themselves
/// and their subdomains on a dot boundary; a leading `.` or `*.` changes
/// nothing), IPv4 and IPv6 addresses (with or without brackets, in any
/// spelling) and CIDR ranges of both, each with an optional `:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoProxy {
    all: bool,
    entries: Vec<(Entry, Option<u16>)>,
}

fn bad_entry(entry: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("bad no_proxy entry {entry:?}: {why}"),
    )
}

/// An address range `ip/len`.
fn parse_net(text: &str, entry: &str) -> Result<Option<(IpAddr, u8)>> {
    let (ip, len) = match text.split_once('/') {
        Some((ip, len)) => (ip, Some(len)),
        None => (text, None),
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return if len.is_some() {
            Err(bad_entry(entry, "a CIDR range needs an IP address"))
        } else {
            Ok(None)
        };
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(l) if l <= max => l,
            _ => return Err(bad_entry(entry, "bad prefix length")),
        },
    };
    Ok(Some((ip, len)))
}

/// Whether `ip` is in `net/len`.
fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        // An IPv4-mapped IPv6 address is the IPv4 address.
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_net(IpAddr::V4(v4), net, len)),
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

impl NoProxy {
    /// Parses a `NO_PROXY` value: entries separated by commas or
    /// whitespace.
    ///
    /// # Errors
    /// `Config` for an entry that is no host, address or range.
    pub(crate) fn parse(value: &str) -> Result<NoProxy> {
        let mut no_proxy = NoProxy {
            all: false,
            entries: Vec::new(),
        };
        for raw in value.split(|c: char| c == ',' || c.is_whitespace()) {
            if raw.is_empty() {
                continue;
            }
            if raw == "*" {
                no_proxy.all = true;
                continue;
            }
            // An optional port: after `]` for a bracketed IPv6 address,
            // after the only colon otherwise (a bare IPv6 address has many).
            let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
                match rest.split_once(']') {
                    Some((ip, "")) => (ip.to_string(), None),
                    Some((ip, p)) if p.starts_with(':') || p.starts_with('/') => {
                        let (suffix, port) = match p.strip_prefix(':') {
                            Some(port) => ("", Some(port)),
                            None => (p, None),
                        };
                        (format!("{ip}{suffix}"), port.map(str::to_string))
                    }
                    _ => return Err(bad_entry(raw, "unbalanced brackets")),
                }
            } else if raw.matches(':').count() == 1 {
                let (h, p) = raw.split_once(':').expect("one colon");
                (h.to_string(), Some(p.to_string()))
            } else {
                (raw.to_string(), None)
            };
            let port = match port {
                Some(p) => Some(p.parse::<u16>().map_err(|_| bad_entry(raw, "bad port"))?),
                None => None,
            };
            let entry = match parse_net(&host, raw)? {
                Some((ip, len)) => Entry::Net(ip, len),
                None => {
                    let name = host.trim_start_matches("*.").trim_start_matches('.');
                    let name = url::Host::parse(name)
                        .map_err(|e| bad_entry(raw, &e.to_string()))?
                        .to_string();
                    Entry::Domain(name)
                }
            };
            no_proxy.entries.push((entry, port));
        }
        Ok(no_proxy)
    }

    /// Whether `url` goes direct.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        if self.all {
            return true;
        }
        let port = url.port_or_known_default();
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        let host = url.host_str().unwrap_or("");
        self.entries.iter().any(|(entry, want_port)| {
            if want_port.is_some() && *want_port != port {
                return false;
            }
            match (entry, ip) {
                (Entry::Net(net, len), Some(ip)) => in_net(ip, *net, *len),
                (Entry::Domain(d), None) => {
                    host == d
                        || (host.len() > d.len()
                            && host.ends_with(d.as_str())
                            && host.as_bytes()[host.len() - d.len() - 1] == b'.')
                }
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests;
