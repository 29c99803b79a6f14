use super::*;

/// Reads the whole form, `chunk` bytes at a time.
fn produce(form: Multipart, chunk: usize) -> (Vec<u8>, Option<u64>, String) {
    let (mut body, ct) = form.into_body().unwrap();
    let len = body.len();
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        let n = body.read_blocking(&mut buf).expect("a Read body").unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    (out, len, ct)
}

fn sample() -> Multipart {
    Multipart::new()
        .boundary("XyZ")
        .text("name", "value")
        .text("tag", "a")
        .text("tag", "b")
        .part("raw", Part::bytes(&b"\x00\x01"[..]))
        .part("doc", Part::bytes("<p/>").file_name("index.html"))
        .part(
            "typed",
            Part::bytes("{}")
                .file_name("x.bin")
                .mime("application/json"),
        )
        .part("q\"u\r\no", Part::text("v").file_name("fi\"le\r\n.txt"))
        .part(
            "ünï",
            Part::bytes("x")
                .file_name("résumé.pdf")
                .header("x-extra", "1"),
        )
}

const SAMPLE: &str = "--XyZ\r\n\
Content-Disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"tag\"\r\n\r\na\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"tag\"\r\n\r\nb\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"raw\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"doc\"; filename=\"index.html\"\r\n\
Content-Type: text/html\r\n\r\n<p/>\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"typed\"; filename=\"x.bin\"\r\n\
Content-Type: application/json\r\n\r\n{}\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"q%22u%0D%0Ao\"; filename=\"fi%22le%0D%0A.txt\"\r\n\
Content-Type: text/plain\r\n\r\nv\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"ünï\"; filename=\"résumé.pdf\"\r\n\
Content-Type: application/pdf\r\n\
x-extra: 1\r\n\r\nx\r\n\
--XyZ--\r\n";

#[test]
fn exact_bytes_length_and_every_read_size() {
    let (bytes, len, ct) = produce(sample(), 64 * 1024);
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), SAMPLE);
    assert_eq!(
        len,
        Some(SAMPLE.len() as u64),
        "computed length = produced length"
    );
    assert_eq!(ct, "multipart/form-data; boundary=XyZ");
    for chunk in 1..=SAMPLE.len() + 1 {
        let (split, _, _) = produce(sample(), chunk);
        assert_eq!(split, bytes, "reads of {chunk} bytes");
    }
}

#[test]
fn boundaries() {
    let b = Multipart::new().boundary_str().to_string();
    assert!(boundary_ok(&b) && b.len() == 32, "{b}");
    assert_ne!(b, Multipart::new().boundary_str(), "a fresh one each time");
    for bad in [
        "",
        " ",
        "ends in space ",
        "a\"b",
        "a\r\nb",
        &"x".repeat(71),
        "é",
    ] {
        let e = Multipart::new()
            .boundary(bad)
            .text("a", "b")
            .into_body()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LocalProtocol, "{bad:?}");
        assert!(e.to_string().contains("boundary"), "{e}");
    }
    assert!(boundary_ok(&"x".repeat(70)));
    // A boundary a token cannot carry is quoted in Content-Type.
    let form = Multipart::new().boundary("a b:c?");
    assert_eq!(
        form.content_type(),
        "multipart/form-data; boundary=\"a b:c?\""
    );
    let (bytes, _, _) = produce(form.text("k", "v"), 100);
    assert!(bytes.starts_with(b"--a b:c?\r\n"));
}

#[test]
fn invalid_part_settings_fail_when_sent() {
    let e = Multipart::new()
        .part("a", Part::bytes("x").mime("text/plain\r\nx: y"))
        .into_body()
        .unwrap_err();
    assert!(e.to_string().contains("content type"), "{e}");
    let e = Multipart::new()
        .part("a", Part::bytes("x").header("bad name", "v"))
        .into_body()
        .unwrap_err();
    assert!(e.to_string().contains("bad name"), "{e}");
}

