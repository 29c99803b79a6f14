//! Content types guessed from a file name's extension, for the common
//! types only (a short table instead of a dependency: the default build
//! stays small); the `mime-guess` feature asks mime_guess first. Facts from the IANA media types registry and the usual
//! server mappings (Apache's `mime.types`). Anything else is
//! `application/octet-stream`; give a part its type with `Part::mime`.

/// Extensions (lower case) and their types, sorted by extension.
const TYPES: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("aac", "audio/aac"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("bz2", "application/x-bzip2"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("epub", "application/epub+zip"),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("ics", "text/calendar"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("md", "text/markdown"),
    ("mjs", "text/javascript"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("mpeg", "video/mpeg"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("ogv", "video/ogg"),
    ("otf", "font/otf"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("rar", "application/vnd.rar"),
    ("rtf", "application/rtf"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("toml", "application/toml"),
    ("tsv", "text/tab-separated-values"),
    ("ttf", "font/ttf"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("wav", "audio/wav"),
    ("weba", "audio/webm"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
    ("zst", "application/zstd"),
];

/// The type for `file_name`'s extension: mime_guess's answer with the
/// `mime-guess` feature, else the table's, if it is a common one.
pub(crate) fn guess(file_name: &str) -> Option<&'static str> {
    #[cfg(feature = "mime-guess")]
    if let Some(t) = mime_guess::from_path(file_name).first_raw() {
        return Some(t);
    }
    from_table(file_name)
}

/// The table's type for `file_name`'s extension.
fn from_table(file_name: &str) -> Option<&'static str> {
    let (_, ext) = file_name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    TYPES
        .binary_search_by(|(e, _)| (*e).cmp(ext.as_str()))
        .ok()
        .map(|i| TYPES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_guesses_by_extension() {
        assert!(
            TYPES.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, no duplicates"
        );
        assert_eq!(from_table("photo.PNG"), Some("image/png"));
        assert_eq!(from_table("archive.tar.gz"), Some("application/gzip"));
        assert_eq!(from_table("notes.txt"), Some("text/plain"));
        assert_eq!(from_table("README"), None);
        assert_eq!(from_table("weird.xyz"), None);
        assert_eq!(from_table(".hidden"), None);
        // Whichever table answers, the common types agree.
        for (name, t) in [
            ("a.png", "image/png"),
            ("b.html", "text/html"),
            ("c.pdf", "application/pdf"),
        ] {
            assert_eq!(guess(name), Some(t), "{name}");
        }
    }
}
