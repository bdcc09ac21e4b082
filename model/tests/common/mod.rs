//! A small builder for hand-made scenarios and rosters, shared by the model crate's integration tests.
//!
//! Every test file uses a different part of it, so unused items are expected.
#![allow(dead_code)]

use std::collections::BTreeMap;

use model::{
    AbsenceReason, CarryIn, Contract, ContractKind, Demand, DepotId, Driver, DriverId, DriverIdx, Horizon, LaborRules,
    ObjectiveWeights, OvertimePolicy, Pin, PlannedShift, Qualification, Request, RequestKind, RosterGrid, RuleCode,
    Scenario, ScenarioIndex, ShiftTag, ShiftType, ShiftTypeId, Unavailability,
};
use model::{Minutes, Money};

/// Monday 1 January 2024 (day 0 of every Curtois instance is a Monday too).
pub const MONDAY: &str = "2024-01-01";
/// Wednesday 3 January 2024.
pub const WEDNESDAY: &str = "2024-01-03";
/// Thursday 4 January 2024.
pub const THURSDAY: &str = "2024-01-04";
/// Sunday 7 January 2024.
pub const SUNDAY: &str = "2024-01-07";

/// A shift type starting `start` minutes after midnight and lasting `duration` minutes.
pub fn shift(id: &str, start: i64, duration: i64) -> ShiftType {
    ShiftType {
        id: ShiftTypeId::from(id),
        name: String::new(),
        start: Minutes(start),
        duration: Minutes(duration),
        depot: None,
        qualifications: Vec::new(),
        tags: Vec::new(),
        forbidden_next: Vec::new(),
    }
}

/// Early 06:00–14:00.
pub fn early() -> ShiftType {
    shift("E", 6 * 60, 480)
}

/// Late 14:00–22:00.
pub fn late() -> ShiftType {
    shift("L", 14 * 60, 480)
}

/// Night 22:00–06:00 the next morning, tagged `night`.
pub fn night() -> ShiftType {
    ShiftType { tags: vec![ShiftTag::Night], ..shift("N", 22 * 60, 480) }
}

/// A shift type that may not be followed the next day by any of `next`.
pub fn forbidding(mut st: ShiftType, next: &[&str]) -> ShiftType {
    st.forbidden_next = next.iter().map(|n| ShiftTypeId::from(*n)).collect();
    st
}

/// A full-time contract of 40 h a week, paid nothing, without any limit.
pub fn contract() -> Contract {
    Contract {
        kind: ContractKind::FullTime,
        weekly_minutes: Minutes(2400),
        hourly_rate: Money::ZERO,
        min_minutes: Minutes::ZERO,
        max_minutes: None,
        max_minutes_per_week: None,
        max_consecutive_days: None,
        min_consecutive_days: 0,
        min_consecutive_days_off: 0,
        max_weekends: None,
    }
}

/// A driver with [`contract`], no depot, no qualification, no limit.
pub fn driver(id: &str) -> Driver {
    Driver {
        id: DriverId::from(id),
        name: String::new(),
        depot: None,
        qualifications: Vec::new(),
        contract: contract(),
        max_shifts: BTreeMap::new(),
        unavailable: Vec::new(),
    }
}

/// A driver whose contract is changed by `f`.
pub fn driver_with(id: &str, f: impl FnOnce(&mut Contract)) -> Driver {
    let mut d = driver(id);
    f(&mut d.contract);
    d
}

/// A scenario under construction. Starts with no shift type, no driver, no demand, the default
/// overtime policy and weights and no rest rule.
#[derive(Debug, Clone)]
pub struct Builder {
    pub scenario: Scenario,
}

impl Builder {
    /// An empty scenario of `days` days from `start` (`YYYY-MM-DD`).
    pub fn new(start: &str, days: usize) -> Builder {
        Builder {
            scenario: Scenario {
                name: "test".to_owned(),
                horizon: Horizon { start_date: start.parse().expect("a test date"), days },
                shift_types: Vec::new(),
                demand: Vec::new(),
                drivers: Vec::new(),
                rules: LaborRules { min_rest: Minutes::ZERO },
                overtime: OvertimePolicy::default(),
                weights: ObjectiveWeights::default(),
                requests: Vec::new(),
                pins: Vec::new(),
                baseline: None,
                history: Vec::new(),
            },
        }
    }

    /// Shift types E, L and N ([`early`], [`late`], [`night`]) over `days` days from Monday 2024-01-01.
    pub fn week_of(days: usize) -> Builder {
        Builder::new(MONDAY, days).shift(early()).shift(late()).shift(night())
    }

    pub fn shift(mut self, st: ShiftType) -> Builder {
        self.scenario.shift_types.push(st);
        self
    }

    pub fn driver(mut self, d: Driver) -> Builder {
        self.scenario.drivers.push(d);
        self
    }

    /// Drivers with the given ids and the default contract.
    pub fn drivers(mut self, ids: &[&str]) -> Builder {
        self.scenario.drivers.extend(ids.iter().map(|id| driver(id)));
        self
    }

    pub fn min_rest(mut self, minutes: i64) -> Builder {
        self.scenario.rules.min_rest = Minutes(minutes);
        self
    }

    pub fn demand(mut self, day: usize, shift: &str, required: u32, under: i64, over: i64) -> Builder {
        self.scenario.demand.push(Demand {
            day,
            shift: ShiftTypeId::from(shift),
            required,
            under_penalty: Money(under),
            over_penalty: Money(over),
        });
        self
    }

