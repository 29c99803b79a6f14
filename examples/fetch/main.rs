//! `fetch`: a curl-like command-line client on ferrohttp's blocking `Client`.
//!
//! ```text
//! cargo run --release --example fetch -- [OPTIONS] URL
//! ```
//!
//! Every flag that curl also has behaves as curl's does, so the two can be
//! compared side by side: `-d` sends a urlencoded form and implies POST, `-I`
//! sends HEAD and prints the head, an HTTP error status exits 0 unless `-f`
//! (then 22), and exit codes follow curl's (6 resolve, 7 connect, 28 timeout,
//! ...). Unlike curl without `--compressed`, the body is always decoded.
//!
//! Proxies as curl has them: `-x` (http, https, socks4/4a/5/5h; no scheme
//! means http, no port 1080), `-U`, `-p`, `--socks5`, `--socks5-hostname`,
//! `--noproxy`, `--proxy-cacert`, `--proxy-insecure`, and the environment
//! as curl reads it (`http_proxy` in lower case only, `HTTPS_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`, either case otherwise).
//!
//! Forms as curl sends them: `-F name=value`, `-F name=@file` (streamed,
//! never read whole), `-F name=<file`, with `;type=` and `;filename=`, and
//! `--form-string`.
//!
//! Transfers as curl runs them: several URLs per call (each `-o`/`-O`
//! paired with a URL in order), `-Z` to run them at once, one client (and
//! its connections) shared by all; `-w` with curl's variables and
//! `%{json}`; `-C -` resuming only from a server that honours the range;
//! `-J` never writing outside the output directory; `-K` config files.
//!
//! HTTP/2 as curl speaks it: `--http2` offers it by ALPN to https servers,
//! `--http2-prior-knowledge` speaks it from the first byte (h2c for http),
//! and `-v` says which protocol answered (`* using HTTP/2`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ferrohttp::{Client, ErrorKind, Timeout};

mod args;
mod config;
mod request;
mod transfer;
mod write_out;

use args::{parse_args, Options, Output};
use transfer::{transfer, LowSpeed};

