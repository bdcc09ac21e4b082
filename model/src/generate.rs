//! The metro instance generator: realistic, deterministic scenarios for a metro's driver workforce.
//!
//! [`generate`] builds `depots` depots (`D1`, `D2`, …) with 2–4 metro lines each (`L1`, `L2`, …,
//! numbered across the whole network; a depot with fewer than 12 drivers gets one line per 6 drivers, at
//! least one, so that no line is left without drivers). A line is a qualification. Every line runs four
//! duties bound to its depot and requiring the line: early 05:00 8 h (`D1-L2-E`), day 09:00 8 h (`-D`),
//! late 14:00 8 h 30 (`-L`) and night 22:00 8 h crossing midnight (`-N`). No explicit forbidden
//! successions: the 11 h rest rule derives them (late→early, late→day, night→early/day/late).
//!
//! Drivers are spread round-robin over the depots; each has a primary line (cycling through the depot's
//! lines, so every line gets its share) and 55/30/15 % hold 1/2/3 of the depot's lines.
//!
//! # Calibration
//!
//! *Contract capacity* of a driver is 5 shifts a week on the days they are available, scaled by their
//! contract (a 24 h part-timer counts 0.6): what the workforce can work without overtime. Legally a
//! driver could do more (6 days in a row, 48 h a week), so contract capacity is the conservative measure.
//! * Demand per line is 82–86 % (drawn per line) of the contract capacity of its qualified drivers, a
//!   driver holding several lines counting for each in proportion. That leaves 14–18 % slack for the
//!   rules (days off in pairs, rest, 60 % of weekends) so a good roster covers everything, while a bad
//!   one does not.
//! * Weekends and public holidays need 65 % of a weekday's drivers; the day splits 30/25/30/15 % over
//!   early/day/late/night. Fractions are rounded up or down at random in proportion (stochastic
//!   rounding), so small lines keep the right expected demand.
//! * A missing driver costs 500.00 (a cancelled run), a surplus one 20.00, requests 5.00–30.00: coverage
//!   dominates the objective, then requests, overtime and premiums, then fairness.
//!
//! # Contracts, absences, requests
//!
//! 85 % full-time (40 h a week, minimum 60 % of it pro rata over the available days, no maximum), 15 %
//! part-time (24 h, minimum 50 %, maximum 150 %). Hourly rates 32.00–38.00. Everyone: at most 48 h per
//! ISO week, 6 days in a row, 2 days off in a row at least, 60 % of the weekends (at least one); full-time
//! blocks of at least 2 working days. 8 % of drivers have a leave block of 3–10 days and 25 % one fixed
//! day off; minimum minutes only count available days, so they stay achievable. Each driver makes 0–3
//! requests: shift-on, day-off, or "not this duty" (shift-off).
//!
//! The same parameters give the same scenario, byte for byte: one ChaCha8 stream drawn in a fixed order,
//! no hash-map iteration.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::calendar::Horizon;
use crate::error::{Issue, ModelError};
use crate::ids::{DepotId, DriverId, Qualification, ShiftTypeId};
use crate::scenario::*;
use crate::units::{Minutes, Money};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorParams {
    /// Number of drivers (1 to 100,000).
    pub drivers: usize,
    /// Number of days (1 to 366).
    pub days: usize,
    /// Number of depots (1 to the number of drivers); drivers are spread evenly.
    pub depots: usize,
    /// Random seed.
    pub seed: u64,
    /// Date of day 0.
    pub start_date: NaiveDate,
}

/// A full-time week: the unit of contract capacity (5 shifts).
const FULL_TIME_WEEK: i64 = 2400;
/// Share of contract capacity demanded on a line, drawn per line in this range.
const DEMAND_SHARE: std::ops::Range<f64> = 0.82..0.86;
/// Weekend and holiday demand relative to a weekday.
const WEEKEND_LEVEL: f64 = 0.65;

/// A duty template, run on every line.
struct Duty {
    suffix: &'static str,
    name: &'static str,
    start: i64,
    duration: i64,
    tag: Option<ShiftTag>,
    /// Share of the line's daily demand.
    share: f64,
}

