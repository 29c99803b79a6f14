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
    /// The credentials for `host`: its first `machine` entry, else `default`.
    pub fn find(&self, host: &str) -> Option<&NetrcEntry> {
        self.machines
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(host))
            .map(|(_, e)| e)
            .or(self.default.as_ref())
    }

    /// The credentials for user `login` at `host` (a URL that names its
    /// user, `http://user2@host/`): the `machine` entry for `host` with that
    /// `login`, else `default` when its `login` is that one (curl's rule).
    pub fn find_login(&self, host: &str, login: &str) -> Option<&NetrcEntry> {
        self.machines
            .iter()
            .find(|(m, e)| m.eq_ignore_ascii_case(host) && e.login == login)
            .map(|(_, e)| e)
            .or(self.default.as_ref().filter(|e| e.login == login))
    }

    /// Parses the text of a `.netrc` file; `file` names it in errors.
    ///
    /// Read as curl and CPython read it: tokens are separated by white space
    /// and may be quoted (`"a b"`, where `\n`, `\r`, `\t`, `\"` and `\\`
    /// are escapes); `#` starts a comment where a keyword is due, so a value
    /// may start with `#`; a keyword with no value at the end of the file
    /// has an empty value; a NUL byte ends its line (curl's test 792);
    /// `user` is `login`; `account` values are ignored; a `macdef` body runs
    /// to the next empty line, whatever it holds.
    ///
    /// # Errors
    /// `Config` naming the file and line of an unknown keyword or of
    /// credentials outside a `machine` or `default` entry.
    pub fn parse(text: &str, file: &Path) -> Result<Netrc> {
        // A NUL ends its line: what follows it there is not read.
        let cleaned: String;
        let text = if text.contains('\0') {
            cleaned = text
                .split('\n')
                .map(|l| l.split('\0').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            &cleaned
        } else {
            text
        };
        let err = |line: usize, what: String| {
            Error::new(
                ErrorKind::Config,
                format!("{}:{line}: {what}", file.display()),
            )
        };
        let mut lexer = Lexer::new(text);
        let mut out = Netrc::default();
        // The entry being filled: (machine name, or None for default).
        let mut current: Option<(Option<String>, NetrcEntry)> = None;
        let finish = |out: &mut Netrc, current: Option<(Option<String>, NetrcEntry)>| match current
        {
            Some((Some(m), e)) => out.machines.push((m, e)),
            Some((None, e)) => out.default = Some(e),
            None => {}
        };
        let empty = || NetrcEntry {
            login: String::new(),
            password: String::new(),
        };
        while let Some((word, line)) = lexer.keyword() {
            match word.as_str() {
                "machine" => {
                    let name = lexer.value();
                    finish(&mut out, current.take());
                    current = Some((Some(name), empty()));
                }
                "default" => {
                    finish(&mut out, current.take());
                    current = Some((None, empty()));
                }
                "login" | "user" | "password" | "account" => {
                    let v = lexer.value();
                    let Some((_, entry)) = current.as_mut() else {
                        return Err(err(
                            line,
                            format!("{word:?} outside a machine or default entry"),
                        ));
                    };
                    match word.as_str() {
                        "login" | "user" => entry.login = v,
                        "password" => entry.password = v,
                        _ => {} // account: not used by HTTP
                    }
                }
                "macdef" => {
                    let _name = lexer.value();
                    lexer.skip_macdef_body();
                }
                other => return Err(err(line, format!("unknown keyword {other:?}"))),
            }
        }
        finish(&mut out, current);
        Ok(out)
    }

    /// Reads and parses `path`.
    ///
    /// # Errors
    /// `Config` when the file cannot be read or parsed.
    pub fn from_file(path: &Path) -> Result<Netrc> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::new(ErrorKind::Config, format!("cannot read {}", path.display())).with_source(e)
        })?;
        Netrc::parse(&String::from_utf8_lossy(&bytes), path)
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

