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
//! What it cuts short: flags for features ferrohttp has not grown yet
//! (`--http2`) are refused with "not supported yet".

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ferrohttp::{Body, Client, ErrorKind, HeaderName, HeaderValue, Method, Response, Timeout};

mod config;
mod write_out;

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
     --http1.1              Use HTTP/1.1 (accepted: the only version spoken yet)
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

/// Flags that curl has and ferrohttp will grow in later releases
/// (HTTP/2): refused with "not supported yet".
const NOT_YET: &[&str] = &["-F", "--form", "--http2", "--http2-prior-knowledge"];

/// One piece of request data, in the order given.
enum Data {
    /// `-d`/`--data-ascii`: `@file` read with CR and LF removed.
    Ascii(String),
    /// `--data-binary`: `@file` read as is.
    Binary(String),
    /// `--data-raw`: taken literally.
    Raw(String),
    /// `--data-urlencode`.
    UrlEncode(String),
}

/// Where a URL's body goes: `-o FILE` or `-O` (the remote name).
#[derive(Clone)]
enum Output {
    File(String),
    Remote,
}

/// `-C`: where to resume.
#[derive(Clone, Copy)]
enum ContinueAt {
    /// `-C -`: from the size of the output file.
    Auto,
    Offset(u64),
}

#[derive(Default)]
struct Options {
    /// The URLs, in order; `outputs[i]` (from `-o`/`-O`, in order) is the
    /// i-th URL's, as curl pairs them.
    urls: Vec<String>,
    outputs: Vec<Output>,
    remote_name_all: bool,
    remote_header_name: bool,
    output_dir: Option<String>,
    create_dirs: bool,
    write_out: Option<String>,
    fail_with_body: bool,
    retry_delay: Option<f64>,
    retry_max_time: Option<f64>,
    retry_all_errors: bool,
    retry_connrefused: bool,
    range: Option<String>,
    continue_at: Option<ContinueAt>,
    limit_rate: Option<u64>,
    progress_bar: bool,
    parallel: bool,
    parallel_max: Option<usize>,
    method: Option<String>,
    headers: Vec<String>,
    data: Vec<Data>,
    json: Vec<String>,
    /// `-T`: the file to PUT.
    upload_file: Option<String>,
    /// `-F` (false) and `--form-string` (true) fields, in order.
    form: Vec<(String, bool)>,
    get: bool,
    dump_header: Option<String>,
    include: bool,
    head: bool,
    connect_timeout: Option<f64>,
    expect100_timeout: Option<f64>,
    max_time: Option<f64>,
    speed_time: Option<u64>,
    speed_limit: Option<u64>,
    retry: u32,
    unix_socket: Option<String>,
    interface: Option<std::net::IpAddr>,
    cacert: Option<String>,
    capath: Option<String>,
    insecure: bool,
    cert: Option<String>,
    key: Option<String>,
    pass: Option<String>,
    location: bool,
    max_redirs: Option<usize>,
    user: Option<String>,
    digest: bool,
    netrc: bool,
    cookie: Vec<String>,
    cookie_jar: Option<String>,
    /// `-x` (or `--socks5` etc., with its scheme); `Some("")`: no proxy.
    proxy: Option<String>,
    proxy_user: Option<String>,
    proxytunnel: bool,
    noproxy: Option<String>,
    proxy_cacert: Option<String>,
    proxy_insecure: bool,
    fail: bool,
    silent: bool,
    show_error: bool,
    verbose: bool,
}

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

/// Short flags that take a value: in a bundle, the rest of it is the value
/// (`-XPOST`), as curl reads them.
const WITH_VALUE: &str = "XHdoeAmEubcyYxUFTDwrCK";

/// How many config files (`-K`) one command line may read, nested or not.
const MAX_CONFIG_FILES: usize = 16;

