//! Parse speed of the syntax layer alone: reads a file in 256 KiB chunks through the streaming
//! parser and counts messages and errors. `--read` also runs the IFTMIN/IFTSTA readers.
//!
//! `cargo run --release -p avisera-edifact --example parse_file -- bench.edi [--read]`

use avisera_edifact::{Item, Parser, iftmin, iftsta};
use std::io::Read;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("bench.edi", String::as_str);
    let read = args.iter().any(|a| a == "--read");
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut parser = Parser::new();
    let (mut bytes, mut messages, mut errors, mut records) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    let mut take = |parser: &mut Parser| {
        while let Some(item) = parser.next() {
            match item {
                Ok(Item::Message(m)) => {
                    messages += 1;
                    if read {
                        match m.message_type.as_str() {
                            "IFTMIN" => records += iftmin::read(&m).map_or(0, |o| o.items.len() as u64),
                            _ => records += iftsta::read(&m).map_or(0, |e| e.len() as u64),
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
    };
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        parser.push(&buf[..n]);
        take(&mut parser);
    }
    parser.finish();
    take(&mut parser);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{bytes} bytes, {messages} messages, {records} records read, {errors} errors in {secs:.2} s: {:.1} MB/s, {:.0} messages/s",
        bytes as f64 / 1e6 / secs,
        messages as f64 / secs
    );
    Ok(())
}
