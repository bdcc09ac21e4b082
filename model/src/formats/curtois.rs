//! Importer for the Curtois & Qu shift-scheduling benchmark text format (`InstanceN.txt`).
//!
//! The format and its exact semantics are described in `datasets/curtois/README.md` (sections 2
//! and 3). The mapping onto [`Scenario`] is chosen so that the evaluator's objective on an imported
//! instance equals the benchmark's objective exactly:
//!
//! * Horizon: starts on 2024-01-01, a Monday, because day 0 of every instance is a Monday; so the
//!   calendar's weekends are days 7t+5 and 7t+6, as the benchmark defines them.
//! * Shift types: start 00:00 and [`LaborRules::min_rest`] 0. The format has no clock times, only
//!   explicit forbidden successions (`L,480,E`: E may not be worked the day after L), which become
//!   [`ShiftType::forbidden_next`]; a derived rest check must not add constraints of its own.
//! * Staff: every limit of a line goes into the contract, both minute bounds hard
//!   (`min_minutes`, `max_minutes`), `MaxShifts` pairs into `max_shifts` (0 = not qualified).
//!   Pay is zero (`hourly_rate` 0), so overtime and premiums cost nothing. `weekly_minutes` is the
//!   maximum pro-rated to a week, `ceil(MaxTotalMinutes · 7 / H)`, only so that overtime *minutes*
//!   reported for a Curtois roster are meaningful; they never enter the objective.
//! * Fixed days off become [`Unavailability`] with [`AbsenceReason::DayOff`].
//! * Request and cover weights are taken as cents ([`Money`]): the total cost in cents is then the
//!   benchmark's objective, and published best-known values compare with `==`.
//!
//! Parsing is tolerant of what the distributed copies differ in (CRLF or LF, a byte-order mark,
//! blank lines, spaces around fields, `D,480` without the trailing comma) and strict about
//! everything else: sections are found by their `SECTION_` headers, every id must be defined, every
//! number must be an integer in range, and `SECTION_COVER` must hold the complete day × shift grid,
//! which is how a file cut short inside its last section is detected. Every error is
//! [`ModelError::Curtois`] with the 1-based line of the problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Display;

use chrono::NaiveDate;

use crate::calendar::Horizon;
use crate::error::ModelError;
use crate::ids::{DriverId, ShiftTypeId};
use crate::scenario::{
    AbsenceReason, Contract, ContractKind, Demand, Driver, LaborRules, ObjectiveWeights, OvertimePolicy, Request,
    RequestKind, Scenario, ShiftType, Unavailability,
};
use crate::units::{Minutes, Money};

/// The sections of a file, in the order they are interpreted (later ones refer to earlier ones).
const SECTIONS: [&str; 7] = [
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
];

/// Day 0 of every instance is a Monday; any Monday would do, this one is easy to recognise.
const START_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 1) {
    Some(date) => date,
    None => panic!("2024-01-01 is a valid date"), // evaluated at compile time
};

/// `return Err(..)` located at an [`At`], with a formatted message.
macro_rules! bail {
    ($at:expr, $($msg:tt)+) => {
        return Err($at.err(format_args!($($msg)+)))
    };
}

/// Reads a Curtois & Qu instance into a scenario called `name`.
///
/// # Errors
///
/// [`ModelError::Curtois`] with the line number and a message naming the section and the field, for
/// any malformed, inconsistent or truncated input.
pub fn parse_curtois(text: &str, name: &str) -> Result<Scenario, ModelError> {
    let (sections, eof_line) = split_sections(text)?;
    let [horizon, shifts, staff, days_off, on, off, cover] = &sections;
    let days = parse_horizon(horizon)?;
    let (shift_types, shift_ix) = parse_shifts(shifts)?;
    let mut drivers = parse_staff(staff, days, &shift_ix)?;
    let driver_ix = drivers.iter().enumerate().map(|(i, d)| (d.id.0.clone(), i));
    let ids = Ids { days, shifts: shift_ix, drivers: driver_ix.collect() };
    parse_days_off(days_off, &ids, &mut drivers)?;
    let mut requests = parse_requests(on, RequestKind::On, &ids)?;
    requests.extend(parse_requests(off, RequestKind::Off, &ids)?);
    let demand = parse_cover(cover, &ids, &shift_types, eof_line)?;
    let horizon = Horizon { start_date: START_DATE, days };
    Ok(Scenario {
        name: name.to_owned(),
        horizon,
        shift_types,
        demand,
        drivers,
        // No clock times in the format: only the explicit forbidden successions apply, so the
        // derived rest check is off (explicitly, not through `Default`, which may change).
        rules: LaborRules { min_rest: Minutes::ZERO },
        overtime: OvertimePolicy::default(),
        weights: ObjectiveWeights::default(),
        requests,
        pins: Vec::new(),
        baseline: None,
        history: Vec::new(),
    })
}

