//! The rostering domain (DESIGN §3). Pure: no IO, no framework, no floats in money or time.
//!
//! A tour of the modules:
//!
//! * [`units`]: `Minutes` and `Money` (integer cents), the only numbers the domain computes with.
//! * [`ids`]: typed ids (`DriverId`, `ShiftTypeId`, …) and the dense indices used internally.
//! * [`calendar`]: the horizon, dates, ISO weeks and weekends.
//! * [`scenario`]: the scenario and its parts (shift types, demand, drivers and contracts, rules,
//!   overtime policy, weights, requests, pins, baseline, carry-in history); the native JSON format.
//! * [`validate`]: every consistency problem of a scenario at once, each with its path.
//! * [`index`]: a validated scenario resolved to dense arrays, shared by the evaluator and the solver.
//! * [`roster`]: a roster (assignments), its grid form, its lifecycle state machine.
//! * [`rules`]: the hard rules R1–R11 and their codes.
//! * [`evaluate`]: the evaluator, the single source of truth for legality and cost.
//! * [`overtime`]: the overtime calculator (regular and overtime minutes per tier, premiums, pay).
//! * [`formats`]: JSON reading with paths in errors, the Curtois & Qu importer, CSV export.
//! * [`generate`]: the metro instance generator.

pub mod calendar;
pub mod error;
pub mod evaluate;
mod evaluate_rules;
pub mod formats;
pub mod generate;
pub mod ids;
pub mod index;
pub mod lifecycle;
pub mod overtime;
pub mod roster;
pub mod rules;
pub mod scenario;
pub mod units;
pub mod validate;

pub use calendar::{DayIndex, Horizon};
pub use error::{Issue, ModelError};
pub use evaluate::{Evaluation, ObjectiveBreakdown, Violation, evaluate};
pub use ids::{DepotId, DriverId, DriverIdx, Qualification, ShiftIdx, ShiftTypeId};
pub use index::ScenarioIndex;
pub use roster::{Assignment, Roster, RosterGrid, RosterStatus};
pub use rules::RuleCode;
pub use scenario::*;
pub use units::{Minutes, Money};
