//! The metro instance generator: realistic, deterministic scenarios for a metro's driver workforce.
//!
//! `generate(params)` builds depots with 2–4 lines each; every line runs four duties (early 05:00 8 h,
//! day 09:00 8 h, late 14:00 8 h 30, night 22:00 8 h crossing midnight) bound to its depot and
//! requiring the line's qualification. Drivers belong to a depot and hold one to three of its lines.
//!
//! Calibration, so that a good roster covers all demand but not trivially:
//! * a driver can legally work about 5 days in 7 (at most 6 in a row, days off in pairs, 48 h a week);
//!   with leave and fixed days off about 8 % of that capacity is lost;
//! * demand per line and day is 82–86 % of the capacity of the drivers qualified for it (a driver
//!   holding several lines counts for each in proportion), split 30/25/30/15 % over
//!   early/day/late/night, and 65 % of that at weekends;
//! * a missing driver costs 500.00 (a cancelled run), a surplus one 20.00, so coverage dominates the
//!   objective, then requests, overtime, premiums and fairness.
//!
//! Contracts: 85 % full-time (40 h/week, at least 60 % of it over the horizon pro rata), 15 %
//! part-time (24 h/week, at least 50 %); hourly rates 32.00–38.00; 11 h rest; at most 6 consecutive
//! days; at least 2 consecutive days off; at most 48 h per ISO week; at most 60 % of the weekends.
//! The same parameters always give the same scenario, byte for byte (ChaCha8, no hash-map order).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
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
    /// Number of drivers.
    pub drivers: usize,
    /// Number of days.
    pub days: usize,
    /// Number of depots (drivers are spread evenly).
    pub depots: usize,
    /// Random seed.
    pub seed: u64,
    /// Date of day 0.
    pub start_date: NaiveDate,
}

/// The four duty templates of every line: suffix, start, duration, tag, share of the daily demand.
const DUTIES: [(&str, i64, i64, Option<ShiftTag>, f64); 4] = [
    ("E", 5 * 60, 480, Some(ShiftTag::Early), 0.30),
    ("D", 9 * 60, 480, None, 0.25),
    ("L", 14 * 60, 510, Some(ShiftTag::Late), 0.30),
    ("N", 22 * 60, 480, Some(ShiftTag::Night), 0.15),
];