/// The options, as curl reads its command line: a value is the next
/// argument whatever it looks like (`-d -x` sends `-x`); short flags
/// bundle (`-sSL`, `-XPOST`); `-K` reads more arguments from a file in
/// place.
fn parse_args(raw: &[String]) -> Result<Option<Options>, Failure> {
    let mut args: VecDeque<String> = raw.iter().cloned().collect();
    let mut o = Options::default();
    let mut configs = 0;
    let value = |args: &mut VecDeque<String>, flag: &str| -> Result<String, Failure> {
        args.pop_front()
            .ok_or_else(|| Failure::new(2, format!("option {flag}: requires parameter")))
    };
    while let Some(arg) = args.pop_front() {
        if arg.len() > 2 && arg.starts_with('-') && !arg.starts_with("--") {
            // A bundle: its first flag now, the rest after it.
            let mut chars = arg[1..].chars();
            let c = chars.next().expect("longer than two");
            let rest = chars.as_str();
            if WITH_VALUE.contains(c) {
                args.push_front(rest.to_string());
            } else {
                args.push_front(format!("-{rest}"));
            }
            args.push_front(format!("-{c}"));
            continue;
        }
        let a = arg.as_str();
        match a {
            "-K" | "--config" => {
                configs += 1;
                if configs > MAX_CONFIG_FILES {
                    return Err(Failure::new(2, "too many config files (-K)"));
                }
                let inner = config::load(&value(&mut args, a)?)?;
                for x in inner.into_iter().rev() {
                    args.push_front(x);
                }
            }
            "-h" | "--help" => return Ok(None),
            "-X" | "--request" => o.method = Some(value(&mut args, a)?),
            "-H" | "--header" => o.headers.push(value(&mut args, a)?),
            "-A" | "--user-agent" => o
                .headers
                .push(format!("User-Agent: {}", value(&mut args, a)?)),
            "-e" | "--referer" => o.headers.push(format!("Referer: {}", value(&mut args, a)?)),
            "-d" | "--data" | "--data-ascii" => o.data.push(Data::Ascii(value(&mut args, a)?)),
            "--data-binary" => o.data.push(Data::Binary(value(&mut args, a)?)),
            "--data-raw" => o.data.push(Data::Raw(value(&mut args, a)?)),
            "--data-urlencode" => o.data.push(Data::UrlEncode(value(&mut args, a)?)),
            "--json" => o.json.push(value(&mut args, a)?),
            "-F" | "--form" => o.form.push((value(&mut args, a)?, false)),
            "-T" | "--upload-file" => o.upload_file = Some(value(&mut args, a)?),
            "--form-string" => o.form.push((value(&mut args, a)?, true)),
            "-G" | "--get" => o.get = true,
            "-o" | "--output" => o.outputs.push(Output::File(value(&mut args, a)?)),
            "-O" | "--remote-name" => o.outputs.push(Output::Remote),
            "--remote-name-all" => o.remote_name_all = true,
            "-J" | "--remote-header-name" => o.remote_header_name = true,
            "--output-dir" => o.output_dir = Some(value(&mut args, a)?),
            "--create-dirs" => o.create_dirs = true,
            "-w" | "--write-out" => {
                let v = value(&mut args, a)?;
                o.write_out = Some(match v.strip_prefix('@') {
                    Some(name) => String::from_utf8_lossy(&read_at_file(name)?).into_owned(),
                    None => v,
                });
            }
            "--fail-with-body" => o.fail_with_body = true,
            "--retry-delay" => o.retry_delay = Some(seconds(a, &value(&mut args, a)?)?),
            "--retry-max-time" => o.retry_max_time = Some(seconds(a, &value(&mut args, a)?)?),
            "--retry-all-errors" => o.retry_all_errors = true,
            "--retry-connrefused" => o.retry_connrefused = true,
            "-r" | "--range" => o.range = Some(value(&mut args, a)?),
            "-C" | "--continue-at" => {
                let v = value(&mut args, a)?;
                o.continue_at = Some(if v == "-" {
                    ContinueAt::Auto
                } else {
                    ContinueAt::Offset(number(a, &v)?)
                });
            }
            "--limit-rate" => o.limit_rate = Some(rate(a, &value(&mut args, a)?)?),
            "-#" | "--progress-bar" => o.progress_bar = true,
            "-Z" | "--parallel" => o.parallel = true,
            "--parallel-max" => o.parallel_max = Some(number(a, &value(&mut args, a)?)?),
            // Only meaningful first on curl's command line (no default
            // config file), and fetch reads none anyway.
            "-q" | "--disable" => {}
            "-D" | "--dump-header" => o.dump_header = Some(value(&mut args, a)?),
            "-i" | "--include" => o.include = true,
            "-I" | "--head" => o.head = true,
            "--connect-timeout" => o.connect_timeout = Some(seconds(a, &value(&mut args, a)?)?),
            "--expect100-timeout" => o.expect100_timeout = Some(seconds(a, &value(&mut args, a)?)?),
            "-m" | "--max-time" => o.max_time = Some(seconds(a, &value(&mut args, a)?)?),
            "-y" | "--speed-time" => o.speed_time = Some(number(a, &value(&mut args, a)?)?),
            "-Y" | "--speed-limit" => o.speed_limit = Some(number(a, &value(&mut args, a)?)?),
            "--retry" => o.retry = number(a, &value(&mut args, a)?)?,
            "--unix-socket" => o.unix_socket = Some(value(&mut args, a)?),
            "--cacert" => o.cacert = Some(value(&mut args, a)?),
            "--capath" => o.capath = Some(value(&mut args, a)?),
            "-k" | "--insecure" => o.insecure = true,
            "-E" | "--cert" => o.cert = Some(value(&mut args, a)?),
            "--key" => o.key = Some(value(&mut args, a)?),
            "--pass" => o.pass = Some(value(&mut args, a)?),
            "-L" | "--location" => o.location = true,
            "--max-redirs" => o.max_redirs = Some(number(a, &value(&mut args, a)?)?),
            "-u" | "--user" => o.user = Some(value(&mut args, a)?),
            "--digest" => o.digest = true,
            "-n" | "--netrc" => o.netrc = true,
            "-b" | "--cookie" => o.cookie.push(value(&mut args, a)?),
            "-c" | "--cookie-jar" => o.cookie_jar = Some(value(&mut args, a)?),
            "-x" | "--proxy" => o.proxy = Some(value(&mut args, a)?),
            "--socks4" | "--socks4a" | "--socks5" => {
                o.proxy = Some(format!("{}://{}", &a[2..], value(&mut args, a)?));
            }
            "--socks5-hostname" => o.proxy = Some(format!("socks5h://{}", value(&mut args, a)?)),
            "-U" | "--proxy-user" => o.proxy_user = Some(value(&mut args, a)?),
            "-p" | "--proxytunnel" => o.proxytunnel = true,
            "--noproxy" => o.noproxy = Some(value(&mut args, a)?),
            "--proxy-cacert" => o.proxy_cacert = Some(value(&mut args, a)?),
            "--proxy-insecure" => o.proxy_insecure = true,
            "--interface" => {
                let v = value(&mut args, a)?;
                o.interface = Some(v.parse().map_err(|_| {
                    Failure::new(
                        2,
                        format!("option {a}: fetch takes an IP address, not {v:?}"),
                    )
                })?);
            }
            "--compressed" => {}
            // HTTP/1.1 is what fetch speaks (HTTP/2 is #18's).
            "--http1.1" => {}
            "-f" | "--fail" => o.fail = true,
            "-s" | "--silent" => o.silent = true,
            "-S" | "--show-error" => o.show_error = true,
            "-v" | "--verbose" => o.verbose = true,
            "--url" => o.urls.push(value(&mut args, a)?),
            "--" => {
                o.urls.extend(args.drain(..));
                break;
            }
            flag if NOT_YET.contains(&flag) => {
                return Err(Failure::new(2, format!("option {flag}: not supported yet")));
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(Failure::new(2, format!("option {flag}: is unknown")));
            }
            url => o.urls.push(url.to_string()),
        }
    }
    if o.urls.is_empty() {
        return Err(Failure::new(2, "no URL specified"));
    }
    if o.continue_at.is_some() && o.range.is_some() {
        return Err(Failure::new(
            2,
            "--continue-at and --range are mutually exclusive",
        ));
    }
    if !o.form.is_empty() && (!o.data.is_empty() || !o.json.is_empty() || o.head || o.get) {
        // curl: -F with -d, --json, -I or -G asks for two kinds of request.
        return Err(Failure::new(2, "You can only select one HTTP request method! You asked for both POST (-F) and another one"));
    }
    Ok(Some(o))
}

