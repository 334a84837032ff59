//! What the command line prints: tables with a header row, times in the local
//! time zone (ISO 8601 with the offset in `--json`), and a quiet end when the
//! reader of standard output goes away (`tether … | head -1`).

use std::io::Write;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;

/// Rows under a header, columns aligned, no borders.
pub struct Table {
    inner: comfy_table::Table,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        let mut inner = comfy_table::Table::new();
        inner.load_preset(comfy_table::presets::NOTHING);
        inner.set_header(header.iter().map(|h| h.to_uppercase()));
        for column in inner.column_iter_mut() {
            column.set_padding((0, 2));
        }
        Table { inner }
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.inner.add_row(cells.into_iter().map(Into::into).collect::<Vec<String>>());
    }

    /// The table's lines, or `empty` when it has no rows (a header alone says nothing).
    pub fn render(&self, empty: &str) -> String {
        if self.inner.row_count() == 0 {
            return empty.to_owned();
        }
        self.inner.trim_fmt()
    }
}

/// The zone times are shown in: `TZ`, else the system's, else UTC.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// Epoch milliseconds as a local time for a table: `2026-12-05 14:31:02 +01:00`.
pub fn local_time(ms: i64, zone: &TimeZone) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Epoch milliseconds as ISO 8601 with the local offset: `2026-12-05T14:31:02.123+01:00`.
pub fn iso_time(ms: i64, zone: &TimeZone) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// The API's JSON with every `…_at` time (epoch milliseconds) written as ISO 8601
/// with the local offset, for `--json`.
pub fn with_iso_times(value: &Value, zone: &TimeZone) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v.as_i64() {
                        Some(ms) if k.ends_with("_at") => Value::String(iso_time(ms, zone)),
                        _ => with_iso_times(v, zone),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| with_iso_times(v, zone)).collect())
        }
        other => other.clone(),
    }
}

/// Prints `value` as pretty JSON (times made readable).
pub fn print_json(value: &Value) {
    let value = with_iso_times(value, &local_zone());
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

/// Writes `bytes` to standard output; a reader that went away ends the write
/// quietly (it has what it wanted).
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `println!` panics when standard output is a closed pipe; that one panic ends
/// the process quietly with status 0 instead of printing a panic message (and
/// 101). Every other panic keeps the default report.
pub fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_a_header_and_aligned_columns() {
        let mut t = Table::new(&["key", "kind"]);
        t.row(["new-checkout", "boolean"]);
        t.row(["x", "json"]);
        expect_test::expect![[r#"
            KEY           KIND
            new-checkout  boolean
            x             json"#]]
        .assert_eq(&t.render("none"));
        assert_eq!(Table::new(&["key"]).render("no flags"), "no flags");
    }

    #[test]
    fn times_are_local_with_their_offset() {
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let ms = 1_796_469_381_096; // what `flags get` once printed raw
        assert_eq!(local_time(ms, &kolkata), "2026-12-05 16:46:21 +05:30");
        assert_eq!(iso_time(ms, &TimeZone::UTC), "2026-12-05T11:16:21.096+00:00");
        let json = serde_json::json!({"updated_at": ms, "version": 3, "environments": [{"created_at": ms, "on": true}]});
        let iso = with_iso_times(&json, &TimeZone::UTC);
        assert_eq!(iso["updated_at"], "2026-12-05T11:16:21.096+00:00");
        assert_eq!(iso["environments"][0]["created_at"], "2026-12-05T11:16:21.096+00:00");
        assert_eq!(iso["version"], 3);
    }
}
