//! Input a carrier's system really sends that used to lose messages or point at the wrong
//! place: a byte-order mark or padding before UNB, truncated and over-long segments, UTF-8 in
//! a file that declares Latin-1, and content errors that must name the segment holding the value.

use avisera_edifact::{ErrorKind, Item, MAX_SEGMENT_BYTES, Message, ParseError, Parser, iftmin, iftsta, parse_all};

const BOM: &[u8] = b"\xEF\xBB\xBF";

const ORDER: &str = "UNB+UNOC:3+S+R+261125:1405+IC1'\
UNH+M1+IFTMIN:D:96A:UN'BGM+610+DOC1+9'DTM+137:202611250900:203'NAD+CN+++Asa Lund+Gata 1+Lund++22100+SE'\
COM+0701234567:AL'GIN+BN+00370712345678901234'UNT+7+M1'UNZ+1+IC1'";

fn messages(items: &[Result<Item, ParseError>]) -> Vec<&Message> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Item::Message(m)) => Some(m),
            _ => None,
        })
        .collect()
}

fn errors(items: &[Result<Item, ParseError>]) -> Vec<&ParseError> {
    items.iter().filter_map(|i| i.as_ref().err()).collect()
}

/// Whole, and one byte at a time: the same items (the parser must not depend on chunking).
fn parse_both_ways(input: &[u8]) -> Vec<Result<Item, ParseError>> {
    let whole = parse_all(input);
    let mut p = Parser::new();
    let mut items = Vec::new();
    for b in input {
        p.push(std::slice::from_ref(b));
        items.extend(std::iter::from_fn(|| p.next()));
    }
    p.finish();
    items.extend(std::iter::from_fn(|| p.next()));
    assert_eq!(items, whole, "byte by byte differs from whole");
    whole
}

#[test]
fn a_byte_order_mark_before_una_or_unb_is_skipped() {
    let una = format!(
        "UNA|~,!^\"{}",
        ORDER.replace('+', "~").replace(':', "|").replace('\'', "\"")
    );
    for input in [
        [BOM, ORDER.as_bytes()].concat(),
        [BOM, una.as_bytes()].concat(),
        [BOM, b"\r\n", ORDER.as_bytes()].concat(),
    ] {
        let items = parse_both_ways(&input);
        assert!(errors(&items).is_empty(), "{items:#?}");
        let msgs = messages(&items);
        assert_eq!(msgs.len(), 1, "{items:#?}");
        assert_eq!(
            iftmin::read(msgs[0]).unwrap().receiver.name.as_deref(),
            Some("Asa Lund")
        );
    }
}

#[test]
fn padding_before_unb_is_reported_with_its_offset_and_the_interchange_is_read() {
    let input = [&[0u8; 5][..], b"\n", ORDER.as_bytes(), b"\n", &[0u8; 3]].concat();
    let items = parse_both_ways(&input);
    assert_eq!(messages(&items).len(), 1, "{items:#?}");
    let errs = errors(&items);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_eq!(errs[0].kind, ErrorKind::Syntax);
    assert_eq!(errs[0].position.offset, 0);
    assert_eq!(
        errs[0].to_string(),
        "byte 0: expected UNA or UNB, found 5 stray bytes (00 00 00 00 00), skipped"
    );
    let end = (5 + 1 + ORDER.len() + 1) as u64;
    assert_eq!(errs[1].position.offset, end);
    assert!(errs[1].to_string().contains("3 stray bytes (00 00 00)"), "{}", errs[1]);

    // Other stray bytes too: a DOS end-of-file mark, a BOM after padding.
    let input = [b"\x1a\x00", BOM, ORDER.as_bytes()].concat();
    let items = parse_both_ways(&input);
    assert_eq!(messages(&items).len(), 1, "{items:#?}");
    let errs = errors(&items);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0]
            .to_string()
            .starts_with("byte 0: expected UNA or UNB, found 2 stray bytes (1A 00)"),
        "{}",
        errs[0]
    );

    // Spaces, tabs and line breaks between segments are not stray.
    let spaced = ORDER.replace('\'', "'\r\n\t ");
    let items = parse_both_ways(format!(" \n{spaced}").as_bytes());
    assert!(errors(&items).is_empty(), "{items:#?}");
    assert_eq!(messages(&items).len(), 1);
}