/// A whole non-negative number, as curl's counting options take.
fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, Failure> {
    v.parse().map_err(|_| {
        Failure::new(
            2,
            format!("option {flag}: expected a proper numerical parameter"),
        )
    })
}

/// curl's low-speed abort (`-y`/`-Y`): a transfer that moves fewer than
/// `limit` bytes per second over a whole `period` is aborted. Checked at
/// each read and, while the server sends nothing, at each read timeout
/// (the client's read timeout is the period, so a stall is seen when it
/// has lasted a whole period).
struct LowSpeed {
    limit: u64,
    period: Duration,
    started: Instant,
    /// (when, bytes so far), at most one sample per tenth of the period,
    /// oldest first, reaching back one sample past the period.
    samples: VecDeque<(Instant, u64)>,
}

impl LowSpeed {
    /// From the options: on when `-y` or `-Y` is given (curl's defaults:
    /// 1 byte/s, 30 s), off with a period of 0.
    fn from_options(o: &Options) -> Option<LowSpeed> {
        if o.speed_time.is_none() && o.speed_limit.is_none() {
            return None;
        }
        let period = o.speed_time.unwrap_or(30);
        (period > 0).then(|| LowSpeed {
            limit: o.speed_limit.unwrap_or(1),
            period: Duration::from_secs(period),
            started: Instant::now(),
            samples: VecDeque::new(),
        })
    }

    /// Records that `total` bytes have arrived by now; the failure when the
    /// last whole period moved fewer than `limit` bytes per second.
    fn check(&mut self, total: u64) -> Result<(), Failure> {
        let now = Instant::now();
        if self
            .samples
            .back()
            .is_none_or(|(at, _)| now.duration_since(*at) >= self.period / 10)
        {
            self.samples.push_back((now, total));
        }
        // Keep one sample at or before the start of the period.
        while self.samples.len() > 1 && now.duration_since(self.samples[1].0) >= self.period {
            self.samples.pop_front();
        }
        if now.duration_since(self.started) < self.period {
            return Ok(());
        }
        let since = match self.samples.front() {
            Some((at, bytes)) if now.duration_since(*at) >= self.period => *bytes,
            // No sample that old: count from the start of the transfer.
            _ => 0,
        };
        let moved = total - since;
        if moved < self.limit.saturating_mul(self.period.as_secs()) {
            return Err(self.failure());
        }
        Ok(())
    }