/// The four duties of every line.
const DUTIES: [Duty; 4] = [
    Duty { suffix: "E", name: "Early", start: 5 * 60, duration: 480, tag: Some(ShiftTag::Early), share: 0.30 },
    Duty { suffix: "D", name: "Day", start: 9 * 60, duration: 480, tag: None, share: 0.25 },
    Duty { suffix: "L", name: "Late", start: 14 * 60, duration: 510, tag: Some(ShiftTag::Late), share: 0.30 },
    Duty { suffix: "N", name: "Night", start: 22 * 60, duration: 480, tag: Some(ShiftTag::Night), share: 0.15 },
];

/// A metro line: its depot (0-based) and its qualification.
struct Line {
    depot: usize,
    qual: Qualification,
}

/// Generates a metro scenario; bad parameters are an [`ModelError::Invalid`] naming each parameter.
pub fn generate(p: &GeneratorParams) -> Result<Scenario, ModelError> {
    check(p)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let horizon = Horizon { start_date: p.start_date, days: p.days };
    let holidays = holidays(&horizon);
    let lines = make_lines(p, &mut rng);
    let shift_types: Vec<ShiftType> = lines.iter().flat_map(line_duties).collect();
    let drivers = make_drivers(p, &horizon, &lines, &mut rng);
    let demand = make_demand(&horizon, &holidays, &lines, &drivers, &mut rng);
    let requests = make_requests(p, &drivers, &shift_types, &mut rng);
    Ok(Scenario {
        name: format!("metro-{}x{}-k{}-s{}", p.drivers, p.days, p.depots, p.seed),
        horizon,
        shift_types,
        demand,
        drivers,
        rules: LaborRules { min_rest: Minutes::hours(11) },
        overtime: OvertimePolicy {
            tiers: vec![
                OvertimeTier { width: Some(Minutes::hours(8)), percent: 150 },
                OvertimeTier { width: None, percent: 200 },
            ],
            night_premium_percent: 25,
            sunday_holiday_premium_percent: 50,
            holidays,
        },
        weights: ObjectiveWeights {
            overtime: true,
            premiums: true,
            overtime_spread_per_minute: Money(1),
            weekend_spread_per_weekend: Money(1000),
            change: Money(5000),
        },
        requests,
        pins: vec![],
        baseline: None,
        history: vec![],
    })
}

/// Contract capacity of one driver in driver-shifts over the horizon: 5 shifts a week on available
/// days, scaled by the contract's weekly minutes against a 40 h week. The calibration's unit.
pub fn contract_capacity(driver: &Driver, days: usize) -> f64 {
    let available = days.saturating_sub(driver.unavailable.len()) as f64;
    available * 5.0 / 7.0 * driver.contract.weekly_minutes.get() as f64 / FULL_TIME_WEEK as f64
}

fn check(p: &GeneratorParams) -> Result<(), ModelError> {
    let mut issues = Vec::new();
    if p.drivers == 0 || p.drivers > 100_000 {
        issues.push(Issue::new("drivers", format!("must be between 1 and 100000, got {}", p.drivers)));
    }
    if p.days == 0 || p.days > 366 {
        issues.push(Issue::new("days", format!("must be between 1 and 366, got {}", p.days)));
    }
    if p.depots == 0 || p.depots > p.drivers {
        let msg = format!("must be between 1 and the number of drivers ({}), got {}", p.drivers, p.depots);
        issues.push(Issue::new("depots", msg));
    }
    if p.start_date.checked_add_days(chrono::Days::new(p.days as u64)).is_none() {
        issues.push(Issue::new("start_date", format!("{} plus {} days is past the calendar", p.start_date, p.days)));
    }
    if issues.is_empty() { Ok(()) } else { Err(ModelError::Invalid(issues)) }
}

/// Public holidays in the horizon: 1 January, 1 May, 25 and 26 December of every year it touches.
fn holidays(h: &Horizon) -> Vec<NaiveDate> {
    let last = h.date(h.days - 1);
    (h.start_date.year()..=last.year())
        .flat_map(|y| [(1, 1), (5, 1), (12, 25), (12, 26)].map(|(m, d)| NaiveDate::from_ymd_opt(y, m, d)))
        .flatten()
        .filter(|d| (h.start_date..=last).contains(d))
        .collect()
}