/// Generates a metro scenario; bad parameters are an error naming the parameter.
pub fn generate(p: &GeneratorParams) -> Result<Scenario, ModelError> {
    check(p)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let horizon = Horizon { start_date: p.start_date, days: p.days };
    // Depots and their lines.
    let mut lines: Vec<(usize, Qualification)> = Vec::new();
    for depot in 0..p.depots {
        for _ in 0..rng.random_range(2..=4) {
            lines.push((depot, Qualification(format!("L{}", lines.len() + 1))));
        }
    }
    let depot_id = |k: usize| DepotId(format!("D{}", k + 1));
    let shift_types: Vec<ShiftType> = lines
        .iter()
        .flat_map(|(k, line)| {
            DUTIES.iter().map(move |(suffix, start, dur, tag, _)| ShiftType {
                id: ShiftTypeId(format!("{}-{}-{suffix}", depot_id(*k), line)),
                name: format!("{} {}, line {}", duty_name(suffix), depot_id(*k), line),
                start: Minutes(*start),
                duration: Minutes(*dur),
                depot: Some(depot_id(*k)),
                qualifications: vec![line.clone()],
                tags: tag.iter().copied().collect(),
                forbidden_next: vec![],
            })
        })
        .collect();
    let drivers = make_drivers(p, &horizon, &lines, &mut rng);
    let demand = make_demand(p, &horizon, &lines, &drivers, &mut rng);
    let requests = make_requests(p, &drivers, &shift_types, &mut rng);
    let holidays = [(1, 1), (5, 1), (12, 25), (12, 26)]
        .iter()
        .flat_map(|(m, d)| {
            (p.start_date.year()..=horizon.date(p.days - 1).year())
                .filter_map(move |y| NaiveDate::from_ymd_opt(y, *m, *d))
        })
        .filter(|d| *d >= p.start_date && *d <= horizon.date(p.days - 1))
        .collect();
    Ok(Scenario {
        name: format!("metro-{}x{}-k{}-s{}", p.drivers, p.days, p.depots, p.seed),
        horizon,
        shift_types,
        demand,
        drivers,
        rules: LaborRules { min_rest: Minutes::hours(11) },
        overtime: OvertimePolicy {
            night_premium_percent: 25,
            sunday_holiday_premium_percent: 50,
            holidays,
            ..OvertimePolicy::default()
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

fn duty_name(suffix: &str) -> &'static str {
    match suffix {
        "E" => "Early",
        "D" => "Day",
        "L" => "Late",
        _ => "Night",
    }
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
        issues.push(Issue::new(
            "depots",
            format!("must be between 1 and the number of drivers ({}), got {}", p.drivers, p.depots),
        ));
    }
    if issues.is_empty() { Ok(()) } else { Err(ModelError::Invalid(issues)) }
}

fn make_drivers(
    p: &GeneratorParams,
    h: &Horizon,
    lines: &[(usize, Qualification)],
    rng: &mut ChaCha8Rng,
) -> Vec<Driver> {
    let weekends = h.weekend_count() as u32;
    (0..p.drivers)
        .map(|i| {
            let depot = i % p.depots;
            let own: Vec<&Qualification> = lines.iter().filter(|(k, _)| *k == depot).map(|(_, q)| q).collect();
            // Every line gets drivers: the primary line cycles through the depot's lines.
            let mut quals = BTreeSet::from([own[(i / p.depots) % own.len()].clone()]);
            for q in &own {
                if rng.random_bool(0.35) {
                    quals.insert((*q).clone());
                }
            }
            let mut unavailable = Vec::new();
            if rng.random_bool(0.08) {
                let len = rng.random_range(3..=10).min(p.days);
                let from = rng.random_range(0..=p.days - len);
                unavailable.extend((from..from + len).map(|day| Unavailability { day, reason: AbsenceReason::Leave }));
            }
            if rng.random_bool(0.2) {
                let day = rng.random_range(0..p.days);
                if !unavailable.iter().any(|u: &Unavailability| u.day == day) {
                    unavailable.push(Unavailability { day, reason: AbsenceReason::DayOff });
                }
            }
            unavailable.sort_by_key(|u| u.day);
            let full_time = rng.random_bool(0.85);
            let (weekly, share) = if full_time { (2400, 0.60) } else { (1440, 0.50) };
            let available = (p.days - unavailable.len()) as f64;
            let min_minutes = (weekly as f64 * available / 7.0 * share / 60.0).floor() as i64 * 60;
            Driver {
                id: DriverId(format!("E{:04}", i + 1)),
                name: String::new(),
                depot: Some(DepotId(format!("D{}", depot + 1))),
                qualifications: quals.into_iter().collect(),
                contract: Contract {
                    kind: if full_time { ContractKind::FullTime } else { ContractKind::PartTime },
                    weekly_minutes: Minutes(weekly),
                    hourly_rate: Money(rng.random_range(320..=380) * 10),
                    min_minutes: Minutes(min_minutes),
                    max_minutes: None,
                    max_minutes_per_week: Some(Minutes::hours(48)),
                    max_consecutive_days: Some(6),
                    min_consecutive_days: if full_time { 2 } else { 1 },
                    min_consecutive_days_off: 2,
                    max_weekends: Some(((weekends as f64 * 0.6).ceil() as u32).max(1)),
                },
                max_shifts: Default::default(),
                unavailable,
            }
        })
        .collect()
}

fn make_demand(
    p: &GeneratorParams,
    h: &Horizon,
    lines: &[(usize, Qualification)],
    drivers: &[Driver],
    rng: &mut ChaCha8Rng,
) -> Vec<Demand> {
    let mut demand = Vec::new();
    for (k, line) in lines {
        let depot = DepotId(format!("D{}", k + 1));
        // Driver-days per day this line can draw on: each driver splits over their lines.
        let share: f64 = drivers
            .iter()
            .filter(|d| d.qualifications.contains(line))
            .map(|d| {
                1.0 / d.qualifications.len() as f64 * if d.contract.kind == ContractKind::FullTime { 1.0 } else { 0.6 }
            })
            .sum();
        let per_day = share * 5.0 / 7.0 * 0.92 * rng.random_range(0.82..0.86);
        for day in 0..p.days {
            let weekend = h.is_weekend_day(day);
            let total = per_day * if weekend { 0.65 } else { 1.0 } * 7.0 / (5.0 + 2.0 * 0.65);
            for (suffix, _, _, _, part) in DUTIES {
                let exact = total * part;
                // Stochastic rounding keeps the expected demand exact on small lines.
                let required = exact.floor() as u32 + u32::from(rng.random_bool(exact.fract()));
                demand.push(Demand {
                    day,
                    shift: ShiftTypeId(format!("{depot}-{line}-{suffix}")),
                    required,
                    under_penalty: Money(50_000),
                    over_penalty: Money(2_000),
                });
            }
        }
    }
    demand
}

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
            if d.unavailable.iter().any(|u| u.day == day) || !used.insert(day) {
                continue;
            }
            let weight = Money(rng.random_range(5..=30) * 100);
            let (kind, shift) = if rng.random_bool(0.5) {
                (RequestKind::Off, None)
            } else {
                (RequestKind::On, Some(mine[rng.random_range(0..mine.len())].id.clone()))
            };
            out.push(Request { driver: d.id.clone(), day, kind, shift, weight });
        }
    }
    out
}