const USAGE: &str = "\
Usage: fetch [options...] <url>...
 -d, --data <data>          HTTP POST data (@file reads a file, CR/LF removed)
     --data-ascii <data>    Same as -d
     --data-binary <data>   HTTP POST binary data (@file sent as is)
     --data-raw <data>      HTTP POST data, '@' not special
     --data-urlencode <d>   HTTP POST data, URL-encoded
     --json <data>          HTTP POST JSON (sets Content-Type and Accept)
 -F, --form <name=content>  Multipart form field: value, @file (upload) or <file
                            (contents as the value); ;type= and ;filename= after it
     --form-string <n=v>    Multipart form field, taken literally
 -T, --upload-file <file>   Upload this file with PUT ('-': standard input)
 -G, --get                  Put the post data in the URL and use GET
 -X, --request <method>     Specify request method to use
 -H, --header <header>      Pass custom header(s) to server ('K:' removes K)
 -A, --user-agent <name>    Send User-Agent <name> to server
 -e, --referer <URL>        Referrer URL
 -o, --output <file>        Write to file instead of stdout (one -o/-O per URL, in order)
 -O, --remote-name          Write to a file named as the URL's last path segment
     --remote-name-all      -O for every URL without its own -o/-O
 -J, --remote-header-name   With -O: the name from Content-Disposition (no directories)
     --output-dir <dir>     Directory to save files in
     --create-dirs          Create the directories -o and --output-dir name
 -w, --write-out <format>   Write out %{variables} after each transfer (@file, @-)
 -r, --range <range>        Retrieve only the bytes within RANGE
 -C, --continue-at <offset> Resume at this offset ('-': from the output file's size)
     --limit-rate <speed>   Limit the transfer speed (k, M, G suffixes)
 -#, --progress-bar         Display the transfer progress as a bar of #
 -Z, --parallel             Perform the transfers in parallel
     --parallel-max <num>   Most parallel transfers (default 50)
 -K, --config <file>        Read options from a file in curl's syntax ('-': stdin)
 -D, --dump-header <file>   Write the received headers to <file> ('-': stdout)
 -i, --include              Include response headers in output
 -I, --head                 Show document info only (HEAD request)
     --connect-timeout <s>  Maximum time allowed to connect (default 300)
     --expect100-timeout <s>  How long to wait for 100 Continue (default 1)
 -m, --max-time <s>         Maximum time allowed for the whole transfer
 -y, --speed-time <s>       Abort below --speed-limit for this long (default 30)
 -Y, --speed-limit <speed>  Abort if slower than this many bytes/s (default 1)
     --retry <num>          Retry transient failures (timeouts, 408, 429, 5xx)
     --retry-delay <s>      Wait this long between retries (default: 1 s doubling)
     --retry-max-time <s>   Retry only within this time
     --retry-all-errors     Retry on any error
     --retry-connrefused    Retry on a refused connection too
     --unix-socket <path>   Connect through this Unix domain socket
     --interface <addr>     Use this source IP address
     --cacert <file>        CA certificate bundle to verify the peer against
     --capath <dir>         Directory of CA certificates
 -k, --insecure             Allow insecure server connections
 -x, --proxy <[proto://]host[:port]>  Use this proxy (port 1080 by default)
 -U, --proxy-user <user:pass>  Proxy user and password
 -p, --proxytunnel          Tunnel through the HTTP proxy (CONNECT) for http too
     --noproxy <list>       Hosts that go direct (overrides NO_PROXY)
     --proxy-cacert <file>  CA certificates to verify an HTTPS proxy against
     --proxy-insecure       Do not verify an HTTPS proxy's certificate
     --socks4 <host[:port]>  SOCKS4 proxy (names resolved here)
     --socks4a <host[:port]>  SOCKS4a proxy (names resolved by the proxy)
     --socks5 <host[:port]>  SOCKS5 proxy (names resolved here)
     --socks5-hostname <host[:port]>  SOCKS5 proxy resolving names itself
 -E, --cert <file[:pass]>   Client certificate file (and key password)
     --key <file>           Private key file (default: in the --cert file)
     --pass <phrase>        Pass phrase for the private key
     --compressed           Accepted; responses are always decoded
     --http1.1              Use HTTP/1.1 (the default)
     --http2                Use HTTP/2 with https (offered by ALPN)
     --http2-prior-knowledge  Use HTTP/2 without HTTP/1.1 Upgrade (h2c for http)
 -L, --location             Follow redirects
     --max-redirs <num>     Maximum number of redirects allowed (default 50)
 -u, --user <user:pass>     Server user and password (Basic)
     --digest               Use HTTP Digest authentication with -u
 -n, --netrc                Take credentials from ~/.netrc (or $NETRC)
 -b, --cookie <data|file>   Send cookies: 'k=v; k2=v2', or a cookie file
 -c, --cookie-jar <file>    Write cookies to this file after the transfer
 -f, --fail                 Fail fast with no output on HTTP errors (exit 22)
     --fail-with-body       Exit 22 on HTTP errors, after writing the body
 -s, --silent               Silent mode
 -S, --show-error           Show error even when -s is used
 -v, --verbose              Make the operation more talkative
 -h, --help                 This help text";

/// A failure with curl's exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<ferrohttp::Error> for Failure {
    fn from(e: ferrohttp::Error) -> Failure {
        // curl's exit codes for the same failures.
        let code = match e.kind() {
            ErrorKind::InvalidUrl => 3,
            ErrorKind::UnsupportedProtocol => 1,
            ErrorKind::Connect
                if e.to_string().starts_with("proxy ")
                    && e.to_string().contains("failed to resolve") =>
            {
                5
            }
            ErrorKind::Connect if e.to_string().starts_with("failed to resolve") => 6,
            // curl: 97 for a SOCKS failure, 56 for a refused CONNECT.
            ErrorKind::Proxy if e.to_string().contains("SOCKS") => 97,
            ErrorKind::Proxy => 56,
            ErrorKind::Connect => 7,
            k if k.is_timeout() => 28,
            ErrorKind::Write => 55,
            ErrorKind::Read => 56,
            ErrorKind::RemoteProtocol => 8,
            ErrorKind::Decoding => 61,
            ErrorKind::Tls if is_certificate_problem(&e) => 60,
            ErrorKind::Tls => 35,
            ErrorKind::TooManyRedirects => 47,
            ErrorKind::RequestBody => 26,
            ErrorKind::LocalProtocol => 43,
            _ => 2,
        };
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Failure { code, message }
    }
}

/// curl exits 60 when the peer's certificate cannot be verified, 35 for
/// other TLS failures.
fn is_certificate_problem(e: &ferrohttp::Error) -> bool {
    e.to_string().starts_with("certificate of")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(f) => {
            eprintln!("fetch: {}", f.message);
            eprintln!("fetch: try 'fetch --help' for more information");
            return ExitCode::from(f.code);
        }
    };
    ExitCode::from(run(&opts))
}

