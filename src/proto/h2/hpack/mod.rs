//! HPACK (RFC 7541), header compression for HTTP/2, sans-IO: a
//! [`Decoder`] that turns a header block into fields under a cap on the
//! decoded list's size, and an [`Encoder`] that indexes what it may and
//! never indexes credentials, with Huffman coding when it is shorter.
//!
//! Written here from the RFC: the crates that offer HPACK were looked at
//! for #18 (`hpack` unmaintained, RUSTSEC-2023-0084; `httlib-hpack`
//! dormant; `loona-hpack` without a Huffman encoder, indexing credentials
//! and with no list-size cap; `h2`'s private). Tested against every
//! example of RFC 7541 Appendix C and the hpack-test-case stories.

use std::collections::VecDeque;
use std::fmt;

mod huffman;
mod tables;

pub use huffman::{decode as huffman_decode, encode as huffman_encode};
use tables::STATIC_TABLE;

/// The default (and initial) dynamic table size, `SETTINGS_HEADER_TABLE_SIZE`'s
/// default (RFC 9113 §6.5.2).
pub const DEFAULT_TABLE_SIZE: usize = 4096;

/// What each table entry costs beyond its name and value (RFC 7541 §4.1).
const ENTRY_OVERHEAD: usize = 32;

/// Why a header block could not be decoded: each is a `COMPRESSION_ERROR`
/// of the whole connection (RFC 9113 §4.3), except `HeaderListTooLarge`,
/// which the caller may answer per stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HpackError {
    /// The block ended inside a field.
    Truncated,
    /// An integer too large for this decoder.
    IntegerOverflow,
    /// An index past the end of the tables (or 0).
    InvalidIndex(usize),
    /// A Huffman string contained the EOS symbol.
    HuffmanEos,
    /// A Huffman string's padding was longer than 7 bits or not all ones.
    HuffmanPadding,
    /// A dynamic table size update above the limit this side announced.
    TableSizeTooLarge(usize),
    /// A dynamic table size update after the first field of the block.
    LateTableSizeUpdate,
    /// The decoded fields passed the list-size cap.
    HeaderListTooLarge,
}

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HpackError::Truncated => f.write_str("header block ends inside a field"),
            HpackError::IntegerOverflow => f.write_str("header block integer too large"),
            HpackError::InvalidIndex(i) => {
                write!(f, "header block refers to index {i}, not in the tables")
            }
            HpackError::HuffmanEos => f.write_str("Huffman string contains EOS"),
            HpackError::HuffmanPadding => f.write_str("Huffman string has invalid padding"),
            HpackError::TableSizeTooLarge(n) => {
                write!(
                    f,
                    "dynamic table size update to {n}, above the announced limit"
                )
            }
            HpackError::LateTableSizeUpdate => {
                f.write_str("dynamic table size update after the start of the header block")
            }
            HpackError::HeaderListTooLarge => f.write_str("header list larger than the limit"),
        }
    }
}

impl std::error::Error for HpackError {}

/// A decoded header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name, as sent (HTTP/2 requires lower case; the caller checks).
    pub name: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
    /// Sent as never-indexed (RFC 7541 §6.2.3): to be forwarded so too.
    pub never_indexed: bool,
}

/// The dynamic table: newest entry first, bounded by its size.
#[derive(Debug, Clone)]
struct DynamicTable {
    entries: VecDeque<(Vec<u8>, Vec<u8>)>,
    size: usize,
    max_size: usize,
}

