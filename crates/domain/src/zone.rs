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

/// The zone a tenant's days are counted in: the portal's dates, the bill's months and the
/// numbers' days. Tenants have no zone of their own; Avisera's home market is Sweden.
pub const TENANT_ZONE: &str = "Europe/Stockholm";

pub fn tenant_zone() -> TimeZone {
    TimeZone::get(TENANT_ZONE).expect("the bundled time zone database has Europe/Stockholm")
}

/// The UTC offset (in seconds) of the zone named `zone` over `[from, until)`, as the instants
/// each offset starts at, oldest first: the first at `from`, then one per transition (summer
/// time and back). A store without time zones finds an instant's local day by the offset in
/// force. None for a zone the bundled database does not know.
pub fn offsets_between(
    zone: &str,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Option<Vec<(jiff::Timestamp, i32)>> {
    let zone = TimeZone::get(zone).ok()?;
    let mut out = vec![(from, zone.to_offset(from).seconds())];
    out.extend(
        zone.following(from)
            .take_while(|t| t.timestamp() < until)
            .map(|t| (t.timestamp(), t.offset().seconds())),
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockholm_switches_to_summer_time_and_back_within_a_year() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let offsets = offsets_between(TENANT_ZONE, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            offsets,
            [
                (at("2026-01-01T00:00:00Z"), 3600),
                (at("2026-03-29T01:00:00Z"), 7200),
                (at("2026-10-25T01:00:00Z"), 3600),
            ]
        );
        let winter = offsets_between(TENANT_ZONE, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")).unwrap();
        assert_eq!(winter, [(at("2026-11-01T00:00:00Z"), 3600)]);
        assert_eq!(
            offsets_between("Mars/Olympus", at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")),
            None
        );
        assert!(tenant_zone().iana_name() == Some(TENANT_ZONE));
    }
}