    pub fn on_request(mut self, driver: &str, day: usize, shift: &str, weight: i64) -> Builder {
        self.scenario.requests.push(Request {
            driver: DriverId::from(driver),
            day,
            kind: RequestKind::On,
            shift: Some(ShiftTypeId::from(shift)),
            weight: Money(weight),
        });
        self
    }

    /// A shift-off request; `shift: None` asks for the day off.
    pub fn off_request(mut self, driver: &str, day: usize, shift: Option<&str>, weight: i64) -> Builder {
        self.scenario.requests.push(Request {
            driver: DriverId::from(driver),
            day,
            kind: RequestKind::Off,
            shift: shift.map(ShiftTypeId::from),
            weight: Money(weight),
        });
        self
    }

    /// A pin; `shift: None` pins a day off.
    pub fn pin(mut self, driver: &str, day: usize, shift: Option<&str>) -> Builder {
        self.scenario.pins.push(Pin { driver: DriverId::from(driver), day, shift: shift.map(ShiftTypeId::from) });
        self
    }

    /// A shift worked `days_before` days before day 0.
    pub fn history(mut self, driver: &str, days_before: usize, shift: &str) -> Builder {
        self.scenario.history.push(CarryIn {
            driver: DriverId::from(driver),
            days_before,
            shift: ShiftTypeId::from(shift),
        });
        self
    }

    /// A baseline cell.
    pub fn baseline(mut self, driver: &str, day: usize, shift: &str) -> Builder {
        self.scenario.baseline.get_or_insert_with(Vec::new).push(PlannedShift {
            driver: DriverId::from(driver),
            day,
            shift: ShiftTypeId::from(shift),
        });
        self
    }

    /// Marks `driver` unavailable on `day`.
    pub fn unavailable(mut self, driver: &str, day: usize, reason: AbsenceReason) -> Builder {
        self.driver_mut(driver).unavailable.push(Unavailability { day, reason });
        self
    }

    /// Limits `driver` to `n` shifts of type `shift` (rule R3).
    pub fn max_shifts(mut self, driver: &str, shift: &str, n: u32) -> Builder {
        self.driver_mut(driver).max_shifts.insert(ShiftTypeId::from(shift), n);
        self
    }

    pub fn qualifications(mut self, driver: &str, quals: &[&str]) -> Builder {
        self.driver_mut(driver).qualifications = quals.iter().map(|q| Qualification::from(*q)).collect();
        self
    }

    pub fn depot(mut self, driver: &str, depot: &str) -> Builder {
        self.driver_mut(driver).depot = Some(DepotId::from(depot));
        self
    }

    /// Changes the contract of `driver`.
    pub fn contract(mut self, driver: &str, f: impl FnOnce(&mut Contract)) -> Builder {
        f(&mut self.driver_mut(driver).contract);
        self
    }

    /// Changes the whole scenario.
    pub fn with(mut self, f: impl FnOnce(&mut Scenario)) -> Builder {
        f(&mut self.scenario);
        self
    }

    pub fn build(self) -> Scenario {
        self.scenario
    }

    /// The validated index; panics with every issue when the scenario is invalid.
    pub fn index(self) -> ScenarioIndex {
        ScenarioIndex::new(self.scenario).unwrap_or_else(|e| panic!("test scenario is invalid: {e}"))
    }

    fn driver_mut(&mut self, id: &str) -> &mut Driver {
        self.scenario.drivers.iter_mut().find(|d| d.id.as_str() == id).unwrap_or_else(|| panic!("no driver {id}"))
    }
}

/// A grid from one pattern per driver: space-separated shift ids, `-` for a day off, one token per
/// day (`"E E - N -"`). Drivers not listed are off every day.
pub fn grid(ix: &ScenarioIndex, rows: &[(&str, &str)]) -> RosterGrid {
    let mut g = RosterGrid::empty(ix.drivers(), ix.days());
    for (driver, pattern) in rows {
        let d = ix.driver_idx(&DriverId::from(*driver)).unwrap_or_else(|| panic!("no driver {driver}"));
        let tokens: Vec<&str> = pattern.split_whitespace().collect();
        assert_eq!(tokens.len(), ix.days(), "pattern of {driver} must have one token per day: {pattern:?}");
        for (t, tok) in tokens.into_iter().enumerate() {
            if tok != "-" {
                let s = ix.shift_idx(&ShiftTypeId::from(tok)).unwrap_or_else(|| panic!("no shift {tok}"));
                g.set(d, t, Some(s));
            }
        }
    }
    g
}

/// A grid where driver `d` works shift `shift` on exactly the days whose bit is set in `mask`.
pub fn grid_from_mask(ix: &ScenarioIndex, driver: DriverIdx, shift: &str, mask: u32) -> RosterGrid {
    let s = ix.shift_idx(&ShiftTypeId::from(shift)).expect("shift of the mask");
    let mut g = RosterGrid::empty(ix.drivers(), ix.days());
    for t in 0..ix.days() {
        if mask & (1 << t) != 0 {
            g.set(driver, t, Some(s));
        }
    }
    g
}

/// The violations of `grid` as `(rule, driver, day)`.
pub fn violations(ix: &ScenarioIndex, grid: &RosterGrid) -> Vec<(RuleCode, String, Option<usize>)> {
    model::evaluate(ix, grid).violations.into_iter().map(|v| (v.rule, v.driver.to_string(), v.day)).collect()
}

/// The violations of one rule as `(driver, day, message)`.
pub fn violations_of(ix: &ScenarioIndex, grid: &RosterGrid, rule: RuleCode) -> Vec<(String, Option<usize>, String)> {
    model::evaluate(ix, grid)
        .violations
        .into_iter()
        .filter(|v| v.rule == rule)
        .map(|v| (v.driver.to_string(), v.day, v.message))
        .collect()
}
