//! JQL functions: the catalogue Jira documents (names, argument counts, what they return,
//! whether they return a list), Jira's messages for misuse, and evaluation of the date
//! functions against a handed-in [`Clock`].
//!
//! Date functions (`startOfDay(-1)`, `endOfMonth("+15d")` …) take an optional increment
//! `(+/-)n(y|M|w|d|h|m)`; `M` is months and `m` minutes; without a unit the function's own
//! period is meant. As in Jira, years and months move the moment before it is truncated to the
//! period (`endOfMonth(1)` is the end of next month) and smaller units move the truncated
//! result (`startOfMonth(14d)` is the 15th, `startOfDay("-1h")` 23:00 yesterday).

use std::fmt;

use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset};

use crate::catalogue::ValueType;
use crate::dates::{Clock, WeekStart, at_offset, millis};

/// One function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    /// The name as documented; calls match it without regard to case.
    pub name: String,
    pub min_args: usize,
    /// `None` for no upper limit.
    pub max_args: Option<usize>,
    /// What the function's values are.
    pub returns: ValueType,
    /// Whether it yields a list (only `IN`-style operators take it).
    pub list: bool,
    pub kind: FunctionKind,
}

/// What evaluating a function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// Depends on data outside the query (users, versions, sprints …): the query engine's.
    Lookup,
    /// `now()`.
    Now,
    /// `startOfDay()` and friends.
    StartOf(Period),
    /// `endOfDay()` and friends.
    EndOf(Period),
}

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// The functions a query may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCatalogue {
    functions: Vec<FunctionDef>,
}

/// Why a function call is refused, in Jira's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionError {
    #[error("Unable to find JQL function '{0}'.")]
    Unknown(String),
    #[error("Function '{name}' expected '{expected}' arguments but received '{got}'.")]
    ArgumentCount { name: String, expected: usize, got: usize },
    #[error(
        "Function '{name}' expected between '{min}' and '{max}' arguments but received '{got}'."
    )]
    ArgumentRange { name: String, min: usize, max: usize, got: usize },
    #[error(
        "Duration for function '{0}' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."
    )]
    Increment(String),
}

impl FunctionCatalogue {
    /// A catalogue of these functions.
    pub fn new(functions: Vec<FunctionDef>) -> Self {
        FunctionCatalogue { functions }
    }