/// Where a problem is: a section and a 1-based line. Every error is built through it.
#[derive(Debug, Clone, Copy, Default)]
struct At {
    section: &'static str,
    line: usize,
}

/// A data line: where it is and its comma-separated fields, trimmed.
#[derive(Debug)]
struct Line<'a> {
    at: At,
    fields: Vec<&'a str>,
}

/// One section: its header line and its data lines (comments and blank lines dropped).
#[derive(Debug, Default)]
struct Section<'a> {
    at: At,
    lines: Vec<Line<'a>>,
}

/// The horizon length and the ids defined so far (to their dense index), to resolve references.
#[derive(Debug)]
struct Ids {
    days: usize,
    shifts: HashMap<String, usize>,
    drivers: HashMap<String, usize>,
}

/// Splits the text into the seven sections; also returns the number of the line after the last.
fn split_sections(text: &str) -> Result<([Section<'_>; 7], usize), ModelError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: [Option<Section<'_>>; 7] = Default::default();
    let mut current = None;
    let mut last_line = 0;
    // `str::lines` would keep a lone `\r` at the very end; trimming each line handles every case.
    for (i, raw) in text.split_terminator('\n').enumerate() {
        let (line, trimmed) = (i + 1, raw.trim());
        last_line = line;
        let at = At::new("", line);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with("SECTION_") {
            let Some(k) = SECTIONS.iter().position(|s| *s == trimmed) else {
                bail!(at, "unknown section header \"{trimmed}\"");
            };
            if let Some(first) = &found[k] {
                bail!(at, "{trimmed} again (first on line {})", first.at.line);
            }
            let at = At::new(SECTIONS[k], line);
            found[k] = Some(Section { at, lines: vec![] });
            current = Some(k);
        } else if let Some(section) = current.and_then(|k| found[k].as_mut()) {
            let fields = trimmed.split(',').map(str::trim).collect();
            let at = At::new(section.at.section, line);
            section.lines.push(Line { at, fields });
        } else {
            bail!(at, "data before the first SECTION_ header");
        }
    }
    let eof = At::new("", last_line + 1);
    let missing: Vec<&str> = SECTIONS.iter().zip(&found).filter(|(_, s)| s.is_none()).map(|p| *p.0).collect();
    if !missing.is_empty() {
        bail!(eof, "file ends without {} (truncated?)", missing.join(", "));
    }
    Ok((found.map(Option::unwrap_or_default), eof.line))
}

/// ` of {owner}`, or nothing for an empty owner.
fn of(owner: &str) -> String {
    match owner {
        "" => String::new(),
        _ => format!(" of {owner}"),
    }
}

impl At {
    fn new(section: &'static str, line: usize) -> At {
        At { section, line }
    }

    fn err(self, message: impl Display) -> ModelError {
        let message = match self.section {
            "" => message.to_string(),
            section => format!("{section}: {message}"),
        };
        ModelError::Curtois { line: self.line, message }
    }

    /// Parses a non-negative integer: `field` of `owner` (`MaxWeekends`, `employee A`; the owner
    /// may be empty).
    fn uint<T: TryFrom<i64>>(self, field: &str, owner: &str, raw: &str) -> Result<T, ModelError> {
        let of = of(owner);
        // Read as signed so that `-0`, which Instance15 contains twice, is the 0 it means.
        let value = match raw.parse::<i64>() {
            Ok(v) if v >= 0 => v,
            _ => bail!(self, "{field} \"{raw}\"{of} must be a non-negative integer"),
        };
        match T::try_from(value) {
            Ok(v) => Ok(v),
            Err(_) => bail!(self, "{field} {value}{of} is too large"),
        }
    }

    /// Parses a day index and checks that it lies in the horizon.
    fn day(self, field: &str, owner: &str, raw: &str, ids: &Ids) -> Result<usize, ModelError> {
        let day: usize = self.uint(field, owner, raw)?;
        if day >= ids.days {
            let (of, last) = (of(owner), ids.days - 1);
            bail!(self, "{field} {day}{of} is outside the horizon (days 0 to {last})");
        }
        Ok(day)
    }