#[test]
fn a_truncated_segment_names_itself() {
    // The file ends inside GIN, segment 6 of the message.
    let cut = ORDER.find("GIN").unwrap() + 10;
    let items = parse_both_ways(&ORDER.as_bytes()[..cut]);
    let e = errors(&items)[0];
    let p = &e.position;
    assert_eq!(
        (p.message.as_deref(), p.segment, p.tag.as_deref(), p.offset),
        (Some("M1"), Some(6), Some("GIN"), (cut - 10) as u64),
        "{e}"
    );
    assert!(!e.to_string().contains('\\'), "no Rust escapes: {e}");
    assert!(e.to_string().contains("segment terminator \"'\""), "{e}");
}

#[test]
fn an_over_long_segment_names_itself_however_it_arrives() {
    let long = format!("FTX+AAA+++{}", "x".repeat(MAX_SEGMENT_BYTES + 10));
    let input = ORDER.replace("GIN+", &format!("{long}'GIN+")).replace("UNT+7", "UNT+8");
    let offset = input.find("FTX").unwrap() as u64;
    let whole = parse_all(input.as_bytes());
    let mut p = Parser::new();
    let mut chunked = Vec::new();
    for chunk in input.as_bytes().chunks(4096) {
        p.push(chunk);
        chunked.extend(std::iter::from_fn(|| p.next()));
    }
    p.finish();
    chunked.extend(std::iter::from_fn(|| p.next()));
    assert_eq!(chunked, whole);
    let errs = errors(&whole);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let p = &errs[0].position;
    assert_eq!(
        (p.message.as_deref(), p.segment, p.tag.as_deref(), p.offset),
        (Some("M1"), Some(6), Some("FTX"), offset),
        "{}",
        errs[0]
    );
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect()
}

#[test]
fn utf8_in_a_latin1_file_is_a_character_set_error() {
    let (head, rest) = ORDER.split_at(ORDER.find("UNH").unwrap());
    let message = &rest[..rest.find("UNZ").unwrap()];
    // M1 names Åsa in UTF-8 (C3 85), M2 in Latin-1 (C5).
    let m1 = message.replace("Asa", "Åsa").into_bytes();
    let m2 = latin1(&message.replace("Asa", "Åsa").replace("M1", "M2"));
    let input = [head.as_bytes(), &m1, &m2, b"UNZ+2+IC1'"].concat();
    let items = parse_both_ways(&input);
    let msgs = messages(&items);
    assert_eq!(msgs.len(), 1, "{items:#?}");
    assert_eq!(msgs[0].reference, "M2");
    assert_eq!(
        iftmin::read(msgs[0]).unwrap().receiver.name.as_deref(),
        Some("Åsa Lund")
    );
    let errs = errors(&items);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = errs[0];
    assert_eq!(
        (
            e.position.message.as_deref(),
            e.position.segment,
            e.position.tag.as_deref()
        ),
        (Some("M1"), Some(4), Some("NAD"))
    );
    let text = e.to_string();
    assert!(
        text.contains("UNOC") && text.contains("UTF-8") && text.contains("UNOW"),
        "{text}"
    );
    assert!(text.contains("C3 85") && text.contains("Åsa"), "{text}");

    // Genuine Latin-1 with every Nordic letter still reads.
    let nordic = latin1(&ORDER.replace("Asa Lund", "Åsa Ødegård Æbelø ÄÖÜ éß"));
    let items = parse_both_ways(&nordic);
    assert!(errors(&items).is_empty(), "{items:#?}");
    let name = iftmin::read(messages(&items)[0]).unwrap().receiver.name;
    assert_eq!(name.as_deref(), Some("Åsa Ødegård Æbelø ÄÖÜ éß"));
}