impl DynamicTable {
    fn new(max_size: usize) -> DynamicTable {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    fn entry_size(name: &[u8], value: &[u8]) -> usize {
        name.len() + value.len() + ENTRY_OVERHEAD
    }

    fn evict_to(&mut self, max: usize) {
        while self.size > max {
            let (n, v) = self
                .entries
                .pop_back()
                .expect("a table over size has entries");
            self.size -= Self::entry_size(&n, &v);
        }
    }

    fn set_max_size(&mut self, max: usize) {
        self.max_size = max;
        self.evict_to(max);
    }

    /// Adds an entry, evicting the oldest ones to make room; an entry
    /// larger than the table empties it (RFC 7541 §4.4).
    fn insert(&mut self, name: Vec<u8>, value: Vec<u8>) {
        let size = Self::entry_size(&name, &value);
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    /// The entry at `index` (1-based over the static then the dynamic table).
    fn get(&self, index: usize) -> Result<(&[u8], &[u8]), HpackError> {
        match index {
            0 => Err(HpackError::InvalidIndex(0)),
            i if i <= STATIC_TABLE.len() => {
                let (n, v) = STATIC_TABLE[i - 1];
                Ok((n.as_bytes(), v.as_bytes()))
            }
            i => self
                .entries
                .get(i - STATIC_TABLE.len() - 1)
                .map(|(n, v)| (n.as_slice(), v.as_slice()))
                .ok_or(HpackError::InvalidIndex(i)),
        }
    }

    /// The index of an entry with this name and value, or else of one with
    /// this name: `(index, value matches)`.
    fn find(&self, name: &[u8], value: &[u8]) -> Option<(usize, bool)> {
        let mut by_name = None;
        for (i, (n, v)) in STATIC_TABLE.iter().enumerate() {
            if n.as_bytes() == name {
                if v.as_bytes() == value {
                    return Some((i + 1, true));
                }
                by_name.get_or_insert(i + 1);
            }
        }
        for (i, (n, v)) in self.entries.iter().enumerate() {
            if n == name {
                let index = STATIC_TABLE.len() + 1 + i;
                if v == value {
                    return Some((index, true));
                }
                by_name.get_or_insert(index);
            }
        }
        by_name.map(|i| (i, false))
    }
}

/// Appends `value` as an integer with an `prefix`-bit prefix (RFC 7541
/// §5.1), the first byte's high bits set to `flags`.
pub fn encode_integer(value: usize, prefix: u8, flags: u8, out: &mut Vec<u8>) {
    let max = (1usize << prefix) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
}

/// Reads an integer with a `prefix`-bit prefix from `data` at `*pos`.
pub fn decode_integer(data: &[u8], pos: &mut usize, prefix: u8) -> Result<usize, HpackError> {
    let max = (1usize << prefix) - 1;
    let first = *data.get(*pos).ok_or(HpackError::Truncated)?;
    *pos += 1;
    let mut value = usize::from(first) & max;
    if value < max {
        return Ok(value);
    }
    let mut shift = 0u32;
    loop {
        let b = *data.get(*pos).ok_or(HpackError::Truncated)?;
        *pos += 1;
        // At most 2^32 - 1 (more than any limit here): five bytes of 7 bits.
        if shift > 28 {
            return Err(HpackError::IntegerOverflow);
        }
        value = value
            .checked_add(usize::from(b & 0x7f) << shift)
            .filter(|v| *v <= u32::MAX as usize)
            .ok_or(HpackError::IntegerOverflow)?;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// Reads a string literal (RFC 7541 §5.2) into a new vector of at most
/// `limit` bytes.
fn decode_string(data: &[u8], pos: &mut usize, limit: usize) -> Result<Vec<u8>, HpackError> {
    let huffman = data.get(*pos).ok_or(HpackError::Truncated)? & 0x80 != 0;
    let len = decode_integer(data, pos, 7)?;
    let end = pos
        .checked_add(len)
        .filter(|e| *e <= data.len())
        .ok_or(HpackError::Truncated)?;
    let raw = &data[*pos..end];
    *pos = end;
    if huffman {
        let mut out = Vec::with_capacity((len * 8 / 5).min(limit));
        huffman::decode(raw, &mut out, limit)?;
        Ok(out)
    } else if len > limit {
        Err(HpackError::HeaderListTooLarge)
    } else {
        Ok(raw.to_vec())
    }
}

/// Decodes header blocks, keeping the dynamic table between them (one
/// decoder per connection).
#[derive(Debug, Clone)]
pub struct Decoder {
    table: DynamicTable,
    /// The most the peer may set the table to: this side's
    /// `SETTINGS_HEADER_TABLE_SIZE`.
    limit: usize,
    /// The most a decoded list may hold (name + value + 32 per field, as
    /// `SETTINGS_MAX_HEADER_LIST_SIZE` counts).
    max_list_size: usize,
}

impl Decoder {
    /// A decoder with a `table_size`-byte dynamic table (this side's
    /// `SETTINGS_HEADER_TABLE_SIZE`) and a cap on each decoded list.
    pub fn new(table_size: usize, max_list_size: usize) -> Decoder {
        Decoder {
            table: DynamicTable::new(table_size),
            limit: table_size,
            max_list_size,
        }
    }

    /// The dynamic table's current size in bytes (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size
    }

    /// Decodes one whole header block (HEADERS and its CONTINUATIONs
    /// joined) into `out`. Every error is fatal to the connection but
    /// `HeaderListTooLarge`, after which the table is still in step when
    /// the block was decoded to its end anyway; this decoder stops at once,
    /// so treat that too as fatal unless the block is discarded whole.
    pub fn decode(&mut self, block: &[u8], out: &mut Vec<Field>) -> Result<(), HpackError> {
        let mut pos = 0;
        let mut budget = self.max_list_size;
        let mut fields_seen = false;
        while pos < block.len() {
            let b = block[pos];
            if b & 0x80 != 0 {
                // Indexed field (§6.1).
                let index = decode_integer(block, &mut pos, 7)?;
                let (n, v) = self.table.get(index)?;
                let field = Field {
                    name: n.to_vec(),
                    value: v.to_vec(),
                    never_indexed: false,
                };
                push(out, field, &mut budget)?;
                fields_seen = true;
            } else if b & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3): only before the fields.
                if fields_seen {
                    return Err(HpackError::LateTableSizeUpdate);
                }
                let size = decode_integer(block, &mut pos, 5)?;
                if size > self.limit {
                    return Err(HpackError::TableSizeTooLarge(size));
                }
                self.table.set_max_size(size);
            } else {
                // Literal (§6.2): with incremental indexing (01), never
                // indexed (0001) or without indexing (0000).
                let (prefix, indexing, never) = if b & 0xc0 == 0x40 {
                    (6, true, false)
                } else {
                    (4, false, b & 0xf0 == 0x10)
                };
                let index = decode_integer(block, &mut pos, prefix)?;
                let name = if index == 0 {
                    decode_string(block, &mut pos, budget)?
                } else {
                    self.table.get(index)?.0.to_vec()
                };
                let left = budget.saturating_sub(name.len() + ENTRY_OVERHEAD);
                let value = decode_string(block, &mut pos, left)?;
                if indexing {
                    self.table.insert(name.clone(), value.clone());
                }
                let field = Field {
                    name,
                    value,
                    never_indexed: never,
                };
                push(out, field, &mut budget)?;
                fields_seen = true;
            }
        }
        Ok(())
    }
}

/// Adds `field` to the list, counting it against `budget`.
fn push(out: &mut Vec<Field>, field: Field, budget: &mut usize) -> Result<(), HpackError> {
    let size = field.name.len() + field.value.len() + ENTRY_OVERHEAD;
    *budget = budget
        .checked_sub(size)
        .ok_or(HpackError::HeaderListTooLarge)?;
    out.push(field);
    Ok(())
}

/// When the encoder Huffman-codes a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Huffman {
    /// When that is shorter (the default).
    #[default]
    Shorter,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Field names whose values are never indexed: credentials a compression
/// side channel (CRIME-like) could otherwise reveal (RFC 7541 §7.1.3).
const NEVER_INDEXED: [&[u8]; 3] = [b"authorization", b"proxy-authorization", b"cookie"];

/// Encodes header blocks, keeping the dynamic table between them (one
/// encoder per connection).
#[derive(Debug, Clone)]
pub struct Encoder {
    table: DynamicTable,
    /// A size change to announce at the start of the next block: the
    /// smallest size set since the last block, then the current one.
    pending: Option<(usize, usize)>,
    huffman: Huffman,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder::new(DEFAULT_TABLE_SIZE)
    }
}