    /// Checks that a new id is usable by the rest of the platform (ids travel through CSV exports).
    fn new_id(self, kind: &str, raw: &str) -> Result<(), ModelError> {
        // Driver and shift ids share the rule; checking through one type keeps it in one place.
        if !ShiftTypeId::from(raw).is_well_formed() {
            bail!(self, "{kind} id \"{raw}\" must be 1 to 64 characters without spaces");
        }
        Ok(())
    }

    fn shift(self, raw: &str, ids: &Ids) -> Result<usize, ModelError> {
        match ids.shifts.get(raw) {
            Some(&s) => Ok(s),
            None => bail!(self, "unknown shift id \"{raw}\""),
        }
    }

    fn driver(self, raw: &str, ids: &Ids) -> Result<usize, ModelError> {
        match ids.drivers.get(raw) {
            Some(&d) => Ok(d),
            None => bail!(self, "unknown employee id \"{raw}\""),
        }
    }
}

impl<'a> Line<'a> {
    /// The fields, if there are as many as one of `counts`; `names` lists them for the message.
    fn fields(&self, counts: &[usize], names: &str) -> Result<&[&'a str], ModelError> {
        let n = self.fields.len();
        if !counts.contains(&n) {
            let expected = counts.iter().max().unwrap_or(&0);
            bail!(self.at, "expected {expected} fields ({names}), found {n}");
        }
        Ok(&self.fields)
    }
}

fn parse_horizon(s: &Section<'_>) -> Result<usize, ModelError> {
    let [line] = s.lines.as_slice() else {
        bail!(s.at, "expected one line with the number of days, found {}", s.lines.len());
    };
    let f = line.fields(&[1], "number of days")?;
    match line.at.uint::<u32>("number of days", "", f[0])? {
        0 => bail!(line.at, "number of days must be at least 1"),
        days => Ok(days as usize),
    }
}

fn parse_shifts(s: &Section<'_>) -> Result<(Vec<ShiftType>, HashMap<String, usize>), ModelError> {
    let names = "ShiftID, Length in mins, Shifts which cannot follow this shift";
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for line in &s.lines {
        // A copy that lost the trailing comma of an empty successor list (`D,480`) means the same.
        let (f, at) = (line.fields(&[2, 3], names)?, line.at);
        let id = f[0];
        at.new_id("shift", id)?;
        if let Some(&first) = index.get(id) {
            bail!(at, "duplicate shift id \"{id}\" (first on line {})", s.lines[first].at.line);
        }
        let duration = match at.uint::<u32>("duration", "", f[1]) {
            Ok(n) if n > 0 => Minutes(i64::from(n)),
            _ => bail!(at, "duration \"{}\" of shift {id} must be a positive integer", f[1]),
        };
        index.insert(id.to_owned(), out.len());
        out.push(ShiftType {
            id: ShiftTypeId::from(id),
            name: String::new(),
            start: Minutes::ZERO,
            duration,
            depot: None,
            qualifications: Vec::new(),
            tags: Vec::new(),
            forbidden_next: Vec::new(),
        });
    }
    if out.is_empty() {
        bail!(s.at, "no shift types");
    }
    // Successors may name shifts defined further down, so they are resolved once all are known.
    for (line, shift) in s.lines.iter().zip(&mut out) {
        let list = line.fields.get(2).copied().unwrap_or_default();
        for next in list.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            let (at, id) = (line.at, &shift.id);
            if !index.contains_key(next) {
                bail!(at, "unknown shift id \"{next}\" among the successors of shift {id}");
            }
            if shift.forbidden_next.iter().any(|n| n.as_str() == next) {
                bail!(at, "shift {next} listed twice among the successors of shift {id}");
            }
            shift.forbidden_next.push(ShiftTypeId::from(next));
        }
    }
    Ok((out, index))
}

