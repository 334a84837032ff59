//! Worklogs: logging, changing and deleting time on an issue, the remaining estimate they move
//! (`adjustEstimate`), and the changelog items Jira records for them.

use super::{ChangeItem, Estimate, State, UserIdx, Worklog, WorklogChange, WorklogInput};

/// Jira's default time-tracking settings: a working day is 8 hours, a week 5 days.
const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 8 * HOUR;
const WEEK: u64 = 5 * DAY;

/// Seconds of a Jira duration such as `1w 2d 3h 30m`, `1.5h` or `90` (minutes, the default
/// unit). `None` for anything else, or for zero.
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let mut total = 0.0f64;
    let mut parts = 0;
    for part in s.split_whitespace() {
        let (number, unit) = match part.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) => part.split_at(i),
            None => (part, "m"),
        };
        let n: f64 = number.parse().ok().filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
        let unit = match unit.to_ascii_lowercase().as_str() {
            "w" => WEEK,
            "d" => DAY,
            "h" => HOUR,
            "m" => MINUTE,
            _ => return None,
        };
        total += n * unit as f64;
        parts += 1;
    }
    let seconds = total.round();
    (parts > 0 && seconds >= 1.0 && seconds < u64::MAX as f64).then_some(seconds as u64)
}

/// A duration as Jira shows it: `1w 2d 3h 30m`, largest units first, zero parts left out.
pub(crate) fn format_duration(seconds: u64) -> String {
    let mut rest = seconds;
    let mut out = Vec::new();
    for (unit, suffix) in [(WEEK, "w"), (DAY, "d"), (HOUR, "h"), (MINUTE, "m")] {
        if rest >= unit {
            out.push(format!("{}{suffix}", rest / unit));
            rest %= unit;
        }
    }
    if out.is_empty() { "0m".to_owned() } else { out.join(" ") }
}

impl State {
    pub fn time_spent(&self, idx: usize) -> u64 {
        self.issues[idx].worklogs.iter().map(|w| w.time_spent).sum()
    }

    pub fn worklog_position(&self, idx: usize, id: &str) -> Option<usize> {
        self.issues[idx].worklogs.iter().position(|w| w.id.to_string() == id)
    }

    /// Logs time; returns the new worklog's id.
    pub fn add_worklog(
        &mut self,
        idx: usize,
        input: WorklogInput,
        estimate: Estimate,
        by: UserIdx,
        now: i64,
    ) -> u64 {
        let id = self.next_worklog_id;
        self.next_worklog_id += 1;
        let spent_before = self.time_spent(idx);
        let remaining = self.issues[idx].remaining_estimate;
        let remaining_after = match estimate {
            Estimate::Auto => remaining.map(|r| r.saturating_sub(input.time_spent)),
            Estimate::Leave => remaining,
            Estimate::New(n) => Some(n),
            Estimate::Manual(by) => remaining.map(|r| r.saturating_sub(by)),
        };
        self.issues[idx].worklogs.push(Worklog {
            id,
            author: by,
            update_author: by,
            comment: input.comment,
            started: input.started,
            time_spent: input.time_spent,
            created: now,
            updated: now,
        });
        let mut items = self.estimate_items(idx, remaining_after);
        items.push(seconds_item("timespent", Some(spent_before), Some(self.time_spent(idx))));
        items.push(ChangeItem {
            field: "WorklogId".into(),
            field_type: None,
            field_id: None,
            from: None,
            from_string: None,
            to: Some(id.to_string()),
            to_string: Some(id.to_string()),
        });
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
        id
    }

