//! Times of ingested data as people read them: in the Jira service account's time zone (what
//! `myself` said), else UTC, as Pluralsight Flow shows them.

/// `2026-01-31 10:15 CET` for epoch ms in the IANA zone `zone` (UTC when it is unknown).
pub(crate) fn zoned(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// The zone times are shown in: the account's when Jira named a real one, else UTC.
pub(crate) fn display_zone(account_zone: Option<&str>) -> String {
    match account_zone.filter(|z| jiff::tz::TimeZone::get(z).is_ok()) {
        Some(z) => z.to_owned(),
        None => "UTC".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_accounts_zone_else_utc() {
        let ms = 1_706_696_100_000; // 2024-01-31T10:15:00Z
        let cases = [
            ("UTC", "2024-01-31 10:15 UTC"),
            ("Europe/Berlin", "2024-01-31 11:15 CET"),
            ("America/New_York", "2024-01-31 05:15 EST"),
            ("Not/AZone", "2024-01-31 10:15 UTC"),
        ];
        for (zone, want) in cases {
            assert_eq!(zoned(ms, zone), want, "{zone}");
        }
        assert_eq!(display_zone(Some("Asia/Tokyo")), "Asia/Tokyo");
        assert_eq!(display_zone(Some("nowhere")), "UTC");
        assert_eq!(display_zone(None), "UTC");
    }
}
