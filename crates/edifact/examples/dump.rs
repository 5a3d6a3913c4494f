//! Prints every segment of a file as one JSON line `["TAG", [[components], ...]]` (first
//! repetition), UNA excluded, for cross-checking against another parser (PyPI `pydifact`).

use avisera_edifact::{Item, Segment, parse_all};

fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn line(tag: &str, elements: &[Vec<String>]) {
    let els: Vec<String> = elements
        .iter()
        .map(|e| format!("[{}]", e.iter().map(|c| json(c)).collect::<Vec<_>>().join(",")))
        .collect();
    println!("[{},[{}]]", json(tag), els.join(","));
}

fn seg(s: Segment<'_>) {
    let els: Vec<Vec<String>> = s
        .elements()
        .map(|e| e.components().map(str::to_string).collect())
        .collect();
    line(s.tag(), &els);
}

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(path)?;
    for item in parse_all(&bytes) {
        match item {
            Ok(Item::Interchange(h)) => line(
                "UNB",
                &[
                    vec![h.syntax_id, h.syntax_version],
                    vec![h.sender],
                    vec![h.recipient],
                    vec![h.date, h.time],
                    vec![h.control_ref],
                ],
            ),
            Ok(Item::Message(m)) => {
                let mut id = vec![m.message_type, m.version, m.release, m.agency];
                id.extend(m.association);
                line("UNH", &[vec![m.reference.clone()], id]);
                m.segments.iter().for_each(seg);
                line("UNT", &[vec![(m.segments.len() + 2).to_string()], vec![m.reference]]);
            }
            Ok(Item::InterchangeEnd(e)) => line("UNZ", &[vec![e.messages.to_string()], vec![e.control_ref]]),
            Ok(_) => {}
            Err(e) => eprintln!("error: {e}"),
        }
    }
    Ok(())
}