    /// Jira's documented functions (platform, Jira Software and Jira Service Management).
    pub fn jira() -> Self {
        use FunctionKind::*;
        use ValueType as T;
        let unbounded = None;
        type Row = (&'static str, usize, Option<usize>, ValueType, bool, FunctionKind);
        let defs: &[Row] = &[
            ("approved", 0, Some(0), T::Approval, false, Lookup),
            ("approver", 1, unbounded, T::Approval, false, Lookup),
            ("breached", 0, Some(0), T::Sla, false, Lookup),
            ("cascadeOption", 1, Some(2), T::Option, true, Lookup),
            ("closedSprints", 0, Some(0), T::Sprint, true, Lookup),
            ("completed", 0, Some(0), T::Sla, false, Lookup),
            ("componentsLeadByUser", 0, Some(1), T::Component, true, Lookup),
            ("currentLogin", 0, Some(0), T::Date, false, Lookup),
            ("currentUser", 0, Some(0), T::User, false, Lookup),
            ("earliestUnreleasedVersion", 1, Some(1), T::Version, false, Lookup),
            ("earliestUnreleasedVersionByReleaseDate", 1, Some(1), T::Version, false, Lookup),
            ("elapsed", 1, Some(1), T::Sla, false, Lookup),
            ("endOfDay", 0, Some(1), T::Date, false, EndOf(Period::Day)),
            ("endOfMonth", 0, Some(1), T::Date, false, EndOf(Period::Month)),
            ("endOfWeek", 0, Some(1), T::Date, false, EndOf(Period::Week)),
            ("endOfYear", 0, Some(1), T::Date, false, EndOf(Period::Year)),
            ("everBreached", 0, Some(0), T::Sla, false, Lookup),
            ("futureSprints", 0, Some(0), T::Sprint, true, Lookup),
            ("issueHistory", 0, Some(0), T::Issue, true, Lookup),
            ("issuesWithRemoteLinksByGlobalId", 1, Some(100), T::Issue, true, Lookup),
            ("lastLogin", 0, Some(0), T::Date, false, Lookup),
            ("latestReleasedVersion", 1, Some(1), T::Version, false, Lookup),
            ("latestReleasedVersionByReleaseDate", 1, Some(1), T::Version, false, Lookup),
            ("linkedIssues", 1, Some(2), T::Issue, true, Lookup),
            ("membersOf", 1, Some(1), T::User, true, Lookup),
            ("myApproval", 0, Some(0), T::Approval, false, Lookup),
            ("myPending", 0, Some(0), T::Approval, false, Lookup),
            ("now", 0, Some(0), T::Date, false, Now),
            ("openSprints", 0, Some(0), T::Sprint, true, Lookup),
            ("parentEpic", 1, unbounded, T::Issue, true, Lookup),
            ("paused", 0, Some(0), T::Sla, false, Lookup),
            ("pending", 0, Some(0), T::Approval, false, Lookup),
            ("pendingBy", 1, unbounded, T::Approval, false, Lookup),
            ("projectsLeadByUser", 0, Some(1), T::Project, true, Lookup),
            ("projectsWhereUserHasPermission", 1, Some(1), T::Project, true, Lookup),
            ("projectsWhereUserHasRole", 1, Some(1), T::Project, true, Lookup),
            ("releasedVersions", 0, unbounded, T::Version, true, Lookup),
            ("remaining", 1, Some(1), T::Sla, false, Lookup),
            ("running", 0, Some(0), T::Sla, false, Lookup),
            ("standardIssueTypes", 0, Some(0), T::IssueType, true, Lookup),
            ("startOfDay", 0, Some(1), T::Date, false, StartOf(Period::Day)),
            ("startOfMonth", 0, Some(1), T::Date, false, StartOf(Period::Month)),
            ("startOfWeek", 0, Some(1), T::Date, false, StartOf(Period::Week)),
            ("startOfYear", 0, Some(1), T::Date, false, StartOf(Period::Year)),
            ("subtaskIssueTypes", 0, Some(0), T::IssueType, true, Lookup),
            ("unreleasedVersions", 0, unbounded, T::Version, true, Lookup),
            ("updatedBy", 1, Some(3), T::Issue, true, Lookup),
            ("votedIssues", 0, Some(0), T::Issue, true, Lookup),
            ("watchedIssues", 0, Some(0), T::Issue, true, Lookup),
            ("withinCalendarHours", 0, Some(0), T::Sla, false, Lookup),
        ];
        let functions = defs
            .iter()
            .map(|&(name, min_args, max_args, returns, list, kind)| FunctionDef {
                name: name.to_owned(),
                min_args,
                max_args,
                returns,
                list,
                kind,
            })
            .collect();
        FunctionCatalogue { functions }
    }

    /// The function called `name`, compared without regard to case as Jira does.
    pub fn get(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Every function, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = &FunctionDef> {
        self.functions.iter()
    }

    /// Checks a call's name, argument count and (for date functions) increment.
    pub fn check(&self, name: &str, args: &[String]) -> Result<&FunctionDef, FunctionError> {
        let def = self
            .get(name)
            .ok_or_else(|| FunctionError::Unknown(format!("{name}({})", args.join(", "))))?;
        let got = args.len();
        match def.max_args {
            Some(max) if def.min_args == max && got != max => {
                return Err(FunctionError::ArgumentCount {
                    name: name.to_owned(),
                    expected: max,
                    got,
                });
            }
            Some(max) if got < def.min_args || got > max => {
                return Err(FunctionError::ArgumentRange {
                    name: name.to_owned(),
                    min: def.min_args,
                    max,
                    got,
                });
            }
            None if got < def.min_args => {
                return Err(FunctionError::ArgumentRange {
                    name: name.to_owned(),
                    min: def.min_args,
                    // Jira's bound for "no limit" is Java's largest int.
                    max: i32::MAX as usize,
                    got,
                });
            }
            _ => {}
        }
        if let (FunctionKind::StartOf(_) | FunctionKind::EndOf(_), [arg]) = (def.kind, args)
            && parse_increment(arg).is_none()
        {
            return Err(FunctionError::Increment(name.to_owned()));
        }
        Ok(def)
    }
}

/// An increment such as `-1M`: sign and amount, and the unit if written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Increment {
    pub amount: i32,
    pub unit: Option<Unit>,
}

/// The units of a date-function increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
}

