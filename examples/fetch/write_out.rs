//! `-w/--write-out FORMAT`, as curl 7.88+ writes it: `%{variable}`,
//! `%header{name}`, `%{json}`, `%{stdout}`/`%{stderr}` switches, `%%`, and
//! the `\n`, `\r`, `\t`, `\\` escapes.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use ferrohttp::{HeaderMap, Response};

/// What one transfer did, for `-w`: filled as the transfer goes (a
/// failure leaves what was not reached at its default, as curl's `000`).
#[derive(Default)]
pub struct Report {
    pub status: Option<u16>,
    pub version: Option<ferrohttp::Version>,
    pub url_effective: String,
    pub num_redirects: usize,
    pub redirect_url: Option<String>,
    pub content_type: Option<String>,
    pub size_download: u64,
    pub size_upload: u64,
    pub size_header: u64,
    pub time_namelookup: Duration,
    pub time_connect: Duration,
    pub time_appconnect: Duration,
    pub time_pretransfer: Duration,
    pub time_starttransfer: Duration,
    pub time_total: Duration,
    pub remote: Option<SocketAddr>,
    pub local: Option<SocketAddr>,
    pub headers: HeaderMap,
    pub exitcode: u8,
    pub errormsg: String,
}

impl Report {
    /// Takes in the final response (its redirect hops too) once its body
    /// was read: as curl with `-L`, the phase times add up over the hops.
    pub fn record(&mut self, response: &Response, followed: bool) {
        self.status = Some(response.status().as_u16());
        self.version = Some(response.version());
        self.url_effective = response.url().to_string();
        self.num_redirects = response.history().len();
        self.content_type = response
            .headers()
            .get("content-type")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        self.size_download = response.num_bytes_downloaded();
        self.headers = response.headers().clone();
        self.remote = response.remote_addr();
        self.local = response.local_addr();
        self.redirect_url = if followed || !response.status().is_redirection() {
            None
        } else {
            response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
                .map(|u| u.to_string())
        };
        let hops = response.history().iter().chain(std::iter::once(response));
        // Recorded again once the body is read: the sums start over.
        self.size_header = 0;
        self.time_namelookup = Duration::ZERO;
        self.time_connect = Duration::ZERO;
        self.time_appconnect = Duration::ZERO;
        self.time_pretransfer = Duration::ZERO;
        self.time_starttransfer = Duration::ZERO;
        for hop in hops {
            let t = hop.timings();
            let z = Duration::ZERO;
            // Each phase of a hop that did not happen counts as the one
            // before it, as curl's timers stand still then.
            let lookup = t.name_lookup().unwrap_or(z);
            let connect = t.connect().unwrap_or(lookup);
            let app = t.tls_handshake().unwrap_or(z);
            let pre = t.tls_handshake().or(t.connect()).unwrap_or(lookup);
            self.time_namelookup += lookup;
            self.time_connect += connect;
            self.time_appconnect += app;
            self.time_pretransfer += pre;
            self.time_starttransfer += t.first_byte().unwrap_or(pre);
            self.size_header += head_size(hop);
        }
    }
}

/// The size of a response head as it is written back (`-i`, `-D`).
fn head_size(r: &Response) -> u64 {
    let status_line = "HTTP/1.1 200 \r\n".len() + r.reason().map_or(0, str::len);
    let fields: usize = r
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + 2 + v.len() + 2)
        .sum();
    (status_line + fields + 2) as u64
}

/// Where `-w` output goes: curl starts on standard output.
enum Sink {
    Stdout,
    Stderr,
}

