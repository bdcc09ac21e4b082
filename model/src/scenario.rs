//! The scenario: everything the planner needs to build a roster (DESIGN §3).
//!
//! These types are the native JSON format (serde, `deny_unknown_fields`); its JSON Schema is generated
//! from them (`roster schema`, committed as `datasets/scenario.schema.json`). A deserialized scenario is
//! not yet trusted: [`Scenario::validate`](crate::validate) checks every cross-reference and bound and
//! [`crate::ScenarioIndex::new`] refuses a scenario that does not pass.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::{DayIndex, Horizon};
use crate::ids::{DepotId, DriverId, Qualification, ShiftTypeId};
use crate::units::{Minutes, Money};

/// A rostering problem: horizon, duties, demand, drivers, rules, costs and optional context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, shown in reports (`metro-small`, `Instance4`).
    pub name: String,
    /// Start date and length of the planning period.
    pub horizon: Horizon,
    /// The duties a driver can be given on a day.
    pub shift_types: Vec<ShiftType>,
    /// Required drivers per day and shift type, with the penalties for missing or surplus drivers.
    /// A (day, shift type) cell that is not listed has no demand and no penalty.
    #[serde(default)]
    pub demand: Vec<Demand>,
    /// The drivers to roster.
    pub drivers: Vec<Driver>,
    /// Scenario-wide labor rules (the per-driver limits live in each driver's contract).
    #[serde(default)]
    pub rules: LaborRules,
    /// How worked minutes are paid: overtime tiers and premiums.
    #[serde(default)]
    pub overtime: OvertimePolicy,
    /// Weights of the soft terms that are not attached to a demand cell or a request.
    #[serde(default)]
    pub weights: ObjectiveWeights,
    /// Shift-on and shift-off requests by drivers.
    #[serde(default)]
    pub requests: Vec<Request>,
    /// Assignments fixed in advance (rule R11).
    #[serde(default)]
    pub pins: Vec<Pin>,
    /// A previous roster; each cell that differs from it costs `weights.change`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Vec<PlannedShift>>,
    /// Shifts worked in the days just before the horizon (for rest, R2, and run length, R6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<CarryIn>,
}

/// A shift type (duty): when it starts, how long it lasts, where and by whom it can be worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftType {
    /// Unique id.
    pub id: ShiftTypeId,
    /// Human-readable name (`Early, line 2`).
    #[serde(default)]
    pub name: String,
    /// Start as minutes after midnight, 0 to 1439.
    pub start: Minutes,
    /// Paid duration in minutes (positive, at most 24 h); a shift may run past midnight.
    pub duration: Minutes,
    /// Depot the duty starts from; `None` means any depot's drivers may work it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot: Option<DepotId>,
    /// Qualifications a driver must all hold to work it (rule R4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifications: Vec<Qualification>,
    /// Tags; `night` makes the whole shift earn the night premium.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<ShiftTag>,
    /// Shift types that may not be worked on the day after this one (rule R2, explicit part).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_next: Vec<ShiftTypeId>,
}

impl ShiftType {
    /// End of the shift in minutes after midnight of its start day (may exceed 1440).
    pub fn end(&self) -> Minutes {
        self.start + self.duration
    }

    /// Whether the shift carries the night tag.
    pub fn is_night(&self) -> bool {
        self.tags.contains(&ShiftTag::Night)
    }
}

/// A shift tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftTag {
    /// Worked at night: earns the night premium.
    Night,
    /// Starts early in the morning (informational).
    Early,
    /// Ends late in the evening (informational).
    Late,
}

/// Demand for one (day, shift type) cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Day of the horizon.
    pub day: DayIndex,
    /// Shift type.
    pub shift: ShiftTypeId,
    /// Number of drivers required.
    pub required: u32,
    /// Cost of each missing driver.
    pub under_penalty: Money,
    /// Cost of each surplus driver.
    pub over_penalty: Money,
}

/// A driver and what they may work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Driver {
    /// Staff id.
    pub id: DriverId,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Home depot; with a depot-bound duty, only that depot's drivers may work it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot: Option<DepotId>,
    /// Qualifications held (rule R4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifications: Vec<Qualification>,
    /// Contract: hours, limits and pay.
    pub contract: Contract,
    /// Maximum number of shifts of a type over the horizon (rule R3); a type not listed is
    /// unlimited, 0 forbids it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_shifts: BTreeMap<ShiftTypeId, u32>,
    /// Days the driver cannot work: fixed days off, leave, sickness (rule R10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<Unavailability>,
}

/// Contract terms. All limits are per driver; `None` means no limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Full- or part-time (informational; the numbers below are what counts).
    pub kind: ContractKind,
    /// Contracted minutes per full ISO week; minutes above it are overtime.
    pub weekly_minutes: Minutes,
    /// Pay per hour of regular work, in cents.
    pub hourly_rate: Money,
    /// Minimum worked minutes over the horizon (rule R5).
    #[serde(default)]
    pub min_minutes: Minutes,
    /// Maximum worked minutes over the horizon (rule R5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes: Option<Minutes>,
    /// Maximum worked minutes per ISO week (rule R5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes_per_week: Option<Minutes>,
    /// Maximum consecutive working days (rule R6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_consecutive_days: Option<u32>,
    /// Minimum consecutive working days (rule R7); 0 or 1 means none.
    #[serde(default)]
    pub min_consecutive_days: u32,
    /// Minimum consecutive days off (rule R8); 0 or 1 means none.
    #[serde(default)]
    pub min_consecutive_days_off: u32,
    /// Maximum worked weekends (rule R9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weekends: Option<u32>,
}

