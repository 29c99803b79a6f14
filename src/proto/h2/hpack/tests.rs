//! HPACK against every example of RFC 7541 Appendix C, both ways, and
//! against malformed blocks.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fields(list: &[(&str, &str)]) -> Vec<Field> {
    list.iter()
        .map(|(n, v)| Field {
            name: n.as_bytes().to_vec(),
            value: v.as_bytes().to_vec(),
            never_indexed: false,
        })
        .collect()
}

fn decode(d: &mut Decoder, block: &[u8]) -> Result<Vec<Field>, HpackError> {
    let mut out = Vec::new();
    d.decode(block, &mut out).map(|()| out)
}

fn encode(e: &mut Encoder, list: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    e.encode(
        list.iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
        &mut out,
    );
    out
}

#[test]
fn c1_integers() {
    for (value, prefix, wire) in [
        (10, 5, "0a"),
        (1337, 5, "1f 9a 0a"),
        (42, 8, "2a"),
        (31, 5, "1f 00"),
        (0, 7, "00"),
    ] {
        let mut out = Vec::new();
        encode_integer(value, prefix, 0, &mut out);
        assert_eq!(out, hex(wire), "{value}");
        let mut pos = 0;
        assert_eq!(decode_integer(&out, &mut pos, prefix), Ok(value));
        assert_eq!(pos, out.len());
    }
    // Too many continuation bytes, and an end inside an integer.
    let mut pos = 0;
    assert_eq!(
        decode_integer(&hex("1f ff ff ff ff ff 01"), &mut pos, 5),
        Err(HpackError::IntegerOverflow)
    );
    let mut pos = 0;
    assert_eq!(
        decode_integer(&hex("1f 9a"), &mut pos, 5),
        Err(HpackError::Truncated)
    );
}