    fn failure(&self) -> Failure {
        Failure::new(
            28,
            format!(
                "Operation too slow. Less than {} bytes/sec transferred the last {} seconds",
                self.limit,
                self.period.as_secs()
            ),
        )
    }
}

/// A rate in bytes per second with curl's suffixes (`k`, `m`, `g`,
/// either case, powers of 1024).
fn rate(flag: &str, v: &str) -> Result<u64, Failure> {
    let (digits, unit) = match v.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&v[..i], c.to_ascii_lowercase()),
        _ => (v, 'b'),
    };
    let scale: u64 = match unit {
        'b' => 1,
        'k' => 1 << 10,
        'm' => 1 << 20,
        'g' => 1 << 30,
        _ => {
            return Err(Failure::new(
                2,
                format!("option {flag}: unsupported rate unit"),
            ))
        }
    };
    let n: f64 = digits
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| {
            Failure::new(
                2,
                format!("option {flag}: expected a proper numerical parameter"),
            )
        })?;
    Ok((n * scale as f64) as u64)
}

/// A non-negative number of seconds, as curl's time options take.
fn seconds(flag: &str, v: &str) -> Result<f64, Failure> {
    v.parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            Failure::new(
                2,
                format!("option {flag}: expected a proper numerical parameter"),
            )
        })
}

/// Reads `@file` (or `@-` for stdin).
fn read_at_file(name: &str) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    let r = if name == "-" {
        io::stdin().read_to_end(&mut buf)
    } else {
        File::open(name).and_then(|mut f| f.read_to_end(&mut buf))
    };
    r.map_err(|e| Failure::new(26, format!("failed to read data from {name}: {e}")))?;
    Ok(buf)
}

/// The request body from the `-d` family, as curl joins it (with `&`).
fn data_body(data: &[Data]) -> Result<Option<Body>, Failure> {
    // A single `--data-binary @file` streams the file with its length.
    if let [Data::Binary(d)] = data {
        if let Some(name) = d.strip_prefix('@').filter(|n| *n != "-") {
            let file = File::open(name)
                .map_err(|e| Failure::new(26, format!("failed to open {name}: {e}")))?;
            let len = file
                .metadata()
                .map_err(|e| Failure::new(26, format!("failed to read {name}: {e}")))?
                .len();
            return Ok(Some(Body::sized(file, len)));
        }
    }
    Ok(joined_data(data)?.map(Body::from))
}

fn joined_data(data: &[Data]) -> Result<Option<Vec<u8>>, Failure> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (n, d) in data.iter().enumerate() {
        if n > 0 {
            out.push(b'&');
        }
        match d {
            Data::Ascii(s) => match s.strip_prefix('@') {
                Some(name) => out.extend(
                    read_at_file(name)?
                        .into_iter()
                        .filter(|&b| b != b'\r' && b != b'\n'),
                ),
                None => out.extend_from_slice(s.as_bytes()),
            },
            Data::Binary(s) => match s.strip_prefix('@') {
                Some(name) => out.extend(read_at_file(name)?),
                None => out.extend_from_slice(s.as_bytes()),
            },
            Data::Raw(s) => out.extend_from_slice(s.as_bytes()),
            Data::UrlEncode(s) => out.extend(url_encode_arg(s)?.into_bytes()),
        }
    }
    Ok(Some(out))
}

/// curl's `--data-urlencode` forms: `content`, `=content`, `name=content`,
/// `@file`, `name@file`.
fn url_encode_arg(s: &str) -> Result<String, Failure> {
    let enc = |b: &[u8]| -> String { url::form_urlencoded::byte_serialize(b).collect() };
    if let Some((name, content)) = s.split_once('=') {
        return Ok(if name.is_empty() {
            enc(content.as_bytes())
        } else {
            format!("{name}={}", enc(content.as_bytes()))
        });
    }
    if let Some((name, file)) = s.split_once('@') {
        let content = read_at_file(file)?;
        return Ok(if name.is_empty() {
            enc(&content)
        } else {
            format!("{name}={}", enc(&content))
        });
    }
    Ok(enc(s.as_bytes()))
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

/// The last segment of a URL's path, as given (curl's `-O` name).
fn url_file_name(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path.rsplit('/').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The file name a `Content-Disposition` field gives (`-J`), reduced to
/// its last path segment as curl does, so that a hostile `../x` or `/etc/x`
/// can only name a file in the output directory; `None` when it names
/// none (or only `.` or `..`).
fn disposition_file_name(value: &str) -> Option<String> {
    let at = value.to_ascii_lowercase().find("filename=")?;
    let rest = &value[at + "filename=".len()..];
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => rest.split(';').next().unwrap_or("").trim(),
    };
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    (!base.is_empty() && base != "." && base != "..").then(|| base.to_string())
}

/// `path` under `--output-dir`, its directories made with `--create-dirs`.
fn place_output(o: &Options, path: &str) -> Result<std::path::PathBuf, Failure> {
    let mut full = std::path::PathBuf::new();
    if let Some(dir) = &o.output_dir {
        if !std::path::Path::new(path).is_absolute() {
            full.push(dir);
        }
    }
    full.push(path);
    if o.create_dirs {
        if let Some(parent) = full.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::new(
                    23,
                    format!("failed to create the directory {}: {e}", parent.display()),
                )
            })?;
        }
    }
    Ok(full)
}

