//! Splitting a segment's text at its separators into a message's buffer: byte by byte with
//! a class table when the separators are ASCII, character by character when one is not.

use super::{Component, Entry, Segments, Span, at};
use crate::syntax::Separators;

impl Segments {
    /// Splits a segment's decoded text (without its terminator) at the separators, honouring
    /// the release character, and appends it. On a dangling release character at the end it
    /// appends nothing and returns the 1-based element it is in (1 in the tag).
    pub(crate) fn split(&mut self, text: &str, splitter: &Splitter, offset: u64) -> Result<(), usize> {
        let marks = (self.text.len(), self.elements.len(), self.components.len());
        let sep = &splitter.sep;
        let done = match &splitter.class {
            Some(class) => self.split_bytes(text, class, sep.release),
            None => {
                // A separator beyond ASCII is the character of that code point (as in
                // Latin-1), compared character by character.
                let seps = Seps {
                    component: char::from(sep.component),
                    element: char::from(sep.element),
                    release: sep.release.map(char::from),
                    repetition: sep.repetition.map(char::from),
                };
                self.split_chars(text, seps)
            }
        };
        match done {
            Ok((tag, elements)) => {
                self.entries.push(Entry { tag, elements, offset });
                Ok(())
            }
            Err(element) => {
                self.text.truncate(marks.0);
                self.elements.truncate(marks.1);
                self.components.truncate(marks.2);
                Err(element)
            }
        }
    }

    /// With ASCII separators, which never occur inside a multi-byte character: the segment's
    /// text is copied whole and its values are spans of the copy, found by one look-up per
    /// byte. Only a value that holds a release character is copied again, without them.
    fn split_bytes(&mut self, text: &str, class: &[Class; 256], release: Option<u8>) -> Result<(Span, Span), usize> {
        let base = self.text.len();
        self.text.push_str(text);
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        // Whether the value being read holds a release character.
        let mut released = false;
        let unescape = |released: bool| if released { release } else { None };
        // The tag: component and repetition separators in it are data.
        let tag = loop {
            let Some(&b) = bytes.get(i) else {
                let tag = self.value(text, base, 0, n, unescape(released));
                let none = at(self.elements.len());
                return Ok((tag, Span { start: none, end: none }));
            };
            match class[usize::from(b)] {
                Class::Release if i + 1 >= n => return Err(1),
                Class::Release => {
                    released = true;
                    i += 2;
                }
                Class::Element => break self.value(text, base, 0, i, unescape(released)),
                _ => i += 1,
            }
        };
        i += 1;
        let first_element = self.elements.len();
        let mut element_from = self.components.len();
        let mut value_from = i;
        let mut repeats = false;
        released = false;
        while let Some(&b) = bytes.get(i) {
            let class = class[usize::from(b)];
            if class == Class::Data {
                i += 1;
                continue;
            }
            if class == Class::Release {
                if i + 1 >= n {
                    return Err(self.elements.len() - first_element + 1);
                }
                released = true;
                i += 2;
                continue;
            }
            let text = self.value(text, base, value_from, i, unescape(released));
            self.components.push(Component { text, repeats });
            released = false;
            repeats = class == Class::Repetition;
            if class == Class::Element {
                self.elements.push(Span {
                    start: at(element_from),
                    end: at(self.components.len()),
                });
                element_from = self.components.len();
            }
            i += 1;
            value_from = i;
        }
        let text = self.value(text, base, value_from, n, unescape(released));
        self.components.push(Component { text, repeats });
        self.elements.push(Span {
            start: at(element_from),
            end: at(self.components.len()),
        });
        Ok((
            tag,
            Span {
                start: at(first_element),
                end: at(self.elements.len()),
            },
        ))
    }

    /// The span of `text[from..to]`: in the copy at `base` when it holds no release character
    /// (`release` is `None`), else a copy of it without them at the end of the buffer.
    #[inline]
    fn value(&mut self, text: &str, base: usize, from: usize, to: usize, release: Option<u8>) -> Span {
        match release {
            None => Span {
                start: at(base + from),
                end: at(base + to),
            },
            Some(release) => self.unescaped(text.get(from..to).unwrap_or(""), release),
        }
    }

