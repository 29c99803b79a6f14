//! The request the options describe: its body (`-d` family, `--json`,
//! `-T`, `-F`) and fields (`-H`, `-A`, `-e`, `-b`), and `-v`'s view of it.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};

use ferrohttp::{Body, Client, HeaderName, HeaderValue, Method};

use crate::args::{Data, Options};
use crate::transfer::bar_for;
use crate::Failure;

/// Reads `@file` (or `@-` for stdin).
pub(crate) fn read_at_file(name: &str) -> Result<Vec<u8>, Failure> {
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
pub(crate) fn data_body(data: &[Data]) -> Result<Option<Body>, Failure> {
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

pub(crate) fn joined_data(data: &[Data]) -> Result<Option<Vec<u8>>, Failure> {
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
pub(crate) fn url_encode_arg(s: &str) -> Result<String, Failure> {
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

/// The request the options describe, with its body made afresh (a retry
/// sends it again).
pub(crate) fn build_request(
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
pub(crate) fn form_body(fields: &[(String, bool)]) -> Result<(Body, String), Failure> {
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
pub(crate) fn apply_header(headers: &mut ferrohttp::HeaderMap, h: &str) -> Result<(), Failure> {
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

/// The request head as `-v` shows it (its first line says HTTP/1.1 until
/// [`print_request_head`] knows which protocol carried it).
pub(crate) fn request_head_lines(request: &ferrohttp::Request) -> Vec<String> {
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
    lines
}

/// Prints `lines` (from [`request_head_lines`]) for `-v`, once the
/// protocol that carried the request is known (`None`: it failed).
pub(crate) fn print_request_head(mut lines: Vec<String>, version: Option<ferrohttp::Version>) {
    if version == Some(ferrohttp::Version::HTTP_2) {
        if let Some(first) = lines.first_mut() {
            if let Some(start) = first.strip_suffix(" HTTP/1.1") {
                *first = format!("{start} HTTP/2");
            }
        }
    }
    let stderr = &mut io::stderr();
    for l in lines {
        let _ = writeln!(stderr, "> {l}");
    }
    let _ = writeln!(stderr, ">");
}