/// Whether `e` is a refused connection (`--retry-connrefused`).
fn refused(e: &ferrohttp::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// One URL's transfer: the request (retried as `--retry` says), the
/// checks on its response, and its body to the output.
fn transfer(
    o: &Options,
    client: &Client,
    url: &str,
    output: Option<Output>,
    report: &mut write_out::Report,
) -> Result<u8, Failure> {
    let mut url = url.to_string();
    if !url.contains("://") {
        url = format!("http://{url}"); // curl guesses http for a bare host
    }
    // -O: the last segment of the URL's path, checked before anything is
    // sent (with -J, the server may name the file instead).
    let remote_name = url_file_name(&url);
    if matches!(output, Some(Output::Remote)) && remote_name.is_empty() && !o.remote_header_name {
        return Err(Failure::new(23, "Remote file name has no length!"));
    }
    if matches!(o.continue_at, Some(ContinueAt::Auto))
        && o.remote_header_name
        && matches!(output, Some(Output::Remote))
    {
        return Err(Failure::new(
            2,
            "--continue-at - and --remote-header-name cannot be combined",
        ));
    }
    // curl's -T to a URL ending in '/' appends the file's name.
    if let Some(path) = o.upload_file.as_deref().filter(|p| *p != "-") {
        if url.ends_with('/') {
            if let Some(name) = std::path::Path::new(path).file_name() {
                url.push_str(&name.to_string_lossy());
            }
        }
    }
    if o.get {
        if let Some(q) = joined_data(&o.data)? {
            let q = String::from_utf8_lossy(&q).into_owned();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&q);
        }
    }
    // The output file as known before the response (not yet for -J).
    let known_path = match &output {
        Some(Output::File(p)) if p != "-" => Some(place_output(o, p)?),
        Some(Output::Remote) if !o.remote_header_name => Some(place_output(o, &remote_name)?),
        _ => None,
    };
    // -C: resume at an offset, or (`-C -`) at the output file's size.
    let resume_from = match o.continue_at {
        None => 0,
        Some(ContinueAt::Offset(n)) => n,
        Some(ContinueAt::Auto) => known_path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len()),
    };
    let range = if resume_from > 0 {
        Some(format!("bytes={resume_from}-"))
    } else {
        o.range.as_ref().map(|r| format!("bytes={r}"))
    };

    let mut low_speed = LowSpeed::from_options(o);
    let uploaded = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    // --retry: curl's transient failures (a timeout, or 408, 429, 500, 502,
    // 503, 504; a refused connection with --retry-connrefused; anything
    // with --retry-all-errors), after 1 s doubling, the server's
    // Retry-After, or --retry-delay; never past --retry-max-time.
    let mut retries_left = o.retry;
    let mut delay = Duration::from_secs(1);
    let retrying_since = Instant::now();
    let mut response = loop {
        let mut request = build_request(o, client, &url, &uploaded)?;
        if let Some(r) = &range {
            if !request.headers().contains_key("range") {
                let v = HeaderValue::from_str(r)
                    .map_err(|_| Failure::new(2, format!("invalid range {r:?}")))?;
                request.headers_mut().insert("range", v);
            }
        }
        if o.verbose {
            print_request_head(&request);
        }
        let result = client.send(request);
        let failing = o.fail || o.fail_with_body;
        let problem = match &result {
            Err(e) if e.is_timeout() => Some("timeout".to_string()),
            Err(e) if o.retry_connrefused && refused(e) => Some("connection refused".into()),
            Err(e) if o.retry_all_errors => Some(e.to_string()),
            Ok(r) if matches!(r.status().as_u16(), 408 | 429 | 500 | 502 | 503 | 504) => {
                Some(format!("HTTP error {}", r.status().as_u16()))
            }
            Ok(r) if o.retry_all_errors && failing && r.status().as_u16() >= 400 => {
                Some(format!("HTTP error {}", r.status().as_u16()))
            }
            _ => None,
        };
        let wait = match &result {
            _ if o.retry_delay.is_some() => {
                Duration::from_secs_f64(o.retry_delay.unwrap_or_default())
            }
            Ok(r) => r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                .map_or(delay, Duration::from_secs),
            Err(_) => delay,
        };
        let in_time = o
            .retry_max_time
            .is_none_or(|max| (retrying_since.elapsed() + wait).as_secs_f64() <= max);
        match problem {
            Some(what) if retries_left > 0 && in_time => {
                if !o.silent {
                    eprintln!(
                        "Warning: Problem : {what}. Will retry in {} seconds. {retries_left} retries left.",
                        wait.as_secs()
                    );
                }
                drop(result);
                std::thread::sleep(wait);
                delay = (delay * 2).min(Duration::from_secs(600));
                retries_left -= 1;
            }
            _ => match (result, &low_speed) {
                (Err(e), Some(l)) if e.kind() == ErrorKind::ReadTimeout => return Err(l.failure()),
                (result, _) => break result?,
            },
        }
    };
    report.size_upload = uploaded.load(std::sync::atomic::Ordering::Relaxed);
    report.record(&response, o.location);
    if o.verbose {
        for hop in response.history() {
            print_head(&mut io::stderr(), hop, "< ");
        }
        print_head(&mut io::stderr(), &response, "< ");
    }

    // -D: every head received, redirects' included, as curl writes them.
    if let Some(path) = &o.dump_header {
        let mut heads = Vec::new();
        for hop in response.history() {
            print_head(&mut heads, hop, "");
        }
        print_head(&mut heads, &response, "");
        let written = if path == "-" {
            io::stdout().write_all(&heads)
        } else {
            std::fs::write(path, &heads)
        };
        written
            .map_err(|e| Failure::new(23, format!("failed to write the headers to {path}: {e}")))?;
    }

    let status = response.status().as_u16();
    let mut append = false;
    if resume_from > 0 {
        match status {
            // Nothing left to get: the file is whole.
            416 => return Ok(0),
            206 => {
                let start = response
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if start != Some(resume_from) {
                    return Err(Failure::new(
                        33,
                        format!(
                            "the server's range does not start at the resume offset {resume_from}"
                        ),
                    ));
                }
                append = true;
            }
            200..=299 => {
                // The server ignored the range: resuming would corrupt the
                // file, unless there was nothing left to get.
                if response.content_length() == Some(resume_from) {
                    return Ok(0);
                }
                return Err(Failure::new(
                    33,
                    "HTTP server doesn't seem to support byte ranges. Cannot resume.",
                ));
            }
            _ => {}
        }
    }

    let http_error = status >= 400;
    if o.fail && !o.fail_with_body && http_error {
        return Err(Failure::new(
            22,
            format!("The requested URL returned error: {status}"),
        ));
    }
    if resume_from > 0 && !append && !http_error {
        // A redirect or other answer that is not the rest of the file:
        // the file is left as it is.
        return Ok(0);
    }

    let path = match (&output, known_path) {
        (_, Some(p)) => Some(p),
        (Some(Output::Remote), None) => {
            // -J: the server's name for the file, never a path elsewhere.
            let named = response
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .and_then(disposition_file_name);
            let name = named.unwrap_or(remote_name);
            if name.is_empty() {
                return Err(Failure::new(23, "Remote file name has no length!"));
            }
            let p = place_output(o, &name)?;
            if p.exists() {
                return Err(Failure::new(
                    23,
                    format!("Refusing to overwrite {}: File exists", p.display()),
                ));
            }
            Some(p)
        }
        _ => None,
    };
    let mut out: Box<dyn Write> = match &path {
        None => Box::new(io::stdout().lock()),
        Some(p) => {
            let file = if append {
                std::fs::OpenOptions::new().append(true).open(p)
            } else {
                File::create(p)
            };
            Box::new(file.map_err(|e| {
                Failure::new(
                    23,
                    format!("failed to create the file {}: {e}", p.display()),
                )
            })?)
        }
    };
    let write_err =
        |e: io::Error| Failure::new(23, format!("failure writing output to destination: {e}"));
    if o.include || o.head {
        let mut head = Vec::new();
        print_head(&mut head, &response, "");
        out.write_all(&head).map_err(write_err)?;
    }
    if o.head {
        out.flush().map_err(write_err)?;
        return Ok(0);
    }
    // `-o -` writes to a terminal too, binary or not, as curl's.
    let to_terminal = output.is_none() && io::stdout().is_terminal();
    let show = !o.silent && io::stderr().is_terminal() && (path.is_some() || o.progress_bar);
    let progress = show.then(|| progress_bar(&response, o.progress_bar));
    copy_body(
        &mut response,
        &mut out,
        to_terminal,
        progress.as_ref(),
        low_speed.as_mut(),
        o.limit_rate,
    )?;
    out.flush().map_err(write_err)?;
    if let Some(p) = progress {
        p.finish();
    }
    report.record(&response, o.location);
    if http_error && o.fail_with_body {
        return Err(Failure::new(
            22,
            format!("The requested URL returned error: {status}"),
        ));
    }
    Ok(0)
}

