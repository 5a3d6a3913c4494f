//! Throughput of the syntax layer, in memory: builds a realistic file of IFTMIN and IFTSTA
//! interchanges (UNOC Latin-1 with the default separators, UNOW UTF-8 with a UNA, syntax
//! version 4 and repetitions, UNOC with a line break after every segment; values full of
//! service characters, so release characters are common), then parses it `RUNS` times through
//! the streaming parser in 256 KiB chunks and prints MB/s per run and the median, of wall time
//! and of the time the thread was on a CPU (the machines are shared). No disk, so the figure is
//! the parser's alone. `--read` also runs the IFTMIN/IFTSTA readers.
//!
//! `cargo run --release -p avisera-edifact --example throughput -- [MB] [RUNS] [--read]`
//!
//! The file is written by hand (not with the crate's printer), so the same bytes can be
//! measured before and after a change to the crate's API.

use avisera_edifact::{Item, Parser, iftmin, iftsta};
use std::time::Instant;

/// One interchange's syntax: separators, UNA, character set and layout.
struct Style {
    una: Option<&'static str>,
    syntax: &'static str,
    version: &'static str,
    component: char,
    element: char,
    release: char,
    repetition: Option<char>,
    segment: char,
    utf8: bool,
    newline: bool,
}

const STYLES: [Style; 3] = [
    Style {
        una: None,
        syntax: "UNOC",
        version: "3",
        component: ':',
        element: '+',
        release: '?',
        repetition: None,
        segment: '\'',
        utf8: false,
        newline: false,
    },
    Style {
        una: Some("UNA:+.?*'"),
        syntax: "UNOW",
        version: "4",
        component: ':',
        element: '+',
        release: '?',
        repetition: Some('*'),
        segment: '\'',
        utf8: true,
        newline: false,
    },
    Style {
        una: Some("UNA:+.? '"),
        syntax: "UNOC",
        version: "3",
        component: ':',
        element: '+',
        release: '?',
        repetition: None,
        segment: '\'',
        utf8: false,
        newline: true,
    },
];

struct Writer<'a> {
    out: Vec<u8>,
    style: &'a Style,
    segments: usize,
}

impl Writer<'_> {
    fn text(&mut self, v: &str) {
        let s = self.style;
        for c in v.chars() {
            if [s.component, s.element, s.release, s.segment].contains(&c) || Some(c) == s.repetition {
                self.out.push(s.release as u8);
            }
            if s.utf8 {
                let mut b = [0; 4];
                self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            } else {
                self.out.push(u8::try_from(u32::from(c)).unwrap_or(b'?'));
            }
        }
    }

    /// A segment: elements of components; an element `&["a", "*", "b"]` repeats (`a*b`) when
    /// the style has a repetition separator, else only its first repetition is written.
    fn segment(&mut self, tag: &str, elements: &[&[&str]]) {
        self.out.extend_from_slice(tag.as_bytes());
        for e in elements {
            self.out.push(self.style.element as u8);
            let mut first = true;
            for c in e.iter() {
                if *c == "*" {
                    match self.style.repetition {
                        Some(r) => {
                            self.out.push(r as u8);
                            first = true;
                            continue;
                        }
                        None => break,
                    }
                }
                if !first {
                    self.out.push(self.style.component as u8);
                }
                first = false;
                self.text(c);
            }
        }
        self.out.push(self.style.segment as u8);
        if self.style.newline {
            self.out.push(b'\n');
        }
        self.segments += 1;
    }
}

const NAMES: [&str; 8] = [
    "Åsa Ødegård",
    "Jørgen Æbelø",
    "Märta Söderström",
    "Seán O'Brien",
    "Pia Mäkinen",
    "Zoë d'Arc",
    "Ola+Kari Nordmann",
    "Åke Öberg: c/o Ström",
];
const STREETS: [&str; 4] = ["Sveavägen 12", "Storgatan 1+3", "Kungsgatan 44, 2 tr.", "Box 7?"];
const CITIES: [&str; 4] = ["Göteborg", "Malmö", "Umeå", "Jönköping"];