/// Kind of contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// Full-time.
    FullTime,
    /// Part-time.
    PartTime,
}

/// A day the driver cannot work (rule R10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unavailability {
    /// Day of the horizon.
    pub day: DayIndex,
    /// Why.
    pub reason: AbsenceReason,
}

/// Why a driver is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceReason {
    /// A fixed day off of the contract.
    DayOff,
    /// Annual or other planned leave.
    Leave,
    /// Sickness.
    Sick,
}

/// Scenario-wide labor rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaborRules {
    /// Minimum rest between the end of one shift and the start of the next on the following day
    /// (rule R2, derived part). 0 disables the derived check.
    #[serde(default)]
    pub min_rest: Minutes,
}

impl Default for LaborRules {
    fn default() -> Self {
        LaborRules { min_rest: Minutes::ZERO }
    }
}

/// How worked minutes are paid beyond regular pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OvertimePolicy {
    /// Overtime tiers in order: the first `width` minutes above contract in an ISO week are paid at
    /// the first tier's percentage, and so on; the last tier must be unbounded (`width: null`).
    pub tiers: Vec<OvertimeTier>,
    /// Extra percentage of the hourly rate for every minute of a night shift.
    pub night_premium_percent: u32,
    /// Extra percentage of the hourly rate for every minute of a shift starting on a Sunday or a
    /// public holiday.
    pub sunday_holiday_premium_percent: u32,
    /// Public holidays.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<NaiveDate>,
}

impl Default for OvertimePolicy {
    /// The common metro policy: 150 % for the first 8 hours above contract in a week, 200 % beyond;
    /// no premiums.
    fn default() -> Self {
        OvertimePolicy {
            tiers: vec![
                OvertimeTier { width: Some(Minutes::hours(8)), percent: 150 },
                OvertimeTier { width: None, percent: 200 },
            ],
            night_premium_percent: 0,
            sunday_holiday_premium_percent: 0,
            holidays: Vec::new(),
        }
    }
}

/// One overtime tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OvertimeTier {
    /// Minutes paid at this tier per ISO week; `None` for the last, unbounded tier.
    pub width: Option<Minutes>,
    /// Pay as a percentage of the hourly rate (150 = time and a half).
    pub percent: u32,
}

/// Weights of soft terms not attached to a demand cell or a request. Costs default to zero; overtime
/// pay and premiums count by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveWeights {
    /// Whether overtime pay counts in the objective.
    #[serde(default = "yes")]
    pub overtime: bool,
    /// Whether night and Sunday/holiday premiums count in the objective.
    #[serde(default = "yes")]
    pub premiums: bool,
    /// Cost per minute of spread between the most and least overtime worked by a driver.
    #[serde(default)]
    pub overtime_spread_per_minute: Money,
    /// Cost per weekend of spread between the most and least weekends worked by a driver.
    #[serde(default)]
    pub weekend_spread_per_weekend: Money,
    /// Cost of each cell (driver, day) that differs from the baseline roster.
    #[serde(default)]
    pub change: Money,
}

impl ObjectiveWeights {
    /// Whether the fairness spreads weigh nothing: the objective is then a sum of per-driver and
    /// per-cell terms, which searches and bounds that take drivers one at a time price exactly.
    pub fn fairness_weighs_nothing(&self) -> bool {
        self.overtime_spread_per_minute == Money::ZERO && self.weekend_spread_per_weekend == Money::ZERO
    }
}

fn yes() -> bool {
    true
}

impl Default for ObjectiveWeights {
    fn default() -> Self {
        ObjectiveWeights {
            overtime: true,
            premiums: true,
            overtime_spread_per_minute: Money::ZERO,
            weekend_spread_per_weekend: Money::ZERO,
            change: Money::ZERO,
        }
    }
}

/// A driver's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Who asks.
    pub driver: DriverId,
    /// Which day.
    pub day: DayIndex,
    /// What they ask for.
    pub kind: RequestKind,
    /// The shift the request is about; for a shift-off request, `None` means any shift (the day off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<ShiftTypeId>,
    /// Cost of not granting it.
    pub weight: Money,
}

/// Shift-on or shift-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Costs its weight unless that exact shift is worked that day.
    On,
    /// Costs its weight if that shift (or, without a shift, any shift) is worked that day.
    Off,
}

/// A pinned cell (rule R11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// Driver.
    pub driver: DriverId,
    /// Day of the horizon.
    pub day: DayIndex,
    /// The shift to work, or `None` for a day off.
    pub shift: Option<ShiftTypeId>,
}

/// One (driver, day, shift) cell of a roster, as stored in baselines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedShift {
    /// Driver.
    pub driver: DriverId,
    /// Day of the horizon.
    pub day: DayIndex,
    /// Shift type worked.
    pub shift: ShiftTypeId,
}

/// A shift worked before the horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryIn {
    /// Driver.
    pub driver: DriverId,
    /// How many days before day 0 (1 = the day before the start).
    pub days_before: usize,
    /// Shift type worked.
    pub shift: ShiftTypeId,
}
