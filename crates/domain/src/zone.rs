//! The receiver's local time zone, derived from the destination country when not given.

use jiff::tz::TimeZone;

/// The IANA zone for a destination country (ISO 3166 alpha-2); Stockholm when unknown,
/// since Avisera's home market is Sweden.
pub fn zone_name_for_country(country: Option<&str>) -> &'static str {
    match country.map(|c| c.to_ascii_uppercase()).as_deref() {
        Some("NO") => "Europe/Oslo",
        Some("DK") => "Europe/Copenhagen",
        Some("FI") => "Europe/Helsinki",
        Some("IS") => "Atlantic/Reykjavik",
        Some("DE") => "Europe/Berlin",
        Some("GB") => "Europe/London",
        Some("EE") => "Europe/Tallinn",
        Some("LV") => "Europe/Riga",
        Some("LT") => "Europe/Vilnius",
        Some("PL") => "Europe/Warsaw",
        _ => "Europe/Stockholm",
    }
}

pub fn zone_for_country(country: Option<&str>) -> TimeZone {
    TimeZone::get(zone_name_for_country(country)).unwrap_or(TimeZone::UTC)
}
