//! CSV cells: quoted when they hold a separator, a quote or a line break; and, in files meant
//! for spreadsheets (the portal's downloads), a text that starts like a formula is made inert.

/// A cell of a comma-separated file: quoted (quotes doubled) when it needs to be.
pub fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A text cell of a file a person opens in a spreadsheet: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return would be read as a formula (CSV injection), so it gets a
/// leading apostrophe, which spreadsheets read as "this is text".
pub fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell(&format!("'{s}"))
    } else {
        cell(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_text_and_separators_quoted() {
        assert_eq!(
            text_cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(text_cell("+46701234567"), "'+46701234567");
        assert_eq!(text_cell("-1+2"), "'-1+2");
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("Webshop, Umeå"), "\"Webshop, Umeå\"");
        assert_eq!(text_cell("ABC123"), "ABC123");
        assert_eq!(
            cell("+46701234567"),
            "+46701234567",
            "files for programs stay as they are"
        );
    }
}