fn parse_staff(s: &Section<'_>, days: usize, shifts: &HashMap<String, usize>) -> Result<Vec<Driver>, ModelError> {
    let names = "ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts, \
                 MinConsecutiveShifts, MinConsecutiveDaysOff, MaxWeekends";
    let mut out = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for line in &s.lines {
        let (f, at) = (line.fields(&[8], names)?, line.at);
        let id = f[0];
        at.new_id("employee", id)?;
        if let Some(first) = first_line.insert(id, at.line) {
            bail!(at, "duplicate employee id \"{id}\" (first on line {first})");
        }
        let mut max_shifts = BTreeMap::new();
        for pair in f[1].split('|').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((shift, n)) = pair.split_once('=').map(|(a, b)| (a.trim(), b.trim())) else {
                bail!(at, "MaxShifts entry \"{pair}\" of employee {id} must be ShiftID=n");
            };
            if !shifts.contains_key(shift) {
                bail!(at, "unknown shift id \"{shift}\" in MaxShifts of employee {id}");
            }
            let n: u32 = at.uint(&format!("MaxShifts for {shift}"), &format!("employee {id}"), n)?;
            if max_shifts.insert(ShiftTypeId::from(shift), n).is_some() {
                bail!(at, "shift {shift} listed twice in MaxShifts of employee {id}");
            }
        }
        let field =
            |k: usize, name: &str| -> Result<u32, ModelError> { at.uint(name, &format!("employee {id}"), f[k]) };
        let max_total = i64::from(field(2, "MaxTotalMinutes")?);
        let h = days as i64; // at least 1, and small: the horizon is read as a u32
        let contract = Contract {
            kind: ContractKind::FullTime,
            // The horizon maximum pro-rated to a week, rounded up; only reports overtime minutes.
            weekly_minutes: Minutes((max_total * 7 + h - 1) / h),
            hourly_rate: Money::ZERO,
            min_minutes: Minutes(i64::from(field(3, "MinTotalMinutes")?)),
            max_minutes: Some(Minutes(max_total)),
            max_minutes_per_week: None,
            max_consecutive_days: Some(field(4, "MaxConsecutiveShifts")?),
            min_consecutive_days: field(5, "MinConsecutiveShifts")?,
            min_consecutive_days_off: field(6, "MinConsecutiveDaysOff")?,
            max_weekends: Some(field(7, "MaxWeekends")?),
        };
        out.push(Driver {
            id: DriverId::from(id),
            name: String::new(),
            depot: None,
            qualifications: Vec::new(),
            contract,
            max_shifts,
            unavailable: Vec::new(),
        });
    }
    if out.is_empty() {
        bail!(s.at, "no employees");
    }
    Ok(out)
}

fn parse_days_off(s: &Section<'_>, ids: &Ids, drivers: &mut [Driver]) -> Result<(), ModelError> {
    let mut first_line: HashMap<usize, usize> = HashMap::new();
    for line in &s.lines {
        // The id, then a variable number of days (possibly none).
        let (id, at) = (line.fields[0], line.at);
        let d = at.driver(id, ids)?;
        if let Some(first) = first_line.insert(d, at.line) {
            bail!(at, "second line for employee {id} (first on line {first})");
        }
        let mut seen = HashSet::new();
        for raw in &line.fields[1..] {
            let day = at.day("day off", &format!("employee {id}"), raw, ids)?;
            if !seen.insert(day) {
                bail!(at, "day {day} listed twice for employee {id}");
            }
            let reason = AbsenceReason::DayOff;
            drivers[d].unavailable.push(Unavailability { day, reason });
        }
    }
    Ok(())
}

fn parse_requests(s: &Section<'_>, kind: RequestKind, ids: &Ids) -> Result<Vec<Request>, ModelError> {
    let mut out = Vec::with_capacity(s.lines.len());
    for line in &s.lines {
        let (f, at) = (line.fields(&[4], "EmployeeID, Day, ShiftID, Weight")?, line.at);
        at.driver(f[0], ids)?;
        let owner = format!("the request of employee {}", f[0]);
        let day = at.day("day", &owner, f[1], ids)?;
        at.shift(f[2], ids)?;
        let weight: u32 = at.uint("weight", &owner, f[3])?;
        out.push(Request {
            driver: DriverId::from(f[0]),
            day,
            kind,
            shift: Some(ShiftTypeId::from(f[2])),
            weight: Money(i64::from(weight)),
        });
    }
    Ok(out)
}

