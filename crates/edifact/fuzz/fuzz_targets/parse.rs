//! Any bytes, whole and in two chunks, through the parser and both message readers: nothing
//! may panic. `cargo +nightly fuzz run parse` (needs nightly and cargo-fuzz).
#![no_main]

use avisera_edifact::{Item, MAX_SEGMENT_BYTES, Parser, iftmin, iftsta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut p = Parser::new();
    p.push(&data[..split]);
    while p.next().is_some() {}
    p.push(&data[split..]);
    p.finish();
    while let Some(item) = p.next() {
        if let Ok(Item::Message(m)) = item {
            // Every value through the views that borrow from the message's buffer: a value
            // is at most a segment, twice its bytes once decoded from Latin-1.
            for s in &m.segments {
                for e in s.elements() {
                    e.repetitions()
                        .flatten()
                        .for_each(|c| assert!(c.len() <= 2 * MAX_SEGMENT_BYTES));
                }
            }
            let _ = iftmin::read(&m);
            let _ = iftsta::read(&m);
        }
    }
});
