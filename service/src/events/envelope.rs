//! The event envelope of DESIGN §6 and the typed constructors of every event we publish.
//!
//! Each event type has a JSON Schema in `service/schemas/events/<type>.schema.json`; the tests
//! check what these constructors produce against them, so a change here that breaks a consumer's
//! contract fails the build. A breaking change to `data` needs a new `version` (and schema).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Type of [`JobStatusChanged`] events, on the jobs topic, keyed by job id.
pub const JOB_STATUS_CHANGED: &str = "roster.job.status_changed";
/// Type of [`RosterPublished`] events, on the published topic, keyed by roster id.
pub const ROSTER_PUBLISHED: &str = "roster.published";
/// Type of [`CostForecast`] events, on the payroll topic, keyed by driver id.
pub const COST_FORECAST: &str = "payroll.cost_forecast";
/// Type of the inbound HR message that records an absence, keyed by driver id.
pub const ABSENCE_RECORDED: &str = "hr.absence.recorded";

/// One event as it travels on Kafka: metadata common to all types around a typed `data` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per event, stable across redeliveries: consumers deduplicate on it.
    pub event_id: Uuid,
    /// What happened, e.g. `roster.published`; selects the schema of `data`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of the `data` schema for this type; bumped only on breaking changes.
    pub version: u32,
    /// When the state change happened (its transaction), not when it was relayed.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it (a user name, or a system component such as `worker`); absent when unknown.
    pub actor: Option<String>,
    /// The trace the change happened in, so a consumer's spans can join the producer's trace.
    pub trace_id: Option<String>,
    /// The typed body; its shape is given by `event_type` and `version`.
    pub data: serde_json::Value,
}

/// Who and which trace caused an event; carried from the request or job into every event it emits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventMeta {
    /// The principal's name, or the component acting on its own.
    pub actor: Option<String>,
    /// The current trace id, if tracing is exported.
    pub trace_id: Option<String>,
}

impl Envelope {
    /// Wraps `data` in a new envelope with a fresh event id, stamped now.
    pub fn new(event_type: &str, version: u32, meta: &EventMeta, data: &impl Serialize) -> Self {
        Envelope {
            event_id: Uuid::new_v4(),
            event_type: event_type.to_owned(),
            version,
            occurred_at: Utc::now(),
            actor: meta.actor.clone(),
            trace_id: meta.trace_id.clone(),
            // Serializing our own plain structs into a Value cannot fail (no maps with non-string
            // keys, no failing Serialize impls), so a failure here is a programming error.
            data: serde_json::to_value(data).expect("event data serializes to JSON"),
        }
    }

    /// A job changed status; the message key is the job id.
    pub fn job_status_changed(meta: &EventMeta, data: &JobStatusChanged) -> Self {
        Envelope::new(JOB_STATUS_CHANGED, 1, meta, data)
    }

    /// A roster was published to drivers; the message key is the roster id.
    pub fn roster_published(meta: &EventMeta, data: &RosterPublished) -> Self {
        Envelope::new(ROSTER_PUBLISHED, 1, meta, data)
    }

    /// Payroll's forecast for one driver and period of a published roster; the key is the driver id.
    pub fn cost_forecast(meta: &EventMeta, data: &CostForecast) -> Self {
        Envelope::new(COST_FORECAST, 1, meta, data)
    }
}

pub use crate::domain::JobStatus;

/// `data` of [`JOB_STATUS_CHANGED`]: the job's new status and, when finished, its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatusChanged {
    /// The job; also the message key.
    pub job_id: Uuid,
    /// The scenario it solves.
    pub scenario_id: Uuid,
    /// The status it moved to.
    pub status: JobStatus,
    /// Attempts started so far (a requeued job counts again).
    pub attempt: u32,
    /// The roster it produced, once succeeded.
    pub roster_id: Option<Uuid>,
    /// The solver's verdict (optimal, feasible_at_limit, infeasible, no_solution_yet), once finished.
    pub solve_status: Option<String>,
    /// The objective of the roster found, in cents.
    pub objective_cents: Option<i64>,
    /// Why it failed, when it failed.
    pub error: Option<String>,
}

