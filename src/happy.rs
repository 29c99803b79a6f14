//! Happy Eyeballs (RFC 8305) planning, sans-IO: the order in which to try
//! the addresses a host resolved to. The runtime shims race the attempts.

use std::net::SocketAddr;
use std::time::Duration;

/// RFC 8305 §5: the recommended delay before starting the next connection
/// attempt while the previous one is still pending.
pub(crate) const CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Interleaves IPv6 and IPv4 addresses (RFC 8305 §4), starting with the
/// family of the first address the resolver gave, keeping each family's order.
pub(crate) fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_v6 = first.is_ipv6();
    let (mut a, mut b): (Vec<_>, Vec<_>) = addrs.into_iter().partition(|x| x.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(a.len() + b.len());
    a.reverse();
    b.reverse();
    loop {
        match (a.pop(), b.pop()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn interleaves_families() {
        let got = interleave(addrs(&[
            "[::1]:1",
            "[::2]:1",
            "[::3]:1",
            "127.0.0.1:1",
            "127.0.0.2:1",
        ]));
        assert_eq!(
            got,
            addrs(&[
                "[::1]:1",
                "127.0.0.1:1",
                "[::2]:1",
                "127.0.0.2:1",
                "[::3]:1"
            ])
        );
        let got = interleave(addrs(&["127.0.0.1:1", "[::1]:1"]));
        assert_eq!(got, addrs(&["127.0.0.1:1", "[::1]:1"]));
        assert!(interleave(Vec::new()).is_empty());
        let v4 = addrs(&["127.0.0.1:1", "127.0.0.2:1"]);
        assert_eq!(interleave(v4.clone()), v4);
    }
}
