//! The curl flags of `fetch` that people type every day (`-w`, `-O`/`-J`,
//! `-C`, `-r`, `--limit-rate`, retries, several URLs, `-Z`, `-K`), run as
//! a program against in-process servers and compared with what curl does.

#[path = "support/h2server.rs"]
mod h2server;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::fetch::{fetch, fetch_bin, fetch_on_a_terminal};
use support::{Recorded, Reply, Server};

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrohttp-fetch-flags-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `fetch args` with `input` on its standard input.
fn fetch_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(fetch_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A body of `n` bytes that differ from byte to byte.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// A response with `headers` (each `Name: value`) and `body`.
fn reply(status: &str, headers: &[&str], body: &[u8]) -> Reply {
    Reply::raw(support::response_with(status, headers, body))
}

#[test]
fn write_out_variables_as_curl_prints_them() {
    let server = Server::http(|_| {
        reply(
            "200 OK",
            &["Content-Type: text/plain", "X-Trace: abc"],
            b"hello",
        )
    });
    let url = server.url("/w");
    let out = fetch(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{response_code} %{http_version} %{content_type} %{size_download} \
         %{num_redirects} [%{redirect_url}] %{url_effective} %{remote_ip} %{remote_port} \
         %{exitcode} [%{errormsg}] %header{x-trace} 100%%\\t|\\n",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let port = server.addr().port();
    assert_eq!(
        stdout(&out),
        format!("200 200 1.1 text/plain 5 0 [] {url} 127.0.0.1 {port} 0 [] abc 100%\t|\n")
    );

    // %{json}: every variable, numbers as numbers; times in order.
    let out = fetch(&["-s", "-o", "/dev/null", "-w", "%{json}", &url]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["http_code"], "200");
    assert_eq!(v["size_download"], 5);
    assert_eq!(v["remote_port"], port);
    assert_eq!(v["url_effective"], url.as_str());
    assert!(v["local_port"].as_u64().unwrap() > 0);
    let t = |name: &str| v[name].as_f64().unwrap();
    assert!(t("time_namelookup") <= t("time_connect"), "{v}");
    assert!(t("time_connect") <= t("time_starttransfer"), "{v}");
    assert!(t("time_starttransfer") <= t("time_total"), "{v}");
    assert_eq!(t("time_appconnect"), 0.0, "no TLS: {v}");
    assert!(v["speed_download"].as_u64().is_some());
    assert_eq!(v["exitcode"], 0);
    assert_eq!(v["size_upload"], 0);
    assert!(v["size_header"].as_u64().unwrap() > "HTTP/1.1 200 OK\r\n\r\n".len() as u64);

    // What went up: an in-memory body and a streamed one (-T -).
    let out = fetch(&[
        "-s",
        "-o",
        "/dev/null",
        "-d",
        "a=123",
        "-w",
        "%{size_upload}",
        &url,
    ]);
    assert_eq!(stdout(&out), "5");
    let out = fetch_with_stdin(
        &[
            "-s",
            "-o",
            "/dev/null",
            "-T",
            "-",
            "-w",
            "%{size_upload}",
            &url,
        ],
        &[b'u'; 70_000],
    );
    assert_eq!(stdout(&out), "70000");
}

#[test]
fn write_out_streams_files_and_failures() {
    let server = Server::http(|_| Reply::ok("body"));
    let dir = temp_dir("write-out");
    let format = dir.join("format.txt");
    std::fs::write(&format, "code=%{http_code}%{stderr}to stderr\\n").unwrap();
    let out = fetch(&[
        "-s",
        "-w",
        &format!("@{}", format.display()),
        &server.url("/"),
    ]);
    assert_eq!(stdout(&out), "bodycode=200");
    assert_eq!(stderr(&out), "to stderr\n");

    // -w @- reads the format from standard input.
    let out = fetch_with_stdin(
        &["-s", "-o", "/dev/null", "-w", "@-", &server.url("/")],
        b"from stdin %{http_code}",
    );
    assert_eq!(stdout(&out), "from stdin 200");

    // A failed transfer still writes, with curl's 000 and its exit code.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = fetch(&[
        "-s",
        "-w",
        "%{http_code} %{exitcode} %{errormsg}",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(out.status.code(), Some(7));
    let text = stdout(&out);
    assert!(text.starts_with("000 7 "), "{text}");
    assert!(text.len() > "000 7 ".len(), "an error message: {text}");
}

#[test]
fn write_out_after_redirects() {
    let server = Server::http(|req| match req.target.as_str() {
        "/old" => reply("302 Found", &["Location: /new"], b""),
        _ => Reply::ok("new"),
    });
    let url = server.url("/old");
    let out = fetch(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{num_redirects} %{url_effective}",
        "-L",
        &url,
    ]);
    assert_eq!(stdout(&out), format!("1 {}", server.url("/new")));
    let out = fetch(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        &url,
    ]);
    assert_eq!(stdout(&out), format!("302 {}", server.url("/new")));
}