    #[cold]
    fn unescaped(&mut self, value: &str, release: u8) -> Span {
        let start = self.text.len();
        let mut run = 0;
        let mut rest = value.bytes().enumerate();
        while let Some((i, b)) = rest.next() {
            if b == release {
                self.text.push_str(value.get(run..i).unwrap_or(""));
                // The released character is data, whatever it is.
                run = i + 1;
                rest.next();
            }
        }
        self.text.push_str(value.get(run..).unwrap_or(""));
        Span {
            start: at(start),
            end: at(self.text.len()),
        }
    }

    /// With a separator beyond ASCII, character by character: runs of data between service
    /// characters are copied. In the tag, component and repetition separators are data.
    fn split_chars(&mut self, text: &str, seps: Seps) -> Result<(Span, Span), usize> {
        let mut units = text.char_indices();
        let mut run = 0;
        let tag_start = self.text.len();
        let mut tag_end = tag_start;
        let mut in_tag = true;
        let mut element = 0;
        let first_element = self.elements.len();
        let mut element_from = self.components.len();
        let mut value_from = self.text.len();
        let mut repeats = false;
        while let Some((i, u)) = units.next() {
            if Some(u) == seps.release {
                self.text.push_str(text.get(run..i).unwrap_or(""));
                match units.next() {
                    Some((j, _)) => run = j,
                    None => return Err(element.max(1)),
                }
                continue;
            }
            let boundary = if u == seps.element {
                Boundary::Element
            } else if in_tag {
                continue;
            } else if u == seps.component {
                Boundary::Component
            } else if Some(u) == seps.repetition {
                Boundary::Repetition
            } else {
                continue;
            };
            self.text.push_str(text.get(run..i).unwrap_or(""));
            run = i + u.len_utf8();
            if in_tag {
                in_tag = false;
                tag_end = self.text.len();
                element = 1;
                value_from = self.text.len();
                continue;
            }
            self.components.push(Component {
                text: Span {
                    start: at(value_from),
                    end: at(self.text.len()),
                },
                repeats,
            });
            value_from = self.text.len();
            repeats = boundary == Boundary::Repetition;
            if boundary == Boundary::Element {
                self.elements.push(Span {
                    start: at(element_from),
                    end: at(self.components.len()),
                });
                element_from = self.components.len();
                element += 1;
            }
        }
        self.text.push_str(text.get(run..).unwrap_or(""));
        let tag = if in_tag {
            Span {
                start: at(tag_start),
                end: at(self.text.len()),
            }
        } else {
            self.components.push(Component {
                text: Span {
                    start: at(value_from),
                    end: at(self.text.len()),
                },
                repeats,
            });
            self.elements.push(Span {
                start: at(element_from),
                end: at(self.components.len()),
            });
            Span {
                start: at(tag_start),
                end: at(tag_end),
            }
        };
        Ok((
            tag,
            Span {
                start: at(first_element),
                end: at(self.elements.len()),
            },
        ))
    }
}

/// What a byte is to the splitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Data,
    Element,
    Component,
    Repetition,
    Release,
}

/// An interchange's separators ready for splitting: with ASCII separators, a table of what
/// each byte is, built once per interchange rather than per segment.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    pub(crate) sep: Separators,
    class: Option<Box<[Class; 256]>>,
}

