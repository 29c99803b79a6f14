//! HPACK against the public hpack-test-case stories (tests/data/hpack):
//! every header block five other encoders wrote decodes to the story's
//! headers, with one decoder per story as a connection keeps one; and our
//! encoder's blocks for the same headers decode back to them.

use std::path::Path;

use ferrohttp::proto::h2::hpack::{Decoder, Encoder, Field};

struct Case {
    table_size: Option<usize>,
    wire: Vec<u8>,
    headers: Vec<(String, String)>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn story(path: &Path) -> Vec<Case> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            table_size: c["header_table_size"].as_u64().map(|n| n as usize),
            wire: hex(c["wire"].as_str().unwrap()),
            headers: c["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    let (k, v) = h.as_object().unwrap().iter().next().unwrap();
                    (k.clone(), v.as_str().unwrap().to_string())
                })
                .collect(),
        })
        .collect()
}

fn stories() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hpack");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(dir).unwrap() {
                out.push(f.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

fn as_pairs(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| {
            (
                String::from_utf8(f.name.clone()).unwrap(),
                String::from_utf8(f.value.clone()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_story_decodes_to_its_headers() {
    let paths = stories();
    assert_eq!(paths.len(), 15, "five encoders, three stories each");
    let mut blocks = 0;
    for path in &paths {
        let cases = story(path);
        // The largest table the story's encoder announces is this side's limit.
        let limit = cases
            .iter()
            .filter_map(|c| c.table_size)
            .max()
            .unwrap_or(4096)
            .max(4096);
        let mut d = Decoder::new(limit, 1 << 20);
        for (i, case) in cases.iter().enumerate() {
            let mut out = Vec::new();
            d.decode(&case.wire, &mut out)
                .unwrap_or_else(|e| panic!("{} case {i}: {e}", path.display()));
            assert_eq!(as_pairs(&out), case.headers, "{} case {i}", path.display());
            blocks += 1;
        }
    }
    assert!(blocks >= 75, "{blocks} blocks");
}

#[test]
fn our_encoding_of_every_story_decodes_back() {
    for path in stories() {
        let cases = story(&path);
        let mut e = Encoder::default();
        let mut d = Decoder::new(4096, 1 << 20);
        let (mut ours, mut theirs) = (0, 0);
        for (i, case) in cases.iter().enumerate() {
            let mut block = Vec::new();
            e.encode(
                case.headers
                    .iter()
                    .map(|(k, v)| (k.as_bytes(), v.as_bytes(), false)),
                &mut block,
            );
            let mut out = Vec::new();
            d.decode(&block, &mut out).unwrap();
            assert_eq!(as_pairs(&out), case.headers, "{} case {i}", path.display());
            assert_eq!(d.table_size(), e.table_size());
            ours += block.len();
            theirs += case.wire.len();
        }
        // Not a benchmark: a sanity bound that indexing and Huffman work.
        assert!(
            ours <= theirs * 2,
            "{}: {ours} bytes vs {theirs}",
            path.display()
        );
    }
}