/// The environment variable curl reads for `name`: the lower-case one,
/// else (except for `http_proxy`, which curl reads in lower case only) the
/// upper-case one; empty counts as unset.
fn curl_env(name: &str) -> Option<String> {
    let lower = std::env::var(name).ok();
    let value = match lower {
        Some(v) => v,
        None if name == "http_proxy" => return None,
        None => std::env::var(name.to_ascii_uppercase()).ok()?,
    };
    (!value.trim().is_empty()).then(|| value.trim().to_string())
}

/// The proxy settings, as curl takes them: `-x` (or the environment:
/// `http_proxy` for http URLs, `https_proxy` for https ones, `all_proxy`
/// for both), `-U`, `-p`, `--noproxy` (or `NO_PROXY`), `--proxy-cacert`,
/// `--proxy-insecure`.
fn with_proxy(
    mut builder: ferrohttp::ClientBuilder,
    o: &Options,
) -> Result<ferrohttp::ClientBuilder, Failure> {
    let routes = match &o.proxy {
        Some(p) => vec![("all://", Some(p.clone()))],
        None => {
            let all = curl_env("all_proxy");
            vec![
                ("http://", curl_env("http_proxy").or_else(|| all.clone())),
                ("https://", curl_env("https_proxy").or(all)),
            ]
        }
    };
    for (pattern, spec) in routes {
        // No proxy (`-x ""` among others): direct, whatever the environment.
        builder = match spec.filter(|s| !s.is_empty()) {
            None => builder.no_proxy(pattern),
            Some(spec) => builder.proxy(pattern, make_proxy(&spec, o)?),
        };
    }
    Ok(builder)
}

/// One proxy from its curl spelling and the proxy options.
fn make_proxy(spec: &str, o: &Options) -> Result<ferrohttp::Proxy, Failure> {
    let mut spec = if spec.contains("://") {
        spec.to_string()
    } else {
        format!("http://{spec}")
    };
    // curl's default proxy port is 1080 (443 for an HTTPS proxy).
    let (scheme, rest) = spec.split_once("://").expect("a scheme was added");
    let authority = rest.split('/').next().unwrap_or("");
    let host_part = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = match host_part.rfind(']') {
        Some(close) => host_part[close..].contains(':'),
        None => host_part.contains(':'),
    };
    if !has_port && scheme != "https" {
        let (before, after) = rest.split_at(authority.len());
        spec = format!("{scheme}://{before}:1080{after}");
    }
    let mut proxy = ferrohttp::Proxy::new(&spec).map_err(|e| {
        let code = if e.kind() == ErrorKind::InvalidUrl {
            5
        } else {
            2
        };
        Failure::new(code, format!("bad proxy {spec:?}: {e}"))
    })?;
    if let Some(user) = &o.proxy_user {
        let (name, password) = user.split_once(':').ok_or_else(|| {
            Failure::new(
                2,
                "option -U: give user:password (fetch does not prompt for a password)",
            )
        })?;
        proxy = proxy.basic_auth(name, password);
    }
    if o.proxytunnel {
        proxy = proxy.mode(ferrohttp::ProxyMode::TunnelOnly);
    }
    if let Some(ca) = &o.proxy_cacert {
        proxy = proxy.ca_file(ca);
    }
    if o.proxy_insecure {
        proxy = proxy.danger_accept_invalid_certs(true);
    }
    let noproxy = o.noproxy.clone().or_else(|| curl_env("no_proxy"));
    if let Some(list) = noproxy {
        proxy = proxy.no_proxy(list);
    }
    Ok(proxy)
}

/// Runs every URL's transfer, one after the other or (`-Z`) several at a
/// time, over one client so that connections are reused across them; the
/// exit code is the last failure's (0 when all went well).
fn run(o: &Options) -> u8 {
    let (client, jar) = match build_client(o) {
        Ok(built) => built,
        Err(f) => {
            complain(o, &f);
            return f.code;
        }
    };
    let specs: Vec<(&str, Option<Output>)> = o
        .urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let output = o
                .outputs
                .get(i)
                .cloned()
                .or(o.remote_name_all.then_some(Output::Remote));
            (url.as_str(), output)
        })
        .collect();
    let one = |(url, output): &(&str, Option<Output>)| -> u8 {
        let mut report = write_out::Report::default();
        let started = Instant::now();
        let code = match transfer(o, &client, url, output.clone(), &mut report) {
            Ok(code) => code,
            Err(f) => {
                complain(o, &f);
                report.errormsg = f.message.clone();
                f.code
            }
        };
        report.exitcode = code;
        report.time_total = started.elapsed();
        if let Some(format) = &o.write_out {
            let _ = write_out::write_out(format, &report);
        }
        code
    };
    let codes: Vec<u8> = if o.parallel && specs.len() > 1 {
        // Up to --parallel-max transfers at once (curl's default: 50).
        let workers = o.parallel_max.unwrap_or(50).clamp(1, 300).min(specs.len());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let codes = std::sync::Mutex::new(vec![0u8; specs.len()]);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(spec) = specs.get(i) else { break };
                    let code = one(spec);
                    codes.lock().unwrap_or_else(|p| p.into_inner())[i] = code;
                });
            }
        });
        codes.into_inner().unwrap_or_else(|p| p.into_inner())
    } else {
        specs.iter().map(one).collect()
    };
    if let Some(path) = &o.cookie_jar {
        if let Err(e) = std::fs::write(path, jar.to_netscape()) {
            let f = Failure::new(23, format!("cannot write cookie jar {path}: {e}"));
            complain(o, &f);
            return f.code;
        }
    }
    codes.into_iter().rfind(|&c| c != 0).unwrap_or(0)
}

