//! The syntax layer on hand-written interchanges: separators, release character, character
//! sets, control counts, and what happens to the good messages around a bad one.

use avisera_edifact::{ErrorKind, Item, Parser, iftmin, iftsta, parse_all};

const IFTSTA_D96A: &str = "UNA:+.? 'UNB+UNOC:3+5790000000000:14+7350000000000:14+261125:1405+IC0001'\
UNH+1+IFTSTA:D:96A:UN'BGM+23+STA1+9'DTM+137:202611251405:203'\
CNI+1+CONS1'STS+1+21'DTM+334:202611251400?+0100:205'LOC+14+SE-STO::6:Stockholm?+Bromma'GIN+BN+00370712345678901234'\
UNT+9+1'\
UNH+2+IFTSTA:D:96A:UN'BGM+23+STA2+9'CNI+1+CONS2'STS+1+1'DTM+334:2026112514:203'UNT+6+2'\
UNH+3+IFTSTA:D:04A:UN'CNI+1+CONS3'STS+1+13'DTM+334:20261125150000:204'UNT+5+3'\
UNZ+3+IC0001'";

fn messages(items: &[Result<Item, avisera_edifact::ParseError>]) -> Vec<&avisera_edifact::Message> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Item::Message(m)) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_bad_message_does_not_lose_the_good_ones() {
    let items = parse_all(IFTSTA_D96A.as_bytes());
    let msgs = messages(&items);
    assert_eq!(msgs.len(), 3, "{items:#?}");
    assert!(items.iter().all(Result::is_ok), "{items:#?}");
    // The syntax layer accepts message 2; its DTM is bad, which the IFTSTA reader rejects with
    // the place and what was expected.
    let good = iftsta::read(msgs[0]).unwrap();
    assert_eq!(good[0].code, "21");
    assert_eq!(good[0].items, vec!["00370712345678901234"]);
    assert_eq!(good[0].location.as_deref(), Some("Stockholm+Bromma"));
    assert_eq!(good[0].time.offset_minutes, Some(60));
    let err = iftsta::read(msgs[1]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Content);
    assert_eq!(
        err.to_string(),
        "interchange IC0001, message 2, segment 5 (DTM), element 1.2, byte 313: expected a date/time in format 203 \
         (102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS, 205 CCYYMMDDHHMM+HHMM, 303 CCYYMMDDHHMMZZZ), found \"2026112514\""
    );
    let third = iftsta::read(msgs[2]).unwrap();
    assert_eq!((third[0].code.as_str(), third[0].items[0].as_str()), ("13", "CONS3"));
}

#[test]
fn a_wrong_segment_count_rejects_that_message_only() {
    let text = IFTSTA_D96A.replace("UNT+6+2'", "UNT+7+2'");
    let items = parse_all(text.as_bytes());
    assert_eq!(messages(&items).len(), 2);
    let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Message);
    let p = &errors[0].position;
    assert_eq!(
        (p.interchange.as_deref(), p.message.as_deref(), p.segment, p.element),
        (Some("IC0001"), Some("2"), Some(6), Some(1))
    );
    assert!(
        errors[0].to_string().contains("expected the message's segment count 6"),
        "{}",
        errors[0]
    );
}

#[test]
fn envelope_counts_and_references_are_checked() {
    let text = IFTSTA_D96A.replace("UNZ+3+IC0001'", "UNZ+2+IC0002'");
    let items = parse_all(text.as_bytes());
    assert_eq!(messages(&items).len(), 3);
    let errors: Vec<String> = items
        .iter()
        .filter_map(|i| i.as_ref().err())
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("(UNZ)") && errors[0].contains("message count 3, found \"2\""));
    assert!(errors[1].contains("control reference \"IC0001\", found \"IC0002\""));
    let missing = parse_all(IFTSTA_D96A.trim_end_matches("UNZ+3+IC0001'").as_bytes());
    assert!(
        missing
            .last()
            .unwrap()
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("UNZ before end of input")
    );
}

