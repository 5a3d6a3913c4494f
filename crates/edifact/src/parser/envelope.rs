//! The service segments: UNB/UNZ, UNG/UNE, UNH/UNT with their references and counts, and
//! what is still open when input ends.

use super::*;

impl Parser {
    pub(super) fn close_open_message(&mut self, offset: u64, next: &str) {
        if let Some(mut m) = self.message.take() {
            self.keep_spare(&mut m.message);
            let mut p = self.position(offset);
            p.message = Some(m.message.reference.clone());
            p.segment = Some(m.count);
            p.tag = Some(next.into());
            let err = m
                .error
                .unwrap_or_else(|| ParseError::new(ErrorKind::Message, p, format!("UNT before {next}"), None));
            self.out.push_back(Err(err));
        }
    }

    pub(super) fn unb(&mut self, seg: Segment<'_>, offset: u64) {
        self.close_open_message(offset, "UNB");
        if self.group.take().is_some() {
            self.fault(ErrorKind::Envelope, offset, "UNE before UNB".into(), None);
        }
        if self.interchange.take().is_some() {
            self.fault(ErrorKind::Envelope, offset, "UNZ before the next UNB".into(), None);
        }
        let v = |e, c| seg.get(e, c).unwrap_or("").to_string();
        let syntax_id = v(1, 1);
        let control_ref = v(5, 1);
        let mut fault = None;
        let charset = match Charset::from_syntax_id(&syntax_id) {
            Some(c) => c,
            None => {
                fault = Some(format!(
                    "syntax identifier UNOA, UNOB, UNOC, UNOW or UNOY in UNB (found {})",
                    quoted(&syntax_id)
                ));
                Charset::Latin1
            }
        };
        if control_ref.is_empty() {
            fault = Some("an interchange control reference in UNB element 5".into());
        }
        let syntax_version = v(1, 2);
        if syntax_version == "4" && !self.una_seen {
            self.sep.repetition = Some(b'*');
        }
        self.interchange = Some(OpenInterchange {
            control_ref: if control_ref.is_empty() {
                "?".into()
            } else {
                control_ref.clone()
            },
            syntax_id: syntax_id.clone(),
            charset,
            fault: fault.clone(),
            messages: 0,
            groups: 0,
            segments: 1,
        });
        if let Some(f) = fault {
            let mut p = self.position(offset);
            p.tag = Some("UNB".into());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Envelope, p, f, None)));
        }
        self.out.push_back(Ok(Item::Interchange(Interchange {
            syntax_id,
            syntax_version,
            sender: v(2, 1),
            recipient: v(3, 1),
            date: v(4, 1),
            time: v(4, 2),
            control_ref,
            separators: self.sep,
            offset,
        })));
    }

    pub(super) fn envelope_error(
        &mut self,
        offset: u64,
        tag: &str,
        element: Option<usize>,
        expected: String,
        found: Option<String>,
    ) {
        let mut p = self.position(offset);
        p.tag = Some(tag.into());
        p.message = None;
        p.element = element;
        self.out
            .push_back(Err(ParseError::new(ErrorKind::Envelope, p, expected, found)));
    }

    pub(super) fn ung(&mut self, seg: Segment<'_>, offset: u64) {
        self.close_open_message(offset, "UNG");
        if self.interchange.is_none() {
            self.envelope_error(offset, "UNG", None, "UNB before UNG".into(), None);
            return;
        }
        if self.group.is_some() {
            self.envelope_error(offset, "UNG", None, "UNE before the next UNG".into(), None);
        }
        let reference = seg.get(5, 1).unwrap_or("").to_string();
        if let Some(ic) = &mut self.interchange {
            ic.groups += 1;
        }
        self.group = Some(OpenGroup {
            reference: reference.clone(),
            messages: 0,
        });
        self.out.push_back(Ok(Item::Group(Group {
            kind: seg.get(1, 1).unwrap_or("").to_string(),
            reference,
        })));
    }

    pub(super) fn une(&mut self, seg: Segment<'_>, offset: u64) {
        self.close_open_message(offset, "UNE");
        let Some(g) = self.group.take() else {
            self.envelope_error(offset, "UNE", None, "UNG before UNE".into(), None);
            return;
        };
        let count = seg.get(1, 1).unwrap_or("");
        if count.parse::<usize>().ok() != Some(g.messages) {
            self.envelope_error(
                offset,
                "UNE",
                Some(1),
                format!("the group's message count {}", g.messages),
                Some(quoted(count)),
            );
        }
        let reference = seg.get(2, 1).unwrap_or("");
        if reference != g.reference {
            self.envelope_error(
                offset,
                "UNE",
                Some(2),
                format!("the UNG reference {}", quoted(&g.reference)),
                Some(quoted(reference)),
            );
        }
        self.out.push_back(Ok(Item::GroupEnd(g.reference)));
    }

    pub(super) fn unh(&mut self, seg: Segment<'_>, offset: u64) {
        self.close_open_message(offset, "UNH");
        let reference = seg.get(1, 1).unwrap_or("");
        let interchange = self
            .interchange
            .as_ref()
            .map_or_else(|| "?".to_string(), |i| i.control_ref.clone());
        if let Some(ic) = &mut self.interchange {
            ic.messages += 1;
        }
        if let Some(g) = &mut self.group {
            g.messages += 1;
        }
        let v = |e, c| seg.get(e, c).unwrap_or("").to_string();
        self.message = Some(OpenMessage {
            message: Message {
                interchange,
                reference: if reference.is_empty() {
                    "?".into()
                } else {
                    reference.to_string()
                },
                message_type: v(2, 1),
                version: v(2, 2),
                release: v(2, 3),
                agency: v(2, 4),
                association: seg.get(2, 5).map(str::to_string),
                segments: std::mem::take(&mut self.spare),
                offset,
            },
            count: 1,
            bytes: 0,
            error: None,
        });
        let fault = match &self.interchange {
            None => Some(("UNB before UNH".to_string(), None)),
            Some(OpenInterchange { fault: Some(f), .. }) => Some((format!("a readable interchange: {f}"), None)),
            Some(_) if reference.is_empty() => Some(("a message reference in UNH element 1".to_string(), Some(1))),
            Some(_) if seg.get(2, 1).is_none() => Some(("a message type in UNH element 2".to_string(), Some(2))),
            Some(_) => None,
        };
        if let Some((expected, element)) = fault {
            let mut p = self.position(offset);
            p.tag = Some("UNH".into());
            p.element = element;
            self.fault_at(ErrorKind::Message, p, expected, None);
        }
    }

    pub(super) fn unt(&mut self, seg: Segment<'_>, offset: u64) {
        let Some(mut m) = self.message.take() else {
            let mut p = self.position(offset);
            p.tag = Some("UNT".into());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Message, p, "UNH before UNT", None)));
            return;
        };
        // Built only for an error: most messages need none.
        let position = |m: &OpenMessage, element| Position {
            interchange: Some(m.message.interchange.clone()),
            message: Some(m.message.reference.clone()),
            segment: Some(m.count),
            tag: Some("UNT".into()),
            element: Some(element),
            component: None,
            offset,
        };
        let count = seg.get(1, 1).unwrap_or("");
        let reference = seg.get(2, 1).unwrap_or("");
        // The message is given out in buffers of its own size; the grown ones serve the next.
        let segments = if m.error.is_none() {
            m.message.segments.clone()
        } else {
            Segments::new()
        };
        self.keep_spare(&mut m.message);
        m.message.segments = segments;
        let result = if let Some(e) = m.error {
            Err(e)
        } else if count.parse::<usize>().ok() != Some(m.count) {
            Err(ParseError::new(
                ErrorKind::Message,
                position(&m, 1),
                format!("the message's segment count {} (UNH to UNT)", m.count),
                Some(quoted(count)),
            ))
        } else if reference != m.message.reference {
            Err(ParseError::new(
                ErrorKind::Message,
                position(&m, 2),
                format!("the UNH reference {}", quoted(&m.message.reference)),
                Some(quoted(reference)),
            ))
        } else {
            Ok(Item::Message(m.message))
        };
        self.out.push_back(result);
    }

    pub(super) fn unz(&mut self, seg: Segment<'_>, offset: u64) {
        self.close_open_message(offset, "UNZ");
        if self.group.take().is_some() {
            self.envelope_error(offset, "UNZ", None, "UNE before UNZ".into(), None);
        }
        let Some(ic) = self.interchange.take() else {
            self.envelope_error(offset, "UNZ", None, "UNB before UNZ".into(), None);
            return;
        };
        // Put it back for the positions of the errors below.
        let (control_ref, messages, groups) = (ic.control_ref.clone(), ic.messages, ic.groups);
        self.interchange = Some(ic);
        let expected = if groups > 0 { groups } else { messages };
        let count = seg.get(1, 1).unwrap_or("");
        if count.parse::<usize>().ok() != Some(expected) {
            let what = if groups > 0 { "group" } else { "message" };
            self.envelope_error(
                offset,
                "UNZ",
                Some(1),
                format!("the interchange's {what} count {expected}"),
                Some(quoted(count)),
            );
        }
        let reference = seg.get(2, 1).unwrap_or("");
        if reference != control_ref {
            self.envelope_error(
                offset,
                "UNZ",
                Some(2),
                format!("the UNB control reference {}", quoted(&control_ref)),
                Some(quoted(reference)),
            );
        }
        self.interchange = None;
        self.una_seen = false;
        self.sep = Separators::default();
        self.out
            .push_back(Ok(Item::InterchangeEnd(InterchangeEnd { control_ref, messages })));
    }

    /// A body segment (`seg`: the one just read) into the open message.
    pub(super) fn body(&mut self, seg: &Segments, len: usize, offset: u64) {
        let Some(m) = &mut self.message else {
            let expected = match (&self.interchange, &self.group) {
                (None, _) => "UNA or UNB",
                (Some(_), Some(_)) => "UNH or UNE",
                (Some(_), None) => "UNH, UNG or UNZ",
            };
            let tag = seg.get(0).map_or_else(String::new, |s| s.tag().to_string());
            let mut p = self.position(offset);
            p.tag = Some(tag.clone());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Envelope, p, expected, Some(tag))));
            return;
        };
        if m.error.is_some() {
            return;
        }
        m.bytes += len;
        if m.bytes > MAX_MESSAGE_BYTES || m.message.segments.len() >= MAX_SEGMENTS {
            m.message.segments = Segments::new();
            self.fault(
                ErrorKind::Message,
                offset,
                format!("a message of at most {MAX_MESSAGE_BYTES} bytes and {MAX_SEGMENTS} segments"),
                None,
            );
            return;
        }
        m.message.segments.append(seg);
    }

    /// Keeps a message's segment buffer, emptied, for the next message.
    fn keep_spare(&mut self, message: &mut Message) {
        self.spare = std::mem::take(&mut message.segments);
        self.spare.clear();
    }

    pub(super) fn end_of_input(&mut self) -> bool {
        let offset = self.consumed();
        let mut progressed = false;
        if self.message.is_some() {
            self.close_open_message(offset, "end of input");
            progressed = true;
        }
        if self.group.take().is_some() {
            self.envelope_error(offset, "UNE", None, "UNE before end of input".into(), None);
            progressed = true;
        }
        if self.interchange.is_some() {
            self.envelope_error(offset, "UNZ", None, "UNZ before end of input".into(), None);
            self.interchange = None;
            self.una_seen = false;
            progressed = true;
        } else if self.una_seen {
            self.envelope_error(offset, "UNB", None, "UNB after UNA".into(), Some("end of input".into()));
            self.una_seen = false;
            progressed = true;
        }
        progressed
    }
}
