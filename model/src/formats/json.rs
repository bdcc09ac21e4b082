//! JSON reading with located errors, and the roster document.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::evaluate::{Coverage, DriverSummary, Evaluation, ObjectiveBreakdown, Violation};
use crate::index::ScenarioIndex;
use crate::roster::{Assignment, Roster, RosterGrid};
use crate::scenario::Scenario;

/// Deserializes `text`, naming the path of the first bad value in the error.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = format!(" (line {}, column {})", inner.line(), inner.column());
        ModelError::Json {
            path,
            message: format!("{inner}").split(" at line").next().unwrap_or_default().to_string() + &at,
        }
    })
}

/// Reads a native scenario (types only; validate it with [`ScenarioIndex::new`]).
pub fn parse_scenario(text: &str) -> Result<Scenario, ModelError> {
    from_str(text)
}

/// The JSON Schema of the native scenario format.
pub fn scenario_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Scenario)).unwrap_or_default()
}

/// A roster with what the evaluator says about it: the file `roster solve --out` writes and
/// `roster evaluate` reads (only `start_date` and `assignments` are read back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RosterDocument {
    /// Scenario name.
    #[serde(default)]
    pub scenario: String,
    /// Calendar date of day 0.
    pub start_date: NaiveDate,
    /// Number of days.
    #[serde(default)]
    pub days: usize,
    /// Worked shifts.
    pub assignments: Vec<Assignment>,
    /// Per-driver figures.
    #[serde(default, skip_deserializing)]
    #[schemars(skip)]
    pub drivers: Vec<DriverSummary>,
    /// The objective, term by term (cents), and its total.
    #[serde(default, skip_deserializing)]
    #[schemars(skip)]
    pub objective: Option<ObjectiveSummary>,
    /// Demand coverage.
    #[serde(default, skip_deserializing)]
    #[schemars(skip)]
    pub coverage: Option<Coverage>,
    /// Hard violations (empty for a legal roster).
    #[serde(default, skip_deserializing)]
    #[schemars(skip)]
    pub violations: Vec<Violation>,
}

/// The breakdown with its total, as written in documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectiveSummary {
    /// Sum of the terms, in cents.
    pub total: crate::units::Money,
    /// The terms.
    #[serde(flatten)]
    pub terms: ObjectiveBreakdown,
}

impl RosterDocument {
    /// The document for `grid` and its evaluation.
    pub fn new(index: &ScenarioIndex, grid: &RosterGrid, eval: &Evaluation) -> RosterDocument {
        let roster = Roster::from_grid(index, grid);
        RosterDocument {
            scenario: index.scenario.name.clone(),
            start_date: roster.start_date,
            days: index.days(),
            assignments: roster.assignments,
            drivers: eval.drivers.clone(),
            objective: Some(ObjectiveSummary { total: eval.objective.total(), terms: eval.objective }),
            coverage: Some(eval.coverage),
            violations: eval.violations.clone(),
        }
    }

    /// The roster part.
    pub fn roster(&self) -> Roster {
        Roster { start_date: self.start_date, assignments: self.assignments.clone() }
    }
}

/// Reads a roster document (or any JSON object with `start_date` and `assignments`).
pub fn parse_roster(text: &str) -> Result<Roster, ModelError> {
    from_str::<RosterDocument>(text).map(|d| d.roster())
}