/// Reads a `.netrc` a token at a time, knowing whether a keyword or a
/// value is due (only a keyword may be a comment).
struct Lexer<'a> {
    rest: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            rest: text.chars().peekable(),
            line: 1,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.rest.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_space(&mut self) {
        while self.rest.peek().is_some_and(|c| c.is_whitespace()) {
            self.bump();
        }
    }

    /// The next keyword and its line, skipping comments; `None` at the end.
    fn keyword(&mut self) -> Option<(String, usize)> {
        loop {
            self.skip_space();
            if self.rest.peek() == Some(&'#') {
                while self.rest.peek().is_some_and(|&c| c != '\n') {
                    self.bump();
                }
                continue;
            }
            let line = self.line;
            return self.token().map(|t| (t, line));
        }
    }

    /// The next token as a value: `#` is part of it; the end of the file
    /// gives an empty value.
    fn value(&mut self) -> String {
        self.skip_space();
        self.token().unwrap_or_default()
    }

    fn token(&mut self) -> Option<String> {
        let first = *self.rest.peek()?;
        let mut tok = String::new();
        if first == '"' {
            self.bump();
            while let Some(c) = self.bump() {
                match c {
                    '"' => break,
                    '\\' => match self.bump() {
                        Some('n') => tok.push('\n'),
                        Some('r') => tok.push('\r'),
                        Some('t') => tok.push('\t'),
                        Some(other) => tok.push(other),
                        None => {}
                    },
                    _ => tok.push(c),
                }
            }
        } else {
            while let Some(&c) = self.rest.peek() {
                if c.is_whitespace() {
                    break;
                }
                tok.push(c);
                self.bump();
            }
        }
        Some(tok)
    }

    /// Skips a `macdef` body: the rest of the name's line, then every line
    /// up to and including the next empty one. Quotes in it mean nothing.
    fn skip_macdef_body(&mut self) {
        while self.rest.peek().is_some_and(|&c| c != '\n') {
            self.bump();
        }
        self.bump();
        loop {
            let mut blank = true;
            let mut any = false;
            while let Some(c) = self.bump() {
                any = true;
                if c == '\n' {
                    break;
                }
                if !c.is_whitespace() {
                    blank = false;
                }
            }
            if blank || !any {
                return;
            }
        }
    }
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
        let e = parse("machine h\nlogin u\nfoo").unwrap_err();
        assert!(e.to_string().contains("test.netrc:3"), "{e}");
    }

    /// `(file, host, login, password)` cases from CPython's test_netrc and
    /// curl's tests (test 792 for the NUL byte), as facts.
    #[test]
    fn cpython_and_curl_cases() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // A value may start with, end with or hold `#`.
            (
                "machine h login log password #pass account acct",
                "h",
                "log",
                "#pass",
            ),
            (
                "machine h login log password pass# account acct",
                "h",
                "log",
                "pass#",
            ),
            (
                "machine h login log password pa#ss account acct",
                "h",
                "log",
                "pa#ss",
            ),
            ("machine h login #log password pass", "h", "#log", "pass"),
            // `#` where a keyword is due starts a comment.
            (
                "# comment\nmachine h login bar password pass\n",
                "h",
                "bar",
                "pass",
            ),
            (
                "machine h login bar password pass # comment\n",
                "h",
                "bar",
                "pass",
            ),
            (
                "machine h login bar password pass\n# machine h login x password y\n",
                "h",
                "bar",
                "pass",
            ),
            (
                "#machine h login x password y\nmachine h login bar password pass",
                "h",
                "bar",
                "pass",
            ),
            // A keyword with no value at the end of the file: empty.
            ("machine h login u password", "h", "u", ""),
            ("machine h password p login", "h", "", "p"),
            ("machine h", "h", "", ""),
            ("default", "any", "", ""),
            // Quoted values and their escapes.
            (
                "machine h login \"a b\" password \"x\\ny\\tz\\r\\\"q\\\"\\\\\"",
                "h",
                "a b",
                "x\ny\tz\r\"q\"\\",
            ),
            ("machine h login \"\" password \"\"", "h", "", ""),
            (
                "machine \"h\" login u password \"pass with spaces\"",
                "h",
                "u",
                "pass with spaces",
            ),
            // `user` is `login`.
            ("machine h user u password p", "h", "u", "p"),
            // A NUL ends its line (curl's test 792: the password is empty).
            (
                "machine h login username password\0 hello",
                "h",
                "username",
                "",
            ),
            (
                "machine h login u\0 password bad\npassword good",
                "h",
                "u",
                "good",
            ),
            // A macdef body ends at an empty line whatever it holds; what
            // follows still counts.
            (
                "macdef init\necho \"unbalanced\nmachine x\n\nmachine h login u password p\n",
                "h",
                "u",
                "p",
            ),
            (
                "macdef m1\nline1\nline2\n\nmacdef m2\nline3\n\ndefault login d password q",
                "h",
                "d",
                "q",
            ),
        ];
        for (file, host, login, password) in cases {
            let n = parse(file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
            let e = n
                .find(host)
                .unwrap_or_else(|| panic!("{file:?}: no entry for {host}"));
            assert_eq!(
                (e.login.as_str(), e.password.as_str()),
                (*login, *password),
                "{file:?}"
            );
        }
        let n = parse("macdef init\necho \"unbalanced\nmachine x\n\n").unwrap();
        assert!(n.find("x").is_none(), "inside the macro body");
    }

    #[test]
    fn the_url_user_picks_the_entry() {
        // curl: with a user name in the URL, the entry with that login.
        let n = parse(
            "machine h login user1 password one\nmachine h login user2 password two\n\
             default login anon password guest",
        )
        .unwrap();
        assert_eq!(n.find_login("h", "user2").unwrap().password, "two");
        assert_eq!(n.find_login("H", "user1").unwrap().password, "one");
        assert!(n.find_login("h", "user3").is_none());
        assert_eq!(n.find_login("other", "anon").unwrap().password, "guest");
        assert_eq!(n.find("h").unwrap().login, "user1");
    }
}
