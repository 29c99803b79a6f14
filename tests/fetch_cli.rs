//! The `fetch` example, run as a program against the in-process server:
//! where curl has a flag, `fetch` must behave as curl does.

mod support;

use std::process::{Command, Output};

use support::fetch::{fetch, fetch_bin, fetch_on_a_terminal, FEATURES};
use support::{Reply, Server};

#[test]
fn features_are_cargo_tomls() {
    // A feature missing here would make `fetch_bin` rebuild the example
    // without it, and the fetch tests run a binary unlike the tested crate.
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let section = manifest
        .split("\n[features]\n")
        .nth(1)
        .expect("a [features] table");
    let section = section.split("\n[").next().unwrap();
    let mut declared: Vec<&str> = section
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#') && *name != "default")
        .collect();
    let mut listed: Vec<&str> = FEATURES.iter().map(|(name, _)| *name).collect();
    declared.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, declared);
}

/// `fetch` with the proxy variables of the environment cleared, then
/// `vars` set.
fn fetch_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(fetch_bin());
    for v in support::proxy::PROXY_ENV {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().copied()).args(args).output().unwrap()
}

fn echo_server() -> Server {
    Server::http(|req| {
        let body = format!(
            "{} {} ct={} accept={} len={} body={}",
            req.method,
            req.target,
            req.header("content-type").unwrap_or("-"),
            req.header("accept").unwrap_or("-"),
            req.header("content-length").unwrap_or("-"),
            String::from_utf8_lossy(&req.body)
        );
        Reply::ok(body)
    })
}

#[test]
fn prints_the_body() {
    let server = echo_server();
    let out = fetch(&[&server.url("/x?y=1")]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "GET /x?y=1 ct=- accept=*/* len=- body="
    );
}

