//! What lies between segments: layout (spaces, line breaks), and outside an interchange a
//! byte-order mark and stray bytes (padding), which are skipped so the interchange is not lost.

use super::*;
use crate::error::hex;

/// The UTF-8 byte-order mark some Windows tools write before UNA or UNB.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Space, tab and line breaks between segments are layout, not data.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Outside an interchange, a control character or a non-ASCII byte cannot start a segment:
/// it is padding (NUL, 0xFF, a DOS end-of-file mark) and is skipped and reported.
fn is_stray(b: u8) -> bool {
    !(0x20..0x7F).contains(&b)
}

/// A run of stray bytes outside an interchange, reported once when it ends.
pub(super) struct Stray {
    offset: u64,
    len: u64,
    sample: Vec<u8>,
}

impl Parser {
    /// Skips what lies between segments: layout, and outside an interchange a byte-order mark
    /// and stray bytes (which are remembered and reported when their run ends). `false` when
    /// more input is needed to tell (a part of a byte-order mark at the end of the buffer).
    pub(super) fn skip_layout(&mut self) -> bool {
        while let Some(&b) = self.buf.get(self.start) {
            let outside = self.interchange.is_none();
            let rest = &self.buf[self.start..];
            if is_blank(b) && !self.sep.is_service(b) {
                self.start += 1;
            } else if outside && rest.starts_with(BOM) {
                self.start += BOM.len();
            } else if outside && BOM.starts_with(rest) && !self.finished {
                return false;
            } else if outside && is_stray(b) && !self.sep.is_service(b) {
                let offset = self.consumed();
                let run = self.stray.get_or_insert(Stray {
                    offset,
                    len: 0,
                    sample: Vec::new(),
                });
                run.len += 1;
                if run.sample.len() < 8 {
                    run.sample.push(b);
                }
                self.start += 1;
            } else {
                break;
            }
            self.scan = self.scan.max(self.start);
        }
        true
    }

    /// Reports the run of stray bytes that just ended, if any.
    pub(super) fn end_stray(&mut self) -> bool {
        let Some(run) = self.stray.take() else {
            return false;
        };
        let more = if run.len > run.sample.len() as u64 { " ..." } else { "" };
        let p = self.position(run.offset);
        self.out.push_back(Err(ParseError::new(
            ErrorKind::Syntax,
            p,
            "UNA or UNB",
            Some(format!(
                "{} stray byte{} ({}{more}), skipped",
                run.len,
                if run.len == 1 { "" } else { "s" },
                hex(&run.sample)
            )),
        )));
        true
    }
}