#[test]
fn write_out_times_add_up_over_redirect_hops() {
    let server = Server::http(|req| match req.target.as_str() {
        "/old" => reply("302 Found", &["Location: /slow"], b""),
        _ => {
            std::thread::sleep(Duration::from_millis(150));
            Reply::ok("slow")
        }
    });
    let out = fetch(&[
        "-s",
        "-L",
        "-o",
        "/dev/null",
        "-w",
        "%{json}",
        &server.url("/old"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let t = |name: &str| v[name].as_f64().unwrap();
    assert!(t("time_starttransfer") >= 0.15, "the pause counts: {v}");
    assert!(t("time_starttransfer") <= t("time_total"), "{v}");
    assert_eq!(v["num_redirects"], 1);
}

#[test]
fn several_urls_each_with_its_output_over_one_connection() {
    let server = Server::http(|req| Reply::ok(format!("this is {}", req.target)));
    let dir = temp_dir("several");
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    let out = fetch(&[
        &server.url("/one"),
        "-o",
        a.to_str().unwrap(),
        &server.url("/two"),
        "-o",
        b.to_str().unwrap(),
        &server.url("/three"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "this is /one");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "this is /two");
    assert_eq!(
        stdout(&out),
        "this is /three",
        "the URL without an -o goes to stdout"
    );
    assert_eq!(
        server.connections(),
        1,
        "one client: the connection is reused"
    );
}

#[test]
fn remote_name_output_dir_create_dirs_and_remote_name_all() {
    let server = Server::http(|req| Reply::ok(format!("file {}", req.target)));
    let dir = temp_dir("remote-name");
    let nested = dir.join("x/y");
    let out = fetch(&[
        "--output-dir",
        nested.to_str().unwrap(),
        "--create-dirs",
        "--remote-name-all",
        &server.url("/files/first.txt"),
        &server.url("/files/second.txt?v=2"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(nested.join("first.txt")).unwrap(),
        "file /files/first.txt"
    );
    assert_eq!(
        std::fs::read_to_string(nested.join("second.txt")).unwrap(),
        "file /files/second.txt?v=2"
    );
    // Without --create-dirs, a missing directory is curl's exit 23.
    let out = fetch(&[
        "--output-dir",
        dir.join("missing").to_str().unwrap(),
        "-O",
        &server.url("/f.txt"),
    ]);
    assert_eq!(out.status.code(), Some(23), "{}", stderr(&out));
}

#[test]
fn remote_header_name_never_leaves_the_directory() {
    let server = Server::http(|req| {
        let disposition = match req.target.as_str() {
            "/up" => "attachment; filename=\"../../escaped.txt\"",
            "/abs" => "attachment; filename=/etc/absolute.txt",
            "/dots" => "attachment; filename=\"..\"",
            _ => "attachment; filename=\"plain.txt\"",
        };
        reply(
            "200 OK",
            &[&format!("Content-Disposition: {disposition}")],
            req.target.as_bytes(),
        )
    });
    let dir = temp_dir("remote-header-name");
    let run = |path: &str| {
        fetch(&[
            "--output-dir",
            dir.to_str().unwrap(),
            "-O",
            "-J",
            &server.url(path),
        ])
    };
    for (path, name) in [
        ("/x", "plain.txt"),
        ("/up", "escaped.txt"),
        ("/abs", "absolute.txt"),
        // A name of only dots falls back to the URL's.
        ("/dots", "dots"),
    ] {
        let out = run(path);
        assert!(out.status.success(), "{path}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), path);
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "nothing written elsewhere: {names:?}");
    assert!(!dir.parent().unwrap().join("escaped.txt").exists());
    // An existing file is not overwritten (curl: exit 23).
    let out = run("/x");
    assert_eq!(out.status.code(), Some(23));
    assert!(
        stderr(&out).contains("Refusing to overwrite"),
        "{}",
        stderr(&out)
    );
}

/// A server of `data` that honours `Range: bytes=N-` and `bytes=A-B`, or
/// ignores ranges when `ranges` is false.
fn range_server(data: Vec<u8>, ranges: bool) -> Server {
    Server::http(move |req: &Recorded| {
        let range = req
            .header("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .filter(|_| ranges);
        let Some(range) = range else {
            return Reply::ok(&data);
        };
        let (a, b) = range.split_once('-').unwrap();
        let start: usize = a.parse().unwrap();
        let end: usize = if b.is_empty() {
            data.len() - 1
        } else {
            b.parse().unwrap()
        };
        if start >= data.len() {
            return reply(
                "416 Range Not Satisfiable",
                &[&format!("Content-Range: bytes */{}", data.len())],
                b"",
            );
        }
        let end = end.min(data.len() - 1);
        reply(
            "206 Partial Content",
            &[&format!(
                "Content-Range: bytes {start}-{end}/{}",
                data.len()
            )],
            &data[start..=end],
        )
    })
}

#[test]
fn continue_at_resumes_a_cut_file_exactly() {
    let data = pattern(300_000);
    let server = range_server(data.clone(), true);
    let dir = temp_dir("continue");
    let file = dir.join("download.bin");
    // Cut at an offset that changes from run to run.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as usize;
    let cut = 1 + nanos % (data.len() - 1);
    std::fs::write(&file, &data[..cut]).unwrap();
    let out = fetch(&[
        "-s",
        "-C",
        "-",
        "-o",
        file.to_str().unwrap(),
        &server.url("/f"),
    ]);
    assert!(out.status.success(), "cut at {cut}: {}", stderr(&out));
    assert!(
        std::fs::read(&file).unwrap() == data,
        "cut at {cut}: not the original"
    );
    assert_eq!(
        server.requests()[0].header("range"),
        Some(format!("bytes={cut}-").as_str())
    );
    // A whole file: the server says 416, and the file stays as it is.
    let out = fetch(&[
        "-s",
        "-C",
        "-",
        "-o",
        file.to_str().unwrap(),
        &server.url("/f"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&file).unwrap() == data);
    // An explicit offset.
    std::fs::write(&file, &data[..1000]).unwrap();
    let out = fetch(&[
        "-s",
        "-C",
        "1000",
        "-o",
        file.to_str().unwrap(),
        &server.url("/f"),
    ]);
    assert!(out.status.success());
    assert!(std::fs::read(&file).unwrap() == data);
}

#[test]
fn continue_at_with_a_server_ignoring_ranges_keeps_the_file() {
    let data = pattern(50_000);
    let server = range_server(data.clone(), false);
    let dir = temp_dir("continue-ignored");
    let file = dir.join("download.bin");
    std::fs::write(&file, &data[..20_000]).unwrap();
    let out = fetch(&[
        "-s",
        "-C",
        "-",
        "-o",
        file.to_str().unwrap(),
        &server.url("/f"),
    ]);
    assert_eq!(out.status.code(), Some(33), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        &data[..20_000],
        "not corrupted"
    );
}

#[test]
fn range_asks_for_part_of_the_body() {
    let data = pattern(1000);
    let server = range_server(data.clone(), true);
    let out = fetch(&["-s", "-r", "0-99", &server.url("/r")]);
    assert!(out.status.success());
    assert_eq!(out.stdout, &data[..100]);
    assert_eq!(server.requests()[0].header("range"), Some("bytes=0-99"));
}

#[test]
fn limit_rate_holds_the_average_under_the_rate() {
    let server = Server::http(|_| Reply::ok(vec![b'r'; 200_000]));
    let started = Instant::now();
    let out = fetch(&[
        "-s",
        "--limit-rate",
        "100k",
        "-o",
        "/dev/null",
        &server.url("/"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // 200 000 bytes at 102 400 bytes/s: at least 1.5 s (a lower bound only).
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let out = fetch(&["--limit-rate", "1x", &server.url("/")]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fail_with_body_writes_the_body_then_exits_22() {
    let server = Server::http(|_| reply("404 Not Found", &[], b"no such thing"));
    let out = fetch(&["-s", "--fail-with-body", &server.url("/")]);
    assert_eq!(out.status.code(), Some(22));
    assert_eq!(stdout(&out), "no such thing");
    let out = fetch(&["-s", "-f", &server.url("/")]);
    assert_eq!(out.status.code(), Some(22));
    assert_eq!(stdout(&out), "", "-f writes nothing");
}

#[test]
fn retry_flags() {
    // --retry-all-errors retries a 404 under -f; --retry-delay 0 waits nothing.
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let server = Server::http(move |_| {
        if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            reply("404 Not Found", &[], b"")
        } else {
            Reply::ok("second time")
        }
    });
    let started = Instant::now();
    let out = fetch(&[
        "-f",
        "--retry",
        "2",
        "--retry-delay",
        "0",
        "--retry-all-errors",
        &server.url("/"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "second time");
    assert!(
        stderr(&out).contains("Will retry in 0 seconds"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    // --retry-connrefused: a refused connection is retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/");
    let out = fetch(&[
        "--retry",
        "1",
        "--retry-delay",
        "0",
        "--retry-connrefused",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stderr(&out).contains("connection refused. Will retry"),
        "{}",
        stderr(&out)
    );
    let out = fetch(&["--retry", "1", "--retry-delay", "0", &url]);
    assert!(!stderr(&out).contains("Will retry"), "not without the flag");
    // --retry-max-time: no retry past it.
    let server = Server::http(|_| reply("503 Service Unavailable", &[], b""));
    let out = fetch(&[
        "--retry",
        "5",
        "--retry-delay",
        "2",
        "--retry-max-time",
        "1",
        &server.url("/"),
    ]);
    assert!(!stderr(&out).contains("Will retry"), "{}", stderr(&out));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn parallel_transfers_share_the_client() {
    let server = Server::http(|req| {
        std::thread::sleep(Duration::from_millis(200));
        Reply::ok(format!("p{}", req.target))
    });
    let dir = temp_dir("parallel");
    let mut args: Vec<String> = vec!["-Z".into(), "--parallel-max".into(), "3".into()];
    for i in 0..6 {
        args.push(server.url(&format!("/{i}")));
        args.push("-o".into());
        args.push(dir.join(format!("{i}.txt")).to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = fetch(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    for i in 0..6 {
        assert_eq!(
            std::fs::read_to_string(dir.join(format!("{i}.txt"))).unwrap(),
            format!("p/{i}")
        );
    }
    assert!(server.max_active() > 1, "transfers ran at once");
    assert!(server.max_active() <= 3, "at most --parallel-max at once");
    assert!(
        server.connections() <= 3,
        "connections reused across transfers"
    );
}

fn config_file(dir: &Path, text: &str) -> String {
    let path = dir.join("fetch.conf");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn config_files_in_curls_syntax() {
    let server = Server::http(|req| {
        Reply::ok(format!(
            "{} {} {}",
            req.method,
            req.header("x-from-config").unwrap_or("-"),
            String::from_utf8_lossy(&req.body)
        ))
    });
    let dir = temp_dir("config");
    let conf = config_file(
        &dir,
        &format!(
            "# a comment\n\
             url = \"{}\"\n\
             header: \"X-From-Config: yes \\\"quoted\\\"\"\n\
             --data a=1\n\
             silent\n",
            server.url("/c")
        ),
    );
    let out = fetch(&["-K", &conf]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "POST yes \"quoted\" a=1");

    // -K - reads standard input; -q is accepted.
    let text = format!("url {}\nrequest PUT\n", server.url("/s"));
    let out = fetch_with_stdin(&["-q", "-K", "-"], text.as_bytes());
    assert_eq!(stdout(&out), "PUT - ");

    let conf = config_file(&dir, "header = \"unterminated\n");
    let out = fetch(&["-K", &conf, &server.url("/")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fetch.conf:1"), "{}", stderr(&out));
}

#[test]
fn progress_bar_of_hashes_on_a_terminal() {
    let server = Server::http(|_| Reply::ok(vec![b'h'; 2_000_000]));
    let dir = temp_dir("hashes");
    let file = dir.join("out.bin");
    let out = fetch_on_a_terminal(&["-#", "-o", file.to_str().unwrap(), &server.url("/")]);
    assert_eq!(out.status.code(), Some(0));
    let shown = stdout(&out);
    assert!(shown.contains("##########"), "{shown:?}");
    assert!(shown.contains("100%"), "{shown:?}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 2_000_000);
}

#[test]
fn http_version_flags_choose_the_protocol() {
    // An HTTP/1.1 server: --http1.1 and --http2 (no h2c Upgrade) speak 1.1.
    let server = Server::http(|_| Reply::ok("one-one"));
    for flag in ["--http1.1", "--http2"] {
        let out = fetch(&[flag, "-w", "%{http_version}", &server.url("/")]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "one-one1.1", "{flag}");
    }
    // An HTTP/2 server with prior knowledge: -v names the protocol, -i
    // prints curl's HTTP/2 status line, -w says 2.
    let h2 = h2server::H2Server::start(h2server::H2Options::default());
    let url = h2.url("/hello");
    let out = fetch(&[
        "--http2-prior-knowledge",
        "-v",
        "-i",
        "-w",
        "|%{http_version}",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP/2 200 \r\n"), "{shown:?}");
    assert!(shown.ends_with("hello h2|2"), "{shown:?}");
    let err = stderr(&out);
    assert!(err.contains("* using HTTP/2"), "{err}");
    assert!(err.contains("> GET /hello HTTP/2\n"), "{err}");
    assert!(err.contains("< HTTP/2 200"), "{err}");
    // --http1.1 after it wins, as in curl: the h2-only server cannot answer.
    let out = fetch(&["--http2-prior-knowledge", "--http1.1", "-m", "5", &url]);
    assert!(
        !out.status.success(),
        "HTTP/1.1 to an h2c server: {}",
        stdout(&out)
    );
}

#[test]
fn values_are_taken_verbatim_and_short_flags_bundle() {
    let server = Server::http(|req| {
        Reply::ok(format!(
            "{} {}",
            req.method,
            String::from_utf8_lossy(&req.body)
        ))
    });
    // A value that looks like flags is a value, as curl takes it.
    let out = fetch(&["-d", "-sx=1", &server.url("/")]);
    assert_eq!(stdout(&out), "POST -sx=1");
    // Bundles: flags, and a flag whose value is the rest.
    let out = fetch(&["-sSXPUT", "-d-v", &server.url("/")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "PUT -v");
    // A config file may read another.
    let dir = temp_dir("nested-config");
    let inner = dir.join("inner.conf");
    std::fs::write(&inner, "data = \"from inner\"\n").unwrap();
    let outer = dir.join("outer.conf");
    std::fs::write(
        &outer,
        format!("config = \"{}\"\nsilent\n", inner.display()),
    )
    .unwrap();
    let out = fetch(&["-K", outer.to_str().unwrap(), &server.url("/")]);
    assert_eq!(stdout(&out), "POST from inner");
    // ...but not forever.
    let looping = dir.join("loop.conf");
    std::fs::write(&looping, format!("config = \"{}\"\n", looping.display())).unwrap();
    let out = fetch(&["-K", looping.to_str().unwrap(), &server.url("/")]);
    assert_eq!(out.status.code(), Some(2));
}