#[test]
fn content_errors_name_the_segment_and_element_that_hold_the_value() {
    // A date that does not exist: DTM, segment 3, element 1.2 (2380).
    let bad_date = ORDER.replace("202611250900", "202602300900");
    let items = parse_all(bad_date.as_bytes());
    let e = iftmin::read(messages(&items)[0]).unwrap_err();
    let p = &e.position;
    assert_eq!(
        (p.segment, p.tag.as_deref(), p.element, p.component),
        (Some(3), Some("DTM"), Some(1), Some(2)),
        "{e}"
    );

    // No receiver: the segment that should hold it is NAD with qualifier CN.
    let no_receiver = ORDER.replace("NAD+CN", "NAD+CZ");
    let items = parse_all(no_receiver.as_bytes());
    let e = iftmin::read(messages(&items)[0]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Content);
    assert_eq!(
        (e.position.tag.as_deref(), e.position.element),
        (Some("NAD"), Some(1)),
        "{e}"
    );
    assert!(e.to_string().contains("NAD+CN"), "{e}");

    // No item id at all: GIN.
    let no_item = ORDER
        .replace("GIN+BN+00370712345678901234'", "")
        .replace("BGM+610+DOC1+9", "BGM+610")
        .replace("UNT+7", "UNT+6");
    let items = parse_all(no_item.as_bytes());
    let e = iftmin::read(messages(&items)[0]).unwrap_err();
    assert_eq!(e.position.tag.as_deref(), Some("GIN"), "{e}");

    // IFTSTA: a status without an item id points at its STS, and says GIN/CNI.
    let sta =
        "UNB+UNOC:3+S+R+261125:1405+IC2'UNH+1+IFTSTA:D:96A:UN'STS+1+21'DTM+334:202611251400:203'UNT+4+1'UNZ+1+IC2'";
    let items = parse_all(sta.as_bytes());
    let e = iftsta::read(messages(&items)[0]).unwrap_err();
    assert_eq!(
        (e.position.segment, e.position.tag.as_deref()),
        (Some(2), Some("STS")),
        "{e}"
    );
    assert!(e.to_string().contains("GIN"), "{e}");
}

#[test]
fn no_error_text_shows_rust_debug_formatting() {
    let inputs: Vec<Vec<u8>> = vec![
        b"UNA::::::UNB+UNOC:3+S+R+1+2'".to_vec(),
        ORDER.replace("UNT+7+M1", "UNT+9+M\u{1}").into_bytes(),
        ORDER.replace("UNZ+1+IC1", "UNZ+x+I\"C").into_bytes(),
        ORDER.replace("BGM", "bgm").into_bytes(),
        ORDER.as_bytes()[..40].to_vec(),
        ORDER.replace("UNOC", "UNO\u{7}").into_bytes(),
    ];
    for input in inputs {
        for e in errors(&parse_all(&input)) {
            let t = e.to_string();
            assert!(!t.contains('\\') && !t.contains("Some(") && !t.contains(" { "), "{t}");
        }
    }
}

#[test]
fn a_una_without_an_interchange_is_reported_not_silently_empty() {
    let items = parse_both_ways(b"UNA:+.? '\r\n");
    let errs = errors(&items);
    assert_eq!(errs.len(), 1, "{items:#?}");
    assert_eq!(errs[0].kind, ErrorKind::Envelope);
    assert!(
        errs[0]
            .to_string()
            .contains("expected UNB after UNA, found end of input"),
        "{}",
        errs[0]
    );
    // A byte-order mark and line breaks alone are no interchange, and no error either: the
    // caller decides what an empty file means (Avisera rejects it).
    assert!(parse_both_ways(&[BOM, b"\r\n"].concat()).is_empty());
}
