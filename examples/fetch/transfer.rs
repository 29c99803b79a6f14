//! One URL's transfer: the request sent (and retried), its response
//! checked (`-f`, `-C`), and its body written where `-o`/`-O`/`-J` say,
//! at the pace `--limit-rate` and `-y`/`-Y` allow.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use ferrohttp::{Client, ErrorKind, HeaderValue, Response};

use crate::args::{ContinueAt, Options, Output};
use crate::request::{build_request, joined_data, print_request_head, request_head_lines};
use crate::{write_out, Failure};

/// curl's low-speed abort (`-y`/`-Y`): a transfer that moves fewer than
/// `limit` bytes per second over a whole `period` is aborted. Checked at
/// each read and, while the server sends nothing, at each read timeout
/// (the client's read timeout is the period, so a stall is seen when it
/// has lasted a whole period).
pub(crate) struct LowSpeed {
    pub(crate) limit: u64,
    pub(crate) period: Duration,
    pub(crate) started: Instant,
    /// (when, bytes so far), at most one sample per tenth of the period,
    /// oldest first, reaching back one sample past the period.
    pub(crate) samples: VecDeque<(Instant, u64)>,
}

impl LowSpeed {
    /// From the options: on when `-y` or `-Y` is given (curl's defaults:
    /// 1 byte/s, 30 s), off with a period of 0.
    pub(crate) fn from_options(o: &Options) -> Option<LowSpeed> {
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
    pub(crate) fn check(&mut self, total: u64) -> Result<(), Failure> {
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

    pub(crate) fn failure(&self) -> Failure {
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

/// The last segment of a URL's path, as given (curl's `-O` name).
pub(crate) fn url_file_name(url: &str) -> String {
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
pub(crate) fn disposition_file_name(value: &str) -> Option<String> {
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
pub(crate) fn place_output(o: &Options, path: &str) -> Result<std::path::PathBuf, Failure> {
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
pub(crate) fn refused(e: &ferrohttp::Error) -> bool {
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
pub(crate) fn transfer(
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
        // Shown as it goes out when the protocol is known beforehand; with
        // ALPN to choose it (`--http2` to https), once the answer says.
        let mut shown = o.verbose.then(|| request_head_lines(&request));
        let negotiated = o.http2 && request.url().scheme() == "https";
        if !negotiated {
            if let Some(lines) = shown.take() {
                print_request_head(lines, Some(version_of(o.http2_prior_knowledge)));
            }
        }
        let result = client.send(request);
        if let Some(lines) = shown {
            print_request_head(lines, result.as_ref().ok().map(|r| r.version()));
        }
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
        eprintln!("* using {}", protocol(response.version()));
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

pub(crate) fn progress_bar(response: &Response, hashes: bool) -> indicatif::ProgressBar {
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
pub(crate) fn bar_for(len: Option<u64>) -> indicatif::ProgressBar {
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

pub(crate) fn copy_body(
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

/// HTTP/2 or HTTP/1.1.
fn version_of(h2: bool) -> ferrohttp::Version {
    if h2 {
        ferrohttp::Version::HTTP_2
    } else {
        ferrohttp::Version::HTTP_11
    }
}

/// A protocol as curl's `-v` names it.
fn protocol(version: ferrohttp::Version) -> &'static str {
    match version {
        ferrohttp::Version::HTTP_10 => "HTTP/1.0",
        ferrohttp::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    }
}

pub(crate) fn print_head(out: &mut dyn Write, response: &Response, prefix: &str) {
    let status = response.status();
    let version = protocol(response.version());
    // HTTP/2 has no reason phrase: curl prints none.
    let reason = match response.version() {
        ferrohttp::Version::HTTP_2 => "",
        _ => response
            .reason()
            .or(status.canonical_reason())
            .unwrap_or(""),
    };
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
