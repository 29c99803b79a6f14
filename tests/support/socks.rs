//! An in-process SOCKS4/4a/5 proxy on 127.0.0.1 for hermetic tests, with
//! optional RFC 1929 username/password. It records the destination each
//! client asked for and relays to loopback only (names ending in `.test`
//! and `localhost` are resolved to 127.0.0.1 by the proxy itself).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Server;

/// What a client asked the proxy for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocksRequest {
    /// 4 or 5.
    pub version: u8,
    /// `ip:port`, or `name:port` for a name the proxy resolved.
    pub destination: String,
    /// SOCKS4 user id, or SOCKS5 user name.
    pub user: Option<String>,
}

pub struct SocksServer {
    pub server: Server,
    seen: Arc<Mutex<Vec<SocksRequest>>>,
}

impl SocksServer {
    /// A proxy; with `credentials`, SOCKS5 clients must authenticate.
    pub fn start(credentials: Option<(&'static str, &'static str)>) -> SocksServer {
        let seen: Arc<Mutex<Vec<SocksRequest>>> = Arc::default();
        let log = seen.clone();
        let server = Server::raw_on(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            move |client, _| {
                let _ = serve(client, credentials, &log);
            },
        );
        SocksServer { server, seen }
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    pub fn seen(&self) -> Vec<SocksRequest> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_n(s: &mut TcpStream, n: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0; n];
    s.read_exact(&mut v)?;
    Ok(v)
}

fn read_cstr(s: &mut TcpStream) -> io::Result<String> {
    let mut out = Vec::new();
    loop {
        let b = read_n(s, 1)?[0];
        if b == 0 {
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        out.push(b);
    }
}

/// Where the proxy connects for a name: loopback for test names.
fn resolve(name: &str) -> IpAddr {
    assert!(
        name == "localhost" || name.ends_with(".test"),
        "the test SOCKS proxy resolves test names only, not {name}"
    );
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

fn serve(
    mut client: TcpStream,
    credentials: Option<(&str, &str)>,
    log: &Mutex<Vec<SocksRequest>>,
) -> io::Result<()> {
    let version = read_n(&mut client, 1)?[0];
    let (target, request) = if version == 4 {
        let head = read_n(&mut client, 7)?;
        let port = u16::from_be_bytes([head[1], head[2]]);
        let ip = Ipv4Addr::new(head[3], head[4], head[5], head[6]);
        let user = read_cstr(&mut client)?;
        let (target, destination) = if ip.octets()[..3] == [0, 0, 0] && ip.octets()[3] != 0 {
            let name = read_cstr(&mut client)?;
            (
                SocketAddr::new(resolve(&name), port),
                format!("{name}:{port}"),
            )
        } else {
            (
                SocketAddr::new(IpAddr::V4(ip), port),
                format!("{ip}:{port}"),
            )
        };
        let user = (!user.is_empty()).then_some(user);
        (
            target,
            SocksRequest {
                version,
                destination,
                user,
            },
        )
    } else {
        let n = read_n(&mut client, 1)?[0];
        let methods = read_n(&mut client, n.into())?;
        let mut user = None;
        match credentials {
            Some((want_user, want_pass)) if methods.contains(&2) => {
                client.write_all(&[5, 2])?;
                let _ver = read_n(&mut client, 1)?;
                let ulen = read_n(&mut client, 1)?[0];
                let u = String::from_utf8_lossy(&read_n(&mut client, ulen.into())?).into_owned();
                let plen = read_n(&mut client, 1)?[0];
                let p = String::from_utf8_lossy(&read_n(&mut client, plen.into())?).into_owned();
                if u != want_user || p != want_pass {
                    client.write_all(&[1, 1])?;
                    return Ok(());
                }
                client.write_all(&[1, 0])?;
                user = Some(u);
            }
            Some(_) => {
                client.write_all(&[5, 0xff])?;
                return Ok(());
            }
            None => client.write_all(&[5, 0])?,
        }
        let head = read_n(&mut client, 4)?;
        let (ip, destination_host) = match head[3] {
            1 => {
                let a = read_n(&mut client, 4)?;
                let ip = IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]));
                (ip, ip.to_string())
            }
            4 => {
                let a: [u8; 16] = read_n(&mut client, 16)?.try_into().unwrap();
                let ip = IpAddr::V6(Ipv6Addr::from(a));
                (ip, format!("[{ip}]"))
            }
            _ => {
                let len = read_n(&mut client, 1)?[0];
                let name = String::from_utf8_lossy(&read_n(&mut client, len.into())?).into_owned();
                (resolve(&name), name)
            }
        };
        let p = read_n(&mut client, 2)?;
        let port = u16::from_be_bytes([p[0], p[1]]);
        let destination = format!("{destination_host}:{port}");
        (
            SocketAddr::new(ip, port),
            SocksRequest {
                version,
                destination,
                user,
            },
        )
    };
    log.lock().unwrap().push(request);
    assert!(
        target.ip().is_loopback(),
        "the test SOCKS proxy relays to loopback only"
    );
    let origin = match TcpStream::connect_timeout(&target, Duration::from_secs(5)) {
        Ok(o) => o,
        Err(_) => {
            // Connection refused.
            let reply: &[u8] = if version == 4 {
                &[0, 91, 0, 0, 0, 0, 0, 0]
            } else {
                &[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]
            };
            client.write_all(reply)?;
            return Ok(());
        }
    };
    let reply: &[u8] = if version == 4 {
        &[0, 90, 0, 0, 0, 0, 0, 0]
    } else {
        &[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]
    };
    client.write_all(reply)?;
    relay(client, origin)
}

/// Copies both ways until either side closes.
fn relay(client: TcpStream, origin: TcpStream) -> io::Result<()> {
    let (mut c_read, mut o_write) = (client.try_clone()?, origin.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut o_write);
        let _ = o_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut o_read, mut c_write) = (origin, client);
    let _ = io::copy(&mut o_read, &mut c_write);
    let _ = c_write.shutdown(std::net::Shutdown::Both);
    let _ = up.join();
    Ok(())
}