fn depot_id(k: usize) -> DepotId {
    DepotId(format!("D{}", k + 1))
}

/// Drivers of depot `k` when `p.drivers` are dealt round-robin.
fn depot_size(p: &GeneratorParams, k: usize) -> usize {
    p.drivers / p.depots + usize::from(k < p.drivers % p.depots)
}

fn make_lines(p: &GeneratorParams, rng: &mut ChaCha8Rng) -> Vec<Line> {
    let mut lines = Vec::new();
    for depot in 0..p.depots {
        let n = rng.random_range(2..=4usize).min((depot_size(p, depot) / 6).max(1));
        for _ in 0..n {
            lines.push(Line { depot, qual: Qualification(format!("L{}", lines.len() + 1)) });
        }
    }
    lines
}

fn line_duties(line: &Line) -> impl Iterator<Item = ShiftType> + '_ {
    DUTIES.iter().map(move |duty| ShiftType {
        id: duty_id(line, duty.suffix),
        name: format!("{}, {} line {}", duty.name, depot_id(line.depot), line.qual),
        start: Minutes(duty.start),
        duration: Minutes(duty.duration),
        depot: Some(depot_id(line.depot)),
        qualifications: vec![line.qual.clone()],
        tags: duty.tag.into_iter().collect(),
        forbidden_next: vec![],
    })
}

fn duty_id(line: &Line, suffix: &str) -> ShiftTypeId {
    ShiftTypeId(format!("{}-{}-{suffix}", depot_id(line.depot), line.qual))
}

fn make_drivers(p: &GeneratorParams, h: &Horizon, lines: &[Line], rng: &mut ChaCha8Rng) -> Vec<Driver> {
    let max_weekends = ((h.weekend_count() as f64 * 0.6).ceil() as u32).max(1);
    (0..p.drivers)
        .map(|i| {
            let depot = i % p.depots;
            let own: Vec<&Qualification> = lines.iter().filter(|l| l.depot == depot).map(|l| &l.qual).collect();
            let qualifications = pick_lines(&own, i / p.depots, rng);
            let unavailable = make_absences(p.days, rng);
            let contract = make_contract(p.days - unavailable.len(), max_weekends, rng);
            Driver {
                id: DriverId(format!("E{:04}", i + 1)),
                name: format!("Driver {}", i + 1),
                depot: Some(depot_id(depot)),
                qualifications,
                contract,
                max_shifts: Default::default(),
                unavailable,
            }
        })
        .collect()
}

/// The primary line (the `nth` of the depot's, cyclically) and, for 45 % of drivers, one or two more.
fn pick_lines(own: &[&Qualification], nth: usize, rng: &mut ChaCha8Rng) -> Vec<Qualification> {
    let primary = own[nth % own.len()];
    let roll = rng.random_range(0..100);
    let count = if roll < 55 {
        1
    } else if roll < 85 {
        2
    } else {
        3
    };
    let mut others: Vec<&Qualification> = own.iter().copied().filter(|q| *q != primary).collect();
    others.shuffle(rng);
    let set: BTreeSet<Qualification> =
        std::iter::once(primary).chain(others.into_iter().take(count - 1)).cloned().collect();
    set.into_iter().collect()
}

/// 8 % of drivers: a leave block of 3–10 days; 25 %: one fixed day off (outside the leave). By day.
fn make_absences(days: usize, rng: &mut ChaCha8Rng) -> Vec<Unavailability> {
    let mut out = Vec::new();
    if rng.random_bool(0.08) {
        let len = rng.random_range(3..=10usize).min(days);
        let from = rng.random_range(0..=days - len);
        out.extend((from..from + len).map(|day| Unavailability { day, reason: AbsenceReason::Leave }));
    }
    if rng.random_bool(0.25) {
        let day = rng.random_range(0..days);
        if !out.iter().any(|u| u.day == day) {
            out.push(Unavailability { day, reason: AbsenceReason::DayOff });
        }
    }
    out.sort_by_key(|u| u.day);
    out
}