#[test]
fn latin1_and_utf8_keep_nordic_letters() {
    let body = "UNH+1+IFTMIN:D:96A:UN'BGM+610+B1'NAD+CN+++Åsa Ødegård Æbelø'UNT+4+1'UNZ+1+7'";
    let mut latin1: Vec<u8> = b"UNB+UNOC:3+S+R+261125:1405+7'".to_vec();
    latin1.extend(body.chars().map(|c| u8::try_from(u32::from(c)).unwrap()));
    let utf8 = format!("UNB+UNOW:4+S+R+20261125:1405+7'{body}");
    for input in [latin1, utf8.into_bytes()] {
        let items = parse_all(&input);
        let order = iftmin::read(messages(&items)[0]).unwrap();
        assert_eq!(order.receiver.name.as_deref(), Some("Åsa Ødegård Æbelø"));
        assert_eq!(order.items, vec!["B1"]);
    }
    let mut bad = b"UNB+UNOW:4+S+R+20261125:1405+7'UNH+1+IFTMIN:D:96A:UN'NAD+CN+++A".to_vec();
    bad.extend([0xE5, b'\'']);
    bad.extend(b"UNT+3+1'UNZ+1+7'");
    let items = parse_all(&bad);
    let e = items.iter().find_map(|i| i.as_ref().err()).unwrap();
    assert_eq!(e.position.segment, Some(2));
    assert!(
        e.to_string().contains("valid UTF-8") && e.to_string().contains("0xE5"),
        "{e}"
    );
}

#[test]
fn una_separators_release_and_repetition() {
    let text = "UNA|~,!^\"UNB~UNOC|4~S~R~20261125|1405~9\"UNH~1~IFTSTA|D|04A|UN\"\
                LOC~14~X!~Y!|Z!\"!!^second\"UNT~3~1\"UNZ~1~9\"";
    let items = parse_all(text.as_bytes());
    let m = messages(&items)[0];
    let loc = m.segments.get(0).unwrap().to_buf();
    assert_eq!(
        loc.elements[1].0,
        vec![vec!["X~Y|Z\"!".to_string()], vec!["second".to_string()]]
    );
}

#[test]
fn groups_are_counted() {
    let text = "UNB+UNOC:3+S+R+261125:1405+9'UNG+IFTSTA+S+R+261125:1405+G1+UN+D:96A'\
                UNH+1+IFTSTA:D:96A:UN'UNT+2+1'UNE+1+G1'UNZ+1+9'";
    let items = parse_all(text.as_bytes());
    assert!(items.iter().all(Result::is_ok), "{items:#?}");
    let bad = text.replace("UNE+1+G1", "UNE+2+G1");
    assert!(parse_all(bad.as_bytes()).iter().any(|i| i.is_err()));
}

#[test]
fn byte_by_byte_feeding_gives_the_same_items() {
    let whole = parse_all(IFTSTA_D96A.as_bytes());
    let mut p = Parser::new();
    let mut items = Vec::new();
    for b in IFTSTA_D96A.as_bytes() {
        p.push(std::slice::from_ref(b));
        items.extend(std::iter::from_fn(|| p.next()));
    }
    p.finish();
    items.extend(std::iter::from_fn(|| p.next()));
    assert_eq!(items, whole);
}

#[test]
fn garbage_is_reported_not_swallowed() {
    let items = parse_all(b"hello world");
    assert_eq!(items.len(), 1);
    assert!(
        items[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("segment terminator")
    );
    let items = parse_all(b"UNB+UNOX:3+S+R+1+2'UNH+1+IFTSTA:D:96A:UN'UNT+2+1'UNZ+1+2'");
    let errs: Vec<String> = items
        .iter()
        .filter_map(|i| i.as_ref().err())
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[1].contains("message 1") && errs[1].contains("UNOX"), "{errs:?}");
}