/// Reads `([-+]?)(\d+)([mhdwMy]?)`; an amount beyond a Java `int` counts as 0, as in Jira.
pub fn parse_increment(text: &str) -> Option<Increment> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let unit = match &rest[digits..] {
        "" => None,
        "y" => Some(Unit::Years),
        "M" => Some(Unit::Months),
        "w" => Some(Unit::Weeks),
        "d" => Some(Unit::Days),
        "h" => Some(Unit::Hours),
        "m" => Some(Unit::Minutes),
        _ => return None,
    };
    let amount: i32 = rest[..digits].parse().unwrap_or(0);
    Some(Increment { amount: if negative { -amount } else { amount }, unit })
}

/// The value of `now()`, `startOf…()` or `endOf…()` at this clock, in milliseconds; `None`
/// for other functions, bad increments, or dates beyond the year 9999.
pub fn evaluate_date_function(def: &FunctionDef, args: &[String], clock: &Clock) -> Option<i64> {
    let (period, start) = match def.kind {
        FunctionKind::Now => return Some(clock.now_ms),
        FunctionKind::StartOf(p) => (p, true),
        FunctionKind::EndOf(p) => (p, false),
        FunctionKind::Lookup => return None,
    };
    let increment = match args {
        [] => None,
        [arg] => Some(parse_increment(arg)?),
        _ => return None,
    };
    let offset = UtcOffset::from_whole_seconds(clock.utc_offset_seconds).ok()?;
    let mut at = at_offset(clock.now_ms, offset)?;
    let increment = increment.map(|Increment { amount, unit }| {
        let unit = unit.unwrap_or(match period {
            Period::Day => Unit::Days,
            Period::Week => Unit::Weeks,
            Period::Month => Unit::Months,
            Period::Year => Unit::Years,
        });
        (amount, unit)
    });
    // Jira moves by whole years and months before truncating (so `endOfMonth(1)` is the end
    // of next month) and by smaller units after (so `startOfMonth(14d)` is the 15th); months
    // count as smaller within a year.
    let first = |unit| {
        matches!((unit, period), (Unit::Years, _))
            || (unit == Unit::Months && period != Period::Year)
    };
    if let Some((amount, unit)) = increment
        && first(unit)
    {
        at = add(at, amount, unit)?;
    }
    at = if start {
        start_of(at, period, clock.week_start)?
    } else {
        end_of(at, period, clock.week_start)?
    };
    if let Some((amount, unit)) = increment
        && !first(unit)
    {
        at = add(at, amount, unit)?;
    }
    Some(millis(at))
}

fn start_of(now: OffsetDateTime, period: Period, week_start: WeekStart) -> Option<OffsetDateTime> {
    let date = now.date();
    let first = match period {
        Period::Day => date,
        Period::Week => date.checked_sub(Duration::days(days_into_week(date, week_start)))?,
        Period::Month => date.replace_day(1).ok()?,
        Period::Year => Date::from_calendar_date(date.year(), Month::January, 1).ok()?,
    };
    Some(now.replace_date(first).replace_time(Time::MIDNIGHT))
}

fn end_of(now: OffsetDateTime, period: Period, week_start: WeekStart) -> Option<OffsetDateTime> {
    let date = now.date();
    let last = match period {
        Period::Day => date,
        Period::Week => date.checked_add(Duration::days(6 - days_into_week(date, week_start)))?,
        Period::Month => date.replace_day(date.month().length(date.year())).ok()?,
        Period::Year => Date::from_calendar_date(date.year(), Month::December, 31).ok()?,
    };
    Some(now.replace_date(last).replace_time(Time::from_hms_milli(23, 59, 59, 999).ok()?))
}

fn days_into_week(date: Date, week_start: WeekStart) -> i64 {
    i64::from(match week_start {
        WeekStart::Sunday => date.weekday().number_days_from_sunday(),
        WeekStart::Monday => date.weekday().number_days_from_monday(),
    })
}

/// Java's `Calendar.add`: months and years keep the day, clamped to the month's length.
fn add(at: OffsetDateTime, amount: i32, unit: Unit) -> Option<OffsetDateTime> {
    let amount = i64::from(amount);
    match unit {
        Unit::Years => add_months(at, amount.checked_mul(12)?),
        Unit::Months => add_months(at, amount),
        Unit::Weeks => at.checked_add(Duration::weeks(amount)),
        Unit::Days => at.checked_add(Duration::days(amount)),
        Unit::Hours => at.checked_add(Duration::hours(amount)),
        Unit::Minutes => at.checked_add(Duration::minutes(amount)),
    }
}

fn add_months(at: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let date = at.date();
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let day = date.day().min(month.length(year));
    Some(at.replace_date(Date::from_calendar_date(year, month, day).ok()?))
}

impl fmt::Display for FunctionDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.name)
    }
}