/// About `megabytes` of interchanges of 200 messages each (100 shipments: an IFTMIN and an
/// IFTSTA "delivered" for each), the three styles in turn.
fn file(megabytes: usize) -> (Vec<u8>, u64) {
    let target = megabytes * 1_000_000;
    let mut all = Vec::with_capacity(target + 100_000);
    let (mut shipment, mut interchange, mut messages) = (0u64, 0usize, 0u64);
    while all.len() < target {
        let style = &STYLES[interchange % STYLES.len()];
        interchange += 1;
        let mut w = Writer {
            out: Vec::new(),
            style,
            segments: 0,
        };
        if let Some(una) = style.una {
            w.out.extend_from_slice(una.as_bytes());
        }
        let control = format!("B{interchange:08}");
        let date = if style.version == "4" { "20261125" } else { "261125" };
        w.segment(
            "UNB",
            &[
                &[style.syntax, style.version],
                &["5790000110018"],
                &["AVISERA"],
                &[date, "0900"],
                &[&control],
            ],
        );
        for _ in 0..100 {
            shipment += 1;
            let n = shipment as usize;
            let sscc = format!("003707{shipment:014}");
            let name = NAMES[n % NAMES.len()];
            let street = STREETS[n % STREETS.len()];
            let city = CITIES[n % CITIES.len()];
            let phone = format!("+4670{:07}", shipment % 10_000_000);
            let email = format!("kund+{shipment}@example.se");
            let minute = format!("{:02}", shipment % 60);
            let booked = format!("2026112509{minute}");
            let delivered = format!("2026112614{minute}+0100");
            let order = format!("ORD:{shipment}");
            let book = format!("BOOK-{shipment}");
            let reference = format!("M{shipment}");
            let start = w.segments;
            w.segment("UNH", &[&[&reference], &["IFTMIN", "D", "96A", "UN"]]);
            w.segment("BGM", &[&["610"], &[&book], &["9"]]);
            w.segment("DTM", &[&["137", &booked, "203"]]);
            w.segment("TSR", &[&["19"]]);
            w.segment("RFF", &[&["CU", &order]]);
            w.segment("NAD", &[&["CZ"], &["5790000110018", "", "9"]]);
            w.segment(
                "NAD",
                &[&["CN"], &[], &[], &[name], &[street], &[city], &[], &["41101"], &["SE"]],
            );
            w.segment("CTA", &[&["IC"]]);
            w.segment("COM", &[&[&phone, "AL"], &[&email, "EM", "*", "info@example.se", "EM"]]);
            w.segment("COM", &[&[&email, "EM"]]);
            w.segment(
                "FTX",
                &[&["DEL"], &[], &[], &["Leave at the door? Ring twice: 2+2", "Tack!"]],
            );
            w.segment("GIN", &[&["BN"], &[&sscc]]);
            let count = (w.segments - start + 1).to_string();
            w.segment("UNT", &[&[&count], &[&reference]]);
            let reference = format!("S{shipment}");
            let start = w.segments;
            w.segment("UNH", &[&[&reference], &["IFTSTA", "D", "96A", "UN"]]);
            w.segment("BGM", &[&["23"], &[&format!("STAT-{shipment}")], &["9"]]);
            w.segment("CNI", &[&["1"], &[&book]]);
            w.segment("STS", &[&["1"], &["21"]]);
            w.segment("DTM", &[&["334", &delivered, "205"]]);
            w.segment("LOC", &[&["14"], &["SE-GOT", "", "", &format!("{city} Nordstan")]]);
            w.segment("RFF", &[&["CU", &order]]);
            w.segment("GIN", &[&["BN"], &[&sscc]]);
            let count = (w.segments - start + 1).to_string();
            w.segment("UNT", &[&[&count], &[&reference]]);
            messages += 2;
        }
        w.segment("UNZ", &[&["200"], &[&control]]);
        all.extend_from_slice(&w.out);
        all.push(b'\n');
    }
    (all, messages)
}

struct Run {
    messages: u64,
    segments: u64,
    records: u64,
    errors: u64,
    secs: f64,
    /// Time on a CPU (Linux: /proc/thread-self/schedstat), for a machine shared with other
    /// work, where wall time also counts the waits for a core.
    cpu_secs: Option<f64>,
}

fn cpu_time() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

fn parse(bytes: &[u8], read: bool) -> Run {
    let cpu_start = cpu_time();
    let start = Instant::now();
    let mut run = Run {
        messages: 0,
        segments: 0,
        records: 0,
        errors: 0,
        secs: 0.0,
        cpu_secs: None,
    };
    let mut parser = Parser::new();
    let mut take = |parser: &mut Parser| {
        while let Some(item) = parser.next() {
            match item {
                Ok(Item::Message(m)) => {
                    run.messages += 1;
                    run.segments += m.segments.len() as u64;
                    if read {
                        run.records += match m.message_type.as_str() {
                            "IFTMIN" => iftmin::read(&m).map_or(0, |o| o.items.len() as u64),
                            _ => iftsta::read(&m).map_or(0, |e| e.len() as u64),
                        };
                    }
                }
                Ok(_) => {}
                Err(_) => run.errors += 1,
            }
        }
    };
    for chunk in bytes.chunks(256 * 1024) {
        parser.push(chunk);
        take(&mut parser);
    }
    parser.finish();
    take(&mut parser);
    run.secs = start.elapsed().as_secs_f64();
    run.cpu_secs = cpu_time().zip(cpu_start).map(|(end, start)| end - start);
    run
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let read = args.iter().any(|a| a == "--read");
    let numbers: Vec<usize> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let megabytes = numbers.first().copied().unwrap_or(50);
    let runs = numbers.get(1).copied().unwrap_or(7).max(1);
    let (bytes, messages) = file(megabytes);
    let styles = "UNOC, UNOW with UNA and repetitions, UNOC with line breaks; release characters in values";
    println!(
        "{} bytes, {messages} messages ({styles}), {runs} runs{}",
        bytes.len(),
        if read { ", with the IFTMIN/IFTSTA readers" } else { "" }
    );
    let (mut rates, mut cpu_rates) = (Vec::new(), Vec::new());
    let mb = bytes.len() as f64 / 1e6;
    for i in 0..runs {
        let run = parse(&bytes, read);
        let rate = mb / run.secs;
        let cpu = run.cpu_secs.map_or(String::new(), |c| {
            cpu_rates.push(mb / c);
            format!(" (CPU {c:.3} s, {:.1} MB/s)", mb / c)
        });
        println!(
            "run {}: {:.3} s, {rate:.1} MB/s{cpu}, {:.0} messages/s ({} messages, {} body segments, {} records, {} errors)",
            i + 1,
            run.secs,
            run.messages as f64 / run.secs,
            run.messages,
            run.segments,
            run.records,
            run.errors
        );
        if run.messages != messages || run.errors != 0 {
            eprintln!("the parser did not read the generated file back whole");
            std::process::exit(1);
        }
        rates.push(rate);
    }
    for (what, rates) in [("wall", &mut rates), ("CPU", &mut cpu_rates)] {
        if rates.is_empty() {
            continue;
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "median {:.1} MB/s of {what} time (min {:.1}, max {:.1})",
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1]
        );
    }
}
