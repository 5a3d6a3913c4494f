//! Property tests: any valid interchange printed and parsed back is the same interchange (in
//! one piece or fed in arbitrary chunks), and no input — random bytes, or a valid interchange
//! with bytes changed — makes the parser or the message readers panic.

use avisera_edifact::{
    ElementBuf, Interchange, Item, Message, Parser, SegmentBuf, Separators, iftmin, iftsta, parse_all,
    print_interchange,
};
use proptest::prelude::*;

fn separators() -> impl Strategy<Value = (Separators, &'static str)> {
    prop_oneof![
        Just((Separators::default(), "3")),
        Just((Separators::from_una(*b":+.?*'").unwrap(), "4")),
        Just((Separators::from_una(*b"|~,!^\"").unwrap(), "4")),
        Just((Separators::from_una(*b":+.? \n").unwrap(), "3")),
    ]
}

fn text(utf8: bool) -> BoxedStrategy<String> {
    // Every Latin-1 letter: real Latin-1 text never looks like UTF-8 to the parser.
    let latin = "[a-zA-Z0-9 åäöæøÅÄÖÆØéÀ-ÖØ-öø-ÿ:+'?*|~!^\".,/-]{0,8}";
    if utf8 {
        prop_oneof![latin, "[a-zA-Z€📦ął:+'?]{0,6}"].boxed()
    } else {
        latin.boxed()
    }
}

fn element(utf8: bool, repeats: bool) -> impl Strategy<Value = ElementBuf> {
    let reps = if repeats { 1..3usize } else { 1..2usize };
    prop::collection::vec(prop::collection::vec(text(utf8), 1..4), reps).prop_map(ElementBuf)
}

fn segment(utf8: bool, repeats: bool) -> impl Strategy<Value = SegmentBuf> {
    (
        "[A-Z][A-Z0-9]{2}".prop_filter("not a service segment", |t| !t.starts_with("UN")),
        prop::collection::vec(element(utf8, repeats), 0..5),
    )
        .prop_map(|(tag, elements)| SegmentBuf { tag, elements })
}

fn interchange() -> impl Strategy<Value = (Interchange, Vec<Message>)> {
    (separators(), any::<bool>()).prop_flat_map(|((sep, version), utf8)| {
        let syntax_id = if utf8 { "UNOW" } else { "UNOC" };
        let header =
            ("[A-Z0-9]{1,14}", text(utf8), text(utf8)).prop_map(move |(control_ref, sender, recipient)| Interchange {
                syntax_id: syntax_id.into(),
                syntax_version: version.into(),
                sender,
                recipient,
                date: "20261125".into(),
                time: "1405".into(),
                control_ref,
                separators: sep,
                offset: 0,
            });
        let message = (
            "[0-9A-Z]{1,14}",
            prop_oneof![Just("IFTMIN"), Just("IFTSTA")],
            prop_oneof![Just("96A"), Just("04A")],
            prop::collection::vec(segment(utf8, sep.repetition.is_some()), 0..6),
        )
            .prop_map(|(reference, kind, release, segments)| Message {
                interchange: String::new(),
                reference,
                message_type: kind.into(),
                version: "D".into(),
                release: release.into(),
                agency: "UN".into(),
                association: None,
                segments: segments.into_iter().collect(),
                offset: 0,
            });
        (header, prop::collection::vec(message, 0..5))
    })
}

fn normalise(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .map(|i| match i {
            Item::Interchange(mut h) => {
                h.offset = 0;
                Item::Interchange(h)
            }
            Item::Message(mut m) => {
                m.interchange = String::new();
                m.offset = 0;
                // Built by hand, the expected segments are at offset 0.
                m.segments = m.segments.iter().map(|s| s.to_buf()).collect();
                Item::Message(m)
            }
            other => other,
        })
        .collect()
}

proptest! {
    #[test]
    fn printed_interchanges_parse_back((header, messages) in interchange(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let bytes = print_interchange(&header, &messages).unwrap();
        let parsed: Result<Vec<Item>, _> = parse_all(&bytes).into_iter().collect();
        let parsed = normalise(parsed.unwrap());
        let mut expected = vec![Item::Interchange(header.clone())];
        expected.extend(messages.iter().cloned().map(Item::Message));
        expected.push(Item::InterchangeEnd(avisera_edifact::InterchangeEnd { control_ref: header.control_ref.clone(), messages: messages.len() }));
        prop_assert_eq!(&parsed, &expected);

        // The same bytes in arbitrary chunks give the same items.
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut p = Parser::new();
        let mut chunked = Vec::new();
        let mut from = 0;
        for to in points.into_iter().chain([bytes.len()]) {
            p.push(&bytes[from..to]);
            from = to;
            chunked.extend(std::iter::from_fn(|| p.next()));
        }
        p.finish();
        chunked.extend(std::iter::from_fn(|| p.next()));
        let chunked: Vec<Item> = chunked.into_iter().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(normalise(chunked), expected);
    }

    /// Whatever a tool puts around an interchange (a byte-order mark, NUL or 0xFF padding, a
    /// DOS end-of-file mark, line breaks) loses no message: stray bytes are reported, once per
    /// run, and everything else reads as without them, in one piece or byte by byte.
    #[test]
    fn padding_around_an_interchange_loses_nothing(
        (header, messages) in interchange(),
        before in prop::collection::vec(prop_oneof![Just(vec![0xEF, 0xBB, 0xBF]), Just(vec![0]), Just(vec![0xFF]), Just(vec![0x1A]), Just(b"\r\n".to_vec())], 0..6),
        after in prop::collection::vec(prop_oneof![Just(vec![0]), Just(vec![0x1A]), Just(b"\n".to_vec())], 0..4),
    ) {
        let bytes = print_interchange(&header, &messages).unwrap();
        let input = [before.concat(), bytes, after.concat()].concat();
        let parsed = parse_all(&input);
        let mut p = Parser::new();
        let mut one_by_one = Vec::new();
        for b in &input {
            p.push(std::slice::from_ref(b));
            one_by_one.extend(std::iter::from_fn(|| p.next()));
        }
        p.finish();
        one_by_one.extend(std::iter::from_fn(|| p.next()));
        prop_assert_eq!(&one_by_one, &parsed);
        let (items, errors): (Vec<_>, Vec<_>) = parsed.into_iter().partition(Result::is_ok);
        let items: Vec<Item> = items.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(normalise(items).into_iter().filter(|i| matches!(i, Item::Message(_))).count(), messages.len());
        prop_assert!(errors.len() <= 2, "{:?}", errors);
        for e in errors {
            prop_assert!(e.unwrap_err().to_string().contains("stray byte"));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read_everything(&bytes);
    }

    #[test]
    fn damaged_interchanges_never_panic(
        (header, messages) in interchange(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8),
    ) {
        let mut bytes = print_interchange(&header, &messages).unwrap();
        for (at, byte, how) in edits {
            let i = at.index(bytes.len() + 1);
            match how {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        read_everything(&bytes);
    }
}

fn read_everything(bytes: &[u8]) {
    for item in parse_all(bytes) {
        if let Ok(Item::Message(m)) = item {
            let _ = iftmin::read(&m);
            let _ = iftsta::read(&m);
            let mut as_sta = m.clone();
            as_sta.message_type = "IFTSTA".into();
            let _ = iftsta::read(&as_sta);
            as_sta.message_type = "IFTMIN".into();
            let _ = iftmin::read(&as_sta);
        }
    }
}