/// Prints a failure as curl does (unless `-s` without `-S`).
fn complain(o: &Options, f: &Failure) {
    if !o.silent || o.show_error {
        eprintln!("fetch: ({}) {}", f.code, f.message);
    }
}

/// The client every transfer shares, and its cookie jar (for `-c`).
fn build_client(o: &Options) -> Result<(Client, ferrohttp::CookieJar), Failure> {
    // curl waits up to 300 s to connect and has no read timeout by default.
    let connect = Duration::from_secs_f64(o.connect_timeout.unwrap_or(300.0));
    // With -y/-Y, a read waits at most one period: a silent server is then
    // too slow by any limit, and a body read on after its read timeout
    // resumes, so the check in `copy_body` sees a stall when it has lasted
    // a period.
    let period = LowSpeed::from_options(o).map(|l| l.period);
    let timeout = Timeout::none()
        .connect(connect)
        .read(period)
        .total(o.max_time.map(Duration::from_secs_f64));
    let mut builder = Client::builder()
        .timeout(timeout)
        .danger_accept_invalid_certs(o.insecure);
    if o.http2_prior_knowledge {
        builder = builder.http2_prior_knowledge();
    } else if o.http2 {
        builder = builder.http2(true);
    }
    if let Some(path) = &o.unix_socket {
        builder = builder.uds(path);
    }
    if let Some(ip) = o.interface {
        builder = builder.local_address(ip);
    }
    if let Some(ca) = &o.cacert {
        builder = builder.ca_file(ca);
    }
    if let Some(dir) = &o.capath {
        builder = builder.ca_dir(dir);
    }
    if let Some(cert) = &o.cert {
        // curl's `--cert file:password`.
        let (file, pass) = match cert.split_once(':') {
            Some((f, p)) => (f, Some(p.to_string())),
            None => (cert.as_str(), o.pass.clone()),
        };
        let key = o.key.as_deref().unwrap_or(file);
        let id = ferrohttp::Identity::from_pem_files(file, key, pass.as_deref())
            .map_err(|e| Failure::new(58, format!("unable to use client certificate: {e}")))?;
        builder = builder.identity(id);
    }
    // curl follows at most 50 redirects with -L, and reads .netrc only with -n.
    builder = builder
        .follow_redirects(o.location)
        .max_redirects(o.max_redirs.unwrap_or(50))
        .netrc(o.netrc);
    if let Some(user) = &o.user {
        let (name, password) = user.split_once(':').ok_or_else(|| {
            Failure::new(
                2,
                "option -u: give user:password (fetch does not prompt for a password)",
            )
        })?;
        builder = if o.digest {
            builder.auth(ferrohttp::DigestAuth::new(name, password))
        } else {
            builder.auth(ferrohttp::BasicAuth::new(name, password))
        };
    }
    builder = with_proxy(builder, o)?;
    // curl sends `Expect: 100-continue` for bodies over 1 MiB; `-H 'Expect:'`
    // turns it off.
    if o.headers
        .iter()
        .any(|h| h.trim().eq_ignore_ascii_case("expect:"))
    {
        builder = builder.expect_continue(None);
    }
    if let Some(s) = o.expect100_timeout {
        builder = builder.expect_continue_timeout(Duration::from_secs_f64(s));
    }
    let jar = ferrohttp::CookieJar::new();
    for c in o.cookie.iter().filter(|c| !c.contains('=')) {
        // Without '=', -b names a cookie file (Netscape format, as curl writes).
        let text = std::fs::read_to_string(c)
            .map_err(|e| Failure::new(26, format!("cannot read cookie file {c}: {e}")))?;
        jar.load_netscape(&text)?;
    }
    let client = builder.cookie_jar(jar.clone()).build()?;
    Ok((client, jar))
}