/// A contract whose minimum is pro rata of the `available` days, so that leave never makes it unreachable.
fn make_contract(available: usize, max_weekends: u32, rng: &mut ChaCha8Rng) -> Contract {
    let full_time = rng.random_bool(0.85);
    let (kind, weekly, min_share) =
        if full_time { (ContractKind::FullTime, 2400, 0.60) } else { (ContractKind::PartTime, 1440, 0.50) };
    let pro_rata = weekly as f64 * available as f64 / 7.0;
    let whole_hours = |m: f64| (m / 60.0).floor() as i64 * 60;
    let min_minutes = Minutes(whole_hours(pro_rata * min_share));
    // Part-timers may work up to 150 % of their hours, and always at least one long shift more than the minimum.
    let max_minutes = (!full_time).then(|| Minutes(whole_hours(pro_rata * 1.5).max(min_minutes.get() + 600)));
    Contract {
        kind,
        weekly_minutes: Minutes(weekly),
        hourly_rate: Money(rng.random_range(320..=380) * 10),
        min_minutes,
        max_minutes,
        max_minutes_per_week: Some(Minutes::hours(48)),
        max_consecutive_days: Some(6),
        min_consecutive_days: if full_time { 2 } else { 1 },
        min_consecutive_days_off: 2,
        max_weekends: Some(max_weekends),
    }
}

fn make_demand(
    h: &Horizon,
    holidays: &[NaiveDate],
    lines: &[Line],
    drivers: &[Driver],
    rng: &mut ChaCha8Rng,
) -> Vec<Demand> {
    let low: Vec<bool> = (0..h.days).map(|d| h.is_weekend_day(d) || holidays.contains(&h.date(d))).collect();
    // Weekday-equivalents in the horizon: a weekday counts 1, a weekend day or holiday WEEKEND_LEVEL.
    let equivalents: f64 = low.iter().map(|&l| if l { WEEKEND_LEVEL } else { 1.0 }).sum();
    let mut demand = Vec::new();
    for line in lines {
        // Contract capacity this line can draw on: each driver splits evenly over their lines.
        let capacity: f64 = drivers
            .iter()
            .filter(|d| d.qualifications.contains(&line.qual))
            .map(|d| contract_capacity(d, h.days) / d.qualifications.len() as f64)
            .sum();
        let weekday = capacity * rng.random_range(DEMAND_SHARE) / equivalents;
        for (day, &is_low) in low.iter().enumerate() {
            let total = weekday * if is_low { WEEKEND_LEVEL } else { 1.0 };
            for duty in &DUTIES {
                let exact = total * duty.share;
                let required = exact.floor() as u32 + u32::from(rng.random_bool(exact.fract()));
                demand.push(Demand {
                    day,
                    shift: duty_id(line, duty.suffix),
                    required,
                    under_penalty: Money(50_000),
                    over_penalty: Money(2_000),
                });
            }
        }
    }
    demand
}

/// 0–3 requests per driver on distinct available days: 40 % shift-on, 40 % day off, 20 % "not this duty".
fn make_requests(p: &GeneratorParams, drivers: &[Driver], shifts: &[ShiftType], rng: &mut ChaCha8Rng) -> Vec<Request> {
    let mut out = Vec::new();
    for d in drivers {
        let mine: Vec<&ShiftType> = shifts
            .iter()
            .filter(|s| s.depot == d.depot && s.qualifications.iter().all(|q| d.qualifications.contains(q)))
            .collect();
        let mut used = BTreeSet::new();
        for _ in 0..rng.random_range(0..=3) {
            let day = rng.random_range(0..p.days);
            let shift = mine[rng.random_range(0..mine.len())].id.clone();
            let roll = rng.random_range(0..10);
            let weight = Money(rng.random_range(5..=30) * 100);
            if d.unavailable.iter().any(|u| u.day == day) || !used.insert(day) {
                continue;
            }
            let (kind, shift) = match roll {
                0..4 => (RequestKind::On, Some(shift)),
                4..8 => (RequestKind::Off, None),
                _ => (RequestKind::Off, Some(shift)),
            };
            out.push(Request { driver: d.id.clone(), day, kind, shift, weight });
        }
    }
    out
}
