//! The time of a Smart Commit `#time` command (`1w 2d 4h 30m`), and its length in seconds
//! under a Jira site's working-time settings.
//!
//! # Rules
//! - Each amount is a number with a unit: `w` weeks, `d` days, `h` hours, `m` minutes
//!   (either case). Atlassian: "each value for w, d, h and m can be a decimal number", so
//!   `1.5h` is 90 minutes; up to 6 digits before the point and 4 after.
//! - Amounts are separated by spaces, and may also be written together (`4h30m`). Any order;
//!   a unit given twice adds up. The first word that is not an amount starts the worklog
//!   comment (`#time 1w 2d 4h 30m Total work logged`).
//! - A week and a day are working weeks and days: Jira's defaults are 5 days of 8 hours
//!   ([`WorkingTime::default`]); a site may configure others, so the caller passes them in,
//!   or sends [`TimeSpent::jira_duration`] as the worklog's `timeSpent` and lets Jira apply
//!   its own.
//! - No amount, or only zeros, is no time: the command is ignored and reported.

use std::fmt;

/// Time spent, as the command gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSpent {
    parts: Vec<(Amount, TimeUnit)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Weeks,
    Days,
    Hours,
    Minutes,
}

/// How long a working day and week are on a Jira site ("Time tracking" settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingTime {
    pub seconds_per_day: u64,
    pub seconds_per_week: u64,
}

impl Default for WorkingTime {
    /// Jira's defaults: 8 hours a day, 5 days a week.
    fn default() -> WorkingTime {
        WorkingTime { seconds_per_day: 8 * 3600, seconds_per_week: 5 * 8 * 3600 }
    }
}

impl TimeSpent {
    /// The amounts in the order written, as (value, unit) with the value as text (`1.5`).
    pub fn parts(&self) -> impl Iterator<Item = (String, TimeUnit)> + '_ {
        self.parts.iter().map(|(amount, unit)| (amount.to_string(), *unit))
    }

    /// The time in seconds, rounded to the nearest second (saturating at `u64::MAX`).
    pub fn seconds(&self, working: WorkingTime) -> u64 {
        let total: u128 = self
            .parts
            .iter()
            .map(|(amount, unit)| {
                let per_unit = match unit {
                    TimeUnit::Weeks => working.seconds_per_week,
                    TimeUnit::Days => working.seconds_per_day,
                    TimeUnit::Hours => 3600,
                    TimeUnit::Minutes => 60,
                };
                let scale = 10u128.pow(u32::from(amount.scale));
                (u128::from(amount.digits) * u128::from(per_unit) * 2 + scale) / (scale * 2)
            })
            .sum();
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    /// The time in Jira's duration format (`1w 2d 4h 30m`), as a worklog's `timeSpent`.
    pub fn jira_duration(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for TimeSpent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (amount, unit)) in self.parts.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let unit = match unit {
                TimeUnit::Weeks => 'w',
                TimeUnit::Days => 'd',
                TimeUnit::Hours => 'h',
                TimeUnit::Minutes => 'm',
            };
            write!(f, "{sep}{amount}{unit}")?;
        }
        Ok(())
    }
}

/// Reads the amounts at the start of `args`; returns them and the rest (the comment), or
/// `None` when there is no time.
pub(crate) fn parse_time(args: &str) -> Option<(TimeSpent, &str)> {
    let mut parts = Vec::new();
    let mut rest = args.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let Some(amounts) = parse_word(&rest[..word_end]) else { break };
        parts.extend(amounts);
        rest = rest[word_end..].trim_start();
    }
    if parts.iter().all(|(a, _)| a.digits == 0) {
        return None;
    }
    Some((TimeSpent { parts }, rest))
}

/// A decimal number: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Amount {
    digits: u64,
    scale: u8,
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10u64.pow(u32::from(self.scale));
        let (whole, frac) = (self.digits / scale, self.digits % scale);
        if self.scale == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{frac:0width$}", width = usize::from(self.scale))
        }
    }
}

/// One word made only of amounts (`4h`, `4h30m`, `1.5d`), or `None`.
fn parse_word(word: &str) -> Option<Vec<(Amount, TimeUnit)>> {
    const MAX_WHOLE: usize = 6;
    const MAX_FRACTION: usize = 4;
    let b = word.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let whole_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let whole = &word[whole_start..i];
        let mut fraction = "";
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            fraction = &word[start..i];
            if fraction.is_empty() {
                return None;
            }
        }
        if whole.is_empty() || whole.len() > MAX_WHOLE || fraction.len() > MAX_FRACTION {
            return None;
        }
        let unit = match b.get(i)?.to_ascii_lowercase() {
            b'w' => TimeUnit::Weeks,
            b'd' => TimeUnit::Days,
            b'h' => TimeUnit::Hours,
            b'm' => TimeUnit::Minutes,
            _ => return None,
        };
        i += 1;
        let digits = format!("{whole}{fraction}").parse::<u64>().ok()?;
        out.push((Amount { digits, scale: fraction.len() as u8 }, unit));
    }
    (!out.is_empty()).then_some(out)
}
