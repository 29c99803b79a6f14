//! The command line, as curl reads it: the options, their values, short-flag
//! bundles, and `-K` config files spliced in place.

use std::collections::VecDeque;

use crate::request::read_at_file;
use crate::{config, Failure};

/// One piece of request data, in the order given.
pub(crate) enum Data {
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
pub(crate) enum Output {
    File(String),
    Remote,
}

/// `-C`: where to resume.
#[derive(Clone, Copy)]
pub(crate) enum ContinueAt {
    /// `-C -`: from the size of the output file.
    Auto,
    Offset(u64),
}

#[derive(Default)]
pub(crate) struct Options {
    /// The URLs, in order; `outputs[i]` (from `-o`/`-O`, in order) is the
    /// i-th URL's, as curl pairs them.
    pub(crate) urls: Vec<String>,
    pub(crate) outputs: Vec<Output>,
    pub(crate) remote_name_all: bool,
    pub(crate) remote_header_name: bool,
    pub(crate) output_dir: Option<String>,
    pub(crate) create_dirs: bool,
    pub(crate) write_out: Option<String>,
    pub(crate) fail_with_body: bool,
    pub(crate) retry_delay: Option<f64>,
    pub(crate) retry_max_time: Option<f64>,
    pub(crate) retry_all_errors: bool,
    pub(crate) retry_connrefused: bool,
    pub(crate) range: Option<String>,
    pub(crate) continue_at: Option<ContinueAt>,
    pub(crate) limit_rate: Option<u64>,
    pub(crate) progress_bar: bool,
    pub(crate) parallel: bool,
    pub(crate) parallel_max: Option<usize>,
    pub(crate) method: Option<String>,
    pub(crate) headers: Vec<String>,
    pub(crate) data: Vec<Data>,
    pub(crate) json: Vec<String>,
    /// `-T`: the file to PUT.
    pub(crate) upload_file: Option<String>,
    /// `-F` (false) and `--form-string` (true) fields, in order.
    pub(crate) form: Vec<(String, bool)>,
    pub(crate) get: bool,
    pub(crate) dump_header: Option<String>,
    pub(crate) include: bool,
    pub(crate) head: bool,
    pub(crate) connect_timeout: Option<f64>,
    pub(crate) expect100_timeout: Option<f64>,
    pub(crate) max_time: Option<f64>,
    pub(crate) speed_time: Option<u64>,
    pub(crate) speed_limit: Option<u64>,
    pub(crate) retry: u32,
    pub(crate) unix_socket: Option<String>,
    pub(crate) interface: Option<std::net::IpAddr>,
    pub(crate) cacert: Option<String>,
    pub(crate) capath: Option<String>,
    pub(crate) insecure: bool,
    pub(crate) cert: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) pass: Option<String>,
    pub(crate) location: bool,
    pub(crate) max_redirs: Option<usize>,
    pub(crate) user: Option<String>,
    pub(crate) digest: bool,
    pub(crate) netrc: bool,
    pub(crate) cookie: Vec<String>,
    pub(crate) cookie_jar: Option<String>,
    /// `-x` (or `--socks5` etc., with its scheme); `Some("")`: no proxy.
    pub(crate) proxy: Option<String>,
    pub(crate) proxy_user: Option<String>,
    pub(crate) proxytunnel: bool,
    pub(crate) noproxy: Option<String>,
    pub(crate) proxy_cacert: Option<String>,
    pub(crate) proxy_insecure: bool,
    pub(crate) fail: bool,
    pub(crate) silent: bool,
    pub(crate) show_error: bool,
    pub(crate) verbose: bool,
    /// `--http2`: HTTP/2 offered by ALPN for https.
    pub(crate) http2: bool,
    /// `--http2-prior-knowledge`: h2c for http too.
    pub(crate) http2_prior_knowledge: bool,
}

/// Short flags that take a value: in a bundle, the rest of it is the value
/// (`-XPOST`), as curl reads them.
pub(crate) const WITH_VALUE: &str = "XHdoeAmEubcyYxUFTDwrCK";

/// How many config files (`-K`) one command line may read, nested or not.
pub(crate) const MAX_CONFIG_FILES: usize = 16;

/// The options, as curl reads its command line: a value is the next
/// argument whatever it looks like (`-d -x` sends `-x`); short flags
/// bundle (`-sSL`, `-XPOST`); `-K` reads more arguments from a file in
/// place.
pub(crate) fn parse_args(raw: &[String]) -> Result<Option<Options>, Failure> {
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
            // As curl: the last of these wins.
            "--http1.1" => (o.http2, o.http2_prior_knowledge) = (false, false),
            "--http2" => (o.http2, o.http2_prior_knowledge) = (true, false),
            "--http2-prior-knowledge" => (o.http2, o.http2_prior_knowledge) = (true, true),
            "-f" | "--fail" => o.fail = true,
            "-s" | "--silent" => o.silent = true,
            "-S" | "--show-error" => o.show_error = true,
            "-v" | "--verbose" => o.verbose = true,
            "--url" => o.urls.push(value(&mut args, a)?),
            "--" => {
                o.urls.extend(args.drain(..));
                break;
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
pub(crate) fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, Failure> {
    v.parse().map_err(|_| {
        Failure::new(
            2,
            format!("option {flag}: expected a proper numerical parameter"),
        )
    })
}

/// A rate in bytes per second with curl's suffixes (`k`, `m`, `g`,
/// either case, powers of 1024).
pub(crate) fn rate(flag: &str, v: &str) -> Result<u64, Failure> {
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
pub(crate) fn seconds(flag: &str, v: &str) -> Result<f64, Failure> {
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