impl Encoder {
    /// An encoder whose dynamic table may use `table_size` bytes (at most
    /// the peer's `SETTINGS_HEADER_TABLE_SIZE`).
    pub fn new(table_size: usize) -> Encoder {
        Encoder {
            table: DynamicTable::new(table_size),
            pending: None,
            huffman: Huffman::default(),
        }
    }

    /// Sets when strings are Huffman-coded.
    pub fn with_huffman(mut self, huffman: Huffman) -> Encoder {
        self.huffman = huffman;
        self
    }

    /// Changes the table's size (the peer's new `SETTINGS_HEADER_TABLE_SIZE`,
    /// or less): announced at the start of the next block.
    pub fn set_table_size(&mut self, size: usize) {
        let smallest = self.pending.map_or(size, |(min, _)| min.min(size));
        self.pending = Some((smallest, size));
        self.table.set_max_size(smallest);
        self.table.max_size = size;
    }

    /// The dynamic table's current size in bytes.
    pub fn table_size(&self) -> usize {
        self.table.size
    }

    /// Appends the block for `fields` (name, value, sensitive) to `out`.
    /// A sensitive field — or an `authorization`, `proxy-authorization` or
    /// `cookie` one — is sent never-indexed; any other is indexed when it
    /// fits the table.
    pub fn encode<'a, I>(&mut self, fields: I, out: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
    {
        if let Some((smallest, current)) = self.pending.take() {
            if smallest < current {
                encode_integer(smallest, 5, 0x20, out);
            }
            encode_integer(current, 5, 0x20, out);
        }
        for (name, value, sensitive) in fields {
            let never = sensitive || NEVER_INDEXED.contains(&name);
            let found = self.table.find(name, value);
            match found {
                Some((index, true)) if !never => encode_integer(index, 7, 0x80, out),
                _ => {
                    let name_index = found.map_or(0, |(i, _)| i);
                    let indexing =
                        !never && DynamicTable::entry_size(name, value) <= self.table.max_size;
                    let (prefix, flags) = match (indexing, never) {
                        (true, _) => (6, 0x40),
                        (false, true) => (4, 0x10),
                        (false, false) => (4, 0x00),
                    };
                    encode_integer(name_index, prefix, flags, out);
                    if name_index == 0 {
                        self.encode_string(name, out);
                    }
                    self.encode_string(value, out);
                    if indexing {
                        self.table.insert(name.to_vec(), value.to_vec());
                    }
                }
            }
        }
    }

    fn encode_string(&self, s: &[u8], out: &mut Vec<u8>) {
        let huffman_len = huffman::encoded_len(s);
        let use_huffman = match self.huffman {
            Huffman::Always => true,
            Huffman::Never => false,
            Huffman::Shorter => huffman_len < s.len(),
        };
        if use_huffman {
            encode_integer(huffman_len, 7, 0x80, out);
            huffman::encode(s, out);
        } else {
            encode_integer(s.len(), 7, 0, out);
            out.extend_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests;