impl Splitter {
    pub(crate) fn new(sep: Separators) -> Self {
        let ascii = [Some(sep.component), Some(sep.element), sep.release, sep.repetition]
            .into_iter()
            .flatten()
            .all(|b| b.is_ascii());
        let class = ascii.then(|| {
            let mut class = Box::new([Class::Data; 256]);
            class[usize::from(sep.element)] = Class::Element;
            class[usize::from(sep.component)] = Class::Component;
            if let Some(r) = sep.repetition {
                class[usize::from(r)] = Class::Repetition;
            }
            if let Some(r) = sep.release {
                class[usize::from(r)] = Class::Release;
            }
            class
        });
        Splitter { sep, class }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Boundary {
    Element,
    Component,
    Repetition,
}

#[derive(Clone, Copy)]
struct Seps {
    component: char,
    element: char,
    release: Option<char>,
    repetition: Option<char>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::{ElementBuf, SegmentBuf};
    use proptest::prelude::*;

    /// The splitting as it was done before the values were borrowed (a `String` per
    /// component), kept as the reference the buffer-based one must agree with.
    fn reference_split(text: &str, sep: &Separators) -> Result<SegmentBuf, usize> {
        let (comp, elem) = (char::from(sep.component), char::from(sep.element));
        let rel = sep.release.map(char::from);
        let rep = sep.repetition.map(char::from);
        let mut elements: Vec<ElementBuf> = Vec::new();
        let mut tag = String::new();
        let mut in_tag = true;
        let mut current = ElementBuf(vec![vec![String::new()]]);
        let push = |current: &mut ElementBuf, tag: &mut String, in_tag: bool, ch: char| {
            if in_tag {
                tag.push(ch);
            } else if let Some(c) = current.0.last_mut().and_then(|r| r.last_mut()) {
                c.push(ch);
            }
        };
        let mut chars = text.chars();
        while let Some(ch) = chars.next() {
            if Some(ch) == rel {
                match chars.next() {
                    Some(next) => push(&mut current, &mut tag, in_tag, next),
                    None => return Err(elements.len() + 1),
                }
            } else if ch == elem {
                if in_tag {
                    in_tag = false;
                } else {
                    elements.push(std::mem::replace(&mut current, ElementBuf(vec![vec![String::new()]])));
                }
            } else if ch == comp && !in_tag {
                if let Some(r) = current.0.last_mut() {
                    r.push(String::new());
                }
            } else if Some(ch) == rep && !in_tag {
                current.0.push(vec![String::new()]);
            } else {
                push(&mut current, &mut tag, in_tag, ch);
            }
        }
        if !in_tag {
            elements.push(current);
        }
        Ok(SegmentBuf { tag, elements })
    }

    fn separators() -> impl Strategy<Value = Separators> {
        prop_oneof![
            Just(Separators::default()),
            Just(Separators::from_una(*b":+.?*'").unwrap()),
            Just(Separators::from_una(*b"|~,!^\"").unwrap()),
            // Beyond ASCII (Latin-1 § ¤ ¦ ¿ ×): compared as characters.
            Just(Separators::from_una([0xA7, 0xA4, b'.', 0xBF, 0xA6, 0xD7]).unwrap()),
            Just(Separators::from_una([b':', b'+', b'.', b' ', b' ', b'\'']).unwrap()),
        ]
    }

    proptest! {
        #[test]
        fn splits_like_a_string_per_component(
            sep in separators(),
            text in "[A-Z:+?*'|~!^\"§¤¿¦×åÅ€📦 a-z]{0,24}",
            before in prop::collection::vec("[A-Z+:]{0,6}", 0..3),
        ) {
            let mut segments = Segments::new();
            // Segments already in the buffer must not change what the next one reads.
            let splitter = Splitter::new(sep);
            for b in &before {
                let _ = segments.split(b, &splitter, 1);
            }
            let n = segments.len();
            let got = segments.split(&text, &splitter, 7).map(|()| segments.get(n).unwrap().to_buf());
            prop_assert_eq!(got, reference_split(&text, &sep));
            prop_assert_eq!(segments.len(), n + usize::from(reference_split(&text, &sep).is_ok()));
            if let Some(s) = segments.get(n) {
                prop_assert_eq!(s.offset(), 7);
                let copy: Segments = [s.to_buf()].into_iter().collect();
                let mut appended = Segments::new();
                appended.append(&copy);
                prop_assert_eq!(appended.get(0).unwrap().to_buf(), s.to_buf());
            }
        }
    }

    #[test]
    fn component_reads_only_the_first_repetition() {
        let mut s = Segments::new();
        s.split(
            "LOC+a*b:c+d",
            &Splitter::new(Separators::from_una(*b":+.?*'").unwrap()),
            0,
        )
        .unwrap();
        let seg = s.get(0).unwrap();
        assert_eq!(
            (seg.get(1, 1), seg.get(1, 2), seg.get(2, 1)),
            (Some("a"), None, Some("d"))
        );
        let reps: Vec<Vec<&str>> = seg.element(1).unwrap().repetitions().map(Iterator::collect).collect();
        assert_eq!(reps, vec![vec!["a"], vec!["b", "c"]]);
    }
}