    /// Changes a worklog's time, start or comment (`None` leaves each alone).
    pub fn update_worklog(
        &mut self,
        idx: usize,
        pos: usize,
        change: WorklogChange,
        estimate: Estimate,
        by: UserIdx,
        now: i64,
    ) {
        let WorklogChange { time_spent, started, comment } = change;
        let spent_before = self.time_spent(idx);
        let old = self.issues[idx].worklogs[pos].time_spent;
        let w = &mut self.issues[idx].worklogs[pos];
        if let Some(t) = time_spent {
            w.time_spent = t;
        }
        if let Some(s) = started {
            w.started = s;
        }
        if let Some(c) = comment {
            w.comment = c;
        }
        w.update_author = by;
        w.updated = now;
        let new = w.time_spent;
        let remaining = self.issues[idx].remaining_estimate;
        let remaining_after = match estimate {
            // The estimate moves by the difference the change makes.
            Estimate::Auto => remaining.map(|r| (r + old).saturating_sub(new)),
            Estimate::Leave | Estimate::Manual(_) => remaining,
            Estimate::New(n) => Some(n),
        };
        let mut items = self.estimate_items(idx, remaining_after);
        if old != new {
            items.push(seconds_item("timespent", Some(spent_before), Some(self.time_spent(idx))));
        }
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
    }

    pub fn delete_worklog(
        &mut self,
        idx: usize,
        pos: usize,
        estimate: Estimate,
        by: UserIdx,
        now: i64,
    ) {
        let spent_before = self.time_spent(idx);
        let w = self.issues[idx].worklogs.remove(pos);
        let remaining = self.issues[idx].remaining_estimate;
        let remaining_after = match estimate {
            Estimate::Auto => remaining.map(|r| r + w.time_spent),
            Estimate::Leave => remaining,
            Estimate::New(n) => Some(n),
            Estimate::Manual(up) => remaining.map(|r| r + up),
        };
        let mut items = self.estimate_items(idx, remaining_after);
        items.push(seconds_item("timespent", Some(spent_before), Some(self.time_spent(idx))));
        items.push(ChangeItem {
            field: "WorklogId".into(),
            field_type: None,
            field_id: None,
            from: Some(w.id.to_string()),
            from_string: Some(w.id.to_string()),
            to: None,
            to_string: None,
        });
        self.deleted_worklogs.push((w.id, now));
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
    }

    /// Sets the remaining estimate, returning the `timeestimate` change item if it moved.
    fn estimate_items(&mut self, idx: usize, remaining_after: Option<u64>) -> Vec<ChangeItem> {
        let before = std::mem::replace(&mut self.issues[idx].remaining_estimate, remaining_after);
        if before == remaining_after {
            return Vec::new();
        }
        vec![seconds_item("timeestimate", before, remaining_after)]
    }
}

/// A time-tracking change item: Jira writes seconds on both sides, as ids and as strings.
fn seconds_item(field: &str, from: Option<u64>, to: Option<u64>) -> ChangeItem {
    let s = |v: Option<u64>| v.filter(|&v| v > 0).map(|v| v.to_string());
    ChangeItem {
        field: field.to_owned(),
        field_type: None,
        field_id: None,
        from: s(from),
        from_string: s(from),
        to: s(to),
        to_string: s(to),
    }
}

#[cfg(test)]
mod tests {
    use super::{format_duration, parse_duration};

    #[test]
    fn durations_read_and_write_as_jira_does() {
        let check =
            |input: &str, want: Option<u64>| assert_eq!(parse_duration(input), want, "{input:?}");
        check("1h", Some(3600));
        check("3h 30m", Some(12_600));
        check("1w 2d 4h 30m", Some(5 * 8 * 3600 + 2 * 8 * 3600 + 4 * 3600 + 1800));
        check("1.5h", Some(5400));
        check("90", Some(5400));
        check("2D", Some(16 * 3600));
        check("", None);
        check("0m", None);
        check("1x", None);
        check("h", None);
        check("-1h", None);
        check("1e400h", None);
        let show = |secs: u64, want: &str| assert_eq!(format_duration(secs), want, "{secs}");
        show(3600, "1h");
        show(5400, "1h 30m");
        show(8 * 3600, "1d");
        show(5 * 8 * 3600 + 3600, "1w 1h");
        show(30, "0m");
    }
}