/// The request the options describe, with its body made afresh (a retry
/// sends it again).
fn build_request(
    o: &Options,
    client: &Client,
    url: &str,
    uploaded: &std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Result<ferrohttp::Request, Failure> {
    let mut body: Option<Body> = None;
    let mut content_type: Option<&str> = None;
    let mut form_type: Option<String> = None;
    if o.get {
        // The data went into the URL.
    } else if !o.json.is_empty() {
        let mut all = Vec::new();
        for j in &o.json {
            match j.strip_prefix('@') {
                Some(name) => all.extend(read_at_file(name)?),
                None => all.extend_from_slice(j.as_bytes()),
            }
        }
        body = Some(all.into());
        content_type = Some("application/json");
    } else if let Some(path) = &o.upload_file {
        body = Some(if path == "-" {
            Body::new(io::stdin())
        } else {
            Body::file(path).map_err(|e| {
                Failure::new(
                    26,
                    format!("Failed to open/read local data from file/application: {e}"),
                )
            })?
        });
    } else if !o.form.is_empty() {
        let (b, ct) = form_body(&o.form)?;
        body = Some(b);
        form_type = Some(ct);
    } else if let Some(b) = data_body(&o.data)? {
        body = Some(b);
        content_type = Some("application/x-www-form-urlencoded");
    }
    let method = match &o.method {
        Some(m) => Method::from_bytes(m.as_bytes())
            .map_err(|_| Failure::new(2, format!("invalid request method {m:?}")))?,
        None if o.head => Method::HEAD,
        None if o.upload_file.is_some() => Method::PUT,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    let mut request = client.build_request(method, url)?;
    let headers = request.headers_mut();
    if let Some(ct) = content_type {
        headers.insert("content-type", HeaderValue::from_static(ct));
    }
    if let Some(ct) = form_type {
        let ct = HeaderValue::from_str(&ct).map_err(|_| Failure::new(2, "bad form boundary"))?;
        headers.insert("content-type", ct);
    }
    if !o.json.is_empty() {
        headers.insert("accept", HeaderValue::from_static("application/json"));
    }
    let cookies: Vec<&str> = o
        .cookie
        .iter()
        .filter(|c| c.contains('='))
        .map(String::as_str)
        .collect();
    if !cookies.is_empty() {
        let value = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|_| Failure::new(43, "invalid cookie data for -b"))?;
        headers.insert("cookie", value);
    }
    for h in &o.headers {
        apply_header(headers, h)?;
    }
    if let Some(mut b) = body {
        if o.write_out.is_some() {
            // For `%{size_upload}`.
            let count = uploaded.clone();
            b = b.with_upload_progress(move |sent, _| {
                count.store(sent, std::sync::atomic::Ordering::Relaxed);
            });
        }
        // An upload bar for a body worth one, as curl's meter shows it.
        if !o.silent && io::stderr().is_terminal() && b.len().is_none_or(|n| n >= 64 * 1024) {
            let bar = bar_for(b.len());
            b = b.with_upload_progress(move |sent, total| {
                bar.set_position(sent);
                if Some(sent) == total {
                    bar.finish();
                }
            });
        }
        *request.body_mut() = b;
    }
    Ok(request)
}

/// The `-F`/`--form-string` fields as a streaming multipart body, and its
/// `Content-Type`. `-F name=@file` uploads the file (its name and guessed
/// type; streamed), `-F name=<file` sends the file's contents as the
/// value, `;type=T` and `;filename=F` after the content set those;
/// `--form-string` takes the value literally.
fn form_body(fields: &[(String, bool)]) -> Result<(Body, String), Failure> {
    use ferrohttp::multipart::{Multipart, Part};
    let mut form = Multipart::new();
    for (field, literal) in fields {
        let (name, content) = field.split_once('=').ok_or_else(|| {
            Failure::new(
                2,
                format!("option -F: is badly used here: {field:?} has no '='"),
            )
        })?;
        if *literal {
            form = form.text(name, content);
            continue;
        }
        // `content;type=...;filename=...`
        let mut pieces = content.split(';');
        let value = pieces.next().unwrap_or("");
        let (mut mime, mut file_name) = (None, None);
        for p in pieces {
            if let Some(t) = p.trim().strip_prefix("type=") {
                mime = Some(t.to_string());
            } else if let Some(f) = p.trim().strip_prefix("filename=") {
                file_name = Some(f.trim_matches('"').to_string());
            }
        }
        let mut part = if let Some(path) = value.strip_prefix('@') {
            Part::file(path).map_err(|e| {
                Failure::new(
                    26,
                    format!("Failed to open/read local data from file/application: {e}"),
                )
            })?
        } else if let Some(path) = value.strip_prefix('<') {
            let data = std::fs::read(path).map_err(|e| {
                Failure::new(
                    26,
                    format!("Failed to open/read local data from file/application: {path}: {e}"),
                )
            })?;
            match String::from_utf8(data) {
                Ok(text) => Part::text(text),
                Err(e) => Part::bytes(e.into_bytes()),
            }
        } else {
            Part::text(value)
        };
        if let Some(f) = file_name {
            part = part.file_name(f);
        }
        if let Some(t) = mime {
            part = part.mime(t);
        }
        form = form.part(name, part);
    }
    Ok(form.into_body()?)
}

/// `K: V` sets K, `K:` removes K, `K;` sends K with an empty value (curl).
fn apply_header(headers: &mut ferrohttp::HeaderMap, h: &str) -> Result<(), Failure> {
    let bad = || Failure::new(43, format!("invalid header {h:?}"));
    if let Some(name) = h.strip_suffix(';').filter(|n| !n.contains(':')) {
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        headers.insert(name, HeaderValue::from_static(""));
        return Ok(());
    }
    let (name, value) = h.split_once(':').ok_or_else(bad)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    let value = value.trim();
    if value.is_empty() {
        headers.remove(&name);
    } else {
        headers.insert(name, HeaderValue::from_str(value).map_err(|_| bad())?);
    }
    Ok(())
}

fn progress_bar(response: &Response, hashes: bool) -> indicatif::ProgressBar {
    let bar = bar_for(response.content_length());
    if hashes {
        // -#: curl's bar of '#' and a percentage.
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:72} {percent:>3}%")
                .expect("valid template")
                .progress_chars("## "),
        );
    }
    bar
}

