//! `.netrc` files: credentials per host, as curl, httpx and ftp read them.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Credentials for one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetrcEntry {
    /// The user name (`login`).
    pub login: String,
    /// The password (empty when the entry has none).
    pub password: String,
}

/// A parsed `.netrc` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(String, NetrcEntry)>,
    default: Option<NetrcEntry>,
}

impl Netrc {
    /// The credentials for `host`: its `machine` entry, else `default`.
    pub fn find(&self, host: &str) -> Option<&NetrcEntry> {
        self.machines
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(host))
            .map(|(_, e)| e)
            .or(self.default.as_ref())
    }

    /// Parses the text of a `.netrc` file; `file` names it in errors.
    ///
    /// Tokens are separated by white space and may be quoted (`"a b"`, with
    /// `\` escapes). `account` values are ignored and `macdef` bodies (up to
    /// the next blank line) skipped.
    ///
    /// # Errors
    /// `Config` naming the file and line of an unknown keyword, a missing
    /// value, or credentials outside a `machine` or `default` entry.
    pub fn parse(text: &str, file: &Path) -> Result<Netrc> {
        let tokens = tokenize(text);
        let err = |line: usize, what: String| {
            Error::new(
                ErrorKind::Config,
                format!("{}:{line}: {what}", file.display()),
            )
        };
        let mut out = Netrc::default();
        // The entry being filled: (machine name or None for default, entry, seen login).
        let mut current: Option<(Option<String>, NetrcEntry)> = None;
        let finish = |out: &mut Netrc, current: Option<(Option<String>, NetrcEntry)>| match current
        {
            Some((Some(m), e)) => out.machines.push((m, e)),
            Some((None, e)) => out.default = Some(e),
            None => {}
        };
        let mut i = 0;
        while i < tokens.len() {
            let Token {
                text: word, line, ..
            } = &tokens[i];
            let line = *line;
            let value = |i: &mut usize| -> Result<String> {
                *i += 1;
                tokens
                    .get(*i)
                    .map(|t| t.text.clone())
                    .ok_or_else(|| err(line, format!("{word:?} needs a value")))
            };
            match word.as_str() {
                "machine" => {
                    let name = value(&mut i)?;
                    finish(&mut out, current.take());
                    current = Some((
                        Some(name),
                        NetrcEntry {
                            login: String::new(),
                            password: String::new(),
                        },
                    ));
                }
                "default" => {
                    finish(&mut out, current.take());
                    current = Some((
                        None,
                        NetrcEntry {
                            login: String::new(),
                            password: String::new(),
                        },
                    ));
                }
                "login" | "password" | "account" => {
                    let v = value(&mut i)?;
                    let Some((_, entry)) = current.as_mut() else {
                        return Err(err(
                            line,
                            format!("{word:?} outside a machine or default entry"),
                        ));
                    };
                    match word.as_str() {
                        "login" => entry.login = v,
                        "password" => entry.password = v,
                        _ => {} // account: not used by HTTP
                    }
                }
                "macdef" => {
                    let _name = value(&mut i)?;
                    // The macro body runs to the next empty line.
                    let body_start = tokens[i].line;
                    let end_line = macdef_end(text, body_start);
                    while i + 1 < tokens.len() && tokens[i + 1].line <= end_line {
                        i += 1;
                    }
                }
                other => return Err(err(line, format!("unknown keyword {other:?}"))),
            }
            i += 1;
        }
        finish(&mut out, current);
        Ok(out)
    }

    /// Reads and parses `path`.
    ///
    /// # Errors
    /// `Config` when the file cannot be read or parsed.
    pub fn from_file(path: &Path) -> Result<Netrc> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(ErrorKind::Config, format!("cannot read {}", path.display())).with_source(e)
        })?;
        Netrc::parse(&text, path)
    }
}

/// The `.netrc` to use: `$NETRC`, else `~/.netrc`, else `~/_netrc`; the
/// first that exists.
pub fn locate() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    [".netrc", "_netrc"]
        .iter()
        .map(|n| Path::new(&home).join(n))
        .find(|p| p.is_file())
}

struct Token {
    text: String,
    line: usize,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(&c) = chars.peek() {
        if c == '\n' {
            line += 1;
            chars.next();
        } else if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            // A comment runs to the end of the line (curl's reading).
            while chars.peek().is_some_and(|&c| c != '\n') {
                chars.next();
            }
        } else {
            let start_line = line;
            let mut tok = String::new();
            if c == '"' {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                tok.push(n);
                            }
                        }
                        '\n' => {
                            line += 1;
                            tok.push(c);
                        }
                        _ => tok.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    tok.push(c);
                    chars.next();
                }
            }
            out.push(Token {
                text: tok,
                line: start_line,
            });
        }
    }
    out
}

/// The last line of a macdef body that starts after line `name_line`: the
/// body ends at the first empty line.
fn macdef_end(text: &str, name_line: usize) -> usize {
    for (n, l) in text.lines().enumerate().skip(name_line) {
        if l.trim().is_empty() {
            return n; // 1-based number of the line before the blank one
        }
    }
    usize::MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Netrc> {
        Netrc::parse(s, Path::new("test.netrc"))
    }

    #[test]
    fn machines_and_default() {
        let n = parse(
            "machine a.example login alice password s3cret\n\
             machine b.example\n  login bob\n  password \"pa ss\"\n  account ignored\n\
             default login anon password guest\n",
        )
        .unwrap();
        assert_eq!(n.find("a.example").unwrap().password, "s3cret");
        assert_eq!(n.find("B.EXAMPLE").unwrap().password, "pa ss");
        assert_eq!(n.find("other").unwrap().login, "anon");
    }

    #[test]
    fn quoted_tokens_and_escapes() {
        let n = parse(r#"machine h login "a \"b\"" password "x\\y""#).unwrap();
        let e = n.find("h").unwrap();
        assert_eq!(e.login, "a \"b\"");
        assert_eq!(e.password, "x\\y");
    }

    #[test]
    fn macdef_is_skipped() {
        let n = parse(
            "macdef init\ncd /pub\nlogin nope password nope\n\nmachine h login u password p\n",
        )
        .unwrap();
        assert_eq!(n.find("h").unwrap().login, "u");
        assert!(n.find("nope").is_none());
    }

    #[test]
    fn comments_and_missing_password() {
        let n = parse("# my hosts\nmachine h login u # trailing\n").unwrap();
        assert_eq!(
            n.find("h").unwrap(),
            &NetrcEntry {
                login: "u".into(),
                password: String::new()
            }
        );
        assert!(parse("").unwrap().find("h").is_none());
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse("machine h login u\n\nbogus x\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("test.netrc:3"), "{e}");
        let e = parse("login u password p\n").unwrap_err();
        assert!(e.to_string().contains("test.netrc:1"), "{e}");
        let e = parse("machine h\nlogin").unwrap_err();
        assert!(e.to_string().contains("test.netrc:2"), "{e}");
    }
}