#[test]
fn files_are_read_when_sent_and_checked() {
    let dir = std::env::temp_dir().join(format!("ferrohttp-mp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let form = Multipart::new().boundary("B").file("f", &path).unwrap();
    assert_eq!(form.len(), Some(produce_len(&path)));
    let (bytes, len, _) = produce(form, 3);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n"),
        "{text}"
    );
    assert_eq!(len, Some(text.len() as u64));
    // Missing now: an error naming the file, at once.
    let e = Multipart::new().file("f", dir.join("missing")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RequestBody);
    assert!(e.to_string().contains("missing"), "{e}");
    assert!(Part::file(&dir).is_err(), "a directory is not a file");
    // Shorter when sent than when added: an error, never a short body.
    let form = Multipart::new().file("f", &path).unwrap();
    std::fs::write(&path, "a").unwrap();
    let (mut body, _) = form.into_body().unwrap();
    let mut sink = Vec::new();
    let e = std::io::Read::read_to_end(&mut BodyReader(&mut body), &mut sink).unwrap_err();
    assert!(e.to_string().contains("shorter"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn produce_len(path: &Path) -> u64 {
    let head = part_head("B", "f", Some("data.csv"), Some("text/csv"), &[]);
    head.len() as u64 + std::fs::metadata(path).unwrap().len() + 2 + b"--B--\r\n".len() as u64
}

/// A `Body` as a `Read`, for `read_to_end`.
struct BodyReader<'a>(&'a mut Body);

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read_blocking(buf).expect("a Read body")
    }
}

#[test]
fn unknown_lengths_make_the_form_chunked_and_short_readers_fail() {
    let form = Multipart::new().part("r", Part::reader(std::io::Cursor::new(vec![7u8; 10]), None));
    assert_eq!(form.len(), None);
    let (bytes, len, _) = produce(form, 4);
    assert_eq!(len, None);
    assert!(bytes.windows(10).any(|w| w == [7u8; 10]));
    let form = Multipart::new().part(
        "r",
        Part::reader(std::io::Cursor::new(vec![7u8; 3]), Some(5)),
    );
    assert!(form.len().is_some());
    let (mut body, _) = form.into_body().unwrap();
    let mut sink = Vec::new();
    let e = std::io::Read::read_to_end(&mut BodyReader(&mut body), &mut sink).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    // A longer reader gives only its length.
    let form = Multipart::new().boundary("B").part(
        "r",
        Part::reader(std::io::Cursor::new(vec![7u8; 9]), Some(2)),
    );
    let (bytes, len, _) = produce(form, 5);
    assert_eq!(len, Some(bytes.len() as u64));
}

// ---- a multipart parser written for the tests, and random forms ----

/// One part as the parser recovers it.
#[derive(Debug, PartialEq)]
struct Parsed {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn unescape(s: &str) -> String {
    s.replace("%22", "\"")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
}

/// Splits `body` at `--boundary` delimiters (RFC 2046 §5.1.1) and reads
/// each part's head.
fn parse(body: &[u8], boundary: &str) -> Vec<Parsed> {
    let delim = format!("\r\n--{boundary}").into_bytes();
    // The body starts with the first delimiter, without its CRLF.
    let mut rest = body
        .strip_prefix(&delim[2..])
        .expect("starts with the delimiter");
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--\r\n") {
            assert_eq!(rest, b"--\r\n", "nothing after the closing delimiter");
            return parts;
        }
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after a delimiter");
        let end = rest
            .windows(delim.len())
            .position(|w| w == delim.as_slice())
            .expect("a next delimiter");
        let part = &rest[..end];
        rest = &rest[end + delim.len()..];
        let head_end = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a blank line")
            + 2;
        let head = std::str::from_utf8(&part[..head_end]).unwrap();
        let data = part[head_end + 2..].to_vec();
        let mut parsed = Parsed {
            name: String::new(),
            file_name: None,
            content_type: None,
            data,
        };
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            if let Some(cd) = line.strip_prefix("Content-Disposition: form-data; ") {
                let (name, file) = match cd.split_once("; filename=") {
                    Some((n, f)) => (n, Some(f)),
                    None => (cd, None),
                };
                let name = name
                    .strip_prefix("name=\"")
                    .unwrap()
                    .strip_suffix('"')
                    .unwrap();
                parsed.name = unescape(name);
                parsed.file_name =
                    file.map(|f| unescape(f.strip_prefix('"').unwrap().strip_suffix('"').unwrap()));
            } else if let Some(ct) = line.strip_prefix("Content-Type: ") {
                parsed.content_type = Some(ct.to_string());
            }
        }
        parts.push(parsed);
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "9", " ", "\"", "\r", "\n", "é", "名", ";", "=", "%", "-",
        ];
        (0..self.below(12))
            .map(|_| PIECES[self.below(PIECES.len())])
            .collect()
    }
}

#[test]
fn random_forms_round_trip_through_a_parser() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..300 {
        let mut form = Multipart::new();
        let mut want = Vec::new();
        for _ in 0..rng.below(6) {
            let name = rng.text();
            let size = [0, 1, 2, 100, 5000][rng.below(5)];
            let data: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
            let file_name = (rng.below(2) == 0).then(|| rng.text());
            let known = rng.below(3) != 0;
            let mut part = match rng.below(3) {
                0 => Part::bytes(data.clone()),
                _ => Part::reader(
                    std::io::Cursor::new(data.clone()),
                    known.then_some(size as u64),
                ),
            };
            if let Some(f) = &file_name {
                part = part.file_name(f.clone());
            }
            let content_type = Some(
                file_name
                    .as_deref()
                    .and_then(mime::guess)
                    .unwrap_or("application/octet-stream")
                    .to_string(),
            );
            want.push(Parsed {
                name: name.clone(),
                file_name,
                content_type,
                data,
            });
            form = form.part(name, part);
        }
        let boundary = form.boundary_str().to_string();
        let computed = form.len();
        let chunk = 1 + rng.below(700);
        let (bytes, len, _) = produce(form, chunk);
        assert_eq!(len, computed);
        if let Some(n) = len {
            assert_eq!(n, bytes.len() as u64, "round {round}: computed length");
        }
        assert_eq!(parse(&bytes, &boundary), want, "round {round}");
    }
}
