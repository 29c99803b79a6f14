//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1), parsed for any auth
//! scheme: several per field, quoted strings, token68.

/// One challenge of a `WWW-Authenticate` field: a scheme and its parameters
/// (names lower-cased, quoted values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme, as sent (`Digest`, `Basic`, ...).
    pub scheme: String,
    /// The parameters, in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (lower case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the challenges of `WWW-Authenticate` field values (RFC 9110
/// §11.6.1): several per field, commas inside quoted strings, unknown
/// parameters kept. A token68 (as in `Basic abc==`) is kept as a parameter
/// with an empty name.
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for value in values {
        parse_into(value, &mut out);
    }
    out
}

fn parse_into(s: &[u8], out: &mut Vec<Challenge>) {
    let mut i = 0;
    let skip = |i: &mut usize, set: &[u8]| {
        while *i < s.len() && set.contains(&s[*i]) {
            *i += 1;
        }
    };
    while i < s.len() {
        skip(&mut i, b" \t,");
        let start = i;
        while i < s.len() && crate::proto::h1::head::is_tchar(s[i]) {
            i += 1;
        }
        if i == start {
            // Not a token: skip the byte (lenient), never loop forever.
            i += 1;
            continue;
        }
        let word = String::from_utf8_lossy(&s[start..i]).into_owned();
        skip(&mut i, b" \t");
        if i < s.len() && s[i] == b'=' && !out.is_empty() {
            // name=value of the current challenge (or a token68 ending in '=').
            let mut j = i;
            while j < s.len() && s[j] == b'=' {
                j += 1;
            }
            let mut k = j;
            skip(&mut k, b" \t");
            if j - i > 1 || k >= s.len() || s[k] == b',' {
                let last = out.last_mut().expect("checked non-empty");
                let padding = String::from_utf8_lossy(&s[i..j]);
                last.params
                    .push((String::new(), format!("{word}{padding}")));
                i = j;
                continue;
            }
            i = k;
            let value = if s[i] == b'"' {
                i += 1;
                let mut v = Vec::new();
                while i < s.len() && s[i] != b'"' {
                    if s[i] == b'\\' && i + 1 < s.len() {
                        i += 1;
                    }
                    v.push(s[i]);
                    i += 1;
                }
                i += 1; // closing quote
                String::from_utf8_lossy(&v).into_owned()
            } else {
                let vs = i;
                while i < s.len() && s[i] != b',' && s[i] != b' ' && s[i] != b'\t' {
                    i += 1;
                }
                String::from_utf8_lossy(&s[vs..i]).into_owned()
            };
            let last = out.last_mut().expect("checked non-empty");
            last.params.push((word.to_ascii_lowercase(), value));
        } else {
            out.push(Challenge {
                scheme: word,
                params: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(header: &str) -> Vec<Challenge> {
        parse_challenges([header.as_bytes()])
    }

    #[test]
    fn parses_quoted_commas_and_unknown_params() {
        let c = ch(
            r#"Digest realm="a, b", nonce="n\"q", qop="auth,auth-int", foo=bar, algorithm=SHA-256"#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Digest");
        assert_eq!(c[0].param("realm"), Some("a, b"));
        assert_eq!(c[0].param("nonce"), Some("n\"q"));
        assert_eq!(c[0].param("qop"), Some("auth,auth-int"));
        assert_eq!(c[0].param("foo"), Some("bar"));
        assert_eq!(c[0].param("algorithm"), Some("SHA-256"));
    }

    #[test]
    fn token68() {
        let c = ch("Negotiate abc==, Basic realm=\"r\"");
        assert_eq!(c[0].params, vec![(String::new(), "abc==".to_string())]);
        assert_eq!(c[1].param("realm"), Some("r"));
    }

    #[test]
    fn garbage_does_not_hang() {
        for g in [
            "\"",
            "=",
            ",,,",
            "Digest =\"",
            "Digest realm=\"unterminated",
            "\u{0}\u{1}",
        ] {
            let _ = ch(g);
        }
    }
}