fn parse_cover(s: &Section<'_>, ids: &Ids, shifts: &[ShiftType], eof_line: usize) -> Result<Vec<Demand>, ModelError> {
    let names = "Day, ShiftID, Requirement, Weight for under, Weight for over";
    let mut out = Vec::with_capacity(s.lines.len());
    let mut first_line: HashMap<(usize, usize), usize> = HashMap::new();
    for line in &s.lines {
        let (f, at) = (line.fields(&[5], names)?, line.at);
        let (day, id) = (at.day("day", "", f[0], ids)?, f[1]);
        if let Some(first) = first_line.insert((day, at.shift(id, ids)?), at.line) {
            bail!(at, "second line for day {day}, shift {id} (first on line {first})");
        }
        let cell = format!("day {day}, shift {id}");
        let required: u32 = at.uint("requirement", &cell, f[2])?;
        let under: u32 = at.uint("weight for under", &cell, f[3])?;
        let over: u32 = at.uint("weight for over", &cell, f[4])?;
        out.push(Demand {
            day,
            shift: ShiftTypeId::from(id),
            required,
            under_penalty: Money(i64::from(under)),
            over_penalty: Money(i64::from(over)),
        });
    }
    // The format lists every (day, shift) cell; a hole means the file was cut short (or edited
    // badly). The search stops at the first hole, so it never takes more steps than lines read.
    let eof = At::new(s.at.section, eof_line);
    for day in 0..ids.days {
        for (k, shift) in shifts.iter().enumerate() {
            if !first_line.contains_key(&(day, k)) {
                bail!(eof, "no line for day {day}, shift {} (file truncated?)", shift.id);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two days, two shifts (E may not follow L), two employees; every section exercised.
    const TINY: &str = "# tiny\nSECTION_HORIZON\n2\n\nSECTION_SHIFTS\nE,480,\nL,600,E\n\n\
        SECTION_STAFF\nA,E=2|L=1,1000,480,2,1,1,1\nB,E=0|L=2,1200,0,2,1,1,0\n\n\
        SECTION_DAYS_OFF\nA,1\nB\n\nSECTION_SHIFT_ON_REQUESTS\nA,0,E,2\n\n\
        SECTION_SHIFT_OFF_REQUESTS\nB,1,L,3\n\n\
        SECTION_COVER\n0,E,1,100,1\n0,L,0,100,1\n1,E,1,100,1\n1,L,1,100,1\n";

    fn error_of(text: &str) -> (usize, String) {
        match parse_curtois(text, "t") {
            Err(ModelError::Curtois { line, message }) => (line, message),
            other => panic!("expected a Curtois error, got {other:?}"),
        }
    }

    #[test]
    fn a_tiny_instance_maps_onto_the_scenario_as_documented() -> Result<(), ModelError> {
        let s = parse_curtois(TINY, "tiny")?;
        assert_eq!((s.name.as_str(), s.horizon.days), ("tiny", 2));
        assert_eq!(s.horizon.weekday(0), chrono::Weekday::Mon);
        assert_eq!(s.rules.min_rest, Minutes::ZERO);
        let late = &s.shift_types[1];
        assert_eq!((late.start, late.duration), (Minutes::ZERO, Minutes(600)));
        // `L,600,E`: E may not be worked the day after L.
        assert_eq!(late.forbidden_next, vec![ShiftTypeId::from("E")]);
        assert!(s.shift_types[0].forbidden_next.is_empty());
        let a = &s.drivers[0];
        assert_eq!(a.max_shifts.get(&ShiftTypeId::from("L")), Some(&1));
        assert_eq!(a.contract.weekly_minutes, Minutes(3500)); // 1000 · 7 / 2
        assert_eq!(a.contract.min_minutes, Minutes(480));
        assert_eq!(a.contract.max_minutes, Some(Minutes(1000)));
        assert_eq!(a.contract.hourly_rate, Money::ZERO);
        assert_eq!(a.unavailable.len(), 1);
        assert_eq!(a.unavailable[0].day, 1);
        assert!(s.drivers[1].unavailable.is_empty());
        assert_eq!(s.drivers[1].contract.max_weekends, Some(0));
        let kinds: Vec<_> = s.requests.iter().map(|r| (r.kind, r.day, r.weight)).collect();
        assert_eq!(kinds, [(RequestKind::On, 0, Money(2)), (RequestKind::Off, 1, Money(3))]);
        assert_eq!(s.demand.len(), 4);
        assert_eq!(s.demand[1].required, 0);
        assert_eq!((s.demand[1].under_penalty, s.demand[1].over_penalty), (Money(100), Money(1)));
        Ok(())
    }

    #[test]
    fn harmless_variations_of_the_format_give_the_same_scenario() {
        // A byte-order mark, a lost trailing comma, `-0` (as in Instance15), spaces around fields.
        let text = TINY.replace("E,480,\n", "E,480\n").replace("0,L,0,", "0,L,-0,").replace("A,0,E,2", " A , 0 ,E, 2 ");
        let text = format!("\u{feff}{text}");
        assert_eq!(parse_curtois(&text, "tiny").ok(), parse_curtois(TINY, "tiny").ok());
    }

    #[test]
    fn successors_may_name_a_shift_defined_further_down_but_not_an_unknown_one() {
        let forward = TINY.replace("E,480,\n", "E,480,L\n");
        assert!(parse_curtois(&forward, "t").is_ok());
        let (line, msg) = error_of(&TINY.replace("L,600,E", "L,600,E|X"));
        assert_eq!(line, 7);
        assert!(msg.contains("unknown shift id \"X\" among the successors of shift L"), "{msg}");
    }

    #[test]
    fn duplicate_ids_are_reported_with_the_first_definition() {
        let (line, msg) = error_of(&TINY.replace("L,600,E", "E,600,E"));
        assert_eq!((line, msg.as_str()), (7, "SECTION_SHIFTS: duplicate shift id \"E\" (first on line 6)"));
        let (line, msg) = error_of(&TINY.replace("B,E=0", "A,E=0"));
        assert_eq!(line, 11);
        assert!(msg.contains("duplicate employee id \"A\" (first on line 10)"), "{msg}");
    }

    #[test]
    fn staff_fields_are_checked_one_by_one() {
        let (_, msg) = error_of(&TINY.replace("A,E=2|L=1", "A,E=2|Q=1"));
        assert!(msg.contains("unknown shift id \"Q\" in MaxShifts of employee A"), "{msg}");
        let (_, msg) = error_of(&TINY.replace("A,E=2|L=1", "A,E2|L=1"));
        assert!(msg.contains("MaxShifts entry \"E2\" of employee A must be ShiftID=n"), "{msg}");
        let (line, msg) = error_of(&TINY.replace(",1000,", ",-1000,"));
        assert_eq!(line, 10);
        assert!(msg.contains("MaxTotalMinutes \"-1000\" of employee A must be a non-negative"));
        let (_, msg) = error_of(&TINY.replace(",1000,", ",99999999999,"));
        assert!(msg.ends_with("MaxTotalMinutes 99999999999 of employee A is too large"), "{msg}");
        let (_, msg) = error_of(&TINY.replace("A,E=2|L=1,1000,480,2,1,1,1", "A,E=2,1000"));
        assert!(msg.starts_with("SECTION_STAFF: expected 8 fields (ID, MaxShifts"), "{msg}");
    }

    #[test]
    fn days_off_and_request_days_must_lie_in_the_horizon_and_appear_once() {
        let (line, msg) = error_of(&TINY.replace("A,1\n", "A,2\n"));
        assert_eq!(line, 14);
        assert!(msg.contains("day off 2 of employee A is outside the horizon (days 0 to 1)"));
        let (_, msg) = error_of(&TINY.replace("A,1\n", "A,1,1\n"));
        assert!(msg.contains("day 1 listed twice for employee A"), "{msg}");
        let (_, msg) = error_of(&TINY.replace("A,0,E,2", "Z,0,E,2"));
        assert_eq!(msg, "SECTION_SHIFT_ON_REQUESTS: unknown employee id \"Z\"");
    }

    #[test]
    fn the_cover_grid_must_be_complete_and_free_of_repeats() {
        let (line, msg) = error_of(&TINY.replace("1,L,1,100,1\n", ""));
        assert_eq!(line, 27); // the line after the last one
        assert!(msg.contains("no line for day 1, shift L (file truncated?)"), "{msg}");
        let (line, msg) = error_of(&TINY.replace("1,L,1,100,1", "1,E,1,100,1"));
        assert_eq!(line, 27);
        assert!(msg.contains("second line for day 1, shift E (first on line 26)"), "{msg}");
    }

    #[test]
    fn stray_data_and_unknown_or_repeated_headers_are_rejected() {
        assert_eq!(error_of(&format!("7\n{TINY}")).0, 1);
        let (line, msg) = error_of(&TINY.replace("SECTION_DAYS_OFF", "SECTION_DAYSOFF"));
        assert_eq!((line, msg.as_str()), (13, "unknown section header \"SECTION_DAYSOFF\""));
        let (line, msg) = error_of(&format!("{TINY}SECTION_HORIZON\n2\n"));
        assert_eq!((line, msg.as_str()), (28, "SECTION_HORIZON again (first on line 2)"));
        let (_, msg) = error_of("");
        assert!(msg.starts_with("file ends without SECTION_HORIZON, SECTION_SHIFTS"), "{msg}");
    }
}
