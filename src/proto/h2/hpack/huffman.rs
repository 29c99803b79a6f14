//! The Huffman code of HPACK string literals (RFC 7541 §5.2, Appendix B).

use std::sync::OnceLock;

use super::tables::HUFFMAN_CODES;
use super::HpackError;

/// The symbol of a decoding tree's leaf; `EOS` is 256.
const EOS: u16 = 256;

/// A node of the decoding tree: its two children (by the next bit), each
/// an inner node's index or a leaf's symbol (`LEAF | symbol`).
type Node = [u16; 2];

const LEAF: u16 = 0x8000;
/// A child not yet filled in while building (every one is, for a
/// complete code).
const NONE: u16 = 0;

/// The decoding tree, built once from the code table: 256 inner nodes for
/// the 257 symbols, node 0 the root.
fn tree() -> &'static [Node] {
    static TREE: OnceLock<Vec<Node>> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut nodes: Vec<Node> = vec![[NONE; 2]];
        for (symbol, &(code, bits)) in HUFFMAN_CODES.iter().enumerate() {
            let mut at = 0usize;
            for i in (0..bits).rev() {
                let bit = ((code >> i) & 1) as usize;
                if i == 0 {
                    nodes[at][bit] = LEAF | symbol as u16;
                } else {
                    if nodes[at][bit] == NONE {
                        nodes.push([NONE; 2]);
                        nodes[at][bit] = (nodes.len() - 1) as u16;
                    }
                    at = nodes[at][bit] as usize;
                }
            }
        }
        nodes
    })
}

/// The encoded length of `data` in bytes.
pub fn encoded_len(data: &[u8]) -> usize {
    let bits: usize = data
        .iter()
        .map(|&b| usize::from(HUFFMAN_CODES[usize::from(b)].1))
        .sum();
    bits.div_ceil(8)
}

/// Appends the Huffman encoding of `data` to `out`, padded with the most
/// significant bits of EOS (all ones).
pub fn encode(data: &[u8], out: &mut Vec<u8>) {
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in data {
        let (code, bits) = HUFFMAN_CODES[usize::from(b)];
        acc = (acc << bits) | u64::from(code);
        n += u32::from(bits);
        while n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
        acc &= (1 << n) - 1;
    }
    if n > 0 {
        let pad = 8 - n;
        out.push(((acc << pad) | ((1 << pad) - 1)) as u8);
    }
}

/// One step of the decoding automaton: from a tree node, four bits on.
#[derive(Clone, Copy, Default)]
struct Step {
    /// The node reached.
    next: u8,
    /// The symbol completed on the way, if any (at most one: the shortest
    /// code is five bits).
    symbol: Option<u8>,
    /// EOS was reached on the way: an error.
    eos: bool,
}

/// The automaton, built once from the tree: for each inner node (256 of
/// them) and each nibble, where four more bits lead; and for each node,
/// whether ending there is valid padding (the node lies on the all-ones
/// path from the root, at most 7 bits deep).
struct Automaton {
    steps: Vec<[Step; 16]>,
    end_ok: Vec<bool>,
}

fn automaton() -> &'static Automaton {
    static AUTOMATON: OnceLock<Automaton> = OnceLock::new();
    AUTOMATON.get_or_init(|| {
        let tree = tree();
        assert!(tree.len() <= 256, "the Huffman code has 256 inner nodes");
        let mut steps = vec![[Step::default(); 16]; tree.len()];
        for (node, row) in steps.iter_mut().enumerate() {
            for (nibble, step) in row.iter_mut().enumerate() {
                let mut at = node;
                for i in (0..4).rev() {
                    let child = tree[at][(nibble >> i) & 1];
                    if child & LEAF != 0 {
                        let symbol = child & !LEAF;
                        if symbol == EOS {
                            step.eos = true;
                            break;
                        }
                        step.symbol = Some(symbol as u8);
                        at = 0;
                    } else {
                        at = usize::from(child);
                    }
                }
                step.next = at as u8;
            }
        }
        let mut end_ok = vec![false; tree.len()];
        let mut at = 0usize;
        end_ok[0] = true;
        for _ in 0..7 {
            let child = tree[at][1];
            if child & LEAF != 0 {
                break;
            }
            at = usize::from(child);
            end_ok[at] = true;
        }
        Automaton { steps, end_ok }
    })
}

/// Decodes `data` into `out`, failing once `out` would pass `limit`
/// bytes. Padding longer than 7 bits, padding that is not a prefix of EOS,
/// and an EOS symbol in the string are errors (RFC 7541 §5.2). Four bits
/// at a time, through a table built once from the code.
pub fn decode(data: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), HpackError> {
    let automaton = automaton();
    let mut at = 0usize;
    for &byte in data {
        for nibble in [byte >> 4, byte & 0x0f] {
            let step = automaton.steps[at][usize::from(nibble)];
            if step.eos {
                return Err(HpackError::HuffmanEos);
            }
            if let Some(symbol) = step.symbol {
                if out.len() >= limit {
                    return Err(HpackError::HeaderListTooLarge);
                }
                out.push(symbol);
            }
            at = usize::from(step.next);
        }
    }
    if !automaton.end_ok[at] {
        return Err(HpackError::HuffmanPadding);
    }
    Ok(())
}

/// The bit-by-bit decoder the automaton is checked against in tests.
#[cfg(test)]
pub(crate) fn decode_bitwise(
    data: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), HpackError> {
    let tree = tree();
    let mut at = 0usize;
    // Bits read since the last symbol, and whether all of them were ones.
    let mut pending = 0u32;
    let mut ones = true;
    for &byte in data {
        for i in (0..8).rev() {
            let bit = usize::from((byte >> i) & 1);
            pending += 1;
            ones &= bit == 1;
            let next = tree[at][bit];
            if next & LEAF != 0 {
                let symbol = next & !LEAF;
                if symbol == EOS {
                    return Err(HpackError::HuffmanEos);
                }
                if out.len() >= limit {
                    return Err(HpackError::HeaderListTooLarge);
                }
                out.push(symbol as u8);
                at = 0;
                pending = 0;
                ones = true;
            } else {
                at = usize::from(next);
            }
        }
    }
    if pending > 7 || !ones {
        return Err(HpackError::HuffmanPadding);
    }
    Ok(())
}