/// A transfer's bar: `len` bytes, or a spinner when unknown.
fn bar_for(len: Option<u64>) -> indicatif::ProgressBar {
    let bar = match len {
        Some(len) => indicatif::ProgressBar::new(len),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bytes:>10}/{total_bytes:10} {wide_bar} {bytes_per_sec:>12} {eta:>4}",
        )
        .expect("valid template"),
    );
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

fn copy_body(
    response: &mut Response,
    out: &mut dyn Write,
    to_terminal: bool,
    progress: Option<&indicatif::ProgressBar>,
    mut low_speed: Option<&mut LowSpeed>,
    limit_rate: Option<u64>,
) -> Result<(), Failure> {
    // --limit-rate: reads of at most a tenth of a second's worth, each
    // followed by a sleep while the average runs ahead of the rate.
    let chunk = limit_rate.map_or(64 * 1024, |r| (r / 10).clamp(1, 64 * 1024) as usize);
    let mut buf = vec![0u8; chunk];
    let started = Instant::now();
    let mut written: u64 = 0;
    let mut first = true;
    loop {
        let read = response.read(&mut buf).map_err(ferrohttp::Error::from);
        if let Some(l) = low_speed.as_deref_mut() {
            l.check(response.num_bytes_downloaded())?;
        }
        let n = match read {
            Ok(n) => n,
            // A read timeout only marks a check (above): the body resumes.
            Err(e) if low_speed.is_some() && e.kind() == ErrorKind::ReadTimeout => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(());
        }
        if first && to_terminal && buf[..n].contains(&0) {
            return Err(Failure::new(
                23,
                "binary output can mess up your terminal: use \"--output -\" to tell fetch to output it to your terminal anyway, or consider \"--output <FILE>\" to save to a file",
            ));
        }
        first = false;
        out.write_all(&buf[..n])
            .map_err(|e| Failure::new(23, format!("failure writing output to destination: {e}")))?;
        written += n as u64;
        if let Some(rate) = limit_rate.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(written as f64 / rate as f64);
            if let Some(ahead) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(ahead);
            }
        }
        if let Some(p) = progress {
            p.set_position(response.num_bytes_downloaded());
        }
    }
}

