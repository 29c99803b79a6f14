//! `-K/--config FILE` in curl's config-file syntax: one option per line,
//! `name = value`, `name: value` or `name value`, the leading dashes of a
//! long name optional, a value in double quotes with `\"`, `\\`, `\t`,
//! `\n`, `\r`, `\v` escapes, `#` comments. `-K -` reads standard input.
//! fetch reads no default config file.

use std::io::Read;

use crate::Failure;

/// The arguments the config file `name` holds (`-` for standard input).
pub fn load(name: &str) -> Result<Vec<String>, Failure> {
    let text = read(name)?;
    parse(&text).map_err(|(line, why)| Failure::new(2, format!("config file {name}:{line}: {why}")))
}

fn read(name: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if name == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(name).map(|t| text = t)
    };
    read.map_err(|e| Failure::new(26, format!("cannot read config file {name}: {e}")))?;
    Ok(text)
}

/// The arguments a config file's text holds; on error, the line number and why.
pub fn parse(text: &str) -> Result<Vec<String>, (usize, String)> {
    let mut args = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let end = line
            .find(|c: char| c.is_whitespace() || c == '=' || c == ':')
            .unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        let flag = if name.starts_with('-') {
            name.to_string()
        } else {
            format!("--{name}")
        };
        let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '=' || c == ':');
        args.push(flag);
        if rest.is_empty() {
            continue;
        }
        let value = match rest.strip_prefix('"') {
            Some(quoted) => unquote(quoted).map_err(|why| (n + 1, why))?,
            // Unquoted: up to the first white space.
            None => rest.split_whitespace().next().unwrap_or("").to_string(),
        };
        args.push(value);
    }
    Ok(args)
}

/// The value of a quoted string whose opening quote is gone.
fn unquote(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(out),
            '\\' => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('v') => out.push('\u{b}'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("unterminated quoted value".to_string())
}