#[test]
fn c2_field_representations() {
    // C.2.1 literal with indexing.
    let mut d = Decoder::new(4096, 1 << 16);
    let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
    assert_eq!(
        decode(&mut d, &block).unwrap(),
        fields(&[("custom-key", "custom-header")])
    );
    assert_eq!(d.table_size(), 55);
    let mut e = Encoder::new(4096).with_huffman(Huffman::Never);
    assert_eq!(encode(&mut e, &[("custom-key", "custom-header")]), block);
    assert_eq!(e.table_size(), 55);

    // C.2.2 literal without indexing.
    let mut d = Decoder::new(4096, 1 << 16);
    let block = hex("040c 2f73 616d 706c 652f 7061 7468");
    assert_eq!(
        decode(&mut d, &block).unwrap(),
        fields(&[(":path", "/sample/path")])
    );
    assert_eq!(d.table_size(), 0);

    // C.2.3 never indexed; our encoder sends credentials so.
    let mut d = Decoder::new(4096, 1 << 16);
    let block = hex("1008 7061 7373 776f 7264 0673 6563 7265 74");
    let got = decode(&mut d, &block).unwrap();
    assert_eq!(got[0].name, b"password");
    assert_eq!(got[0].value, b"secret");
    assert!(got[0].never_indexed);
    assert_eq!(d.table_size(), 0);
    let mut e = Encoder::new(4096).with_huffman(Huffman::Never);
    let mut out = Vec::new();
    e.encode([(&b"password"[..], &b"secret"[..], true)], &mut out);
    assert_eq!(out, block);
    let out = encode(&mut e, &[("authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!(out[0], 0x10 | 0x0f, "never indexed, name 23 (15 + 8)");
    assert_eq!(e.table_size(), 0, "credentials never enter the table");

    // C.2.4 indexed.
    let mut d = Decoder::new(4096, 1 << 16);
    assert_eq!(
        decode(&mut d, &hex("82")).unwrap(),
        fields(&[(":method", "GET")])
    );
}

const REQUESTS: [&[(&str, &str)]; 3] = [
    &[
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
    ],
    &[
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
        ("cache-control", "no-cache"),
    ],
    &[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/index.html"),
        (":authority", "www.example.com"),
        ("custom-key", "custom-value"),
    ],
];

const RESPONSES: [&[(&str, &str)]; 3] = [
    &[
        (":status", "302"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ],
    &[
        (":status", "307"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ],
    &[
        (":status", "200"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ("location", "https://www.example.com"),
        ("content-encoding", "gzip"),
        (
            "set-cookie",
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        ),
    ],
];

/// Runs one of Appendix C's sequences both ways: each block decodes to its
/// fields with the table at the RFC's size, and the encoder (same table
/// size, same Huffman choice) writes exactly the RFC's bytes.
fn sequence(
    table: usize,
    huffman: Huffman,
    lists: &[&[(&str, &str)]],
    blocks: &[&str],
    sizes: &[usize],
) {
    let mut d = Decoder::new(table, 1 << 16);
    let mut e = Encoder::new(table).with_huffman(huffman);
    for ((list, block), size) in lists.iter().zip(blocks).zip(sizes) {
        let wire = hex(block);
        assert_eq!(decode(&mut d, &wire).unwrap(), fields(list));
        assert_eq!(d.table_size(), *size);
        assert_eq!(encode(&mut e, list), wire, "{list:?}");
        assert_eq!(e.table_size(), *size);
    }
}

#[test]
fn c3_requests_without_huffman() {
    sequence(
        4096,
        Huffman::Never,
        &REQUESTS,
        &[
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ],
        &[57, 110, 164],
    );
}

#[test]
fn c4_requests_with_huffman() {
    sequence(
        4096,
        Huffman::Always,
        &REQUESTS,
        &[
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ],
        &[57, 110, 164],
    );
}

#[test]
fn c5_responses_without_huffman_evicting() {
    sequence(
        256,
        Huffman::Never,
        &RESPONSES,
        &[
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
             2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
             6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
             54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
             5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
             3d31",
        ],
        &[222, 222, 215],
    );
}

#[test]
fn c6_responses_with_huffman_evicting() {
    sequence(
        256,
        Huffman::Always,
        &RESPONSES,
        &[
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ],
        &[222, 222, 215],
    );
}

#[test]
fn huffman_round_trips_every_byte() {
    let all: Vec<u8> = (0..=255u8).collect();
    let mut coded = Vec::new();
    huffman_encode(&all, &mut coded);
    assert_eq!(coded.len(), huffman::encoded_len(&all));
    let mut back = Vec::new();
    huffman_decode(&coded, &mut back, usize::MAX).unwrap();
    assert_eq!(back, all);
}

#[test]
fn huffman_rejects_bad_padding_and_eos() {
    let mut out = Vec::new();
    // 'a' is 00011 (5 bits): padded with zeros instead of ones.
    assert_eq!(
        huffman_decode(&[0b0001_1000], &mut out, 100),
        Err(HpackError::HuffmanPadding)
    );
    // A whole byte of padding (8 ones) after a symbol that ends on a byte.
    let mut coded = Vec::new();
    huffman_encode(b"0000000", &mut coded); // '0' is 00000: 35 bits, 5 of padding
    coded.push(0xff);
    out.clear();
    assert_eq!(
        huffman_decode(&coded, &mut out, 100),
        Err(HpackError::HuffmanPadding)
    );
    // EOS (30 ones) inside the string.
    out.clear();
    assert_eq!(
        huffman_decode(&[0xff, 0xff, 0xff, 0xff], &mut out, 100),
        Err(HpackError::HuffmanEos)
    );
    // The decoded length is capped as it grows.
    let mut coded = Vec::new();
    huffman_encode(&[b'a'; 100], &mut coded);
    out.clear();
    assert_eq!(
        huffman_decode(&coded, &mut out, 50),
        Err(HpackError::HeaderListTooLarge)
    );
}

#[test]
fn malformed_blocks_are_errors_never_panics() {
    let mut d = Decoder::new(4096, 1 << 16);
    assert_eq!(decode(&mut d, &hex("80")), Err(HpackError::InvalidIndex(0)));
    assert_eq!(
        decode(&mut d, &hex("be")),
        Err(HpackError::InvalidIndex(62))
    );
    // A literal whose string runs past the block.
    assert_eq!(
        decode(&mut d, &hex("400a 6375 7374")),
        Err(HpackError::Truncated)
    );
    // A table size update above the limit, and one after a field.
    // 31 + 98 + 31 * 128 = 4097.
    assert_eq!(
        decode(&mut d, &hex("3fe2 1f")),
        Err(HpackError::TableSizeTooLarge(4096 + 1))
    );
    let mut ok = Decoder::new(4096, 1 << 16);
    assert_eq!(
        decode(&mut ok, &hex("3fe1 1f")),
        Ok(vec![]),
        "4096 is allowed"
    );
    assert_eq!(
        decode(&mut d, &hex("82 20")),
        Err(HpackError::LateTableSizeUpdate)
    );
    // Every prefix of a valid block fails cleanly or decodes.
    let block = hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");
    for cut in 0..block.len() {
        let mut d = Decoder::new(4096, 1 << 16);
        let _ = decode(&mut d, &block[..cut]);
    }
}

#[test]
fn the_header_list_cap_counts_as_it_decodes() {
    // Each field costs name + value + 32.
    let mut e = Encoder::new(4096);
    let block = encode(&mut e, &[("a", "1"), ("b", "2"), ("c", "3")]);
    let mut d = Decoder::new(4096, 2 * 34);
    assert_eq!(decode(&mut d, &block), Err(HpackError::HeaderListTooLarge));
    let mut d = Decoder::new(4096, 3 * 34);
    assert_eq!(decode(&mut d, &block).unwrap().len(), 3);
    // A value longer than what is left fails before it is copied.
    let mut e = Encoder::new(4096).with_huffman(Huffman::Never);
    let block = encode(&mut e, &[("big", &"x".repeat(10_000))]);
    let mut d = Decoder::new(4096, 1000);
    assert_eq!(decode(&mut d, &block), Err(HpackError::HeaderListTooLarge));
}

#[test]
fn table_size_changes_are_announced_and_obeyed() {
    let mut e = Encoder::new(4096);
    let mut d = Decoder::new(4096, 1 << 16);
    let list = [("x-one", "1"), ("x-two", "2")];
    let block = encode(&mut e, &list);
    decode(&mut d, &block).unwrap();
    assert!(d.table_size() > 0);
    // Shrunk to 0 and back to 100 before the next block: both announced,
    // the table emptied in between.
    e.set_table_size(0);
    e.set_table_size(100);
    let block = encode(&mut e, &[("x-three", "3")]);
    assert_eq!(&block[..2], &[0x20, 0x3f], "size 0, then size 100");
    let got = decode(&mut d, &block).unwrap();
    assert_eq!(got, fields(&[("x-three", "3")]));
    assert_eq!(d.table_size(), e.table_size());
    assert_eq!(d.table_size(), "x-three".len() + 1 + 32);
    // An entry larger than the table: our encoder does not index it...
    let mut e = Encoder::new(64).with_huffman(Huffman::Never);
    let mut d = Decoder::new(64, 1 << 16);
    decode(&mut d, &encode(&mut e, &[("k", "v")])).unwrap();
    assert_eq!(d.table_size(), 34);
    let big = "y".repeat(40);
    let block = encode(&mut e, &[("k", &big)]);
    assert_eq!(block[0] & 0xf0, 0x00, "a literal without indexing");
    decode(&mut d, &block).unwrap();
    assert_eq!((d.table_size(), e.table_size()), (34, 34));
    // ...and a peer's that asks to index it empties the table (§4.4).
    let mut block = hex("40 01 6b 28");
    block.extend_from_slice(big.as_bytes());
    let got = decode(&mut d, &block).unwrap();
    assert_eq!(got[0].value, big.as_bytes());
    assert_eq!(d.table_size(), 0);
}

#[test]
fn the_nibble_automaton_agrees_with_the_bitwise_decoder() {
    let run = |data: &[u8]| {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = huffman::decode(data, &mut a, 64);
        let rb = huffman::decode_bitwise(data, &mut b, 64);
        assert_eq!(ra, rb, "{data:02x?}");
        if ra.is_ok() {
            assert_eq!(a, b, "{data:02x?}");
        }
    };
    // Every input of up to two bytes...
    run(&[]);
    for x in 0..=255u8 {
        run(&[x]);
        for y in 0..=255u8 {
            run(&[x, y]);
        }
    }
    // ...and longer ones from a simple generator, valid and not.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for len in 3..64 {
        for _ in 0..50 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            run(&data);
            let mut coded = Vec::new();
            huffman_encode(&data, &mut coded);
            run(&coded);
        }
    }
}
