//! Writes a large EDIFACT file for the benchmarks: interchanges of 1,000 messages (UNOC,
//! D96A), each shipment an IFTMIN (receiver with a Nordic name, phone, email, SSCC) followed
//! by an IFTSTA "delivered" for the same item.
//!
//! `cargo run --release -p avisera-edifact --example generate -- out.edi 100` (size in MB)

use avisera_edifact::{ElementBuf, Interchange, Message, SegmentBuf, Separators, print_interchange};
use std::io::Write;

fn seg(tag: &str, elements: &[&[&str]]) -> SegmentBuf {
    SegmentBuf {
        tag: tag.into(),
        elements: elements
            .iter()
            .map(|e| ElementBuf(vec![e.iter().map(|c| c.to_string()).collect()]))
            .collect(),
    }
}

fn message(reference: String, kind: &str, segments: Vec<SegmentBuf>) -> Message {
    Message {
        interchange: String::new(),
        reference,
        message_type: kind.into(),
        version: "D".into(),
        release: "96A".into(),
        agency: "UN".into(),
        association: None,
        segments: segments.into_iter().collect(),
        offset: 0,
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("bench.edi", String::as_str);
    let megabytes: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let target = megabytes * 1_000_000;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let names = [
        "Åsa Ødegård",
        "Jørgen Æbelø",
        "Märta Söderström",
        "Øyvind Ås",
        "Pia Mäkinen",
    ];
    let (mut written, mut shipment, mut interchange) = (0u64, 0u64, 0u64);
    let (mut messages, mut events) = (0u64, 0u64);
    while written < target {
        interchange += 1;
        let header = Interchange {
            syntax_id: "UNOC".into(),
            syntax_version: "3".into(),
            sender: "5790000110018".into(),
            recipient: "AVISERA".into(),
            date: "261125".into(),
            time: "0900".into(),
            control_ref: format!("B{interchange:08}"),
            separators: Separators::default(),
            offset: 0,
        };
        let mut batch = Vec::with_capacity(1000);
        for _ in 0..500 {
            shipment += 1;
            let sscc = format!("003707{shipment:014}");
            let name = names[(shipment % names.len() as u64) as usize];
            let phone = format!("070{:07}", shipment % 10_000_000);
            let email = format!("kund{shipment}@example.se");
            let minute = format!("{:02}", shipment % 60);
            let booked = format!("2026112509{minute}");
            let delivered = format!("2026112614{minute}+0100");
            let order = format!("ORD-{shipment}");
            batch.push(message(
                format!("M{shipment}"),
                "IFTMIN",
                vec![
                    seg("BGM", &[&["610"], &[&format!("BOOK-{shipment}")], &["9"]]),
                    seg("DTM", &[&["137", &booked, "203"]]),
                    seg("TSR", &[&["19"]]),
                    seg("RFF", &[&["CU", &order]]),
                    seg("NAD", &[&["CZ"], &["5790000110018", "", "9"]]),
                    seg(
                        "NAD",
                        &[
                            &["CN"],
                            &[],
                            &[],
                            &[name],
                            &["Sveavägen 12"],
                            &["Göteborg"],
                            &[],
                            &["41101"],
                            &["SE"],
                        ],
                    ),
                    seg("CTA", &[&["IC"]]),
                    seg("COM", &[&[&phone, "AL"]]),
                    seg("COM", &[&[&email, "EM"]]),
                    seg("GIN", &[&["BN"], &[&sscc]]),
                ],
            ));
            batch.push(message(
                format!("S{shipment}"),
                "IFTSTA",
                vec![
                    seg("BGM", &[&["23"], &[&format!("STAT-{shipment}")], &["9"]]),
                    seg("CNI", &[&["1"], &[&format!("BOOK-{shipment}")]]),
                    seg("STS", &[&["1"], &["21"]]),
                    seg("DTM", &[&["334", &delivered, "205"]]),
                    seg("LOC", &[&["14"], &["SE-GOT", "", "", "Göteborg Nordstan"]]),
                    seg("GIN", &[&["BN"], &[&sscc]]),
                ],
            ));
        }
        messages += batch.len() as u64;
        events += batch.len() as u64;
        let mut bytes = print_interchange(&header, &batch).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        written += bytes.len() as u64;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    eprintln!(
        "{path}: {written} bytes, {interchange} interchanges, {messages} messages, {shipment} shipments, {events} events"
    );
    Ok(())
}