/// One shift of a published roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedAssignment {
    /// The driver.
    pub driver_id: String,
    /// The calendar day, so consumers need not know the scenario's start date.
    pub date: NaiveDate,
    /// The shift type's id in the scenario.
    pub shift_id: String,
}

/// `data` of [`ROSTER_PUBLISHED`]: the roster drivers will work, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterPublished {
    /// The roster; also the message key.
    pub roster_id: Uuid,
    /// Its scenario.
    pub scenario_id: Uuid,
    /// The job that produced it, if any (hand-made rosters have none).
    pub job_id: Option<Uuid>,
    /// The roster's version at publication, as in its ETag.
    pub roster_version: i32,
    /// First day of the horizon.
    pub start_date: NaiveDate,
    /// Number of days in the horizon.
    pub days: u32,
    /// Every shift, ordered by driver then date; days off are absent.
    pub assignments: Vec<PublishedAssignment>,
}

/// `data` of [`COST_FORECAST`]: what one driver costs in one ISO week (or the part of it inside
/// the roster's horizon), split as payroll books it. Minutes and integer cents only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostForecast {
    /// The published roster the forecast is for.
    pub roster_id: Uuid,
    /// The driver; also the message key, so one driver's forecasts stay in order and the latest
    /// roster's forecast is the last one payroll sees.
    pub driver_id: String,
    /// The period: ISO week-numbering year.
    pub iso_year: i32,
    /// The period: ISO week, 1..=53.
    pub iso_week: u32,
    /// First day of the period inside the horizon.
    pub period_start: NaiveDate,
    /// Last day of the period inside the horizon (inclusive).
    pub period_end: NaiveDate,
    /// All paid minutes.
    pub worked_minutes: i64,
    /// Minutes paid at the regular rate.
    pub regular_minutes: i64,
    /// Overtime minutes per tier of the scenario's policy, in tier order.
    pub overtime_minutes: Vec<i64>,
    /// Premiums: minutes worked at night.
    pub night_minutes: i64,
    /// Premiums: minutes worked on Sundays and public holidays.
    pub sunday_holiday_minutes: i64,
    /// Cost of the regular minutes.
    pub regular_cents: i64,
    /// Cost of the overtime minutes, all tiers.
    pub overtime_cents: i64,
    /// Cost of the night and Sunday/holiday premiums.
    pub premium_cents: i64,
    /// regular + overtime + premiums.
    pub total_cents: i64,
}

/// Why a driver is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    /// Reported sick.
    Sickness,
    /// Annual or other planned leave.
    Leave,
}

impl AbsenceKind {
    /// The value stored in `driver_absences.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceKind::Sickness => "sickness",
            AbsenceKind::Leave => "leave",
        }
    }
}

/// `data` of the inbound [`ABSENCE_RECORDED`]: HR recorded that a driver is away on whole days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsenceRecorded {
    /// HR's id of the absence, unique across drivers.
    pub absence_id: String,
    /// The driver, as in our scenarios; also the message key.
    pub driver_id: String,
    /// Sickness or leave.
    pub kind: AbsenceKind,
    /// First day away.
    pub from: NaiveDate,
    /// Last day away (inclusive).
    pub to: NaiveDate,
    /// HR's sequence number of this driver's record after the change, increasing by driver; the
    /// entity-state check skips anything at or below what was already applied.
    pub driver_version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_names_its_type_field_type_and_nests_data() {
        let data = JobStatusChanged {
            job_id: Uuid::nil(),
            scenario_id: Uuid::nil(),
            status: JobStatus::Queued,
            attempt: 0,
            roster_id: None,
            solve_status: None,
            objective_cents: None,
            error: None,
        };
        let json = serde_json::to_value(Envelope::job_status_changed(&EventMeta::default(), &data)).unwrap();
        assert_eq!(json["type"], JOB_STATUS_CHANGED);
        assert_eq!(json["data"]["status"], "queued");
        assert!(json.get("event_type").is_none());
    }
}