#[test]
fn data_implies_post_and_form_content_type() {
    let server = echo_server();
    let out = fetch(&["-d", "a=1", "-d", "b=2", &server.url("/p")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "POST /p ct=application/x-www-form-urlencoded accept=*/* len=7 body=a=1&b=2"
    );
}

#[test]
fn data_urlencode_and_get() {
    let server = echo_server();
    let out = fetch(&["--data-urlencode", "q=a b&c", &server.url("/p")]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("body=q=a+b%26c"));
    let out = fetch(&["-G", "-d", "k=v", &server.url("/g")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "GET /g?k=v ct=- accept=*/* len=- body="
    );
}

#[test]
fn data_from_file_strips_newlines_but_binary_keeps_them() {
    let server = echo_server();
    let dir = std::env::temp_dir().join(format!("fetch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.txt");
    std::fs::write(&file, "a=1\nb=2\r\n").unwrap();
    let at = format!("@{}", file.display());
    let out = fetch(&["-d", &at, &server.url("/")]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("len=6 body=a=1b=2"));
    let out = fetch(&["--data-binary", &at, &server.url("/")]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("len=9 body=a=1\nb=2\r\n"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn json_sets_content_type_and_accept() {
    let server = echo_server();
    let out = fetch(&["--json", r#"{"k":1}"#, &server.url("/j")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"POST /j ct=application/json accept=application/json len=7 body={"k":1}"#
    );
}

#[test]
fn method_and_headers() {
    let server = echo_server();
    let out = fetch(&[
        "-XPUT",
        "-H",
        "Content-Type: text/plain",
        "-H",
        "Accept:",
        "-d",
        "x",
        &server.url("/m"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "PUT /m ct=text/plain accept=- len=1 body=x"
    );
    let reqs = server.requests();
    assert!(
        reqs[0].header("accept").is_none(),
        "-H 'Accept:' removes the header"
    );
}

#[test]
fn head_prints_the_head_only() {
    let server =
        Server::http(|_| Reply::raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n"));
    let out = fetch(&["-I", &server.url("/")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("x-a: b\r\n"));
    assert!(text.ends_with("\r\n\r\n"));
    assert_eq!(server.requests()[0].method, "HEAD");
}

#[test]
fn include_prints_head_then_body() {
    let server = Server::http(|_| Reply::ok("body!"));
    let out = fetch(&["-i", &server.url("/")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(text.ends_with("\r\n\r\nbody!"), "{text}");
}

#[test]
fn http_errors_exit_zero_unless_fail() {
    let server =
        Server::http(|_| Reply::raw("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"));
    let out = fetch(&[&server.url("/")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "nope");
    let out = fetch(&["-f", &server.url("/")]);
    assert_eq!(out.status.code(), Some(22));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: 404"));
    let out = fetch(&["-sf", &server.url("/")]);
    assert_eq!(out.status.code(), Some(22));
    assert!(out.stderr.is_empty(), "-s hides the message");
}

#[test]
fn gzip_is_decoded_without_compressed_flag() {
    let body = support::gzip(b"decoded text");
    let server = Server::http(move |_| {
        Reply::Raw(support::response_with(
            "200 OK",
            &["Content-Encoding: gzip"],
            &body,
        ))
    });
    let out = fetch(&[&server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "decoded text");
}

#[test]
fn output_to_file() {
    let server = Server::http(|_| Reply::ok(vec![b'q'; 100_000]));
    let path = std::env::temp_dir().join(format!("fetch-out-{}", std::process::id()));
    let out = fetch(&["-s", "-o", path.to_str().unwrap(), &server.url("/")]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&path).unwrap().len(), 100_000);
    std::fs::remove_file(&path).ok();
}

#[test]
fn progress_bar_on_a_terminal_when_saving_to_a_file() {
    let server = Server::http(|_| Reply::ok(vec![b'p'; 3_000_000]));
    let path = std::env::temp_dir().join(format!("fetch-progress-{}", std::process::id()));
    let out = fetch_on_a_terminal(&["-o", path.to_str().unwrap(), &server.url("/")]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    // The finished bar: all of the bytes, of the total the server announced.
    assert!(shown.contains("2.86 MiB/2.86 MiB"), "{shown:?}");
    assert_eq!(std::fs::read(&path).unwrap().len(), 3_000_000);
    // No bar with -s, nor when stderr is not a terminal.
    let quiet = fetch_on_a_terminal(&["-s", "-o", path.to_str().unwrap(), &server.url("/")]);
    assert!(quiet.status.success());
    assert!(
        !String::from_utf8_lossy(&quiet.stdout).contains("MiB"),
        "{quiet:?}"
    );
    let piped = fetch(&["-o", path.to_str().unwrap(), &server.url("/")]);
    assert!(piped.status.success());
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    std::fs::remove_file(&path).ok();
}

#[test]
fn binary_output_to_a_terminal_is_refused_like_curl() {
    let server = Server::http(|_| Reply::ok(b"\x00\x01binary"));
    let out = fetch_on_a_terminal(&[&server.url("/")]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(23), "{shown}");
    assert!(
        shown.contains("binary output can mess up your terminal"),
        "{shown}"
    );
    assert!(
        !shown.contains("\u{1}binary"),
        "the body must not reach the terminal: {shown:?}"
    );
    // To a pipe, or with --output -, the bytes are written as they are.
    let piped = fetch(&[&server.url("/")]);
    assert_eq!(piped.stdout, b"\x00\x01binary");
    let forced = fetch_on_a_terminal(&["--output", "-", &server.url("/")]);
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
}

#[test]
fn verbose_prints_both_heads_to_stderr() {
    let server = Server::http(|_| Reply::ok("v"));
    let out = fetch(&["-v", &server.url("/v")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("> GET /v HTTP/1.1"), "{err}");
    assert!(err.contains(&format!("> Host: {}", server.addr())), "{err}");
    assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "v");
}

#[test]
fn curl_exit_codes_for_failures() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = fetch(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(out.status.code(), Some(7), "connection refused");
    let line = String::from_utf8_lossy(&out.stderr);
    assert_eq!(line.lines().count(), 1, "one-line error: {line}");
    let out = fetch(&["http://[::1"]);
    assert_eq!(out.status.code(), Some(3), "malformed URL");
    let out = fetch(&["--bogus", "http://127.0.0.1/"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bare_host_defaults_to_http() {
    let server = echo_server();
    let out = fetch(&[&format!("{}/bare", server.addr())]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("GET /bare "));
}

#[test]
fn max_time_exits_28() {
    let server = Server::http(|_| Reply::Stall(std::time::Duration::from_secs(3)));
    fetch_bin(); // built before the clock starts
    let started = std::time::Instant::now();
    let out = fetch(&["-m", "0.3", &server.url("/")]);
    assert_eq!(
        out.status.code(),
        Some(28),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

/// A server that sends `head`, then `pieces` of body (each after `every`),
/// then holds the connection for `hold` before closing.
fn paced_server(
    head: &'static str,
    pieces: Vec<&'static [u8]>,
    every: std::time::Duration,
    hold: std::time::Duration,
) -> Server {
    Server::http(move |_| {
        let pieces = pieces.clone();
        Reply::Custom(Box::new(move |w| {
            let _ = w.write_all(head.as_bytes()).and_then(|()| w.flush());
            for p in pieces {
                std::thread::sleep(every);
                if w.write_all(p).and_then(|()| w.flush()).is_err() {
                    return;
                }
            }
            std::thread::sleep(hold);
        }))
    })
}

/// `fetch -y/-Y`: exit 28 with curl's message, well before the server
/// would have closed.
fn assert_too_slow(out: &Output, started: std::time::Instant, hold: std::time::Duration) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(28), "{stderr}");
    assert!(stderr.contains("Operation too slow. Less than"), "{stderr}");
    assert!(
        started.elapsed() < hold,
        "fetch waited for the server to close"
    );
}

#[test]
fn speed_time_aborts_a_silent_server() {
    let hold = std::time::Duration::from_secs(20);
    let server = Server::http(move |_| Reply::Stall(hold));
    fetch_bin(); // built before the clock starts
    let started = std::time::Instant::now();
    let out = fetch(&["-y", "2", &server.url("/")]);
    assert_too_slow(&out, started, hold);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Less than 1 bytes/sec transferred the last 2 seconds"));
}

#[test]
fn speed_time_aborts_a_body_that_stalls_half_way() {
    let hold = std::time::Duration::from_secs(20);
    let server = paced_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n",
        vec![&[b'a'; 1000]],
        std::time::Duration::ZERO,
        hold,
    );
    let dir = std::env::temp_dir().join(format!("fetch-stall-{}", std::process::id()));
    fetch_bin(); // built before the clock starts
    let started = std::time::Instant::now();
    let out = fetch(&[
        "-s",
        "-S",
        "-y",
        "2",
        "-o",
        dir.to_str().unwrap(),
        &server.url("/"),
    ]);
    assert_too_slow(&out, started, hold);
    // What arrived before the stall was written out, as curl does.
    assert_eq!(std::fs::read(&dir).unwrap(), vec![b'a'; 1000]);
    let _ = std::fs::remove_file(&dir);
}

#[test]
fn speed_limit_aborts_a_trickle_below_it() {
    // 10 bytes every 200 ms is 50 bytes/s, under -Y 1000.
    let hold = std::time::Duration::from_secs(10);
    let server = paced_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n",
        vec![b"0123456789"; 100],
        std::time::Duration::from_millis(200),
        hold,
    );
    fetch_bin(); // built before the clock starts
    let started = std::time::Instant::now();
    let out = fetch(&["-Y", "1000", "-y", "1", &server.url("/")]);
    assert_too_slow(&out, started, hold);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Less than 1000 bytes/sec transferred the last 1 seconds"));
}

#[test]
fn steady_slow_body_above_the_limit_completes() {
    // 200 bytes every 100 ms (2 000 bytes/s) for 3 s, with -Y 500 -y 1.
    let server = paced_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n",
        vec![&[b'z'; 200]; 30],
        std::time::Duration::from_millis(100),
        std::time::Duration::ZERO,
    );
    let out = fetch(&["-Y", "500", "-y", "1", &server.url("/")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, vec![b'z'; 6000]);
}

#[test]
fn speed_options_take_whole_numbers() {
    for args in [["-y", "x"], ["-Y", "-5"], ["--speed-time", "1.5"]] {
        let out = fetch(&[args[0], args[1], "http://127.0.0.1:9/"]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("expected a proper numerical parameter")
        );
    }
}

#[test]
fn retry_on_transient_status() {
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n2 = n.clone();
    let server = Server::http(move |_| {
        if n2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::raw("HTTP/1.1 503 Busy\r\nRetry-After: 0\r\nContent-Length: 4\r\n\r\nbusy")
        } else {
            Reply::ok("fine")
        }
    });
    let out = fetch(&["--retry", "2", "-d", "x=1", &server.url("/")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "fine");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Will retry"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body, b"x=1", "the body is sent again");
    // Without --retry the 503 is the answer.
    let out = fetch(&[&server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "fine");
}

#[test]
fn interface_sets_the_source_address() {
    let server = Server::http(|_| Reply::ok("ok"));
    let out = fetch(&["--interface", "127.0.0.3", &server.url("/")]);
    assert!(out.status.success());
    assert_eq!(server.peers()[0].ip().to_string(), "127.0.0.3");
}

#[cfg(unix)]
#[test]
fn unix_socket() {
    let dir = std::env::temp_dir().join(format!("fetch-uds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let seen: std::sync::Arc<std::sync::Mutex<Vec<support::Recorded>>> = Default::default();
    let seen2 = seen.clone();
    let t = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        support::serve_connection(
            stream,
            0,
            &|req| Reply::ok(format!("via uds {}", req.target)),
            &seen2,
        );
    });
    let out = fetch(&[
        "--unix-socket",
        path.to_str().unwrap(),
        "http://localhost/x",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "via uds /x");
    t.join().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "rustls")]
mod tls {
    use super::fetch;
    use crate::support::tls::{server_config, Pki, TlsServer};
    use crate::support::Reply;

    fn write_temp(name: &str, content: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fetch-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// curl's `--unix-socket` with an https:// URL: TLS over the socket.
    #[cfg(unix)]
    #[test]
    fn https_over_a_unix_socket() {
        let pki = Pki::new();
        let dir = std::env::temp_dir().join(format!("fetch-tls-uds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (t, _) = crate::support::tls::serve_unix_once(
            listener,
            server_config(&pki.leaf(&["localhost"]), None),
            |req| Reply::ok(format!("tls via uds {}", req.target)),
        );
        let ca = write_temp("uds-ca.pem", &pki.ca_pem);
        let out = fetch(&[
            "--cacert",
            ca.to_str().unwrap(),
            "--unix-socket",
            path.to_str().unwrap(),
            "https://localhost/x",
        ]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "tls via uds /x",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(t.join().unwrap().as_deref(), Some("localhost"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn cacert_insecure_and_exit_60() {
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["127.0.0.1"]), None), |_| {
            Reply::ok("secure")
        });
        let url = server.url("127.0.0.1", "/");
        let out = fetch(&[&url]);
        assert_eq!(
            out.status.code(),
            Some(60),
            "unknown issuer: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ca = write_temp("ca.pem", &pki.ca_pem);
        let out = fetch(&["--cacert", ca.to_str().unwrap(), &url]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "secure");
        let out = fetch(&["-k", &url]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "secure");
    }

    // An encrypted key needs the `encrypted-keys` feature (without it,
    // fetch says so: exit 58).
    #[cfg(feature = "encrypted-keys")]
    #[test]
    fn client_certificate_with_encrypted_key() {
        use crate::support::tls::{CLIENT_KEY_ENCRYPTED, CLIENT_KEY_PASSWORD};
        let pki = Pki::new();
        let server = TlsServer::start(server_config(&pki.leaf(&["127.0.0.1"]), Some(&pki)), |_| {
            Reply::ok("mutual")
        });
        let url = server.url("127.0.0.1", "/");
        let ca = write_temp("ca2.pem", &pki.ca_pem);
        let cert = write_temp("client.pem", &pki.client_cert());
        let key = write_temp("client-enc.pem", CLIENT_KEY_ENCRYPTED);
        let out = fetch(&["--cacert", ca.to_str().unwrap(), &url]);
        assert_eq!(
            out.status.code(),
            Some(35),
            "no client cert: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = fetch(&[
            "--cacert",
            ca.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--pass",
            CLIENT_KEY_PASSWORD,
            &url,
        ]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "mutual",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = fetch(&[
            "--cacert",
            ca.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--pass",
            "wrong",
            &url,
        ]);
        assert_eq!(out.status.code(), Some(58));
    }
}

#[test]
fn location_and_max_redirs() {
    let server = Server::http(|req| match req.target.as_str() {
        "/a" => Reply::raw("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n"),
        "/b" => Reply::raw("HTTP/1.1 301 Moved\r\nLocation: /c\r\nContent-Length: 0\r\n\r\n"),
        "/loop" => Reply::raw("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"),
        _ => Reply::ok("landed"),
    });
    let out = fetch(&[&server.url("/a")]);
    assert!(
        out.stdout.is_empty(),
        "without -L the 302 body (empty) is the output"
    );
    let out = fetch(&["-L", &server.url("/a")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "landed");
    let out = fetch(&["-L", "--max-redirs", "1", &server.url("/a")]);
    assert_eq!(out.status.code(), Some(47));
    let out = fetch(&["-sL", &server.url("/loop")]);
    assert_eq!(out.status.code(), Some(47), "curl's default limit of 50");
}

#[test]
fn user_basic_and_digest() {
    let server = Server::http(|req| Reply::ok(req.header("authorization").unwrap_or("-")));
    let out = fetch(&["-u", "user:pw", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Basic dXNlcjpwdw==");
    // Digest: the server answers 200 to the first request here, so no
    // credentials are sent (they only answer a challenge).
    let out = fetch(&["--digest", "-u", "user:pw", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-");
}

#[test]
fn cookies_in_and_out() {
    let server = Server::http(|req| {
        Reply::raw(format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: fresh=1; Path=/\r\nContent-Length: {}\r\n\r\n{}",
            req.header("cookie").unwrap_or("-").len(),
            req.header("cookie").unwrap_or("-")
        ))
    });
    let out = fetch(&["-b", "a=1; b=2", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a=1; b=2");
    let dir = std::env::temp_dir().join(format!("fetch-cookies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jar = dir.join("jar.txt");
    let out = fetch(&["-c", jar.to_str().unwrap(), &server.url("/")]);
    assert!(out.status.success());
    let saved = std::fs::read_to_string(&jar).unwrap();
    assert!(
        saved.contains("127.0.0.1\tFALSE\t/\tFALSE\t0\tfresh\t1"),
        "{saved}"
    );
    let out = fetch(&["-b", jar.to_str().unwrap(), &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "fresh=1");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn netrc_only_with_n() {
    let server = Server::http(|req| Reply::ok(req.header("authorization").unwrap_or("-")));
    let dir = std::env::temp_dir().join(format!("fetch-netrc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let netrc = dir.join("netrc");
    std::fs::write(&netrc, "machine 127.0.0.1 login n password r\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(fetch_bin())
            .args(args)
            .env("NETRC", &netrc)
            .output()
            .unwrap()
    };
    let out = run(&[&server.url("/")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "-",
        "curl reads .netrc only with -n"
    );
    let out = run(&["-n", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Basic bjpy");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn proxy_flags_as_curl_has_them() {
    use support::proxy::{ProxyOptions, ProxyServer};
    let origin = echo_server();
    let proxy = ProxyServer::start(ProxyOptions {
        require_auth: Some("Basic dTpw".into()),
        ..ProxyOptions::default()
    });
    let at = proxy.addr().to_string();
    let url = origin.url("/x");
    // -x without a scheme: http; -U: the proxy's credentials.
    let out = fetch_env(&["-x", &at, "-U", "u:p", &url], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "GET /x ct=- accept=*/* len=- body="
    );
    let seen = proxy.seen();
    assert_eq!(seen[0].target, url, "forwarded in absolute-form");
    // -p: a CONNECT tunnel, also for http://.
    let out = fetch_env(&["-p", "-x", &format!("http://u:p@{at}"), &url], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.seen()[1].method, "CONNECT");
    // A refused CONNECT exits 56; a 407 to a forwarded request is a response.
    let out = fetch_env(&["-p", "-x", &at, &url], &[]);
    assert_eq!(
        out.status.code(),
        Some(56),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("407"));
    let out = fetch_env(&["-f", "-x", &at, &url], &[]);
    assert_eq!(out.status.code(), Some(22), "-f and the proxy's 407");
}

#[test]
fn proxies_from_the_environment_as_curl_reads_them() {
    use support::proxy::{ProxyOptions, ProxyServer};
    let origin = echo_server();
    let proxy = ProxyServer::start(ProxyOptions::default());
    let at = format!("http://{}", proxy.addr());
    let url = origin.url("/e");
    let ok = |out: &Output| {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&fetch_env(&[&url], &[("http_proxy", &at)]));
    assert_eq!(proxy.seen().len(), 1, "http_proxy is used");
    ok(&fetch_env(&[&url], &[("HTTP_PROXY", &at)]));
    assert_eq!(
        proxy.seen().len(),
        1,
        "curl reads http_proxy in lower case only"
    );
    ok(&fetch_env(&[&url], &[("ALL_PROXY", &at)]));
    assert_eq!(proxy.seen().len(), 2, "ALL_PROXY");
    ok(&fetch_env(
        &[&url],
        &[("http_proxy", &at), ("NO_PROXY", "127.0.0.1")],
    ));
    assert_eq!(proxy.seen().len(), 2, "NO_PROXY: direct");
    ok(&fetch_env(
        &["--noproxy", "example.com", &url],
        &[("http_proxy", &at), ("no_proxy", "127.0.0.1")],
    ));
    assert_eq!(proxy.seen().len(), 3, "--noproxy replaces NO_PROXY");
    ok(&fetch_env(&["-x", "", &url], &[("http_proxy", &at)]));
    assert_eq!(proxy.seen().len(), 3, "-x '': no proxy at all");
    ok(&fetch_env(&["--noproxy", "*", "-x", &at, &url], &[]));
    assert_eq!(proxy.seen().len(), 3, "--noproxy '*'");
}

#[test]
fn socks_flags() {
    use support::socks::SocksServer;
    let origin = echo_server();
    let socks = SocksServer::start(None);
    let port = origin.addr().port();
    let proxy = format!("127.0.0.1:{}", socks.port());
    let out = fetch_env(
        &[
            "--socks5-hostname",
            &proxy,
            &format!("http://origin.test:{port}/s"),
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        socks.seen()[0].destination,
        format!("origin.test:{port}"),
        "the proxy resolved the name"
    );
    let out = fetch_env(&["--socks5", &proxy, &origin.url("/s")], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(socks.seen()[1].destination, format!("127.0.0.1:{port}"));
    let out = fetch_env(
        &["-x", &format!("socks4://{proxy}"), &origin.url("/4")],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(socks.seen()[2].version, 4);
    // A SOCKS refusal exits 97 (curl's CURLE_PROXY).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = fetch_env(&["--socks5", &proxy, &format!("http://{closed}/")], &[]);
    assert_eq!(
        out.status.code(),
        Some(97),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn forms_as_curl_sends_them() {
    let server = Server::http(|_| Reply::ok("ok"));
    let dir = std::env::temp_dir().join(format!("fetch-form-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upload = dir.join("notes.txt");
    std::fs::write(&upload, "file body\n").unwrap();
    let value = dir.join("value");
    std::fs::write(&value, "from a file").unwrap();
    let out = fetch(&[
        "-F",
        "a=b",
        "-F",
        &format!(
            "f=@{};type=text/x-test;filename=renamed.txt",
            upload.display()
        ),
        "-F",
        &format!("g=@{}", upload.display()),
        "-F",
        &format!("c=<{}", value.display()),
        "--form-string",
        "d=@not-a-file;type=x",
        &server.url("/form"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST", "-F implies POST");
    let ct = req.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").expect(ct);
    let body = String::from_utf8(req.body.clone()).unwrap();
    let part = |head: &str, content: &str| format!("--{boundary}\r\n{head}\r\n\r\n{content}\r\n");
    let want = [
        part("Content-Disposition: form-data; name=\"a\"", "b"),
        part(
            "Content-Disposition: form-data; name=\"f\"; filename=\"renamed.txt\"\r\nContent-Type: text/x-test",
            "file body\n",
        ),
        part(
            "Content-Disposition: form-data; name=\"g\"; filename=\"notes.txt\"\r\nContent-Type: text/plain",
            "file body\n",
        ),
        part("Content-Disposition: form-data; name=\"c\"", "from a file"),
        part("Content-Disposition: form-data; name=\"d\"", "@not-a-file;type=x"),
    ]
    .concat()
        + &format!("--{boundary}--\r\n");
    assert_eq!(body, want);
    assert_eq!(
        req.header("content-length"),
        Some(want.len().to_string().as_str())
    );
    // -F with -d: two kinds of request, refused as curl does.
    let out = fetch(&["-F", "a=b", "-d", "x", &server.url("/")]);
    assert_eq!(out.status.code(), Some(2));
    // A missing file: curl's exit 26.
    let out = fetch(&["-F", "f=@/nonexistent/file", &server.url("/")]);
    assert_eq!(
        out.status.code(),
        Some(26),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn expect_100_continue_as_curl_sends_it() {
    let server = Server::http(|_| Reply::ok("ok"));
    let dir = std::env::temp_dir().join(format!("fetch-expect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big");
    std::fs::write(&big, vec![b'x'; 2 << 20]).unwrap();
    let data = format!("@{}", big.display());
    // Over 1 MiB: Expect: 100-continue (the test server does not answer
    // 100, so the body goes after the wait).
    let out = fetch(&[
        "--expect100-timeout",
        "0.1",
        "--data-binary",
        &data,
        &server.url("/"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = fetch(&["-H", "Expect:", "--data-binary", &data, &server.url("/")]);
    assert_eq!(out.status.code(), Some(0));
    let reqs = server.requests();
    assert_eq!(reqs[0].header("expect"), Some("100-continue"));
    assert_eq!(reqs[0].body.len(), 2 << 20);
    assert_eq!(reqs[1].header("expect"), None, "-H 'Expect:' turns it off");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn upload_file_puts_and_shows_a_bar_on_a_terminal() {
    let server =
        Server::http(|req| Reply::ok(format!("{} {} {}", req.method, req.target, req.body.len())));
    let dir = std::env::temp_dir().join(format!("fetch-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.bin");
    std::fs::write(&file, vec![b'u'; 3_000_000]).unwrap();
    let file = file.to_str().unwrap();
    // -T: PUT; a URL ending in '/' gets the file's name (curl).
    let out = fetch(&["-T", file, &server.url("/dir/")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "PUT /dir/data.bin 3000000"
    );
    let out = fetch(&["-T", file, "-X", "POST", &server.url("/x")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "POST /x 3000000");
    // On a terminal: the upload's bar, finished at the whole size.
    let shown = fetch_on_a_terminal(&["-T", file, &server.url("/t")]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{text}");
    assert!(text.contains("2.86 MiB/2.86 MiB"), "{text:?}");
    let quiet = fetch_on_a_terminal(&["-s", "-T", file, &server.url("/t")]);
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("MiB"));
    // A missing file: curl's 26.
    let out = fetch(&["-T", "/nonexistent/file", &server.url("/")]);
    assert_eq!(out.status.code(), Some(26));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn remote_name_and_dump_header_as_curl_has_them() {
    let server = Server::http(|req| {
        if req.target == "/old" {
            Reply::raw(
                "HTTP/1.1 302 Found\r\nLocation: /files/report.txt\r\nContent-Length: 0\r\n\r\n",
            )
        } else {
            Reply::ok(format!("body of {}", req.target))
        }
    });
    let dir = std::env::temp_dir().join(format!("fetch-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new(fetch_bin())
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    // -O: the URL's last path segment, in the current directory.
    let out = run(&["-O", &server.url("/files/data.csv?x=1")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.join("data.csv")).unwrap(),
        "body of /files/data.csv?x=1"
    );
    // No file name in the URL: curl's exit 23, before anything is sent.
    let before = server.requests().len();
    let out = run(&["-O", &server.url("/")]);
    assert_eq!(out.status.code(), Some(23));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Remote file name has no length"));
    assert_eq!(server.requests().len(), before, "nothing sent");
    // -D: every head received (with -L, the redirect's too), body as usual.
    let out = run(&["-L", "-D", "heads.txt", &server.url("/old")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "body of /files/report.txt"
    );
    let heads = std::fs::read_to_string(dir.join("heads.txt")).unwrap();
    assert!(heads.starts_with("HTTP/1.1 302 Found\r\n"), "{heads:?}");
    assert!(heads.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "{heads:?}");
    assert!(heads.ends_with("\r\n\r\n"));
    // -D -: to standard output, before the body.
    let out = run(&["-D", "-", &server.url("/x")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with("\r\n\r\nbody of /x"),
        "{text:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