fn print_request_head(request: &ferrohttp::Request) {
    let url = request.url();
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut lines = vec![format!("{} {target} HTTP/1.1", request.method())];
    if !request.headers().contains_key("host") {
        let host = url.host_str().unwrap_or("");
        lines.push(match url.port() {
            Some(p) => format!("Host: {host}:{p}"),
            None => format!("Host: {host}"),
        });
    }
    for (k, v) in request.headers() {
        lines.push(format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())));
    }
    match request.body().len() {
        Some(0) if matches!(*request.method(), Method::GET | Method::HEAD) => {}
        Some(n) => lines.push(format!("content-length: {n}")),
        None => lines.push("transfer-encoding: chunked".into()),
    }
    let stderr = &mut io::stderr();
    for l in lines {
        let _ = writeln!(stderr, "> {l}");
    }
    let _ = writeln!(stderr, ">");
}

fn print_head(out: &mut dyn Write, response: &Response, prefix: &str) {
    let status = response.status();
    let version = match response.version() {
        ferrohttp::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let reason = response
        .reason()
        .or(status.canonical_reason())
        .unwrap_or("");
    let _ = write!(out, "{prefix}{version} {} {reason}\r\n", status.as_u16());
    for (k, v) in response.headers() {
        let _ = write!(
            out,
            "{prefix}{k}: {}\r\n",
            String::from_utf8_lossy(v.as_bytes())
        );
    }
    let _ = write!(out, "{prefix}\r\n");
}