/// Writes `format` for `report`.
pub fn write_out(format: &str, report: &Report) -> io::Result<()> {
    let mut sink = Sink::Stdout;
    let mut text = String::new();
    let flush = |sink: &Sink, text: &mut String| -> io::Result<()> {
        match sink {
            Sink::Stdout => io::stdout().write_all(text.as_bytes())?,
            Sink::Stderr => io::stderr().write_all(text.as_bytes())?,
        }
        text.clear();
        Ok(())
    };
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%%") {
            text.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("%{") {
            let Some(end) = after.find('}') else {
                text.push_str(rest);
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            match name {
                "stdout" => {
                    flush(&sink, &mut text)?;
                    sink = Sink::Stdout;
                }
                "stderr" => {
                    flush(&sink, &mut text)?;
                    sink = Sink::Stderr;
                }
                "json" => text.push_str(&json(report)),
                _ => match variable(report, name) {
                    Some(v) => text.push_str(&v.to_text()),
                    // curl: "unknown --write-out variable", and nothing written.
                    None => eprintln!("fetch: unknown --write-out variable: '{name}'"),
                },
            }
        } else if let Some(after) = rest.strip_prefix("%header{") {
            let Some(end) = after.find('}') else {
                text.push_str(rest);
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            let values: Vec<String> = report
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            text.push_str(&values.join(", "));
        } else if let Some(after) = rest.strip_prefix('\\') {
            let mut chars = after.chars();
            match chars.next() {
                Some('n') => text.push('\n'),
                Some('r') => text.push('\r'),
                Some('t') => text.push('\t'),
                Some('\\') => text.push('\\'),
                Some(other) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            }
            rest = chars.as_str();
        } else {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    flush(&sink, &mut text)
}

/// A variable's value: text, a number, or seconds.
enum Value {
    Text(String),
    Int(u64),
    Secs(Duration),
}

impl Value {
    fn to_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Secs(d) => format!("{:.6}", d.as_secs_f64()),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => serde_json::Value::from(s.as_str()),
            Value::Int(n) => serde_json::Value::from(*n),
            Value::Secs(d) => serde_json::Value::from(
                // Six decimals, as the text form.
                (d.as_secs_f64() * 1e6).round() / 1e6,
            ),
        }
    }
}

/// The variables `%{json}` includes, in curl's order (alphabetical).
const JSON_VARIABLES: &[&str] = &[
    "content_type",
    "errormsg",
    "exitcode",
    "http_code",
    "http_version",
    "local_port",
    "num_redirects",
    "redirect_url",
    "remote_ip",
    "remote_port",
    "response_code",
    "size_download",
    "size_header",
    "size_upload",
    "speed_download",
    "time_appconnect",
    "time_connect",
    "time_namelookup",
    "time_pretransfer",
    "time_starttransfer",
    "time_total",
    "url_effective",
];

fn json(report: &Report) -> String {
    let mut map = serde_json::Map::new();
    for name in JSON_VARIABLES {
        if let Some(v) = variable(report, name) {
            map.insert((*name).to_string(), v.to_json());
        }
    }
    serde_json::Value::Object(map).to_string()
}

fn variable(r: &Report, name: &str) -> Option<Value> {
    Some(match name {
        "http_code" | "response_code" => Value::Text(format!("{:03}", r.status.unwrap_or(0))),
        "http_version" => Value::Text(
            match r.version {
                Some(ferrohttp::Version::HTTP_10) => "1",
                Some(ferrohttp::Version::HTTP_11) => "1.1",
                Some(ferrohttp::Version::HTTP_2) => "2",
                Some(ferrohttp::Version::HTTP_3) => "3",
                _ => "0",
            }
            .to_string(),
        ),
        "url_effective" => Value::Text(r.url_effective.clone()),
        "num_redirects" => Value::Int(r.num_redirects as u64),
        "redirect_url" => Value::Text(r.redirect_url.clone().unwrap_or_default()),
        "content_type" => Value::Text(r.content_type.clone().unwrap_or_default()),
        "size_download" => Value::Int(r.size_download),
        "size_upload" => Value::Int(r.size_upload),
        "size_header" => Value::Int(r.size_header),
        "speed_download" => {
            let secs = r.time_total.as_secs_f64();
            Value::Int(if secs > 0.0 {
                (r.size_download as f64 / secs) as u64
            } else {
                0
            })
        }
        "time_namelookup" => Value::Secs(r.time_namelookup),
        "time_connect" => Value::Secs(r.time_connect),
        "time_appconnect" => Value::Secs(r.time_appconnect),
        "time_pretransfer" => Value::Secs(r.time_pretransfer),
        "time_starttransfer" => Value::Secs(r.time_starttransfer),
        "time_total" => Value::Secs(r.time_total),
        "remote_ip" => Value::Text(r.remote.map(|a| a.ip().to_string()).unwrap_or_default()),
        "remote_port" => Value::Int(r.remote.map_or(0, |a| u64::from(a.port()))),
        "local_port" => Value::Int(r.local.map_or(0, |a| u64::from(a.port()))),
        "exitcode" => Value::Int(u64::from(r.exitcode)),
        "errormsg" => Value::Text(r.errormsg.clone()),
        _ => return None,
    })
}
