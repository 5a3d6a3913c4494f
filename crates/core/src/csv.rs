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

/// How a spreadsheet set to a language opens a file by double-click: the separator between
/// cells (a Nordic Excel expects `;`, because `,` is its decimal sign), the decimal sign, and
/// the zone its users read times in.
#[derive(Debug, Clone)]
pub struct Spreadsheet {
    pub separator: char,
    pub decimal: char,
    pub zone: jiff::tz::TimeZone,
}

/// The cells of each line of a file written with `cell` (quoted cells may hold separators,
/// doubled quotes and line breaks). An empty line is a line of one empty cell.
pub fn rows(csv: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// A file of the portal's (comma-separated, amounts with a decimal point, instants in UTC) as
/// `sheet` opens it: a UTF-8 byte order mark (without it Excel reads UTF-8 as Latin-1: "UmeÃ¥"),
/// the sheet's separator, amounts and shares (columns named `*_sek`, `*_rate`, `*_share`) with
/// its decimal sign, instants (`*_at`) as local times a spreadsheet reads as dates. A header is
/// the first line and the first after an empty one (the bill has two tables).
pub fn for_spreadsheet(csv: &str, sheet: &Spreadsheet) -> String {
    let mut out = String::from('\u{feff}');
    let mut header: Vec<String> = Vec::new();
    let mut next_is_header = true;
    for row in rows(csv) {
        if row.len() == 1 && row[0].is_empty() {
            out.push('\n');
            next_is_header = true;
            continue;
        }
        let cells: Vec<String> = if next_is_header {
            header.clone_from(&row);
            row
        } else {
            row.into_iter()
                .enumerate()
                .map(|(i, value)| local(header.get(i).map_or("", String::as_str), value, sheet))
                .collect()
        };
        next_is_header = false;
        let line: Vec<String> = cells.iter().map(|c| sheet_cell(c, sheet.separator)).collect();
        out.push_str(&line.join(&sheet.separator.to_string()));
        out.push('\n');
    }
    out
}

/// A value of the column `name` as the sheet writes it.
fn local(name: &str, value: String, sheet: &Spreadsheet) -> String {
    let decimal = name.ends_with("_sek") || name.ends_with("_rate") || name.ends_with("_share");
    let is_number = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    if decimal && is_number(&value) {
        return value.replace('.', &sheet.decimal.to_string());
    }
    if name.ends_with("_at")
        && let Ok(t) = value.parse::<jiff::Timestamp>()
    {
        return t
            .to_zoned_datetime(sheet.zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string();
    }
    value
}

/// A cell quoted when it holds the sheet's separator, a quote or a line break.
fn sheet_cell(s: &str, separator: char) -> String {
    if s.contains([separator, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nordic() -> Spreadsheet {
        Spreadsheet {
            separator: ';',
            decimal: ',',
            zone: jiff::tz::TimeZone::get("Europe/Stockholm").unwrap(),
        }
    }

    #[test]
    fn a_file_for_a_nordic_spreadsheet_has_semicolons_decimal_commas_and_local_times() {
        let plain = "line,description,quantity,unit_price_sek,amount_sek\n\
            sms,\"SMS segments at 0.75 SEK; \"\"extra\"\"\",3,0.75,2.25\n\
            total,bill 2026-11,,,1250.00\n\
            \n\
            notification_id,sent_at,tracking_number,cost_sek\n\
            7,2026-11-25T13:05:00Z,'-1-CSV,0.75\n";
        let sheet = for_spreadsheet(plain, &nordic());
        assert_eq!(
            sheet,
            "\u{feff}line;description;quantity;unit_price_sek;amount_sek\n\
             sms;\"SMS segments at 0.75 SEK; \"\"extra\"\"\";3;0,75;2,25\n\
             total;bill 2026-11;;;1250,00\n\
             \n\
             notification_id;sent_at;tracking_number;cost_sek\n\
             7;2026-11-25 14:05:00;'-1-CSV;0,75\n"
        );
        assert_eq!(rows(&sheet.replace(';', ",")).len(), 6);
    }

    #[test]
    fn rows_read_what_cell_writes() {
        let values = ["a,b", "say \"hi\"", "two\nlines", "", "plain"];
        let line: Vec<String> = values.iter().map(|v| cell(v)).collect();
        assert_eq!(
            rows(&format!("{}\n", line.join(","))),
            vec![values.map(String::from).to_vec()]
        );
    }

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
